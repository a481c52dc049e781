"""Serve the dashboard on a warehouse and photograph pages in headless Chromium (Playwright).

    python scripts/screenshot_dashboard.py demo/medlb-demo.duckdb docs/leaderboard.png [page-path]

The real-browser tests use the same two helpers, so the README's picture comes from the tested path.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(warehouse: Path, log: Path, startup_seconds: float = 120) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free loopback port; yields its URL once healthy."""
    port = free_port()
    env = dict(os.environ, MEDLB_WAREHOUSE=str(warehouse))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def photograph(browser, url: str, texts: list[str], out: Path, checks=None) -> list[str]:
    """Load a page, wait for its texts and for Streamlit to finish, run `checks(page)` (assertions), save a
    full-page PNG; returns the page's JavaScript errors."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, wait_until="domcontentloaded")
        for text in texts:
            page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=90_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
        if page.locator('[data-testid="stException"]').count():
            errors.append("the page shows a Python exception")
        if checks:
            checks(page)
        page.wait_for_timeout(1000)  # let plotly finish drawing before the picture
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
    finally:
        page.close()
    return errors


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    warehouse, out = Path(argv[0]).resolve(), Path(argv[1])
    page_path = argv[2] if len(argv) > 2 else ""
    with dashboard_server(warehouse, Path("/tmp/medlb-screenshot-streamlit.log")) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        errors = photograph(
            browser, f"{url}/{page_path}", ["Open Medical-LLM Leaderboard"] if not page_path else [], out
        )
        browser.close()
    print(out, *errors, sep="\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
