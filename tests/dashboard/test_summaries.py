"""The leaderboard's section of results without per-question data: its table (Wilson bounds against scipy,
no interval without n, the average only with every task) and the page showing it apart, with badges."""

from __future__ import annotations

import polars as pl
import pytest
from scipy import stats

from dashboard.page_frames import summaries
from tests.fixtures import summaries_warehouse as sw
from tests.fixtures.warehouse import OMLL_TASKS
from tests.helpers import make_app
from warehouse import queries
from warehouse.db import read_connection


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return sw.build(tmp_path_factory.mktemp("summaries") / "w.duckdb")


@pytest.fixture(scope="module")
def table(path):
    with read_connection(path) as con:
        return summaries.summary_table(queries.summary_scores(con, "omll"), OMLL_TASKS)


def test_the_table_has_badges_shots_and_wilson_intervals_where_n_is_known(table):
    rows = {row["entry_id"]: row for row in table.iter_rows(named=True)}
    acme, medpalm, gpt4 = (
        rows["aggregate:aggregate-acme"],
        rows["reported:reported-medpalm"],
        rows["aggregate:aggregate-gpt4"],
    )
    assert (acme["badge"], acme["shots"], acme["citation"]) == ("aggregate only", "0-shot", "")
    assert (medpalm["badge"], medpalm["shots"]) == ("reported", "5-shot")
    assert medpalm["citation"] == "Singhal et al. 2023, arXiv:2305.09617"
    assert gpt4["shots"] == "not stated" and gpt4["n from"] == "unknown"
    wilson = stats.binomtest(1101, 1273).proportion_ci(method="wilson")
    assert (medpalm["medqa_4options low"], medpalm["medqa_4options high"]) == pytest.approx((wilson.low, wilson.high))
    assert medpalm["pubmedqa"] == 0.817 and medpalm["pubmedqa low"] is None  # no n: no interval
    assert acme["average"] == 0.75 and medpalm["average"] is None  # the average needs all nine tasks
    assert table["entry_id"].to_list()[0] == "aggregate:aggregate-acme"  # best average first


def test_the_screen_never_shows_an_interval_it_does_not_have(table):
    display = summaries.summary_display(table, OMLL_TASKS).filter(pl.col("model") == "Med-PaLM 2")
    wilson = stats.binomtest(1101, 1273).proportion_ci(method="wilson")
    assert display["medqa_4options"][0] == f"86.5 [{wilson.low * 100:.1f}, {wilson.high * 100:.1f}]"
    assert display["pubmedqa"][0] == "81.7" and display["medmcqa"][0] is None


def test_the_leaderboard_lists_them_apart_with_their_badges(path, monkeypatch):
    app = make_app(path, monkeypatch)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    labels = [button.proto.label for button in app.get("download_button")]
    main = app.dataframe[labels.index("Download leaderboard-omll.csv")].value
    apart = app.dataframe[labels.index("Download leaderboard-omll-without-questions.csv")].value
    assert sorted(apart["badge"]) == ["aggregate only", "aggregate only", "reported"]
    assert set(apart["model"]) == {sw.ACME, "Med-PaLM 2", "GPT-4 (5-shot)"}
    assert not {"Med-PaLM 2", "GPT-4 (5-shot)"} & set(main["model"].astype(str))  # never ranked together
    assert len(main) == 6  # the fixture's six entries with per-question data, no more
    assert "Results without per-question data" in [h.value for h in app.subheader]
    app.toggle(key="lb_without_questions").set_value(False).run()
    labels = [button.proto.label for button in app.get("download_button")]
    assert "Download leaderboard-omll-without-questions.csv" not in labels  # the toggle hides the table


def test_a_line_at_the_top_points_to_the_section(path, monkeypatch):
    """Three entries without per-question data in the fixture: the line above the filters says so and names
    the section; the fixture warehouse without them (tests/dashboard/test_app.py) shows no such line."""
    app = make_app(path, monkeypatch)
    app.run()
    first = app.markdown[0].value.replace("\\", "")
    assert first == (
        "3 entries without per-question data (aggregate only or reported) are listed below the ranked table, "
        "under **Results without per-question data**: they are not ranked with it."
    )
    assert summaries.pointer_text(1).startswith("1 entry without per-question data (aggregate only or reported) is ")


def test_no_pointer_without_such_entries(fixture_path, monkeypatch):
    app = make_app(fixture_path, monkeypatch)
    app.run()
    assert not app.exception
    assert not [m.value for m in app.markdown if "without per-question data" in m.value]
    assert summaries.SECTION_TITLE not in [h.value for h in app.subheader]
