"""A real browser on a real server: `streamlit run dashboard/app.py` on the fixture warehouse, driven by
Debian's Chromium (headless) through Playwright. Loads every page, checks its key text, and saves a
screenshot of each to artifacts/screenshots/<page>.png (the README uses the leaderboard one)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.warehouse import ENTRIES, HTML_QUESTION, HTML_TEXT

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAGES = {  # screenshot name -> (path and query, texts that must show)
    "leaderboard": ("", ["Open Medical-LLM Leaderboard", "6 of 6 entries", "acme/med-7b · v2", "Download leaderboard-omll.csv"]),
    "compare": (f"compare?models={ENTRIES['acme_v2']},{ENTRIES['acme_v3']}",
                ["Compare two model versions", "acme/med-7b · v3", "Per subject", "10 question(s) exactly one"]),
    "history": ("history?model=acme/med-7b", ["Version history", "Between consecutive versions", "Browse a set"]),
    "questions": ("questions", ["Questions", "36 question(s), hardest first"]),
    "question": (f"questions?question={HTML_QUESTION}&task=mmlu_anatomy", [HTML_TEXT, "Difficulty (share right)", "50%"]),
    "runs": ("runs", ["Runs", "Download runs.csv"]),
    "calibration": ("calibration", ["Calibration", "Per task", "Reliability diagram", "Accuracy at coverage",
                                    "Download calibration-per-task.csv"]),
    # the fixture holds no perm<k> or cf_* predictions: the page says how to produce them
    "robustness": ("robustness", ["Robustness & bias", "--permute-options 3", "--bias-probe"]),
    "slices": ("slices", ["Slices & items", "Clinical slices", "Everyone wrong", "Download slices-omll.csv"]),
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium chromium-driver)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(fixture_path, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = dict(os.environ, MEDLB_WAREHOUSE=str(fixture_path))
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless=true",
               f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"streamlit did not start:\n{log.read_text()}"
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_in_chromium(server, browser, name):
    path, texts = PAGES[name]
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server}/{path}", wait_until="domcontentloaded")
        for text in texts:
            page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=90_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        if name == "leaderboard":  # the grid is drawn on a canvas; its cells are also in the DOM for a11y
            assert page.locator('[role="gridcell"]', has_text="gamma/gen-api · 2024-05-01 · generative").count() == 1
        if name == "question":  # the HTML in the question is shown as text, never rendered
            assert page.locator("b", has_text="Which").count() == 0
            assert page.locator("script", has_text="alert").count() == 0
        page.wait_for_timeout(1000)  # let plotly finish drawing before the picture
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000
