"""The beyond-accuracy pages (calibration, robustness & bias, slices & items), the leaderboard's optional
quality columns and the question view's variant answers, through AppTest on tests/fixtures/analysis_warehouse.py,
whose numbers are worked out by hand in its docstring. Plus the empty states on a warehouse that holds
only a generative model (no probabilities, no perturbed predictions)."""

from __future__ import annotations

import math

import pytest

from dashboard import widgets
from tests.dashboard.test_app import assert_csv_holds_the_table, frame, run
from tests.fixtures.analysis_warehouse import ENTRIES, LABELS, RAW_INVALID, build_analysis_warehouse
from tests.helpers import make_app

E, L = ENTRIES, LABELS
NEW_PAGES = ["app_pages/calibration.py", "app_pages/robustness.py", "app_pages/slices.py"]


@pytest.fixture(scope="module")
def analysis_path(tmp_path_factory):
    return build_analysis_warehouse(tmp_path_factory.mktemp("analysis") / "accuracy.duckdb")


@pytest.fixture(scope="module")
def generative_only_path(tmp_path_factory):
    return build_analysis_warehouse(tmp_path_factory.mktemp("generative") / "generative.duckdb", models=("charlie",))


@pytest.fixture
def app(analysis_path, monkeypatch):
    return make_app(analysis_path, monkeypatch)


def rows(table, column, value):
    return table[table[column] == value].iloc[0]


def test_calibration_page_hand_computed(app):
    run(app, "app_pages/calibration.py", entry=E["alpha"], task="medqa_4options")
    assert app.selectbox(key="cal_entry").value == E["alpha"]
    per_task = frame(app, "calibration-per-task")
    assert per_task["task"].tolist() == ["MedMCQA", "MedQA"]  # the omll tasks only, by their readable names
    medqa = rows(per_task, "task", "MedQA")
    # confidences .7 (right), .4 (wrong), .5 (right), .9 (right), each alone in its bin:
    # ECE = (|1-.7| + |0-.4| + |1-.5| + |1-.9|) / 4
    ece = (abs(1 - 0.7) + abs(0 - 0.4) + abs(1 - 0.5) + abs(1 - 0.9)) / 4
    assert medqa["ECE"] == pytest.approx(round(ece, 3)) == 0.325
    # Brier: sum over options of (p - y)^2, averaged over the four questions
    brier = (
        sum(
            [
                (0.7 - 1) ** 2 + 3 * 0.1**2,
                0.4**2 + (0.3 - 1) ** 2 + 0.2**2 + 0.1**2,
                0.2**2 + 0.2**2 + (0.5 - 1) ** 2 + 0.1**2,
                0.02**2 + 0.03**2 + 0.05**2 + (0.9 - 1) ** 2,
            ]
        )
        / 4
    )
    assert medqa["Brier"] == pytest.approx(round(brier, 3)) == 0.293
    # most confident first: .9 R, .7 R | .5 R, .4 W -> 2/2 at 50%, 3/4 at 80% (ceil 3.2 = 4) and 100%
    assert (medqa["acc @ 50%"], medqa["acc @ 80%"], medqa["acc @ 100%"], medqa["accuracy %"]) == (
        100.0,
        75.0,
        75.0,
        75.0,
    )
    medmcqa = rows(per_task, "task", "MedMCQA")
    assert (medmcqa["ECE"], medmcqa["Brier"], medmcqa["mean confidence %"]) == (0.1, 0.43, 65.0)
    models = frame(app, "calibration-models")  # every entry with probabilities on medqa; charlie has none
    assert models["model"].tolist() == [L["bravo"], L["alpha"]]  # best calibrated (lowest ECE) first
    assert models["ECE"].tolist() == [0.15, 0.325]  # bravo: confidence .4 everywhere, accuracy .25
    assert app.query_params["entry"] == E["alpha"] and app.query_params["task"] == "medqa_4options"
    assert len(app.get("plotly_chart")) == 2


def test_robustness_page_always_a_and_content_follower(app):
    run(app, "app_pages/robustness.py", entry=E["bravo"])
    table = frame(app, "robustness-permutations")
    bravo = rows(table, "task", "MedQA")
    # always "A": in each rotation "A" is another option's content, so no question is consistent
    assert (bravo["questions"], bravo["permutations"], bravo["consistent"], bravo["consistency %"]) == (4, 3, 0, 0.0)
    assert (bravo["accuracy %"], bravo["mean accuracy %"], bravo["worst case %"]) == (25.0, 25.0, 0.0)
    letters = frame(app, "robustness-letters")
    assert letters[["letter", "chosen", "gold"]].values.tolist() == [
        ["A", 16, 4],
        ["B", 0, 4],
        ["C", 0, 4],
        ["D", 0, 4],
    ]
    chi2 = (16 - 4) ** 2 / 4 + 3 * (0 - 4) ** 2 / 4
    assert any(f"χ² = {chi2:.2f}, 3 degrees of freedom" in c.value for c in app.caption)

    app.selectbox(key="rob_entry").set_value(E["alpha"]).run()
    alpha = rows(frame(app, "robustness-permutations"), "task", "MedQA")
    assert (alpha["consistent"], alpha["consistency %"], alpha["worst case %"]) == (3, 75.0, 75.0)
    assert alpha["mean accuracy %"] == pytest.approx((0.75 + 0.75 + 1 + 0.75) / 4 * 100, abs=0.051)
    assert app.query_params["entry"] == E["alpha"]


def test_bias_probe_flip_rates_with_wilson_interval(app):
    run(app, "app_pages/robustness.py")
    rates = frame(app, "bias-flip-rates")
    by = {(r["model"], r["attribute"]): r for _, r in rates.iterrows()}
    assert set(by) == {(L["alpha"], "sex"), (L["alpha"], "race"), (L["bravo"], "sex")}
    sex = by[(L["alpha"], "sex")]
    # 1 flip in 4; Wilson: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    z, n, p = 1.959963984540054, 4, 0.25
    center, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n),
    )
    assert (sex["n"], sex["flips"], sex["flip rate %"]) == (4, 1, 25.0)
    assert (
        (sex["95% low"], sex["95% high"])
        == (round((center - half) * 100, 1), round((center + half) * 100, 1))
        == (4.6, 69.9)
    )
    assert (sex["accuracy original %"], sex["accuracy counterfactual %"]) == (75.0, 100.0)
    race = by[(L["alpha"], "race")]
    assert (race["n"], race["flips"], race["95% low"], race["95% high"]) == (
        2,
        0,
        0.0,
        round(z * z / (2 + z * z) * 100, 1),
    )
    assert by[(L["bravo"], "sex")]["flips"] == 0
    flipped = frame(app, "bias-flipped")
    assert flipped[["question_id", "model", "attribute", "direction"]].values.tolist() == [
        ["medqa_4options/1", L["alpha"], "sex", "to right"]
    ]


def test_slices_heatmap_and_item_quality(app):
    run(app, "app_pages/slices.py")
    table = frame(app, "slices-omll")
    # One row per (model, slice) with its n; every slice here has 2 answers, under the minimum of 10, so
    # each is marked (issue 13) and carries its 95% Wilson interval: 2/2 [34.2, 100.0] (low n/(n+z²)),
    # 1/2 [9.5, 90.5], 0/2 [0.0, 65.8].
    assert table.columns.tolist() == ["model", "slice", "n", "accuracy %"]
    alpha = table[table["model"] == L["alpha"]]
    assert alpha["slice"].tolist() == ["MedMCQA: Anatomy", "MedMCQA: Pharmacology", "MedQA: step1", "MedQA: step2&3"]
    assert alpha["n"].tolist() == [2, 2, 2, 2]
    assert alpha["accuracy %"].tolist() == [
        "⚠ 100.0 [34.2, 100.0] (n < 10)",
        "⚠ 50.0 [9.5, 90.5] (n < 10)",
        "⚠ 50.0 [9.5, 90.5] (n < 10)",
        "⚠ 100.0 [34.2, 100.0] (n < 10)",
    ]
    charlie = table[table["model"] == L["charlie"]]  # the invalid answer (medqa q2) counts as wrong
    assert [text.split(" [")[0] for text in charlie["accuracy %"]] == ["⚠ 50.0", "⚠ 50.0", "⚠ 100.0", "⚠ 0.0"]
    assert charlie["accuracy %"].tolist()[-1] == "⚠ 0.0 [0.0, 65.8] (n < 10)"
    assert len(app.get("plotly_chart")) == 1

    wrong = frame(app, "items-everyone-wrong-omll")
    assert wrong["question_id"].tolist() == ["medmcqa/3"]
    hardest = frame(app, "items-hardest-omll")
    assert hardest["question_id"].tolist()[:5] == [
        "medmcqa/3",
        "medmcqa/1",
        "medqa_4options/1",
        "medqa_4options/2",
        "medqa_4options/3",
    ]
    q2 = rows(hardest, "question_id", "medqa_4options/2")
    # right only for alpha; leave-item-out abilities alpha 5/7, bravo 1/7, charlie 4/7 -> r = 15 / sqrt(468)
    assert (q2["takers"], q2["right"], q2["difficulty %"]) == (3, 1, 33.3)
    assert q2["discrimination"] == round(15 / math.sqrt(468), 3) == 0.693
    app.selectbox(key="items_task").set_value("medqa_4options").run()
    assert frame(app, "items-everyone-wrong-omll").empty
    assert app.query_params["task"] == "medqa_4options"


def test_leaderboard_quality_columns_are_optional(app):
    run(app)
    groups = app.selectbox(key="task_group").options
    assert {"omll", "french", "spanish"} <= {g.split(" (")[0] for g in groups}
    board = frame(app, "leaderboard-omll")
    assert "ECE" not in board.columns and "Brier" not in board.columns  # off by default
    assert "EMR" not in app.multiselect(key="lb_columns").options  # no multi-answer task in omll
    app.multiselect(key="lb_columns").set_value(["ECE", "Brier"]).run()
    board = frame(app, "leaderboard-omll")
    alpha, charlie = rows(board, "model", L["alpha"]), rows(board, "model", L["charlie"])
    assert alpha["ECE"] == pytest.approx((0.325 + 0.1) / 2, abs=6e-4)  # mean over the group's tasks
    assert alpha["Brier"] == pytest.approx((0.29345 + 0.43) / 2, abs=6e-4)
    assert math.isnan(charlie["ECE"])  # generative: no probabilities

    app.selectbox(key="task_group").set_value("french").run()
    app.multiselect(key="lb_columns").set_value(["EMR", "Hamming"]).run()
    board = frame(app, "leaderboard-french")
    assert board[["model", "EMR", "Hamming"]].values.tolist() == [[L["alpha"], 50.0, 75.0], [L["bravo"], 0.0, 25.0]]
    app.selectbox(key="task_group").set_value("spanish").run()
    app.toggle(key="lb_interval").set_value(True).run()
    # 2/2 and 1/2 with Wilson intervals (were "100.0 ± 0.0" and "50.0 ± 50.0")
    assert frame(app, "leaderboard-spanish")["HEAD-QA (es)"].tolist() == ["100.0 [34.2, 100.0]", "50.0 [9.5, 90.5]"]


def test_question_view_variants_and_raw_output(app):
    run(app, "app_pages/questions.py", question="medqa_4options/1", task="medqa_4options")
    variants = frame(app, "question-medqa_4options_1-variants")
    bravo = variants[variants["model"] == L["bravo"]]
    # bravo picks the shown "A" each time: in perm1 that is the original B (heparin), the gold
    assert bravo[["variant", "shown", "answer", "correct"]].values.tolist() == [
        ["cf_sex", "A", "A. aspirin", False],
        ["perm1", "A", "B. heparin", True],
        ["perm2", "A", "C. warfarin", False],
        ["perm3", "A", "D. insulin", False],
    ]
    alpha = variants[variants["model"] == L["alpha"]]
    assert alpha[["variant", "shown", "answer"]].values.tolist() == [
        ["cf_sex", "B", "B. heparin"],
        ["perm1", "D", "A. aspirin"],
        ["perm2", "D", "B. heparin"],
        ["perm3", "B", "A. aspirin"],
    ]

    run(app, "app_pages/questions.py", question="medqa_4options/2", task="medqa_4options")
    texts = [t.value for t in app.text]
    assert RAW_INVALID in texts and f"{L['charlie']}:" in texts


def test_question_view_raw_output_on_the_main_fixture(fixture_path, monkeypatch):
    app = run(
        make_app(fixture_path, monkeypatch), "app_pages/questions.py", question="mmlu_anatomy/2", task="mmlu_anatomy"
    )
    assert "I cannot answer that." in [t.value for t in app.text]
    # a variant name the analysis does not know ('perm:1' in the main fixture) keeps its shown position only
    app = run(
        make_app(fixture_path, monkeypatch),
        "app_pages/questions.py",
        question="medqa_4options/1",
        task="medqa_4options",
    )
    variants = frame(app, "question-medqa_4options_1-variants")
    # beta's wrong answer to q1 (gold B) is option C: shown as is, since 'perm:1' names no known rotation
    assert variants[["model", "variant", "answer"]].values.tolist() == [
        ["clinical-1b · v1", "perm:1", "position C (unknown option order)"]
    ]


@pytest.mark.parametrize("page", NEW_PAGES)
def test_new_pages_download_the_columns_shown(app, monkeypatch, page):
    made = []
    original = widgets.to_csv
    monkeypatch.setattr(widgets, "to_csv", lambda f: made.append(original(f)) or made[-1])
    run(app, page)
    tables = [d.value for d in app.dataframe]
    assert tables, f"{page} shows no table"
    for table, text in zip(tables, made[-len(tables) :]):
        assert_csv_holds_the_table(table, text.removeprefix("\ufeff").split("\n", 1)[0].split(","))
    assert len(app.get("download_button")) == len(tables)


def test_empty_states_say_how_to_produce_the_data(generative_only_path, monkeypatch):
    app = run(make_app(generative_only_path, monkeypatch), "app_pages/robustness.py")
    infos = [i.value for i in app.info]
    assert any("No permuted predictions" in i and "--permute-options 3" in i for i in infos)
    assert any("No counterfactual" in i and "--bias-probe" in i for i in infos)
    assert not app.dataframe
    app = run(make_app(generative_only_path, monkeypatch), "app_pages/calibration.py")
    assert "No answers with option probabilities" in app.info[0].value
    app = run(make_app(generative_only_path, monkeypatch), "app_pages/slices.py")
    assert frame(app, "items-everyone-wrong-omll").empty  # one taker: it still lists, nothing everyone-wrong
