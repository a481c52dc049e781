"""The warehouse's own statements: one .sql file each under warehouse/sql/<group>/, run by name.

This module imports nothing from the rest of warehouse/, so db.py, migrate.py and writer.py can all
use it without importing each other.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent


@functools.cache
def load(name: str) -> str:
    """The text of warehouse/sql/<name>.sql, e.g. load("write/finish_run")."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        known = ", ".join(sorted(str(p.relative_to(SQL_DIR).with_suffix("")) for p in SQL_DIR.glob("*/*.sql")))
        raise KeyError(f"no statement named {name!r} in {SQL_DIR}; known: {known}")
    return path.read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[tuple]:
    """Execute and drain the result: DuckDB 2 refuses new work while a result is left unfetched."""
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[tuple]:
    """Run the named statement with its bind parameters and return its rows."""
    return run_sql(con, load(name), params)
