"""Every page through streamlit.testing's AppTest on the fixture warehouse, deep links included, plus the
empty and missing warehouse messages. Values come from the fixture's patterns."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from dashboard import data, widgets
from pipeline.benchmarks.registry import TASKS, task_header, task_title
from tests.fixtures.warehouse import ENTRIES, HTML_QUESTION, HTML_TEXT
from tests.helpers import make_app
from warehouse.migrate import MIGRATIONS_DIR

E = ENTRIES
PAGES = [
    "app_pages/leaderboard.py",
    "app_pages/compare.py",
    "app_pages/history.py",
    "app_pages/questions.py",
    "app_pages/runs.py",
]


def run(app, page: str | None = None, **params):
    app.query_params.update(params)
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def frame(app, name: str):
    """The table whose CSV download is `name`.csv (each table is followed by its own download button)."""
    labels = [button.proto.label for button in app.get("download_button")]
    found = [i for i, label in enumerate(labels) if label == f"Download {name}.csv"]
    assert found, f"no table {name}: {labels}"
    return app.dataframe[found[0]].value


@pytest.fixture
def csv_log(monkeypatch):
    """Every CSV the pages offer for download, as (text) in order, to check it against the table shown."""
    made = []
    original = widgets.to_csv

    def recording(frame):
        text = original(frame)
        made.append(text)
        return text

    monkeypatch.setattr(widgets, "to_csv", recording)
    return made


def test_leaderboard_shows_every_entry_with_marks(app):
    run(app)
    assert app.title[0].value == "Open Medical-LLM Leaderboard"
    # the default view fits 1440 px (plain numbers, tie and above chance?); the rest is one click away
    assert app.toggle(key="lb_interval").value is False
    assert app.multiselect(key="lb_columns").value == ["tie", "above chance?"]
    app.toggle(key="lb_interval").set_value(True).run()
    app.multiselect(key="lb_columns").set_value(["tie", "questions", "chance", "above chance?", "coverage", "settings"])
    app.run()
    board = frame(app, "leaderboard-omll")
    # Short, distinct labels (issue 13): the organisation is dropped where no other model shares the name.
    assert board["model"].tolist() == [
        "med-7b · v3 · 5-shot",
        "med-7b · v2",
        "med-7b · v1",
        "med-7b · v3",
        "clinical-1b · v1",
        "gen-api · 2024-05-01 · generative",
    ]
    v2 = board[board["model"] == "med-7b · v2"].iloc[0]
    # Wilson intervals (were "75.0 ± 37.0" and "100.0 ± 0.0"): 3/4 and 4/4, worked out in
    # tests/dashboard/test_page_frames.py; 4/4's lower bound is n / (n + z²) = 4 / 7.84 = 51.0%.
    # tasks under their short readable headers (MedMCQA, MedQA), not their ids
    assert (v2["average"], v2["MedMCQA"], v2["MedQA"], v2["questions"]) == (
        77.8,
        "75.0 [30.1, 95.4]",
        "100.0 [51.0, 100.0]",
        36,
    )
    assert board["chance"].tolist() == [25.9] * 5 + [25.0]  # (8 x 25% + 33.3%) / 9; gamma has no pubmedqa
    assert board["above chance?"].tolist()[4].startswith("no (p = ")  # beta: 9 of 35
    assert board["settings"].tolist() == ["5-shot", "", "", "", "dtype bfloat16", "prompt generative000001; generative"]
    assert board["tie"].tolist() == ["", "", "≈1", "≈1", "≈1", ""]
    assert board["coverage"].tolist()[-1] == "8 of 9 partial"  # was "8/9": Excel turned 9/9 into a date
    assert board["average"].isna().tolist() == [False] * 5 + [True]


def test_leaderboard_filters_sort_and_columns(app):
    run(app)
    app.text_input(key="lb_search").set_value("BETA").run()
    assert frame(app, "leaderboard-omll")["model"].tolist() == ["clinical-1b · v1"]
    app.text_input(key="lb_search").set_value("").run()
    app.multiselect(key="lb_types").set_value(["commercial"]).run()
    assert frame(app, "leaderboard-omll")["model"].tolist() == ["gen-api · 2024-05-01 · generative"]
    app.multiselect(key="lb_types").set_value([]).run()
    app.slider(key="lb_size").set_value((5.0, 7.0)).run()
    app.checkbox(key="lb_unknown").uncheck().run()
    assert len(frame(app, "leaderboard-omll")) == 4  # the 7B acme entries only
    app.selectbox(key="lb_sort").set_value("medmcqa").run()
    app.toggle(key="lb_interval").set_value(False).run()
    board = frame(app, "leaderboard-omll")
    assert board["MedMCQA"].tolist() == [100.0, 75.0, 50.0, 50.0]
    app.multiselect(key="lb_columns").set_value(["license", "revision"]).run()
    assert list(frame(app, "leaderboard-omll").columns)[-2:] == ["license", "revision"]
    assert "settings" not in frame(app, "leaderboard-omll").columns


def test_task_group_switch(app):
    run(app)
    app.selectbox(key="task_group").set_value("french").run()
    app.toggle(key="lb_interval").set_value(True).run()
    board = frame(app, "leaderboard-french")
    assert board["model"].tolist() == ["med-7b · v1"]
    # 1 of 2: Wilson (0.5 ± z sqrt(1/8 + z²/16)) / (1 + z²/2) = [9.5%, 90.5%] (was "50.0 ± 50.0", the
    # normal interval clipped to [0, 1])
    assert board["FrenchMedMCQA"].tolist() == ["50.0 [9.5, 90.5]"]
    assert app.query_params["group"] == "french"


def test_compare_defaults_to_the_top_two_with_common_settings(app):
    run(app, "app_pages/compare.py")
    assert app.selectbox(key="compare_a").value == E["acme_v2"]
    assert app.selectbox(key="compare_b").value == E["acme_v1"]
    assert app.query_params["models"] == f"{E['acme_v2']},{E['acme_v1']}"


def test_compare_deep_link_reproduces_the_diff(app):
    run(app, "app_pages/compare.py", models=f"{E['acme_v2']},{E['acme_v3']}", task="medqa_4options")
    assert app.selectbox(key="compare_a").value == E["acme_v2"]
    assert app.selectbox(key="compare_b").value == E["acme_v3"]
    summary = frame(app, "compare-per-task")
    pooled = summary[summary["task"] == "all tasks (pooled)"].iloc[0]
    # The difference's interval is Newcombe's paired one (worked out in test_page_frames.py); it was the
    # percentile bootstrap's [-44.4, -13.9] before issue 13.
    assert (pooled["A %"], pooled["B %"], pooled["B − A"], pooled["B − A 95%"]) == (77.8, 50.0, -27.8, "[-41.9, -11.6]")
    assert (pooled["McNemar p"], pooled["A only"], pooled["B only"], pooled["both wrong"]) == (0.002, 10, 0, 8)
    assert pooled["Holm p"] == 0.002  # the pooled test is one test
    assert summary[summary["task"] == "MedQA"].iloc[0]["Holm p"] == 1.0  # 9 x 0.5, capped (shown by name)
    verdict = app.markdown[0].value.replace("\\", "")  # shown with markdown's characters escaped
    assert verdict.startswith("**med-7b · v2 is better: B − A = −27.8 points [−41.9, −11.6] over 36 questions")
    discordant = frame(app, "compare-discordant")
    assert discordant["question_id"].tolist() == ["medqa_4options/0", "medqa_4options/3"]
    assert set(discordant["right answer by"]) == {"A"}
    assert app.query_params["models"] == f"{E['acme_v2']},{E['acme_v3']}"
    assert app.query_params["task"] == "medqa_4options"
    # The user's next choice wins over the link it came from.
    app.selectbox(key="compare_b").set_value(E["acme_v1"]).run()
    assert app.selectbox(key="compare_b").value == E["acme_v1"]
    assert app.query_params["models"] == f"{E['acme_v2']},{E['acme_v1']}"


def test_compare_warns_when_a_is_b_and_when_a_link_names_unknown_models(app, fixture_path, monkeypatch):
    run(app, "app_pages/compare.py", models=f"{E['acme_v2']},{E['acme_v2']}")
    assert app.selectbox(key="compare_a").value == app.selectbox(key="compare_b").value == E["acme_v2"]
    assert any("Model A and model B are the same version" in w.value for w in app.warning)
    app = run(
        make_app(fixture_path, monkeypatch), "app_pages/compare.py", models=f"{E['acme_v2']},nope:0:loglikelihood"
    )
    warning = " ".join(w.value for w in app.warning).replace("\\", "")
    assert "no results for" in warning and "nope:0:loglikelihood" in warning and "default pair" in warning
    assert app.selectbox(key="compare_a").value == E["acme_v2"]  # the defaults, said so above
    assert app.selectbox(key="compare_b").value == E["acme_v1"]


def test_history_deep_link_and_regression_flag(app):
    run(app, "app_pages/history.py", model="acme/med-7b", config="0:loglikelihood")
    assert app.selectbox(key="history_model").value == "acme/med-7b"
    versions = frame(app, "history-acme_med-7b")
    assert versions["version"].tolist() == ["v1", "v2", "v3"]
    assert versions["average"].tolist() == [50.0, 77.8, 50.0]
    assert versions["MedMCQA"].tolist()[1] == "75.0 [30.1, 95.4]"  # 3 of 4 with its Wilson interval
    flips = frame(app, "history-flips-acme_med-7b")
    pooled = flips[flips["task"] == "all tasks (pooled)"]
    assert pooled[["from", "to", "fixed", "broken", "still wrong", "flag"]].values.tolist() == [
        ["v1", "v2", 10, 0, 8, ""],
        ["v2", "v3", 0, 10, 8, "⚠ regression"],
    ]
    assert pooled["Holm p"].tolist() == pooled["McNemar p"].tolist() == [0.002, 0.002]
    medqa = flips[(flips["task"] == "MedQA") & (flips["from"] == "v2")].iloc[0]
    assert (medqa["McNemar p"], medqa["Holm p"], medqa["flag"]) == (0.5, 1.0, "")
    verdict = app.markdown[0].value.replace("\\", "")
    assert verdict.startswith("**Significant regression from v2 to v3: −27.8 points [−41.9, −11.6]")
    # Browse a set: v2 -> v3 broken questions.
    app.selectbox(key="history_step").set_value("v2 → v3").run()
    app.selectbox(key="history_kind").set_value("broken").run()
    assert len(frame(app, "history-broken")) == 10
    app.selectbox(key="history_task").set_value("medqa_4options").run()
    assert frame(app, "history-broken")["question_id"].tolist() == ["medqa_4options/0", "medqa_4options/3"]


def test_question_deep_link_shows_plain_text_answers_and_difficulty(app):
    run(app, "app_pages/questions.py", question=HTML_QUESTION, task="mmlu_anatomy")
    texts = [t.value for t in app.text]
    assert HTML_TEXT in texts  # shown verbatim, as text
    assert not any("<script>" in m.value for m in app.markdown)
    answers = frame(app, "question-mmlu_anatomy_2-answers")
    assert len(answers) == 6
    assert sorted(answers["answer"].tolist()) == ["C. gamma"] * 3 + ["D. delta"] * 2 + ["no answer"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Difficulty (share right)"] == "50%"
    assert metrics["Gold"] == "C. gamma"
    options = frame(app, "question-mmlu_anatomy_2-options")
    assert options["gold"].tolist() == ["", "", "✓", ""]
    assert app.query_params["question"] == HTML_QUESTION


def test_question_view_shows_the_explanation(app):
    run(app, "app_pages/questions.py", question="medmcqa/2", task="medmcqa")
    assert "Option gamma is right because of fact 2." in [t.value for t in app.text]


def test_question_list_filters(app):
    run(app, "app_pages/questions.py")
    assert len(frame(app, "questions-omll")) == 36
    app.radio(key="q_scope").set_value("everyone_wrong").run()
    assert frame(app, "questions-omll")["question_id"].tolist() == ["pubmedqa/3"]
    app.radio(key="q_scope").set_value("all").run()
    app.selectbox(key="q_wrong_for").set_value(E["acme_v3"]).run()
    assert len(frame(app, "questions-omll")) == 18
    app.selectbox(key="q_task").set_value("medmcqa").run()
    app.selectbox(key="q_subject").set_value("Pharmacology").run()
    assert frame(app, "questions-omll")["question_id"].tolist() == ["medmcqa/3"]
    assert app.query_params["task"] == "medmcqa"


def test_runs_page(app):
    run(app, "app_pages/runs.py")
    runs = frame(app, "runs")
    assert len(runs) == 7
    gamma = runs[runs["run id"] == "run-gamma"].iloc[0]
    assert (gamma["scoring"], gamma["input tokens"], gamma["output tokens"], gamma["cost (USD)"]) == (
        "generative",
        3200,
        160,
        0.032,
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_table_downloads_the_columns_shown(app, csv_log, page):
    """Every column shown is in the CSV, in the same order; a column shown as an interval's text
    ('75.0 [30.1, 95.4]', issue 13) comes with numeric `low` and `high` columns beside it (the column
    itself stays when it holds a number on its own, as a task's accuracy does)."""
    run(app, page)
    tables = [d.value for d in app.dataframe]
    assert tables, f"{page} shows no table"
    headers = [text.removeprefix("\ufeff").split("\n", 1)[0].split(",") for text in csv_log[-len(tables) :]]
    for table, header in zip(tables, headers):
        assert_csv_holds_the_table(table, header)
    assert len(app.get("download_button")) == len(tables)


def assert_csv_holds_the_table(table, header: list[str]) -> None:
    """A task shown under its readable header (MedMCQA) is its task id (medmcqa) in the CSV."""
    table = table.rename(columns={task_header(task): task for task in TASKS})
    for column in table.columns:
        if table[column].astype(str).str.contains(r"\[-?[\d.]+, -?[\d.]+\]").any():
            assert f"{column} low" in header and f"{column} high" in header, (column, header)
        else:
            assert column in header, (column, header)
    kept = [c for c in header if c in table.columns]
    assert kept == [c for c in table.columns if c in header]  # the same order


def test_empty_warehouse_says_how_to_fill_it(empty_path, monkeypatch):
    app = run(make_app(empty_path, monkeypatch))
    message = app.info[0].value
    assert "The warehouse is empty" in message and "medlb demo" in message and "medlb eval" in message
    assert not app.dataframe


def test_missing_warehouse_says_how_to_fill_it(tmp_path, monkeypatch):
    app = run(make_app(tmp_path / "nowhere.duckdb", monkeypatch))
    message = app.info[0].value
    assert "No warehouse yet" in message and "medlb demo" in message and "MEDLB_WAREHOUSE" in message


def test_warehouse_from_before_the_views_says_how_to_migrate(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute((MIGRATIONS_DIR / "001_init.sql").read_text()).fetchall()
    con.close()
    app = run(make_app(path, monkeypatch))
    message = app.info[0].value
    assert "needs a migration" in message and "medlb eval" in message


def test_a_writer_holding_the_lock_gives_a_busy_message(fixture_path, tmp_path, monkeypatch):
    path = tmp_path / "locked.duckdb"
    shutil.copy(fixture_path, path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(data, "READ_WAIT_SECONDS", 0.5)
        app = run(make_app(path, monkeypatch))
        message = app.info[0].value
        assert "The warehouse is busy" in message and "another process holds the DuckDB lock" in message
    finally:
        holder.kill()
        holder.wait()


def test_question_list_filters_live_in_the_url(app):
    """A copied link reproduces the filtered list, and each filter the user sets is written to the URL."""
    run(app, "app_pages/questions.py", task="medmcqa", subject="Pharmacology", show="split", q="QUESTION 3")
    assert app.selectbox(key="q_subject").value == "Pharmacology"
    assert app.radio(key="q_scope").value == "split"
    assert app.text_input(key="q_search").value == "QUESTION 3"
    assert frame(app, "questions-omll")["question_id"].tolist() == ["medmcqa/3"]
    app.radio(key="q_scope").set_value("everyone_wrong").run()
    app.selectbox(key="q_wrong_for").set_value(E["acme_v3"]).run()
    assert app.query_params["show"] == "everyone_wrong" and app.query_params["wrong"] == E["acme_v3"]
    app.text_input(key="q_search").set_value("").run()
    assert "q" not in app.query_params and app.query_params["subject"] == "Pharmacology"


def test_leaderboard_filters_and_sort_live_in_the_url(app, fixture_path, monkeypatch):
    """The link gives the same rows, in the same order, as setting the same widgets by hand."""
    run(app, q="med-7b", sort="medqa_4options", order="asc")
    assert (app.text_input(key="lb_search").value, app.selectbox(key="lb_sort").value) == ("med-7b", "medqa_4options")
    assert app.toggle(key="lb_desc").value is False
    linked = frame(app, "leaderboard-omll")
    assert linked["model"].str.contains("med-7b").all() and len(linked) == 4
    fresh = make_app(fixture_path, monkeypatch)
    run(fresh)
    fresh.text_input(key="lb_search").set_value("med-7b").run()
    fresh.selectbox(key="lb_sort").set_value("medqa_4options").run()
    fresh.toggle(key="lb_desc").set_value(False).run()
    assert frame(fresh, "leaderboard-omll")["model"].tolist() == linked["model"].tolist()
    assert dict(fresh.query_params) == {"q": "med-7b", "sort": "medqa_4options", "order": "asc"}


def test_a_leaderboard_link_reproduces_columns_interval_and_sort(app, fixture_path, monkeypatch):
    """cols, interval, sort and order from a link give the view a user gets by setting the same widgets;
    each widget the user sets is written back to the URL."""
    link = {"cols": "questions,coverage", "interval": "on", "sort": "mmlu_anatomy", "order": "asc"}
    run(app, **link)
    assert app.multiselect(key="lb_columns").value == ["questions", "coverage"]
    assert app.toggle(key="lb_interval").value is True
    assert (app.selectbox(key="lb_sort").value, app.toggle(key="lb_desc").value) == ("mmlu_anatomy", False)
    linked = frame(app, "leaderboard-omll")
    assert list(linked.columns)[:3] == ["rank", "model", "average"] and list(linked.columns)[-2:] == [
        "questions",
        "coverage",
    ]
    assert linked["Anatomy"].str.match(r"^[\d.]+ \[[\d.]+, [\d.]+\]$").all()  # the interval shown inline
    assert not app.warning
    fresh = make_app(fixture_path, monkeypatch)
    run(fresh)
    fresh.multiselect(key="lb_columns").set_value(["questions", "coverage"]).run()
    fresh.toggle(key="lb_interval").set_value(True).run()
    fresh.selectbox(key="lb_sort").set_value("mmlu_anatomy").run()
    fresh.toggle(key="lb_desc").set_value(False).run()
    assert frame(fresh, "leaderboard-omll").equals(linked)
    assert dict(fresh.query_params) == link
    fresh.multiselect(key="lb_columns").set_value([]).run()
    assert fresh.query_params["cols"] == "none"  # no optional column, as against the default's absent cols
    fresh.multiselect(key="lb_columns").set_value(["above chance?", "tie"]).run()
    assert "cols" not in fresh.query_params


def test_a_leaderboard_link_with_unknown_values_says_so(app):
    run(app, cols="questions,nope", interval="maybe", sort="frenchmedmcqa", order="up", types="alien")
    warnings = [w.value.replace("\\", "") for w in app.warning]
    assert len(warnings) == 5, warnings
    assert any("**cols**" in w and "nope" in w and "left out" in w for w in warnings)
    assert any("**interval**" in w and "maybe" in w and "Plain numbers instead" in w for w in warnings)
    assert any("**sort**" in w and "frenchmedmcqa" in w and "average instead" in w for w in warnings)
    assert any("**order**" in w and "up" in w for w in warnings)
    assert any("**types**" in w and "alien" in w for w in warnings)
    assert app.multiselect(key="lb_columns").value == ["questions"]  # the known part of the link kept
    assert app.selectbox(key="lb_sort").value == "average" and app.toggle(key="lb_interval").value is False
    app.toggle(key="lb_desc").set_value(True).run()  # the next run has written the URL: no stale warning
    assert not app.warning
    app = run(app, cols="nope")
    assert app.multiselect(key="lb_columns").value == ["tie", "above chance?"]
    assert "Showing the default columns (tie, above chance?) instead." in app.warning[0].value.replace("\\", "")


def test_question_matrix_shows_each_version_right_wrong_or_invalid(app, fixture_path, csv_log):
    """The matrix under the list: the listed questions x model versions, cells read back against the raw
    counted rows (the generative entry's unreadable answer to mmlu_anatomy/2 is 'invalid'), exported."""
    from dashboard.page_frames.labels import display_labels
    from warehouse import queries
    from warehouse.db import read_connection

    run(app, "app_pages/questions.py", task="mmlu_anatomy")
    shown = frame(app, "question-matrix-omll")
    listed = frame(app, "questions-omll")["question_id"].tolist()
    assert shown["question_id"].tolist() == listed and len(listed) == 4
    with read_connection(fixture_path) as con:
        labels = display_labels(queries.entries(con))
        rows = con.execute(
            "SELECT entry_id, question_id, correct, status FROM counted_predictions WHERE task = 'mmlu_anatomy'"
        ).fetchall()
    assert len(rows) == 4 * 6
    for entry, question, correct, status in rows:
        expected = "invalid" if status == "invalid" else ("right" if correct else "wrong")
        assert shown.set_index("question_id").loc[question, labels[entry]] == expected
    invalid = shown.set_index("question_id").loc["mmlu_anatomy/2"]
    assert invalid["gen-api · 2024-05-01 · generative"] == "invalid" and invalid["invalid"] == 1
    assert (shown["right"] + shown["wrong"] + shown["invalid"]).tolist() == [6, 6, 6, 6]
    exported = next(text for text in csv_log if "gen-api · 2024-05-01 · generative" in text and "invalid" in text)
    assert exported.splitlines()[0].endswith(",right,wrong,invalid")


def test_leaderboard_size_filter_lives_in_the_url(app):
    """The fixture's sizes: med-7b 7B (four entries), clinical-1b 1.1B, gen-api unknown."""
    run(app, size="1-2")
    assert tuple(app.slider(key="lb_size").value) == (1.1, 2.0)  # 1 is clipped to the smallest size, 1.1
    assert sorted(frame(app, "leaderboard-omll")["model"]) == ["clinical-1b · v1", "gen-api · 2024-05-01 · generative"]
    app.checkbox(key="lb_unknown").uncheck().run()
    assert frame(app, "leaderboard-omll")["model"].tolist() == ["clinical-1b · v1"]
    assert app.query_params["unknown"] == "no" and app.query_params["size"] == "1.1-2"


def test_every_registered_task_has_a_distinct_readable_name():
    titles = [task_title(task) for task in TASKS]
    headers = [task_header(task) for task in TASKS]
    assert len(set(titles)) == len(titles) == len(set(headers)) == len(TASKS)
    assert [t for t in TASKS if task_title(t) == t] == []  # no task falls back to its id
    assert task_title("medqa_4options") == "MedQA" and task_title("mmlu_anatomy") == "MMLU Anatomy"


def test_the_leaderboard_shows_readable_task_names_with_the_id_in_the_tooltip(app, csv_log):
    run(app)
    board = frame(app, "leaderboard-omll")
    assert {c for c in board.columns if c in {task_header(t) for t in TASKS}} == {
        "MedQA", "MedMCQA", "PubMedQA", "Anatomy", "Clin. knowl.", "Coll. bio.", "Coll. med.", "Med. genet.", "Prof. med."
    }  # fmt: skip
    config = json.loads(app.dataframe[0].proto.columns)
    assert "MMLU Clinical Knowledge" in config["Clin. knowl."]["help"]
    assert "mmlu_clinical_knowledge" in config["Clin. knowl."]["help"]
    assert config["model"]["pinned"] is True  # the model column stays in view while the grid scrolls
    header = csv_log[-1].removeprefix("\ufeff").split("\r\n", 1)[0].split("\n", 1)[0]
    assert "mmlu_clinical_knowledge" in header.split(",")  # the CSV keeps the task ids
    assert app.selectbox(key="lb_sort").format_func("mmlu_anatomy") == "MMLU Anatomy"


def test_questions_back_returns_to_the_filtered_list_and_steps_through_it(app):
    """Open the second question of a filtered list: Back keeps exactly those filters (no task filter the
    user never set), and previous/next walk the same list."""
    run(app, "app_pages/questions.py", task="mmlu_anatomy", show="different")
    listed = frame(app, "questions-omll")["question_id"].tolist()
    filters = {"task": "mmlu_anatomy", "show": "different"}
    assert len(listed) >= 3 and dict(app.query_params) == filters
    app.query_params["question"] = listed[1]  # what selecting the list's second row writes
    app.run()
    assert app.caption[0].value == f"Question 2 of {len(listed)} in the list"
    app.button(key="q_next").click().run()
    assert app.query_params["question"] == listed[2]
    app.button(key="q_previous").click().run()
    app.button(key="q_previous").click().run()
    assert app.query_params["question"] == listed[0] and app.button(key="q_previous").disabled
    app.button(key="q_back").click().run()
    assert dict(app.query_params) == filters
    assert (app.selectbox(key="q_task").value, app.radio(key="q_scope").value) == ("mmlu_anatomy", "different")
    assert frame(app, "questions-omll")["question_id"].tolist() == listed
