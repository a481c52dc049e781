"""The dashboard keeps working while `medlb eval` writes the same file: a real writer process commits
batches in a loop while the dashboard's queries run on short read-only connections (which retry while
the writer holds DuckDB's lock)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from tests.dashboard.stream_writer import VERSION_ID
from tests.fixtures.warehouse import ENTRIES, HTML_QUESTION
from warehouse import queries
from warehouse.db import read_connection

ROOT = Path(__file__).resolve().parents[2]
STREAM_ENTRY = queries.entry_id(VERSION_ID, 0, "loglikelihood")
TOTAL = 36


def stream_answers(path: Path) -> int:
    """One round of what the pages load, as data.py loads it; returns how many answers the stream entry has."""
    with read_connection(path) as con:
        board = queries.leaderboard(con, "omll")
    with read_connection(path) as con:
        queries.compare(con, ENTRIES["acme_v1"], ENTRIES["acme_v2"])
    with read_connection(path) as con:
        answers = queries.question_answers(con, HTML_QUESTION, "mmlu_anatomy")
    assert answers.height >= 6  # the fixture's entries are always there
    return int(board.filter(pl.col("entry_id") == STREAM_ENTRY)["n"].sum())


def wait_for(marker: Path, writer: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert writer.poll() is None, writer.stderr.read()
        assert time.monotonic() < deadline, "the writer never wrote its first batch"
        time.sleep(0.01)


def test_queries_keep_working_while_a_writer_commits_batches(fixture_path, tmp_path):
    path = tmp_path / "busy.duckdb"
    shutil.copy(fixture_path, path)
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.dashboard.stream_writer", str(path), str(tmp_path)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(tmp_path / "started", writer)
        seen = [stream_answers(path)]  # the writer waits for us: exactly its first batch is in
        (tmp_path / "reader-ready").touch()
        while writer.poll() is None:
            seen.append(stream_answers(path))
        assert writer.returncode == 0, writer.stderr.read()
        seen.append(stream_answers(path))
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    assert seen[0] == 1
    assert seen == sorted(seen)  # committed batches only ever add up: no torn or lost reads
    assert seen[-1] == TOTAL
    assert len(seen) >= 3
    with read_connection(path) as con:
        entry = queries.entries(con).filter(pl.col("entry_id") == STREAM_ENTRY).row(0, named=True)
    assert entry["status"] == "complete"
