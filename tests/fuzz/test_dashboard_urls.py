"""Every dashboard page with random URL parameters (AppTest on the fixture warehouse).

One example opens one page of dashboard/app.py with a random set of the parameters the pages read (group,
task, model, config, entry, models, question, shots), each a value the page offers, a near miss, or a
hostile string (markdown, SQL, a lone surrogate, 100 001 characters, non-ASCII digits). The property:
the page runs without an exception, shows no traceback or raw DuckDB error, and the warehouse file is
byte for byte what it was (the dashboard only reads).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import TEXTS, ci_settings, sha256_of
from tests.helpers import make_app

PAGES = (
    "app_pages/leaderboard.py",
    "app_pages/compare.py",
    "app_pages/history.py",
    "app_pages/questions.py",
    "app_pages/calibration.py",
    "app_pages/robustness.py",
    "app_pages/slices.py",
    "app_pages/runs.py",
)
PARAMS = ("group", "task", "model", "config", "entry", "models", "question", "shots")
VALID = ("omll", "mmlu", "medqa_4options", "pubmedqa", "mmlu_anatomy", "all", "0", "5", "medqa_4options/0")
NEAR = ("OMLL", "medqa_4options ", "medqa_4options/999999", "-1", "1e9", ",", ",,medqa", "%", "_", "*")
RAW_ERRORS = ("Traceback", "Binder Error", "Parser Error", "Conversion Error", "duckdb.")


@st.composite
def url_cases(draw) -> tuple[str, dict[str, str]]:
    page = draw(st.sampled_from(PAGES))
    names = draw(st.lists(st.sampled_from(PARAMS), min_size=1, max_size=4, unique=True))
    values = st.one_of(st.sampled_from(VALID), st.sampled_from(NEAR), st.sampled_from(TEXTS), st.text(max_size=12))
    return page, {name: as_received(draw(values)) for name in names}


def as_received(value: str) -> str:
    """A URL carries bytes: a lone surrogate arrives as the invalid UTF-8 a careless encoder writes, which
    the server decodes to replacement characters (AppTest would refuse to encode it at all)."""
    return value.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")


def shown_texts(app) -> list[str]:
    return [
        str(getattr(element, "value", ""))
        for kind in ("error", "warning", "markdown", "exception")
        for element in getattr(app, kind)
    ]


def check(case: tuple[str, dict[str, str]], warehouse) -> list[str]:
    page, params = case
    before = sha256_of(warehouse)
    with pytest.MonkeyPatch.context() as patch:
        app = make_app(warehouse, patch)
        app.query_params.update(params)
        app.run()
        if not app.exception:
            app.switch_page(page).run()
    problems = [f"exception: {e.message[:300]}" for e in app.exception]
    problems += [f"shows {text[:200]!r}" for text in shown_texts(app) if any(raw in text for raw in RAW_ERRORS)]
    if sha256_of(warehouse) != before:
        problems.append("the warehouse file changed")
    return problems


@ci_settings("dashboard")
@given(case=url_cases())
def test_any_url_parameters_give_a_working_page(case, fixture_path):
    assert check(case, fixture_path) == []
