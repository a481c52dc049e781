"""Dashboard fixtures: AppTest runs of dashboard/app.py (the fixture warehouse is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.helpers import make_app


@pytest.fixture
def app(fixture_path, monkeypatch):
    """An AppTest of dashboard/app.py on the fixture warehouse (not yet run)."""
    return make_app(fixture_path, monkeypatch)


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium through Playwright, for a module's real-browser tests."""
    from playwright.sync_api import sync_playwright

    from scripts.screenshot_dashboard import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
