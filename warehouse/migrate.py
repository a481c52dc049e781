"""Apply the numbered migrations in warehouse/migrations/ in order, once each, and record them.

A released migration is never edited: the checksum recorded when it was applied must match its file.
Two were edited before that rule was enforced; their earlier checksums are listed below and accepted.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from warehouse import sql
from warehouse.errors import MedlbError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# The variable is warehouse.db.ENV_VAR, spelled out here because db imports this module.
UPGRADE_HINT = "upgrade medlb (pip install -U medlb) or point MEDLB_WAREHOUSE at a warehouse this version made"
REBUILD_HINT = (
    "Rebuild it into a new file: with the medlb version that made it, `medlb export --run ID --out DIR` each "
    "run, then with this one `medlb import bundle DIR... --warehouse NEW.duckdb`; or rerun the `medlb eval` "
    'commands with --warehouse NEW.duckdb. See "Upgrading a warehouse" in the README.'
)

# Checksums that released medlb versions recorded for migrations edited afterwards. A warehouse made at
# those commits holds the same schema meaning, so it is accepted as it is (found with
# `git log -p warehouse/migrations/`):
#   002 at c770abb: only a comment differed (the module name pipeline.analysis.multi_answer).
#   005 at 263ac74: counted_predictions partitioned its window by (entry_id, question_id) only; the keys
#       added at 828e640 are implied by those two, so the view returns the same rows (its filters are slower).
EARLIER_CHECKSUMS: dict[int, frozenset[str]] = {
    2: frozenset({"feaed44b2246e878"}),
    5: frozenset({"bdfd96cd295fcd3b"}),
}


class WarehouseNewer(MedlbError):
    """The warehouse records a migration this medlb does not have: a newer medlb made it."""


class MigrationEdited(MedlbError):
    """The warehouse applied a migration whose text differs from this medlb's and is no known release."""


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    return sql.run(con, "migrate/database_path")[0][0]


def refuse_newer(con: duckdb.DuckDBPyConnection, applied: list[tuple[int, str, str]]) -> None:
    """Raise WarehouseNewer when `applied` (rows of migrate/applied) holds a version this medlb lacks."""
    known = {version for version, _ in migration_files()}
    unknown = [(version, name) for version, name, _ in applied if version not in known]
    if unknown:
        listed = ", ".join(name for _, name in unknown)
        raise WarehouseNewer(
            f"{_database_path(con)}: made by a newer medlb: it records migration {listed}, and this medlb knows "
            f"migrations up to {latest_version():03d} only. To use it, {UPGRADE_HINT}."
        )


def refuse_newer_for_reading(con: duckdb.DuckDBPyConnection) -> None:
    """The read-side check: a reader of a newer warehouse cannot know what its schema means."""
    try:
        applied = sql.run(con, "migrate/applied")
    except duckdb.CatalogException:  # no schema_migrations: made before migrations were recorded
        return
    refuse_newer(con, applied)


def _refuse_edited(con: duckdb.DuckDBPyConnection, path: Path, recorded: str, current: str) -> None:
    version = int(_NAME.match(path.name).group(1))
    if recorded == current or recorded in EARLIER_CHECKSUMS.get(version, ()):
        return
    raise MigrationEdited(
        f"{_database_path(con)}: migration {path.name} was applied to this warehouse with checksum {recorded}, "
        f"which no released medlb wrote (this one has {current}): a development build made this file. "
        f"{REBUILD_HINT}"
    )


def _apply(con: duckdb.DuckDBPyConnection, version: int, path: Path, text: str) -> None:
    """One migration and its record, in one transaction."""
    con.begin()
    try:
        sql.run_sql(con, text)
        sql.run(con, "migrate/record", {"version": version, "name": path.name, "checksum": checksum(text)})
        con.commit()
    except Exception:
        con.rollback()
        raise


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now (none when already current).

    Refuses a warehouse made by a newer medlb (WarehouseNewer) or by an unreleased edit of a migration
    (MigrationEdited) before changing anything."""
    sql.run(con, "migrate/create_schema_migrations")
    applied = sql.run(con, "migrate/applied")
    refuse_newer(con, applied)
    recorded = {version: recorded_checksum for version, _, recorded_checksum in applied}
    pending = []
    for version, path in migration_files():
        text = path.read_text(encoding="utf-8")
        if version in recorded:
            _refuse_edited(con, path, recorded[version], checksum(text))
        else:
            pending.append((version, path, text))
    for version, path, text in pending:
        _apply(con, version, path, text)
    return [version for version, _, _ in pending]
