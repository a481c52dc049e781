"""Apply the numbered migrations in warehouse/migrations/ in order, once each, and record them."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from warehouse.db import run_sql

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migration_files() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise RuntimeError(f"{path}: migration files are named NNN_description.sql")
        found.append((int(match.group(1)), path))
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"{MIGRATIONS_DIR}: two migrations share a number: {numbers}")
    return found


def latest_version() -> int:
    return max(n for n, _ in migration_files())


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now (none when already current)."""
    run_sql(
            con,
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    applied = {row[0]: row[1] for row in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    done = []
    for version, path in migration_files():
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()[:16]
        if version in applied:
            if applied[version] != checksum:
                raise RuntimeError(
                    f"{path.name} changed after it was applied to this warehouse; add a new migration instead"
                )
            continue
        run_sql(con, "BEGIN TRANSACTION")
        try:
            run_sql(con, sql)
            run_sql(
            con,
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, path.name, checksum],
            )
            run_sql(con, "COMMIT")
        except Exception:
            run_sql(con, "ROLLBACK")
            raise
        done.append(version)
    return done
