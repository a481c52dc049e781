"""The write path (and the pipeline's read-backs) for open-ended answers: statements, generations, judges,
judgments, judge checks (migration 008). Each function takes the connection warehouse.db.execute_write
hands its function, or a reader's; re-writing a row that is already there adds nothing. The statements
are the files under warehouse/sql/judged/.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import polars as pl

from warehouse import sql
from warehouse.db import fetch_frame

JUDGE_SET_RUN = "kqa-judge-set"  # judgments.run_id of the physicians' pairs

STATEMENT_SCHEMA = {
    "statement_id": pl.String,
    "question_id": pl.String,
    "task": pl.String,
    "kind": pl.String,
    "position": pl.Int32,
    "text": pl.String,
    "weight": pl.Float64,
}
GENERATION_SCHEMA = {
    "run_id": pl.String,
    "question_id": pl.String,
    "task": pl.String,
    "messages": pl.String,
    "prompt": pl.String,
    "prompt_hash": pl.String,
    "sampling": pl.String,
    "output": pl.String,
    "status": pl.String,
    "finish_reason": pl.String,
    "input_tokens": pl.Int32,
    "output_tokens": pl.Int32,
    "latency_ms": pl.Float64,
    "cost_usd": pl.Float64,
}
JUDGMENT_SCHEMA = {
    "judge_id": pl.String,
    "run_id": pl.String,
    "question_id": pl.String,
    "statement_id": pl.String,
    "relation": pl.String,
    "verdict": pl.String,
    "probability": pl.Float64,
    "rationale": pl.String,
    "prompt_hash": pl.String,
    "latency_ms": pl.Float64,
}
VERDICTS = ("true", "false", "unparsed", "failed")


def _insert(con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[dict], schema: dict) -> int:
    if not rows:
        return 0
    con.register("_batch", pl.DataFrame(list(rows), schema=schema).to_arrow())
    try:
        return len(sql.run(con, f"judged/insert_{name}"))
    finally:
        con.unregister("_batch")


def register_statements(con: duckdb.DuckDBPyConnection, rows: Sequence[dict]) -> int:
    """rows: statement_id, question_id, task, kind, position, text, weight."""
    return _insert(con, "statements", rows, STATEMENT_SCHEMA)


def write_generations(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[dict]) -> int:
    """Insert a batch of answers, first dropping the failed rows they retry. Returns rows added."""
    sql.run(con, "judged/drop_failed_generations", {"run_id": run_id, "questions": [r["question_id"] for r in rows]})
    return _insert(con, "generations", rows, GENERATION_SCHEMA)


def generated(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    return {row[0] for row in sql.run(con, "judged/generated", {"run_id": run_id})}


def failed_generations(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    return sql.run(con, "judged/failed_generations", {"run_id": run_id})[0][0]


def register_judge(con: duckdb.DuckDBPyConnection, judge: dict) -> None:
    """judge: judge_id, version_id, model_id, revision, mode, prompt_hash, settings (a dict)."""
    sql.run(con, "judged/insert_judge", {**judge, "settings": json.dumps(judge["settings"], sort_keys=True)})


def write_judgments(con: duckdb.DuckDBPyConnection, judge_id: str, run_id: str, rows: Sequence[dict]) -> int:
    bad = [r["verdict"] for r in rows if r["verdict"] not in VERDICTS]
    if bad:
        raise ValueError(f"verdict {bad[0]!r} is not one of {', '.join(VERDICTS)}")
    statements = sorted({r["statement_id"] for r in rows})
    sql.run(con, "judged/drop_failed_judgments", {"judge_id": judge_id, "run_id": run_id, "statements": statements})
    return _insert(con, "judgments", rows, JUDGMENT_SCHEMA)


def judged(con: duckdb.DuckDBPyConnection, judge_id: str, run_id: str) -> set[tuple[str, str]]:
    return set(sql.run(con, "judged/judged", {"judge_id": judge_id, "run_id": run_id}))


def answers_to_judge(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/answers_to_judge"), {"run_id": run_id})


def run_verdicts(con: duckdb.DuckDBPyConnection, judge_id: str, run_id: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/run_verdicts"), {"judge_id": judge_id, "run_id": run_id})


def judge_set_verdicts(con: duckdb.DuckDBPyConnection, judge_id: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/judge_set_verdicts"), {"judge_id": judge_id})


def write_judge_check(con: duckdb.DuckDBPyConnection, check: dict) -> None:
    """check: judge_id, relation, n_pairs, n_unparsed, accuracy, accuracy_low, accuracy_high, kappa,
    macro_f1, confusion (a dict), ceiling_kappa."""
    params = {**check, "confusion": json.dumps(check["confusion"], sort_keys=True)}
    sql.run(con, "judged/upsert_judge_check", {**params, "checked_at": datetime.now(UTC).replace(tzinfo=None)})


def judge_checks(con: duckdb.DuckDBPyConnection, judge_id: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/judge_checks"), {"judge_id": judge_id})


# Reads for the Answers page (dashboard.answers_data): judges compared on the same answers, and the slices.
def run_judges_verdicts(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/run_judges_verdicts"), {"run_id": run_id})


def judge_set_all_verdicts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/judge_set_all_verdicts"), {"run_id": JUDGE_SET_RUN})


def judges(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/judges"), None)


def question_subjects(con: duckdb.DuckDBPyConnection, task: str) -> pl.DataFrame:
    return fetch_frame(con, sql.load("judged/question_subjects"), {"task": task})
