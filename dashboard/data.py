"""The pages' only door to the warehouse: bounded st.cache_data over warehouse.queries.

Each load opens its own short read-only connection (warehouse.db.read_connection), so `medlb eval` can
write the same file between loads; a reader that meets the writer's lock retries until it is free.
Cache keys include the warehouse's version (size and modification time of the database and its WAL),
so new predictions show up on the next rerun instead of waiting for the ttl.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard.page_frames import accuracy, beyond_accuracy, summaries
from warehouse import queries
from warehouse.db import ENV_VAR, WarehouseBusy, read_connection, warehouse_path
from warehouse.migrate import WarehouseNewer

log = logging.getLogger(__name__)

CACHE = {"max_entries": 64, "ttl": 600, "show_spinner": False}
READ_WAIT_SECONDS = 30.0  # how long a load waits for a writer's lock before the page says "busy"
EVAL_HINT = (
    "Fill it with an evaluation, for example `medlb demo` (a small real model on a sample of the nine "
    "tasks), or `medlb eval --model HuggingFaceTB/SmolLM2-135M-Instruct --tasks omll` for a full run. "
    f"Point the dashboard at another file with the {ENV_VAR} environment variable."
)
BUSY_TITLE = "The warehouse is busy"


@dataclass(frozen=True)
class WarehouseVersion:
    """Which state of the warehouse file a load reads: every cached load takes one, so a commit by a
    writer (which changes the database or its WAL) makes the next rerun load afresh."""

    path: str
    database: int  # size + mtime (ns) of the database file, 0 when missing
    wal: int  # the same for its write-ahead log


def warehouse_file() -> Path:
    return warehouse_path().resolve()


def _size_and_mtime(file: str) -> int:
    try:
        info = os.stat(file)
    except FileNotFoundError:
        return 0
    return info.st_mtime_ns + info.st_size


def warehouse_version(path: Path | None = None) -> WarehouseVersion:
    path = path or warehouse_file()
    return WarehouseVersion(str(path), _size_and_mtime(str(path)), _size_and_mtime(f"{path}.wal"))


def busy_message(exc: WarehouseBusy) -> str:
    """What a dashboard user reads when a writer held the lock too long. DuckDB's own text names the
    holder's interpreter path and PID: that goes to the log for whoever runs the server, not to the page."""
    log.warning("warehouse busy: %s", exc)
    return (
        f"It could not be read within {READ_WAIT_SECONDS:.0f}s because another process holds the DuckDB "
        "lock, usually `medlb eval` writing results. Reload the page in a moment."
    )


@dataclass(frozen=True)
class Status:
    ready: bool
    title: str = ""
    message: str = ""
    summary: dict[str, Any] | None = None


def status(version: WarehouseVersion | None = None) -> Status:
    """Whether there is anything to show, and if not, what to do about it (never an exception)."""
    version = version or warehouse_version()
    path = Path(version.path)
    if not path.exists():
        return Status(False, "No warehouse yet", f"There is no warehouse at `{path}`. {EVAL_HINT}")
    try:
        facts = _summary(version)
    except WarehouseBusy as exc:
        return Status(False, BUSY_TITLE, busy_message(exc))
    except queries.WarehouseOutdated as exc:
        return Status(False, "The warehouse needs a migration", str(exc))
    except WarehouseNewer as exc:
        return Status(False, "The warehouse is newer than this medlb", str(exc))
    if not (facts["predictions"] or facts["answers"] or facts["summary_scores"]):  # K-QA answers alone are results
        return Status(False, "The warehouse is empty", f"`{path}` has no predictions yet. {EVAL_HINT}", facts)
    return Status(True, summary=facts)


def _load(function: str, version: WarehouseVersion, **params: Any) -> Any:
    with read_connection(version.path, wait=READ_WAIT_SECONDS) as con:
        return getattr(queries, function)(con, **params)


@st.cache_data(**CACHE)
def _summary(version: WarehouseVersion) -> dict[str, Any]:
    with read_connection(version.path, wait=READ_WAIT_SECONDS) as con:
        return queries.summary(con)


@st.cache_data(**CACHE)
def task_groups(version: WarehouseVersion) -> pl.DataFrame:
    return _load("task_groups", version)


@st.cache_data(**CACHE)
def tasks(version: WarehouseVersion, task_group: str) -> list[str]:
    return _load("tasks", version, task_group=task_group)["task"].to_list()


@st.cache_data(**CACHE)
def subjects(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    return _load("subjects", version, task_group=task_group)


@st.cache_data(**CACHE)
def entries(version: WarehouseVersion) -> pl.DataFrame:
    return _load("entries", version)


@st.cache_data(**CACHE)
def task_chance(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    return _load("task_chance", version, task_group=task_group)


@st.cache_data(**CACHE)
def leaderboard(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    """The wide leaderboard of a task group (accuracy.leaderboard_table), best average first."""
    cells = _load("leaderboard", version, task_group=task_group)
    chance = task_chance(version, task_group)
    return accuracy.leaderboard_table(cells, entries(version), tasks(version, task_group), chance)


@st.cache_data(**CACHE)
def summary_board(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    """Runs without per-question data (aggregate only, reported) as their own table (summaries.summary_table):
    never joined to the ranked leaderboard, its ties or any paired test."""
    cells = _load("summary_scores", version, task_group=task_group)
    return summaries.summary_table(cells, tasks(version, task_group))


@st.cache_data(**CACHE)
def leaderboard_answers(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    return _load("leaderboard_answers", version, task_group=task_group)


@st.cache_data(**CACHE)
def leaderboard_ties(
    version: WarehouseVersion, task_group: str, value: str, entry_ids: tuple[str, ...]
) -> pl.DataFrame:
    """entry_id, tie: the paired tie groups (accuracy.mark_ties) of these leaderboard rows ranked by `value`."""
    board = leaderboard(version, task_group).filter(pl.col("entry_id").is_in(list(entry_ids)))
    task_list = tasks(version, task_group)
    se = None if value in task_list else "average_se"
    marked = accuracy.mark_ties(board.drop("tie"), value, se, leaderboard_answers(version, task_group), task_list)
    return marked.select("entry_id", "tie")


@st.cache_data(**CACHE)
def compare(version: WarehouseVersion, a: str, b: str, task_group: str) -> pl.DataFrame:
    return _load("compare", version, a=a, b=b, task_group=task_group)


@st.cache_data(**CACHE)
def compare_summary(version: WarehouseVersion, a: str, b: str, task_group: str) -> pl.DataFrame:
    return accuracy.compare_summary(compare(version, a, b, task_group), tasks(version, task_group))


@st.cache_data(**CACHE)
def history_models(version: WarehouseVersion) -> pl.DataFrame:
    return _load("history_models", version)


@st.cache_data(**CACHE)
def history(
    version: WarehouseVersion, model_id: str, num_fewshot: int, scoring_mode: str, task_group: str
) -> pl.DataFrame:
    return _load(
        "history", version, model_id=model_id, num_fewshot=num_fewshot, scoring_mode=scoring_mode, task_group=task_group
    )


@st.cache_data(**CACHE)
def history_flips(
    version: WarehouseVersion, model_id: str, num_fewshot: int, scoring_mode: str, task_group: str
) -> pl.DataFrame:
    return _load(
        "history_flips",
        version,
        model_id=model_id,
        num_fewshot=num_fewshot,
        scoring_mode=scoring_mode,
        task_group=task_group,
    )


@st.cache_data(**CACHE)
def questions(
    version: WarehouseVersion,
    task_group: str,
    task: str | None,
    subject: str | None,
    wrong_for: str | None,
    scope: str,
    search: str | None,
    limit: int,
) -> pl.DataFrame:
    return _load(
        "questions",
        version,
        task_group=task_group,
        task=task,
        subject=subject,
        wrong_for=wrong_for,
        scope=scope,
        search=search,
        limit=limit,
    )


@st.cache_data(**CACHE)
def question_matrix(version: WarehouseVersion, task_group: str, question_ids: tuple[str, ...]) -> pl.DataFrame:
    return _load("question_matrix", version, task_group=task_group, question_ids=question_ids)


@st.cache_data(**CACHE)
def question(version: WarehouseVersion, question_id: str) -> dict[str, Any] | None:
    return _load("question", version, question_id=question_id)


@st.cache_data(**CACHE)
def question_answers(version: WarehouseVersion, question_id: str, task: str) -> pl.DataFrame:
    return _load("question_answers", version, question_id=question_id, task=task)


@st.cache_data(**CACHE)
def runs(version: WarehouseVersion) -> pl.DataFrame:
    return _load("runs", version)


# ------------------------------------------------------------------ beyond accuracy


@st.cache_data(**CACHE)
def calibration(version: WarehouseVersion) -> pl.DataFrame:
    return _load("analysis_calibration", version, n_bins=beyond_accuracy.N_BINS)


@st.cache_data(**CACHE)
def calibration_inputs(version: WarehouseVersion, entry_id: str) -> pl.DataFrame:
    return _load("analysis_calibration_inputs", version, entry_id=entry_id)


@st.cache_data(**CACHE)
def multilabel(version: WarehouseVersion) -> pl.DataFrame:
    return _load("analysis_multilabel", version, set_share=beyond_accuracy.SET_SHARE)


@st.cache_data(**CACHE)
def leaderboard_quality(version: WarehouseVersion, task_group: str) -> pl.DataFrame:
    """entry_id, ece, brier, emr, hamming over the group's tasks (beyond_accuracy.leaderboard_quality)."""
    return beyond_accuracy.leaderboard_quality(calibration(version), multilabel(version), tasks(version, task_group))


@st.cache_data(**CACHE)
def permutations(version: WarehouseVersion) -> pl.DataFrame:
    return _load("analysis_permutations", version)


@st.cache_data(**CACHE)
def bias(version: WarehouseVersion) -> pl.DataFrame:
    return _load("analysis_bias", version)


@st.cache_data(**CACHE)
def item_responses(version: WarehouseVersion, num_fewshot: int) -> pl.DataFrame:
    return _load("analysis_item_responses", version, num_fewshot=num_fewshot)


@st.cache_data(**CACHE)
def slices(version: WarehouseVersion) -> pl.DataFrame:
    return _load("analysis_slices", version)


@st.cache_data(**CACHE)
def question_variants(version: WarehouseVersion, question_id: str, task: str) -> pl.DataFrame:
    return _load("analysis_question_variants", version, question_id=question_id, task=task)
