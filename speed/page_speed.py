"""Page speed of the dashboard in headless Chromium: each page loaded directly by its URL, then reached by
clicking through the sidebar, plus where a cold page's time goes (imports, in a fresh interpreter).

    .venv/bin/python speed/page_speed.py [WAREHOUSE]   # default: the fixture warehouse, built in a temp dir

A page counts as shown when Streamlit's running indicator is gone. Timing is wall clock on a shared
machine: read the figures side by side, not against a fixed goal.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshot_dashboard import CHROMIUM, CHROMIUM_ARGS, dashboard_server  # noqa: E402

PAGES = {"Leaderboard": "", "Compare": "compare", "History": "history", "Questions": "questions",
         "Calibration": "calibration", "Slices & items": "slices", "Runs": "runs", "About": "about"}  # fmt: skip
IMPORTS = ["streamlit", "polars", "duckdb", "plotly.graph_objects", "scipy.stats", "dashboard.data",
           "dashboard.charts", "pipeline.benchmarks.registry"]  # fmt: skip
RUNNING = '[data-testid="stStatusWidget"]'


def import_seconds(module: str) -> float:
    """Seconds to import `module` in a fresh interpreter (what a cold server pays once)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def shown(page, started: float) -> float:
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=120_000)
    page.wait_for_timeout(100)
    page.wait_for_selector(RUNNING, state="detached", timeout=120_000)
    return time.perf_counter() - started


def main() -> None:
    from playwright.sync_api import sync_playwright

    if len(sys.argv) > 1:
        warehouse, which = Path(sys.argv[1]), sys.argv[1]
    else:
        from tests.fixtures.warehouse import build_fixture_warehouse

        warehouse, which = build_fixture_warehouse(Path(tempfile.mkdtemp()) / "fixture.duckdb"), "fixture"
    print(f"warehouse: {which}")
    print("cold imports (fresh interpreter, s): " + ", ".join(f"{m} {import_seconds(m):.2f}" for m in IMPORTS))
    with dashboard_server(warehouse, Path(tempfile.mkdtemp()) / "streamlit.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        print(f"{'page':16} {'direct (s)':>10} {'again (s)':>10} {'via sidebar (s)':>16}")
        rows = {}
        for name, path in PAGES.items():
            times = []
            for _ in range(2):  # the first load of a page pays its imports and queries; the second hits the cache
                started = time.perf_counter()
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                times.append(shown(page, started))
            rows[name] = times
        for name in PAGES:
            started = time.perf_counter()
            page.locator('[data-testid="stSidebarNav"] a', has_text=name).first.click()
            rows[name].append(shown(page, started))
        for name, (direct, again, via) in rows.items():
            print(f"{name:16} {direct:10.2f} {again:10.2f} {via:16.2f}")
        browser.close()


if __name__ == "__main__":
    main()
