"""The only place that calls duckdb.connect.

DuckDB lets one process write a file at a time, and a writer's lock also keeps other processes
from opening it read-only. So both sides hold connections briefly: readers open read-only per
query, the pipeline opens a writer per batch, and each retries while the other holds the lock.
"""
from __future__ import annotations

import contextlib
import os
import random
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

DEFAULT_WAREHOUSE = "medlb.duckdb"
ENV_VAR = "MEDLB_WAREHOUSE"
LOCK_WAIT_SECONDS = 30.0
T = TypeVar("T")


def warehouse_path(path: str | os.PathLike | None = None) -> Path:
    """Flag beats environment beats default (./medlb.duckdb)."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_WAREHOUSE)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another" in text


def _connect_with_retry(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                who = "reader" if read_only else "writer"
                raise WarehouseBusy(
                    f"{path}: could not open as {who} within {wait:.0f}s because another process holds "
                    f"the DuckDB lock ({exc}). Wait for it to finish, or point {ENV_VAR} at a copy."
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.2)


class WarehouseBusy(RuntimeError):
    pass


class WarehouseMissing(FileNotFoundError):
    pass


@contextlib.contextmanager
def read_connection(path: str | os.PathLike | None = None, wait: float = LOCK_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    p = warehouse_path(path)
    if not p.exists():
        raise WarehouseMissing(
            f"no warehouse at {p}. Run an evaluation first, e.g. `medlb eval --model <id> --tasks omll "
            f"--warehouse {p}` or `medlb demo`, or set {ENV_VAR}."
        )
    con = _connect_with_retry(p, read_only=True, wait=wait)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def write_connection(path: str | os.PathLike | None = None, wait: float = LOCK_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short writer: migrated schema, one transaction, committed on success, rolled back on error."""
    from warehouse.migrate import migrate

    p = warehouse_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_with_retry(p, read_only=False, wait=wait)
    try:
        migrate(con)
        run_sql(con, "BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            run_sql(con, "ROLLBACK")
            raise
        run_sql(con, "COMMIT")
    finally:
        con.close()


def execute_write(fn: Callable[[duckdb.DuckDBPyConnection], T], path: str | os.PathLike | None = None,
                  wait: float = LOCK_WAIT_SECONDS) -> T:
    """Run `fn(con)` on a migrated writer in one transaction (datasette's execute_write_fn): committed when
    it returns, rolled back when it raises, so a caller's write is all or nothing. `fn` calls the
    warehouse.writer functions; it returns what the caller needs back."""
    with write_connection(path, wait) as con:
        return fn(con)


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[tuple]:
    """Execute and drain the result: DuckDB 2 refuses new work while a result is left unfetched."""
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """Run a query and return a polars DataFrame (drained through Arrow: no pandas, no unfinished result)."""
    import polars as pl

    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
