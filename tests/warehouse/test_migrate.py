"""Migrations: released ones never change, a newer medlb's warehouse is refused, and warehouses made
before migrations 002 and 005 were edited still open."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from tests.fixtures.builder import empty_warehouse
from warehouse import migrate
from warehouse.db import ENV_VAR, execute_write, read_connection
from warehouse.migrate import MIGRATIONS_DIR, MigrationEdited, WarehouseNewer

# sha256 (first 16 hex digits) of each migration as released. A warehouse records these when it applies
# them, so a released migration's text can never change again: add a new migration instead.
RELEASED = {
    1: "8b5de84abd5f8cb0",
    2: "d52783697015d1af",
    5: "c5f1237f2b75da72",
    6: "04a0aee84bbe845b",
    7: "343e4f5486463535",
    8: "81ca6962afba0db1",
    9: "e75fa8c43ddaf21e",
    10: "9c4f61285f4d975f",
    11: "bbc16125117cbf40",
}
NEWER = 999  # far above any migration this medlb will have


def sha16(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def text(version: int) -> str:
    (path,) = MIGRATIONS_DIR.glob(f"{version:03d}_*.sql")
    return path.read_text(encoding="utf-8")


def name(version: int) -> str:
    (path,) = MIGRATIONS_DIR.glob(f"{version:03d}_*.sql")
    return path.name


def old_002() -> str:
    """002 as released at c770abb: a comment named the module multi_answer."""
    return text(2).replace("pipeline.analysis.multilabel", "pipeline.analysis.multi_answer")


def old_005() -> str:
    """005 as released at 263ac74: the window partitioned by entry and question only."""
    new_tail = text(5)[text(5).index("-- Partitioned per") :]
    return text(5).replace(
        new_tail, "QUALIFY row_number() OVER (PARTITION BY e.entry_id, p.question_id ORDER BY e.run_rank) = 1;\n"
    )


def build(path, applied: list[tuple[int, str, str]]) -> None:
    """A warehouse as an earlier medlb left it: these (version, sql, recorded checksum) applied in order."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
            "checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
        for version, sql, checksum in applied:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, name(version) if version != NEWER else "999_from_the_future.sql", checksum],
            )
    finally:
        con.close()


def recorded(path) -> dict[int, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    finally:
        con.close()


def test_released_migrations_are_never_edited():
    files = {version: path for version, path in migrate.migration_files()}
    for version, checksum in RELEASED.items():
        assert sha16(files[version].read_text(encoding="utf-8")) == checksum, f"{files[version].name} was edited"
        assert migrate.checksum(files[version].read_text(encoding="utf-8")) == checksum


def test_every_migration_is_pinned():
    """A new migration file gets its checksum added to RELEASED in the same change that adds it."""
    assert sorted(version for version, _ in migrate.migration_files()) == sorted(RELEASED)


def test_a_fresh_warehouse_records_the_released_checksums(tmp_path):
    path = empty_warehouse(tmp_path / "fresh.duckdb")
    found = recorded(path)
    assert {v: found[v] for v in RELEASED} == RELEASED


def test_a_newer_warehouse_is_refused_for_writing_and_reading(tmp_path):
    path = tmp_path / "newer.duckdb"
    build(path, [(v, text(v), RELEASED[v]) for v in (1, 2)] + [(NEWER, "CREATE TABLE future (x INTEGER)", "f" * 16)])
    calls = []
    with pytest.raises(WarehouseNewer) as refused:
        execute_write(calls.append, path)
    message = str(refused.value)
    assert str(path) in message and "999_from_the_future.sql" in message
    assert "pip install -U medlb" in message and ENV_VAR in message
    assert calls == []  # refused before the caller's function ran
    assert set(recorded(path)) == {1, 2, NEWER}  # and before any pending migration was applied
    with pytest.raises(WarehouseNewer, match="pip install -U medlb"), read_connection(path):
        pass


def test_the_dashboard_says_a_warehouse_is_newer(tmp_path, monkeypatch):
    from tests.helpers import make_app

    path = empty_warehouse(tmp_path / "newer.duckdb")
    build_on = duckdb.connect(str(path))
    build_on.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
        [NEWER, "999_from_the_future.sql", "f" * 16],
    )
    build_on.close()
    app = make_app(path, monkeypatch)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    shown = " ".join(element.value for element in app.info)
    assert "999_from_the_future.sql" in shown and "pip install -U medlb" in shown and ENV_VAR in shown


def test_the_earlier_releases_of_002_and_005_are_what_the_list_accepts():
    assert sha16(old_002()) == "feaed44b2246e878"
    assert sha16(old_005()) == "bdfd96cd295fcd3b"
    assert migrate.EARLIER_CHECKSUMS == {2: {"feaed44b2246e878"}, 5: {"bdfd96cd295fcd3b"}}


def test_a_warehouse_from_before_the_002_edit_migrates(tmp_path):
    path = tmp_path / "c770abb.duckdb"
    build(path, [(1, text(1), RELEASED[1]), (2, old_002(), "feaed44b2246e878")])
    execute_write(lambda con: None, path)
    found = recorded(path)
    assert found[2] == "feaed44b2246e878"  # the record still says what was applied
    assert found[5] == RELEASED[5] and found[6] == RELEASED[6]
    with read_connection(path) as con:
        views = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'counted_predictions'").fetchall()
    assert views == [(1,)]


def test_a_warehouse_from_before_the_005_edit_migrates(tmp_path):
    path = tmp_path / "263ac74.duckdb"
    build(path, [(1, text(1), RELEASED[1]), (2, text(2), RELEASED[2]), (5, old_005(), "bdfd96cd295fcd3b")])
    execute_write(lambda con: None, path)
    found = recorded(path)
    assert found[5] == "bdfd96cd295fcd3b" and found[6] == RELEASED[6]


def test_an_unreleased_edit_is_refused_with_a_way_out(tmp_path):
    path = tmp_path / "dev.duckdb"
    build(path, [(1, text(1), RELEASED[1]), (2, text(2), "0123456789abcdef")])
    with pytest.raises(MigrationEdited) as refused:
        execute_write(lambda con: None, path)
    message = str(refused.value)
    assert str(path) in message and name(2) in message and "0123456789abcdef" in message
    assert "medlb export" in message and "medlb import bundle" in message and "Upgrading a warehouse" in message
    assert set(recorded(path)) == {1, 2}  # nothing applied on top of it
