"""The one write path into the warehouse: batched, transactional, idempotent.

Each function takes an open writer connection (warehouse.db.write_connection), so a caller can put
several of them into one transaction. Re-writing a row that is already there adds nothing.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Iterable, Sequence

import duckdb
import polars as pl

from warehouse.db import run_sql
from warehouse.records import ModelInfo, Prediction, Question, RunSpec, TaskInfo, version_id_for

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
    return datetime.now(timezone.utc).replace(tzinfo=None)


def register_model_version(con: duckdb.DuckDBPyConnection, info: ModelInfo) -> str:
    """Insert the model and its version if new; returns the version_id."""
    run_sql(
            con,
        "INSERT INTO models (model_id, family, model_type, license, source) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [info.name, info.name.split("/")[-1], info.model_type, info.license, info.source],
    )
    version_id = version_id_for(info.name, info.revision, info.variant)
    label = info.label or (f"{info.revision[:10]}" + (f" {info.variant}" if info.variant else ""))
    run_sql(
            con,
        "INSERT INTO model_versions (version_id, model_id, revision, variant, label, n_params, released_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [version_id, info.name, info.revision, info.variant, label, info.n_params, info.released_at],
    )
    return version_id


def register_tasks(con: duckdb.DuckDBPyConnection, tasks: Iterable[tuple[TaskInfo, int]]) -> None:
    """Upsert benchmark rows: (task info, number of questions in the full split)."""
    for info, n_questions in tasks:
        run_sql(
            con,
            "INSERT INTO benchmarks (task, benchmark, split, language, task_group, metric, n_questions, source, data_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [info.task, info.benchmark, info.split, info.language, info.task_group, info.metric,
             n_questions, info.source, info.data_sha256],
        )


def questions_frame(questions: Sequence[Question]) -> pl.DataFrame:
    rows = [
        {
            "question_id": q.id, "task": q.task, "source_id": q.source_id, "content_hash": q.content_hash,
            "text": q.text, "context": q.context, "options": list(q.options), "golds": list(q.golds),
            "subject": q.subject, "topic": q.topic, "explanation": q.explanation,
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
    before = run_sql(con, f"SELECT count(*) FROM {table}")[0][0]
    con.register("_batch", frame.to_arrow())
    try:
        run_sql(con, f"INSERT INTO {table} BY NAME SELECT * FROM _batch ON CONFLICT DO NOTHING")
    finally:
        con.unregister("_batch")
    return run_sql(con, f"SELECT count(*) FROM {table}")[0][0] - before


# ------------------------------------------------------------------ predictions and their counts
# prediction_counts (migration 006) caches per-(run, task, variant, status) counts for the leaderboard.
# Every insert or delete of predictions below returns the rows it touched (RETURNING) and adds or
# subtracts them in the same statement sequence, hence the same transaction as the caller's batch.

COUNTED_COLUMNS = "run_id, task, variant, status, correct"


def _apply_counts(con: duckdb.DuckDBPyConnection, changed: dict, sign: int) -> int:
    """Add (sign=1) or subtract (sign=-1) the rows in `changed` (fetchnumpy of COUNTED_COLUMNS)."""
    rows = len(changed["run_id"])
    if rows:
        con.register("_changed", pl.DataFrame(changed).to_arrow())
        try:
            run_sql(
                con,
                "INSERT INTO prediction_counts "
                "SELECT run_id, task, variant, status, $sign * count(*), $sign * count(*) FILTER (WHERE correct) "
                "FROM _changed GROUP BY run_id, task, variant, status "
                "ON CONFLICT DO UPDATE SET n = n + excluded.n, n_correct = n_correct + excluded.n_correct",
                {"sign": sign},
            )
        finally:
            con.unregister("_changed")
    return rows


def append_predictions(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, on_conflict: str | None) -> int:
    """Insert prediction rows (on_conflict "DO NOTHING" skips those present; None lets the primary key
    refuse them) and count the rows actually inserted. Returns how many were inserted."""
    if on_conflict not in ("DO NOTHING", None):
        raise ValueError(f"on_conflict must be 'DO NOTHING' or None, not {on_conflict!r}")
    conflict = f"ON CONFLICT {on_conflict} " if on_conflict else ""
    con.register("_batch", frame.to_arrow())
    try:
        inserted = con.execute(
            f"INSERT INTO predictions BY NAME SELECT * FROM _batch {conflict}RETURNING {COUNTED_COLUMNS}"
        ).fetchnumpy()
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
    run_sql(con, "DELETE FROM prediction_counts WHERE list_contains($runs, run_id)", {"runs": list(run_ids)})
    run_sql(
        con,
        "INSERT INTO prediction_counts SELECT run_id, task, variant, status, count(*), count(*) FILTER (WHERE correct) "
        "FROM predictions WHERE run_id IN (SELECT unnest($runs)) GROUP BY run_id, task, variant, status",
        {"runs": list(run_ids)},
    )


def register_questions(con: duckdb.DuckDBPyConnection, questions: Sequence[Question]) -> int:
    return insert_frame(con, "questions", questions_frame(questions))


def start_run(con: duckdb.DuckDBPyConnection, spec: RunSpec) -> None:
    """Create the run, or mark an existing one running again (a resume), widening its task list."""
    found = run_sql(con, "SELECT tasks FROM runs WHERE run_id = ?", [spec.run_id])
    exists = found[0] if found else None
    if exists:
        tasks = sorted(set(exists[0]) | set(spec.tasks))
        run_sql(
            con,
            "UPDATE runs SET status = 'running', tasks = ?, finished_at = NULL WHERE run_id = ?",
            [tasks, spec.run_id],
        )
        return
    run_sql(
            con,
        "INSERT INTO runs (run_id, version_id, backend, scoring_mode, provenance, num_fewshot, dtype, device, "
        "prompt_version, prompt_hash, settings, packages, tasks, status, started_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
        [spec.run_id, spec.version_id, spec.backend, spec.scoring_mode, spec.provenance, spec.num_fewshot,
         spec.dtype, spec.device, spec.prompt_version, spec.prompt_hash,
         json.dumps(dict(spec.settings), sort_keys=True), json.dumps(dict(spec.packages), sort_keys=True),
         sorted(spec.tasks), now_utc()],
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
            con, "WHERE p.run_id = $run_id AND p.status = 'failed' AND list_contains($questions, p.question_id)",
            {"run_id": run_id, "questions": list(question_ids)},
        )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, seconds: float | None) -> None:
    run_sql(
            con,
        "UPDATE runs SET status = ?, finished_at = ?, seconds = coalesce(seconds, 0) + coalesce(?, 0), "
        "n_predictions = (SELECT count(*) FROM predictions WHERE run_id = ?) WHERE run_id = ?",
        [status, now_utc(), seconds, run_id, run_id],
    )
