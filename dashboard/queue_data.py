"""The Submit page's door to the request store (warehouse/queue.py), cached briefly: workers change it
behind the dashboard's back, so the queue is at most a few seconds old."""

from __future__ import annotations

import polars as pl
import streamlit as st

from warehouse import queue


@st.cache_data(ttl=5, max_entries=8, show_spinner=False)
def requests(path: str) -> pl.DataFrame:
    return queue.list_requests(path)


def store_path() -> str:
    return str(queue.queue_path())


RUNNING = "running — {}/{} questions"


def status_text() -> pl.Expr:
    """The status, a running request's with its progress: "running — 120/450 questions"."""
    progress = pl.format(RUNNING, pl.col("progress_done"), pl.col("progress_total"))
    has_progress = (pl.col("status") == "running") & pl.col("progress_total").is_not_null()
    return pl.when(has_progress).then(progress).otherwise(pl.col("status"))


def describe_status(entry: dict) -> str:
    """status_text for one request (a row as a dict)."""
    if entry["status"] == "running" and entry["progress_total"] is not None:
        return RUNNING.format(entry["progress_done"], entry["progress_total"])
    return entry["status"]
