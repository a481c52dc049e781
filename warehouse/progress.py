"""What the pipeline reads back about its own runs: resume points, failures, accuracy, demo completeness.

Each function takes an open connection, a reader's or the writer's inside warehouse.db.execute_write.
The statements are the files under warehouse/sql/progress/.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from warehouse import sql
from warehouse.db import fetch_frame


def answered(con: duckdb.DuckDBPyConnection, run_id: str) -> set[tuple[str, str]]:
    """(question_id, variant) pairs the run has answered; failed rows are not answers (they are retried)."""
    return set(sql.run(con, "progress/answered", {"run_id": run_id}))


def failed_count(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    return sql.run(con, "progress/failed_count", {"run_id": run_id})[0][0]


def run_answers(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """task, question_id, correct of the run's unperturbed predictions."""
    return fetch_frame(con, sql.load("progress/run_answers"), {"run_id": run_id})


def run_set_scores(
    con: duckdb.DuckDBPyConnection, run_id: str, task: str, question_ids: Sequence[str], set_share: float
) -> tuple[float | None, float | None]:
    """(EMR, Hamming score) of the run's unperturbed answers to `question_ids` of a multi-answer task."""
    params = {"run_id": run_id, "task": task, "question_ids": list(question_ids), "set_share": float(set_share)}
    _, emr, hamming = sql.run(con, "progress/run_set_scores", params)[0]
    return emr, hamming


def complete_questions(
    con: duckdb.DuckDBPyConnection, model_arg: str, variant: str, question_ids: Sequence[str]
) -> int:
    """How many of `question_ids` a complete zero-shot run of `model_arg` (as given to --model) and
    `variant` answered, unperturbed."""
    params = {"model_arg": model_arg, "variant": variant, "question_ids": list(question_ids)}
    return sql.run(con, "progress/complete_questions", params)[0][0]


def open_demo_done(
    con: duckdb.DuckDBPyConnection, model_arg: str, judge_model: str, question_ids: Sequence[str]
) -> tuple[int, int, int]:
    """(questions answered by a complete generation run of `model_arg`, verdicts of a log-likelihood judge of
    `judge_model` on those answers, most judge-set pairs such a judge was checked on)."""
    params = {"model_arg": model_arg, "judge_model": judge_model, "question_ids": list(question_ids)}
    answered, judged, checked = sql.run(con, "progress/open_demo_done", params)[0]
    return answered, judged, checked
