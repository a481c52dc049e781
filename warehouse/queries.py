"""Read queries: each loads one .sql file from warehouse/queries/ by name and returns a polars DataFrame.

Every function takes an open connection (warehouse.db.read_connection), so the caller decides how long
the file stays open: the dashboard opens a short read-only connection per call, a script may reuse one.
The SQL lives only in the .sql files (named CTEs ending in `final`, `$name` bind parameters); which
predictions count is the rule in migration 005 (views entry_runs and counted_predictions).

An *entry* is one model version under one run configuration; its id is
"<version_id>:<num_fewshot>:<scoring_mode>", the entry_id column of those views.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import fetch_frame
from warehouse.errors import MedlbError
from warehouse.migrate import latest_version

QUERIES_DIR = Path(__file__).parent / "queries"
SCOPES = ("all", "everyone_wrong", "different", "split")


class WarehouseOutdated(MedlbError, RuntimeError):
    """The file predates a migration these queries need; any write migrates it."""


@functools.cache
def load_sql(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in QUERIES_DIR.glob("*.sql")))
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR}; known: {known}")
    return path.read_text(encoding="utf-8")


OUTDATED = (
    "this warehouse predates the migrations the dashboard reads (views of 005, macros of 007). Every write "
    "applies pending migrations: run `medlb eval ...` (or `medlb import ...`) against it once."
)
# What a query names that only a migration creates: a catalog error naming one means the file is outdated.
MIGRATED_NAMES = (
    "schema_migrations",
    "counted_predictions",
    "entry_runs",
    "acc_stderr",
    "top_confidence",
    "top_is_gold",
    "brier",
    "confidence_bin",
    "answer_set",
    "set_exact",
    "set_hamming",
    "difficulty",
    "flip_kind",
    "summary_runs",
    "summary_scores",
)


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    """Run warehouse/queries/<name>.sql with bind parameters; the result is fetched whole."""
    try:
        return fetch_frame(con, load_sql(name), params or None)
    except duckdb.CatalogException as exc:
        if any(name in str(exc) for name in MIGRATED_NAMES):
            raise WarehouseOutdated(OUTDATED) from exc
        raise


def entry_id(version_id: str, num_fewshot: int, scoring_mode: str) -> str:
    """The id the views give an entry (kept here so Python never has to parse one)."""
    return f"{version_id}:{num_fewshot}:{scoring_mode}"


# ------------------------------------------------------------------ catalog


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts of predictions, runs, versions, models, questions and the last run's time.

    Raises WarehouseOutdated when a migration is missing, before any page query fails."""
    if (run_query(con, "warehouse_schema_version").item() or 0) < latest_version():
        raise WarehouseOutdated(OUTDATED)
    return run_query(con, "warehouse_summary").row(0, named=True)


def task_groups(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run_query(con, "task_groups")


def tasks(con: duckdb.DuckDBPyConnection, task_group: str) -> pl.DataFrame:
    return run_query(con, "tasks", {"task_group": task_group})


def subjects(con: duckdb.DuckDBPyConnection, task_group: str) -> pl.DataFrame:
    return run_query(con, "subjects", {"task_group": task_group})


def entries(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every entry with its model metadata and run settings."""
    return run_query(con, "entries")


def runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run_query(con, "runs")


# ------------------------------------------------------------------ pages


def leaderboard(con: duckdb.DuckDBPyConnection, task_group: str = "omll") -> pl.DataFrame:
    """Long format: one row per (entry, task) with n, n_correct, acc and stderr."""
    return run_query(con, "leaderboard", {"task_group": task_group})


def leaderboard_answers(con: duckdb.DuckDBPyConnection, task_group: str = "omll") -> pl.DataFrame:
    """Every counted answer on the group's tasks: entry_id, task, question_id, correct (for paired ties)."""
    return run_query(con, "leaderboard_answers", {"task_group": task_group})


def task_chance(con: duckdb.DuckDBPyConnection, task_group: str = "omll") -> pl.DataFrame:
    """Per task: chance (the accuracy of a blind guess, averaged over its questions) and n_questions."""
    return run_query(con, "task_chance", {"task_group": task_group})


def summary_scores(con: duckdb.DuckDBPyConnection, task_group: str = "omll") -> pl.DataFrame:
    """Per (run, task) of runs without per-question data (aggregate, reported): kind, model, shots,
    protocol, citation, acc, n, n_correct (migration 010). No paired query reads these runs."""
    return run_query(con, "summary_scores", {"task_group": task_group})


def compare(con: duckdb.DuckDBPyConnection, a: str, b: str, task_group: str = "omll") -> pl.DataFrame:
    """Per question both entries answered: task, subject, text, golds, a_pred, b_pred, a_correct, b_correct."""
    return run_query(con, "compare", {"a": a, "b": b, "task_group": task_group})


def history_models(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return run_query(con, "history_models")


def history(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    num_fewshot: int = 0,
    scoring_mode: str = "loglikelihood",
    task_group: str = "omll",
) -> pl.DataFrame:
    """A model's versions in order (position 1, 2, ...) with per-task accuracy."""
    params = {"model_id": model_id, "num_fewshot": num_fewshot, "scoring_mode": scoring_mode, "task_group": task_group}
    return run_query(con, "history", params)


def history_flips(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    num_fewshot: int = 0,
    scoring_mode: str = "loglikelihood",
    task_group: str = "omll",
) -> pl.DataFrame:
    """Per consecutive pair of versions and task: fixed, broken, still_wrong, still_right."""
    params = {"model_id": model_id, "num_fewshot": num_fewshot, "scoring_mode": scoring_mode, "task_group": task_group}
    return run_query(con, "history_flips", params)


def questions(
    con: duckdb.DuckDBPyConnection,
    task_group: str = "omll",
    *,
    task: str | None = None,
    subject: str | None = None,
    wrong_for: str | None = None,
    scope: str = "all",
    search: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """Questions with n_answers, n_right, share_right (difficulty), disagree, n_matching."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    params = {
        "task_group": task_group,
        "task": task,
        "subject": subject,
        "wrong_for": wrong_for,
        "scope": scope,
        "search": search or None,
        "limit": int(limit),
    }
    return run_query(con, "questions", params)


def question_matrix(con: duckdb.DuckDBPyConnection, task_group: str, question_ids: Sequence[str]) -> pl.DataFrame:
    """entry_id, question_id, task, outcome (right | wrong | invalid) of every entry on the listed questions."""
    return run_query(con, "question_matrix", {"task_group": task_group, "question_ids": list(question_ids)})


def question(con: duckdb.DuckDBPyConnection, question_id: str) -> dict[str, Any] | None:
    frame = run_query(con, "question", {"question_id": question_id})
    return frame.row(0, named=True) if frame.height else None


def question_answers(con: duckdb.DuckDBPyConnection, question_id: str, task: str) -> pl.DataFrame:
    """Every entry's counted answer to the question: entry_id, pred, pred_set, correct, probs, status."""
    return run_query(con, "question_answers", {"question_id": question_id, "task": task})


# ------------------------------------------------------------------ beyond accuracy (analysis_*.sql)


def analysis_calibration(con: duckdb.DuckDBPyConnection, n_bins: int = 10) -> pl.DataFrame:
    """Per (entry, task) with probabilities: n, accuracy (top option), mean_confidence, ece, brier."""
    return run_query(con, "analysis_calibration", {"n_bins": int(n_bins)})


def analysis_calibration_inputs(con: duckdb.DuckDBPyConnection, entry_id: str) -> pl.DataFrame:
    """One entry's counted answers with probabilities: task, question_id, probs, golds, pred, correct."""
    return run_query(con, "analysis_calibration_inputs", {"entry_id": entry_id})


def analysis_multilabel(con: duckdb.DuckDBPyConnection, set_share: float = 0.5) -> pl.DataFrame:
    """Per (entry, multi-answer task): n, n_multi, emr (exact match ratio), hamming."""
    return run_query(con, "analysis_multilabel", {"set_share": float(set_share)})


def analysis_permutations(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per (entry, task) that has perm<k> rows: one row per (question, variant) with the original options."""
    return run_query(con, "analysis_permutations")


def analysis_bias(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per (entry, question, cf_<attribute>): original and counterfactual answers, flipped, text."""
    return run_query(con, "analysis_bias")


def analysis_item_responses(con: duckdb.DuckDBPyConnection, num_fewshot: int = 0) -> pl.DataFrame:
    """Per (entry with that shot count, counted question): task, subject, correct."""
    return run_query(con, "analysis_item_responses", {"num_fewshot": int(num_fewshot)})


def analysis_slices(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per (entry, benchmark subject): slice ('benchmark: subject'), n, n_correct, accuracy."""
    return run_query(con, "analysis_slices")


def analysis_question_variants(con: duckdb.DuckDBPyConnection, question_id: str, task: str) -> pl.DataFrame:
    """Every entry's answers to one question under perm<k> / cf_<attribute> variants (pred as shown)."""
    return run_query(con, "analysis_question_variants", {"question_id": question_id, "task": task})
