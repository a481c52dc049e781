"""The one write path into the warehouse: batched, transactional, idempotent.

Each function takes the writer connection that warehouse.db.execute_write hands its function, so a
caller puts several of them into one transaction. Re-writing a row that is already there adds nothing.
The statements are the files under warehouse/sql/write/.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import duckdb
import polars as pl

from warehouse import sql
from warehouse.records import (
    ModelInfo,
    Prediction,
    Question,
    RunSpec,
    TaskInfo,
    version_id_for,
)

PREDICTION_SCHEMA = {
    "run_id": pl.String,
    "question_id": pl.String,
    "variant": pl.String,
    "task": pl.String,
    "pred": pl.Int32,
    "golds": pl.List(pl.Int32),
    "correct": pl.Boolean,
    "loglikelihoods": pl.List(pl.Float64),
    "probs": pl.List(pl.Float64),
    "prompt_hash": pl.String,
    "latency_ms": pl.Float64,
    "status": pl.String,
    "raw_output": pl.String,
    "input_tokens": pl.Int32,
    "output_tokens": pl.Int32,
    "cost_usd": pl.Float64,
    "pred_set": pl.List(pl.Int32),
}

QUESTION_SCHEMA = {
    "question_id": pl.String,
    "task": pl.String,
    "source_id": pl.String,
    "content_hash": pl.String,
    "text": pl.String,
    "context": pl.String,
    "options": pl.List(pl.String),
    "golds": pl.List(pl.Int32),
    "subject": pl.String,
    "topic": pl.String,
    "explanation": pl.String,
    "meta": pl.String,
}


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def register_model_version(con: duckdb.DuckDBPyConnection, info: ModelInfo) -> str:
    """Insert the model and its version if new; returns the version_id."""
    sql.run(
        con,
        "write/insert_model",
        {
            "model_id": info.name,
            "family": info.name.split("/")[-1],
            "model_type": info.model_type,
            "license": info.license,
            "source": info.source,
        },
    )
    version_id = version_id_for(info.name, info.revision, info.variant)
    label = info.label or (f"{info.revision[:10]}" + (f" {info.variant}" if info.variant else ""))
    sql.run(
        con,
        "write/insert_model_version",
        {
            "version_id": version_id,
            "model_id": info.name,
            "revision": info.revision,
            "variant": info.variant,
            "label": label,
            "n_params": info.n_params,
            "released_at": info.released_at,
        },
    )
    return version_id


def register_tasks(con: duckdb.DuckDBPyConnection, tasks: Iterable[tuple[TaskInfo, int]]) -> None:
    """Upsert benchmark rows: (task info, number of questions in the full split)."""
    for info, n_questions in tasks:
        sql.run(
            con,
            "write/insert_benchmark",
            {
                "task": info.task,
                "benchmark": info.benchmark,
                "split": info.split,
                "language": info.language,
                "task_group": info.task_group,
                "metric": info.metric,
                "n_questions": n_questions,
                "source": info.source,
                "data_sha256": info.data_sha256,
            },
        )


def questions_frame(questions: Sequence[Question]) -> pl.DataFrame:
    rows = [
        {
            "question_id": q.id,
            "task": q.task,
            "source_id": q.source_id,
            "content_hash": q.content_hash,
            "text": q.text,
            "context": q.context,
            "options": list(q.options),
            "golds": list(q.golds),
            "subject": q.subject,
            "topic": q.topic,
            "explanation": q.explanation,
            "meta": json.dumps(dict(q.meta), ensure_ascii=False, sort_keys=True),
        }
        for q in questions
    ]
    return pl.DataFrame(rows, schema=QUESTION_SCHEMA)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """INSERT ... ON CONFLICT DO NOTHING from a DataFrame; returns how many rows were new."""
    if table not in {"questions", "predictions"}:
        raise ValueError(f"insert_frame does not write {table!r}")
    if frame.is_empty():
        return 0
    if table == "predictions":
        return append_predictions(con, frame, on_conflict="DO NOTHING")
    con.register("_batch", frame.to_arrow())
    try:
        return len(sql.run(con, "write/insert_questions"))
    finally:
        con.unregister("_batch")


# ------------------------------------------------------------------ predictions and their counts
# prediction_counts (migration 006) caches per-(run, task, variant, status) counts for the leaderboard.
# Every insert or delete of predictions below returns the rows it touched (RETURNING) and adds or
# subtracts them in the same statement sequence, hence the same transaction as the caller's batch.

COUNTED_COLUMNS = "run_id, task, variant, status, correct"  # what the insert statements return


def _apply_counts(con: duckdb.DuckDBPyConnection, changed: dict, sign: int) -> int:
    """Add (sign=1) or subtract (sign=-1) the rows in `changed` (fetchnumpy of COUNTED_COLUMNS)."""
    rows = len(changed["run_id"])
    if rows:
        con.register("_changed", pl.DataFrame(changed).to_arrow())
        try:
            sql.run(con, "write/add_counts", {"sign": sign})
        finally:
            con.unregister("_changed")
    return rows


def append_predictions(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, on_conflict: str | None) -> int:
    """Insert prediction rows (on_conflict "DO NOTHING" skips those present; None lets the primary key
    refuse them) and count the rows actually inserted. Returns how many were inserted."""
    if on_conflict not in ("DO NOTHING", None):
        raise ValueError(f"on_conflict must be 'DO NOTHING' or None, not {on_conflict!r}")
    statement = "write/insert_new_predictions" if on_conflict else "write/insert_predictions"
    con.register("_batch", frame.to_arrow())
    try:
        inserted = con.execute(sql.load(statement)).fetchnumpy()
    finally:
        con.unregister("_batch")
    return _apply_counts(con, inserted, +1)


def delete_predictions(con: duckdb.DuckDBPyConnection, where: str, params: dict) -> int:
    """DELETE FROM predictions p [USING ...] WHERE <where>, uncounting the rows deleted. `where` is SQL
    written in this codebase (bind parameters for every value); `params` binds them. Returns rows deleted."""
    returning = ", ".join(f"p.{c}" for c in COUNTED_COLUMNS.split(", "))
    deleted = con.execute(f"DELETE FROM predictions p {where} RETURNING {returning}", params).fetchnumpy()
    return _apply_counts(con, deleted, -1)


def recount_runs(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> None:
    """Recount these runs' rows of prediction_counts from predictions (after a write that bypassed the
    functions above, e.g. a bulk load)."""
    sql.run(con, "write/drop_counts", {"runs": list(run_ids)})
    sql.run(con, "write/recount", {"runs": list(run_ids)})


def register_questions(con: duckdb.DuckDBPyConnection, questions: Sequence[Question]) -> int:
    return insert_frame(con, "questions", questions_frame(questions))


def start_run(con: duckdb.DuckDBPyConnection, spec: RunSpec) -> None:
    """Create the run, or mark an existing one running again (a resume), widening its task list."""
    found = sql.run(con, "write/run_tasks", {"run_id": spec.run_id})
    if found:
        tasks = sorted(set(found[0][0]) | set(spec.tasks))
        sql.run(con, "write/resume_run", {"run_id": spec.run_id, "tasks": tasks})
        return
    sql.run(
        con,
        "write/insert_run",
        {
            "run_id": spec.run_id,
            "version_id": spec.version_id,
            "backend": spec.backend,
            "scoring_mode": spec.scoring_mode,
            "provenance": spec.provenance,
            "num_fewshot": spec.num_fewshot,
            "dtype": spec.dtype,
            "device": spec.device,
            "prompt_version": spec.prompt_version,
            "prompt_hash": spec.prompt_hash,
            "settings": json.dumps(dict(spec.settings), sort_keys=True),
            "packages": json.dumps(dict(spec.packages), sort_keys=True),
            "tasks": sorted(spec.tasks),
            "started_at": now_utc(),
        },
    )


def predictions_frame(predictions: Sequence[Prediction]) -> pl.DataFrame:
    rows = []
    for p in predictions:
        row = asdict(p)
        row["golds"] = list(p.golds)
        row["loglikelihoods"] = None if p.loglikelihoods is None else list(p.loglikelihoods)
        row["probs"] = None if p.probs is None else list(p.probs)
        row["pred_set"] = None if p.pred_set is None else list(p.pred_set)
        rows.append(row)
    return pl.DataFrame(rows, schema=PREDICTION_SCHEMA)


def write_predictions(con: duckdb.DuckDBPyConnection, predictions: Sequence[Prediction]) -> int:
    """Insert a batch of predictions; rows already present are skipped. Returns rows added."""
    return insert_frame(con, "predictions", predictions_frame(predictions))


def replace_failed(con: duckdb.DuckDBPyConnection, run_id: str, question_ids: Sequence[str]) -> None:
    """Drop failed rows about to be retried, so the retry's rows can take their place."""
    if question_ids:
        delete_predictions(
            con,
            "WHERE p.run_id = $run_id AND p.status = 'failed' AND list_contains($questions, p.question_id)",
            {"run_id": run_id, "questions": list(question_ids)},
        )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, seconds: float | None) -> None:
    sql.run(con, "write/finish_run", {"run_id": run_id, "status": status, "finished_at": now_utc(), "seconds": seconds})
