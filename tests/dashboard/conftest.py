"""Dashboard fixtures: AppTest runs of dashboard/app.py (the fixture warehouse is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.helpers import make_app


@pytest.fixture
def app(fixture_path, monkeypatch):
    """An AppTest of dashboard/app.py on the fixture warehouse (not yet run)."""
    return make_app(fixture_path, monkeypatch)
