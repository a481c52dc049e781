"""Shared fixtures: one fixture warehouse per session, read-only connections to it, and AppTest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.warehouse import build_fixture_warehouse
from warehouse.db import read_connection, write_connection

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.fixture(scope="session")
def fixture_path(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("warehouse") / "fixture.duckdb")


@pytest.fixture(scope="session")
def empty_path(tmp_path_factory) -> Path:
    """A migrated warehouse with no rows at all: what a fresh `medlb eval` leaves before its first batch."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with write_connection(path):
        pass
    return path


@pytest.fixture
def con(fixture_path):
    with read_connection(fixture_path) as connection:
        yield connection


@pytest.fixture
def app(fixture_path, monkeypatch):
    """An AppTest of dashboard/app.py on the fixture warehouse (not yet run)."""
    return make_app(fixture_path, monkeypatch)


def make_app(path: Path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MEDLB_WAREHOUSE", str(path))
    st.cache_data.clear()  # cached loads are keyed by path, but a clean slate keeps tests independent
    return AppTest.from_file(str(APP), default_timeout=120)
