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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from warehouse.errors import MedlbError
from warehouse.migrate import migrate, refuse_newer_for_reading
from warehouse.sql import run_sql

# run_sql lives in warehouse.sql (so migrate.py needs nothing from here); callers import it from here.
__all__ = [
    "DEFAULT_WAREHOUSE",
    "ENV_VAR",
    "LOCK_WAIT_SECONDS",
    "WarehouseBusy",
    "WarehouseMissing",
    "execute_write",
    "fetch_frame",
    "read_connection",
    "run_sql",
    "warehouse_path",
]

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


class WarehouseBusy(MedlbError, RuntimeError):
    """Another process held the DuckDB lock longer than we wait."""


class WarehouseMissing(MedlbError, FileNotFoundError):
    """No warehouse file where one was expected."""


@contextlib.contextmanager
def read_connection(
    path: str | os.PathLike | None = None, wait: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    p = warehouse_path(path)
    if not p.exists():
        raise WarehouseMissing(
            f"no warehouse at {p}. Run an evaluation first, e.g. `medlb eval --model <id> --tasks omll "
            f"--warehouse {p}` or `medlb demo`, or set {ENV_VAR}."
        )
    con = _connect_with_retry(p, read_only=True, wait=wait)
    try:
        refuse_newer_for_reading(con)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def _write_connection(
    path: str | os.PathLike | None = None, wait: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short writer: migrated schema, one transaction, committed on success, rolled back on error."""
    p = warehouse_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_with_retry(p, read_only=False, wait=wait)
    try:
        migrate(con)
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()
    finally:
        con.close()


def execute_write(
    fn: Callable[[duckdb.DuckDBPyConnection], T], path: str | os.PathLike | None = None, wait: float = LOCK_WAIT_SECONDS
) -> T:
    """Run `fn(con)` on a migrated writer in one transaction (datasette's execute_write_fn): committed when
    it returns, rolled back when it raises, so a caller's write is all or nothing. `fn` calls the
    warehouse.writer functions; it returns what the caller needs back. The only way to write."""
    with _write_connection(path, wait) as con:
        return fn(con)


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """Run a query and return a polars DataFrame (drained through Arrow: no pandas, no unfinished result)."""
    import polars as pl

    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
