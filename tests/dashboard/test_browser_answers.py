"""The Answers (K-QA) page in a real browser: `streamlit run dashboard/app.py` on the K-QA fixture warehouse
of test_answers_page.py, driven by Debian's Chromium (headless) through Playwright. Opened by deep links: two
answers side by side, the "judges disagree" filter, and model text with markdown and HTML shown as typed."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from dashboard.widgets import WORD_JOINER
from scripts.screenshot_dashboard import CHROMIUM, dashboard_server, photograph
from tests.dashboard.test_answers_page import ANSWER, GPT4_ANSWER, GPT4_RUN, J1, J2, OPEN_RUN, build_kqa_warehouse

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
    path = build_kqa_warehouse(tmp_path_factory.mktemp("kqa") / "kqa.duckdb", fixture_path)
    with dashboard_server(path, tmp_path_factory.mktemp("kqa-server") / "streamlit.log") as url:
        yield url


def link(server: str, **params: str) -> str:
    return f"{server}/answers?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def shown_text(page) -> str:
    return page.inner_text("body").replace(WORD_JOINER, "")


def grid_cells(page) -> list[str]:
    page.locator('[role="gridcell"]').first.wait_for(state="attached", timeout=30_000)
    return page.eval_on_selector_all('[role="gridcell"]', "els => els.map(e => e.innerText.trim())")


def test_two_answers_side_by_side_as_text(server, chromium, tmp_path):
    def checks(page):
        shown = shown_text(page)
        assert GPT4_ANSWER in shown and ANSWER in shown  # both answers, every * < [ as typed
        assert "The physicians' answer" in shown
        for tag, text in (("i", "rest"), ("em", "drink"), ("strong", "Bold"), ("b", "x")):
            assert page.locator(tag, has_text=text).count() == 0, tag
        targets = page.eval_on_selector_all("a[href], img[src]", "els => els.map(e => e.href || e.src)")
        assert [t for t in targets if urlsplit(t).hostname == "evil.example"] == []
        table = page.get_by_text("Download kqa-verdicts-second-kqa_11.csv")  # a grid is drawn once in view
        table.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        cells = grid_cells(page)
        assert {"entailed", "neutral", "contradicted", "not labelled"} <= set(cells)  # both verdict tables' marks

    url = link(server, entry=f"{GPT4_RUN}:{J2}", entry2=f"{OPEN_RUN}:{J2}", question="kqa/11")
    texts = ["Answers (K-QA)", "Second answer, side by side", "Question kqa/11"]
    assert photograph(chromium, url, texts, tmp_path / "answers-side-by-side.png", checks=checks) == []


def test_the_judges_disagree_filter_from_a_link(server, chromium, tmp_path):
    def checks(page):
        assert page.get_by_label("only questions where judges disagree").is_checked()
        assert not page.get_by_label("only answers that missed a Must_have statement").is_checked()
        cells = grid_cells(page)
        assert "kqa/22" in cells and "kqa/11" not in cells and "kqa/0" not in cells  # acme/judge-2 differs on kqa/22
        assert "Judges disagree: another judge of the same answer" in shown_text(page)

    url = link(server, entry=f"{OPEN_RUN}:{J1}", only="disagree")
    texts = ["Answers (K-QA)", "Question kqa/22"]
    assert photograph(chromium, url, texts, tmp_path / "answers-disagree.png", checks=checks) == []
