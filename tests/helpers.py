"""Small helpers shared by several test packages."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
QUERIES = ROOT / "warehouse" / "queries"


def query(path, sql, params=None):
    """Rows of one SQL statement on a short read-only connection (as another process would read)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def wait_for_rows(proc: subprocess.Popen, path, timeout: float) -> int:
    """Poll the warehouse a running `medlb eval` fills until it holds a prediction: that count, run still going."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if path.exists():
            try:
                written = query(path, "SELECT count(*) FROM predictions")[0][0]
            except duckdb.Error:
                continue  # the writer holds the lock for a moment
            if written:
                assert proc.poll() is None, "the run finished before it could be killed"
                return written
    raise AssertionError(
        f"no prediction written within {timeout}s; exit code {proc.poll()}: "
        f"{proc.stderr.read() if proc.poll() is not None else ''}"
    )


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pl.DataFrame:
    """Run warehouse/queries/<name>.sql with named parameters, as warehouse.queries does for the app.
    (con.sql(...).pl(): DuckDB 2.0's execute() result has no .pl().)"""
    sql = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    return con.sql(sql, params=params).pl()


def make_app(path: Path, monkeypatch):
    """An AppTest of dashboard/app.py on the warehouse at `path` (not yet run)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MEDLB_WAREHOUSE", str(path))
    st.cache_data.clear()  # cached loads are keyed by path, but a clean slate keeps tests independent
    return AppTest.from_file(str(APP), default_timeout=120)
