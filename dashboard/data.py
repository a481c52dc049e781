"""The pages' only door to the warehouse: bounded st.cache_data over warehouse.queries.

Each load opens its own short read-only connection (warehouse.db.read_connection), so `medlb eval` can
write the same file between loads; a reader that meets the writer's lock retries until it is free.
Cache keys include a stamp of the file (size and modification time of the database and its WAL), so
new predictions show up on the next rerun instead of waiting for the ttl.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard.page_frames import accuracy, beyond_accuracy
from warehouse import queries
from warehouse.db import ENV_VAR, WarehouseBusy, read_connection, warehouse_path
from warehouse.migrate import WarehouseNewer

CACHE = dict(max_entries=64, ttl=600, show_spinner=False)
READ_WAIT_SECONDS = 30.0  # how long a load waits for a writer's lock before the page says "busy"
EVAL_HINT = (
    "Fill it with an evaluation, for example `medlb demo` (a small real model on a sample of the nine "
    "tasks), or `medlb eval --model HuggingFaceTB/SmolLM2-135M-Instruct --tasks omll` for a full run. "
    f"Point the dashboard at another file with the {ENV_VAR} environment variable."
)

Stamp = tuple[str, int, int]


def warehouse_file() -> Path:
    return warehouse_path().resolve()


def stamp(path: Path | None = None) -> Stamp:
    """(path, size+mtime of the database, size+mtime of its WAL): changes whenever a writer commits."""
    path = path or warehouse_file()

    def mark(p: str) -> int:
        try:
            info = os.stat(p)
        except FileNotFoundError:
            return 0
        return info.st_mtime_ns + info.st_size

    return (str(path), mark(str(path)), mark(f"{path}.wal"))


@dataclass(frozen=True)
class Status:
    ready: bool
    title: str = ""
    message: str = ""
    summary: dict[str, Any] | None = None


def status(key: Stamp | None = None) -> Status:
    """Whether there is anything to show, and if not, what to do about it (never an exception)."""
    key = key or stamp()
    path = Path(key[0])
    if not path.exists():
        return Status(False, "No warehouse yet", f"There is no warehouse at `{path}`. {EVAL_HINT}")
    try:
        facts = _summary(key)
    except WarehouseBusy as exc:
        return Status(False, "The warehouse is busy", f"{exc} Reload the page in a moment.")
    except queries.WarehouseOutdated as exc:
        return Status(False, "The warehouse needs a migration", str(exc))
    except WarehouseNewer as exc:
        return Status(False, "The warehouse is newer than this medlb", str(exc))
    if facts["predictions"] == 0:
        return Status(False, "The warehouse is empty", f"`{path}` has no predictions yet. {EVAL_HINT}", facts)
    return Status(True, summary=facts)


def _load(function: str, key: Stamp, **params: Any) -> Any:
    with read_connection(key[0], wait=READ_WAIT_SECONDS) as con:
        return getattr(queries, function)(con, **params)


@st.cache_data(**CACHE)
def _summary(key: Stamp) -> dict[str, Any]:
    with read_connection(key[0], wait=READ_WAIT_SECONDS) as con:
        return queries.summary(con)


@st.cache_data(**CACHE)
def task_groups(key: Stamp) -> pl.DataFrame:
    return _load("task_groups", key)


@st.cache_data(**CACHE)
def tasks(key: Stamp, task_group: str) -> list[str]:
    return _load("tasks", key, task_group=task_group)["task"].to_list()


@st.cache_data(**CACHE)
def subjects(key: Stamp, task_group: str) -> pl.DataFrame:
    return _load("subjects", key, task_group=task_group)


@st.cache_data(**CACHE)
def entries(key: Stamp) -> pl.DataFrame:
    return _load("entries", key)


@st.cache_data(**CACHE)
def leaderboard(key: Stamp, task_group: str) -> pl.DataFrame:
    """The wide leaderboard of a task group (accuracy.leaderboard_table), best average first."""
    cells = _load("leaderboard", key, task_group=task_group)
    return accuracy.leaderboard_table(cells, entries(key), tasks(key, task_group))


@st.cache_data(**CACHE)
def compare(key: Stamp, a: str, b: str, task_group: str) -> pl.DataFrame:
    return _load("compare", key, a=a, b=b, task_group=task_group)


@st.cache_data(**CACHE)
def compare_summary(key: Stamp, a: str, b: str, task_group: str) -> pl.DataFrame:
    return accuracy.compare_summary(compare(key, a, b, task_group), tasks(key, task_group))


@st.cache_data(**CACHE)
def history_models(key: Stamp) -> pl.DataFrame:
    return _load("history_models", key)


@st.cache_data(**CACHE)
def history(key: Stamp, model_id: str, num_fewshot: int, scoring_mode: str, task_group: str) -> pl.DataFrame:
    return _load("history", key, model_id=model_id, num_fewshot=num_fewshot, scoring_mode=scoring_mode,
                 task_group=task_group)


@st.cache_data(**CACHE)
def history_flips(key: Stamp, model_id: str, num_fewshot: int, scoring_mode: str, task_group: str) -> pl.DataFrame:
    return _load("history_flips", key, model_id=model_id, num_fewshot=num_fewshot, scoring_mode=scoring_mode,
                 task_group=task_group)


@st.cache_data(**CACHE)
def questions(key: Stamp, task_group: str, task: str | None, subject: str | None, wrong_for: str | None,
              scope: str, search: str | None, limit: int) -> pl.DataFrame:
    return _load("questions", key, task_group=task_group, task=task, subject=subject, wrong_for=wrong_for,
                 scope=scope, search=search, limit=limit)


@st.cache_data(**CACHE)
def question(key: Stamp, question_id: str) -> dict[str, Any] | None:
    return _load("question", key, question_id=question_id)


@st.cache_data(**CACHE)
def question_answers(key: Stamp, question_id: str, task: str) -> pl.DataFrame:
    return _load("question_answers", key, question_id=question_id, task=task)


@st.cache_data(**CACHE)
def runs(key: Stamp) -> pl.DataFrame:
    return _load("runs", key)


# ------------------------------------------------------------------ beyond accuracy


@st.cache_data(**CACHE)
def calibration(key: Stamp) -> pl.DataFrame:
    return _load("analysis_calibration", key, n_bins=beyond_accuracy.N_BINS)


@st.cache_data(**CACHE)
def calibration_inputs(key: Stamp, entry_id: str) -> pl.DataFrame:
    return _load("analysis_calibration_inputs", key, entry_id=entry_id)


@st.cache_data(**CACHE)
def multilabel(key: Stamp) -> pl.DataFrame:
    return _load("analysis_multilabel", key, set_share=beyond_accuracy.SET_SHARE)


@st.cache_data(**CACHE)
def leaderboard_quality(key: Stamp, task_group: str) -> pl.DataFrame:
    """entry_id, ece, brier, emr, hamming over the group's tasks (beyond_accuracy.leaderboard_quality)."""
    return beyond_accuracy.leaderboard_quality(calibration(key), multilabel(key), tasks(key, task_group))


@st.cache_data(**CACHE)
def permutations(key: Stamp) -> pl.DataFrame:
    return _load("analysis_permutations", key)


@st.cache_data(**CACHE)
def bias(key: Stamp) -> pl.DataFrame:
    return _load("analysis_bias", key)


@st.cache_data(**CACHE)
def item_responses(key: Stamp, num_fewshot: int) -> pl.DataFrame:
    return _load("analysis_item_responses", key, num_fewshot=num_fewshot)


@st.cache_data(**CACHE)
def slices(key: Stamp) -> pl.DataFrame:
    return _load("analysis_slices", key)


@st.cache_data(**CACHE)
def question_variants(key: Stamp, question_id: str, task: str) -> pl.DataFrame:
    return _load("analysis_question_variants", key, question_id=question_id, task=task)
