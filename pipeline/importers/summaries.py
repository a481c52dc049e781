"""What the two imports of results without per-question data share: which tasks they take, a task's
counts (n, n_correct) from an accuracy, and the one transaction that writes their runs.

Such a run (warehouse.imports.SummaryRun, migration 010) has per-task accuracies only: no question it
answered is known, so it can never be paired with another run. Its n, where the source gives it or lets
it be recovered exactly, still gives each accuracy its Wilson interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import duckdb

from pipeline import benchmarks
from warehouse import imports, writer
from warehouse.db import execute_write
from warehouse.imports import SummaryRun
from warehouse.records import ModelInfo, sha256_text

# An accuracy x n within this of a whole number is that number (lm-eval's acc is a mean of 0/1 floats).
WHOLE = 1e-6


def scored_tasks() -> tuple[str, ...]:
    """Tasks whose score is accuracy over single-answer questions: the only score these imports take."""
    return tuple(t for t in benchmarks.CHOICE_TASKS if benchmarks.task_info(t).metric == "acc")


def whole(value: float) -> int | None:
    """`value` as an int when it is one (to WHOLE), else None."""
    nearest = round(value)
    return int(nearest) if abs(value - nearest) <= WHOLE * max(1.0, abs(value)) else None


def n_from_stderr(accuracy: float, stderr: float | None) -> int | None:
    """The n that lm-eval's acc_stderr implies, where it is exact: lm-eval reports the sample standard
    error sqrt(p (1 - p) / (n - 1)), so n = 1 + p (1 - p) / stderr^2. Taken only when that n and p x n are
    both whole numbers (to WHOLE); otherwise (p = 0 or 1, a rounded or pooled stderr) n stays unknown."""
    if stderr is None or not math.isfinite(stderr) or stderr <= 0 or not 0 < accuracy < 1:
        return None
    n = whole(1 + accuracy * (1 - accuracy) / stderr**2)
    if n is None or n < 2 or whole(accuracy * n) is None:
        return None
    return n


def run_id(kind: str, *parts: object) -> str:
    return sha256_text(json.dumps([kind, *parts], sort_keys=True, default=str))[:16]


def write_runs(con: duckdb.DuckDBPyConnection, runs: Sequence[tuple[ModelInfo, SummaryRun]]) -> list[bool]:
    """Write every run with its model version and tasks inside the caller's transaction; returns, per
    run, whether it was new (False: the same run was imported before, nothing written)."""
    added = []
    for info, run in runs:
        writer.register_model_version(con, info)
        tasks = sorted({score.task for score in run.scores})
        writer.register_tasks(con, [(benchmarks.task_info(t), len(benchmarks.load_questions(t))) for t in tasks])
        added.append(imports.write_summary_run(con, run))
    return added


def write_summary_runs(warehouse, runs: Sequence[tuple[ModelInfo, SummaryRun]]) -> list[bool]:
    """write_runs in ONE transaction of its own: all or nothing."""
    return execute_write(lambda con: write_runs(con, runs), warehouse)
