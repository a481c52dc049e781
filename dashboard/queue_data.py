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
