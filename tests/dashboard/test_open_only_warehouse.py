"""A warehouse that holds K-QA answers and no multiple-choice prediction is a warehouse with results: the app
opens (no "empty" message) and the Answers page lists the entries. Built from K-QA's real physician-judged
answers (`medlb import kqa-physicians`), so no model runs."""

from __future__ import annotations

import shutil

from pipeline.judging.physicians import import_physicians
from tests.helpers import make_app
from warehouse.db import read_connection
from warehouse.queries import summary


def test_kqa_answers_alone_are_not_an_empty_warehouse(empty_path, tmp_path, monkeypatch):
    path = shutil.copy(empty_path, tmp_path / "open_only.duckdb")  # the session's empty warehouse stays empty
    imported = import_physicians(path)
    with read_connection(path) as con:
        facts = summary(con)
    assert (facts["predictions"], facts["answers"], facts["summary_scores"]) == (0, imported.answers, 0)
    assert imported.answers == 48  # K-QA's 399 labelled pairs cover 48 (model, question) answers with a match

    app = make_app(path, monkeypatch)
    app.run()
    assert not app.exception
    assert not [i.value for i in app.info if "empty" in i.value]
    app.switch_page("app_pages/answers.py").run()
    assert not app.exception, [e.message for e in app.exception]
    shown = " ".join(str(v) for frame in app.dataframe for v in frame.value.to_numpy().ravel())
    for model in ("GPT-4", "GPT-3.5", "Bard"):
        assert model in shown, model
