"""Small helpers shared by several test packages."""

from __future__ import annotations

import subprocess
import time

import duckdb


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
