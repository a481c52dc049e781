"""A real browser on a real server: `streamlit run dashboard/app.py` on the fixture warehouse, driven by
Debian's Chromium (headless) through Playwright. Loads every page, checks its key text, and saves a
screenshot of each to artifacts/screenshots/<page>.png (the README uses the leaderboard one)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dashboard.widgets import WORD_JOINER
from pipeline.benchmarks.registry import task_title
from scripts.screenshot_dashboard import CHROMIUM, CHROMIUM_ARGS, dashboard_server, photograph
from tests.dashboard.test_hardening import IMAGE, LINK, TASK, build_hostile_warehouse
from tests.fixtures.warehouse import ENTRIES, HTML_QUESTION, HTML_TEXT

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {  # screenshot name -> (path and query, texts that must show)
    "leaderboard": (
        "",
        ["Open Medical-LLM Leaderboard", "6 of 6 entries", "med-7b · v2", "Download leaderboard-omll.csv"],
    ),
    "compare": (
        f"compare?models={ENTRIES['acme_v2']},{ENTRIES['acme_v3']}",
        [
            "Compare two model versions",
            "med-7b · v3",
            "med-7b · v2 is better",
            "Holm p",
            "Per subject",
            "10 question(s) exactly one",
        ],
    ),
    "history": ("history?model=acme/med-7b", ["Version history", "Between consecutive versions", "Browse a set"]),
    "questions": (
        "questions",
        ["Questions", "36 question(s), hardest first", "Matrix: model versions × questions", "question-matrix-omll"],
    ),
    "question": (
        f"questions?question={HTML_QUESTION}&task=mmlu_anatomy",
        [HTML_TEXT, "Difficulty (share right)", "50%"],
    ),
    "runs": ("runs", ["Runs", "Download runs.csv"]),
    "calibration": (
        "calibration",
        ["Calibration", "Per task", "Reliability diagram", "Accuracy at coverage", "Download calibration-per-task.csv"],
    ),
    # the fixture holds no perm<k> or cf_* predictions: the page says how to produce them
    "robustness": ("robustness", ["Robustness & bias", "--permute-options 3", "--bias-probe"]),
    "slices": ("slices", ["Slices & items", "Clinical slices", "Everyone wrong", "Download slices-omll.csv"]),
    "about": ("about", ["About: how these numbers are made", "Datasets", "Reproduce a row", "about-datasets.csv"]),
}


def _leaderboard_checks(page):  # the grid is drawn on a canvas; its cells are also in the DOM for a11y
    assert page.locator('[role="gridcell"]', has_text="gen-api · 2024-05-01 · generative").count() == 1


def _question_checks(page):  # the HTML in the question is shown as text, never rendered
    assert page.locator("b", has_text="Which").count() == 0
    assert page.locator("script", has_text="alert").count() == 0


PAGE_CHECKS = {"leaderboard": _leaderboard_checks, "question": _question_checks}
HOSTILE_PAGES = {  # path and query on the hostile warehouse -> (a text to wait for, payloads shown as typed)
    f"questions?question={TASK}/0&task={TASK}": (
        "Difficulty (share right)",
        [f"{task_title(TASK)} · {LINK}", f"{LINK} · {IMAGE}"],
    ),
    f"questions?question={TASK}/1&task={TASK}": ("Difficulty (share right)", [f"{task_title(TASK)} · {IMAGE}"]),
    f"questions?question={TASK}/www.evil.example&task={TASK}": (
        "Difficulty (share right)",
        ["www.evil.example", "mail me@evil.example"],
    ),
    f"questions?question={LINK}": ("Pick one from the list", [LINK]),
    "compare": ("Discordant questions", []),
    "history": ("Between consecutive versions", []),
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def server(fixture_path, tmp_path_factory):
    with dashboard_server(fixture_path, tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    path = build_hostile_warehouse(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")
    with dashboard_server(path, tmp_path_factory.mktemp("hostile-server") / "streamlit.log") as url:
        yield url


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
    errors = photograph(browser, f"{server}/{path}", texts, SHOTS / f"{name}.png", checks=PAGE_CHECKS.get(name))
    assert errors == []
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000


def _evil_targets(page) -> list[str]:
    """Links and images on the page that lead to evil.example (the page's own anchors may carry it in a
    query string or heading id: only the host counts)."""
    targets = page.eval_on_selector_all("a[href], img[src]", "els => els.map(e => e.href || e.src)")
    return [t for t in targets if urlsplit(t).hostname == "evil.example"]


@pytest.mark.parametrize("path", list(HOSTILE_PAGES))
def test_hostile_data_never_becomes_a_link_or_image(hostile_server, browser, tmp_path, path):
    wait_for, payloads = HOSTILE_PAGES[path]

    def checks(page):
        assert _evil_targets(page) == []
        shown = page.inner_text("body").replace(WORD_JOINER, "")
        assert [p for p in payloads if p not in shown] == []

    url = f"{hostile_server}/{path.replace('[', '%5B').replace(']', '%5D')}"
    assert photograph(browser, url, [wait_for], tmp_path / "hostile.png", checks=checks) == []


def test_no_request_leaves_the_machine_and_no_deploy_button(server, browser):
    """Every request the leaderboard makes goes to the dashboard's own loopback server (the favicon was a
    fonts.gstatic.com image), and the viewer toolbar has no "Deploy" button."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or request.url[:5]))
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_text("6 of 6 entries").first.wait_for(timeout=90_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
        page.wait_for_timeout(2000)  # the favicon and fonts are requested after the first render
        favicon = page.eval_on_selector("link[rel='shortcut icon']", "link => link.href")
        deploy = page.locator('[data-testid="stAppDeployButton"]').count()
    finally:
        page.close()
    assert hosts and set(hosts) <= {"127.0.0.1", "data:"}, sorted(set(hosts))
    assert favicon.startswith("data:image/svg+xml"), favicon
    assert deploy == 0


SUBMIT_NOTES = "[click](http://evil.example) **bold** <b>x</b>"
SUBMIT_ERROR = "no model **org/m1** <script>alert(1)</script>"


@pytest.fixture(scope="module", autouse=True)
def request_store(tmp_path_factory):
    """A request store holding one request of each state, in the environment before `server` starts it
    (autouse fixtures come first within a scope), so the Submit page's server reads it."""
    from warehouse import queue

    store = tmp_path_factory.mktemp("queue") / "q.sqlite"
    commit = "0123456789abcdef0123456789abcdef01234567"
    for n in range(4):
        request = queue.NewRequest(f"org/m{n}", commit, "float32", "pretrained", ("pubmedqa",), SUBMIT_NOTES)
        queue.submit(request, store)
    done, failed, running = (queue.claim_next(f"w{n}", store) for n in range(3))
    queue.finish(done, "done", run_id="run-abc", path=store)
    queue.finish(failed, "failed", error=SUBMIT_ERROR, path=store)
    queue.record_progress(running, 120, 450, store)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(queue.ENV_VAR, str(store))
        yield {"done": done.request_id, "failed": failed.request_id, "running": running.request_id}


def test_the_submit_page_shows_each_state_and_user_text_as_text(server, browser, request_store):
    def checks(page):
        page.locator('[role="gridcell"]').first.wait_for(state="attached", timeout=30_000)  # drawn after the rest
        cells = page.eval_on_selector_all('[role="gridcell"]', "els => els.map(e => e.innerText.trim())")
        assert {"pending", "running — 120/450 questions", "done", "failed"} <= set(cells)
        assert SUBMIT_NOTES in cells  # a cell as typed (columns right of the viewport are not drawn)
        shown = page.inner_text("body").replace(WORD_JOINER, "")
        assert f"failed: {SUBMIT_ERROR}" in shown and f"notes: {SUBMIT_NOTES}" in shown  # the request's details
        assert _evil_targets(page) == []
        assert page.locator("b", has_text="x").count() == page.locator("strong", has_text="bold").count() == 0
        assert page.locator("script", has_text="alert(1)").count() == 0

    url = f"{server}/submit?request={request_store['failed']}"
    texts = ["Submit a model", f"Request {request_store['failed']}: failed"]
    assert photograph(browser, url, texts, SHOTS / "submit.png", checks=checks) == []


def test_the_leaderboard_fits_a_1440_px_screen_with_the_model_pinned(server, browser):
    """At 1440 px the default grid's columns (model, rank, tie, average, the nine tasks, above chance?) all
    lie inside the visible grid: its scroller is no wider than what it shows, so nothing scrolls sideways."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_text("6 of 6 entries").first.wait_for(timeout=90_000)
        page.wait_for_selector("[class*=dvn-scroller]", timeout=90_000)
        page.wait_for_timeout(1000)
        scroller = page.eval_on_selector("[class*=dvn-scroller]", "s => [s.scrollWidth, s.clientWidth]")
        headers = page.eval_on_selector_all('[role="columnheader"]', "hs => hs.map(h => h.textContent)")
    finally:
        page.close()
    assert scroller[0] <= scroller[1], scroller
    assert {"model", "average", "MedQA", "MedMCQA", "PubMedQA", "Anatomy", "Prof. med."} <= set(headers)
    assert headers[0] == "model"  # pinned: the grid draws it first, before rank
