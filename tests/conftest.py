"""Suite-wide settings (tests never touch the network) and the fixture warehouse every package reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.pop("OPENAI_API_KEY", None)


@pytest.fixture(scope="session")
def fixture_path(tmp_path_factory) -> Path:
    """The fixture warehouse of tests/fixtures/warehouse.py, built once per session."""
    from tests.fixtures.warehouse import build_fixture_warehouse

    return build_fixture_warehouse(tmp_path_factory.mktemp("warehouse") / "fixture.duckdb")


@pytest.fixture(scope="session")
def empty_path(tmp_path_factory) -> Path:
    """A migrated warehouse with no rows at all: what a fresh `medlb eval` leaves before its first batch."""
    from tests.fixtures.builder import empty_warehouse

    return empty_warehouse(tmp_path_factory.mktemp("empty") / "empty.duckdb")


@pytest.fixture
def con(fixture_path):
    """A read-only connection to the fixture warehouse, as the dashboard holds one."""
    from warehouse.db import read_connection

    with read_connection(fixture_path) as connection:
        yield connection
