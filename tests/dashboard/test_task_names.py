"""Readable task names on every page that lists tasks (issue 13): the screen says "MedQA" and "MMLU Anatomy",
the task id is in the tooltip (a column's help, a chart's hover) and stays in the CSV, in `task` beside
`task name`. The names are the registry's (pipeline.benchmarks.registry.TASK_TITLES), written out here."""

from __future__ import annotations

import json

import pytest

from dashboard import widgets
from dashboard.page_frames import labels
from tests.dashboard.test_app import csv_log, frame, run  # noqa: F401 (csv_log is a fixture)
from tests.fixtures.analysis_warehouse import ENTRIES as ANALYSIS
from tests.fixtures.analysis_warehouse import build_analysis_warehouse
from tests.fixtures.warehouse import ENTRIES as E
from tests.helpers import make_app

OMLL_NAMES = {
    "medmcqa": "MedMCQA",
    "medqa_4options": "MedQA",
    "mmlu_anatomy": "MMLU Anatomy",
    "mmlu_clinical_knowledge": "MMLU Clinical Knowledge",
    "mmlu_college_biology": "MMLU College Biology",
    "mmlu_college_medicine": "MMLU College Medicine",
    "mmlu_medical_genetics": "MMLU Medical Genetics",
    "mmlu_professional_medicine": "MMLU Professional Medicine",
    "pubmedqa": "PubMedQA",
}


def column_help(app, index: int, column: str) -> str:
    return json.loads(app.dataframe[index].proto.columns)[column]["help"]


def test_compare_names_tasks_in_tables_selector_and_chart(app):
    run(app, "app_pages/compare.py", models=f"{E['acme_v2']},{E['acme_v3']}", task="medqa_4options")
    per_task = frame(app, "compare-per-task")
    assert per_task["task"].tolist() == [*OMLL_NAMES.values(), "all tasks (pooled)"]
    assert column_help(app, 0, "task") == widgets.TASK_COLUMN_HELP  # says where the id is
    assert frame(app, "compare-discordant")["task"].tolist() == ["MedQA", "MedQA"]
    picker = app.selectbox(key="compare_task")
    assert picker.value == "medqa_4options" and picker.options[1:] == list(OMLL_NAMES.values())
    assert app.query_params["task"] == "medqa_4options"  # the link keeps the id
    bars = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert "MedQA · step1 (n=2)" in bars["y"] and not any("medqa_4options" in y for y in bars["y"])
    assert "medqa_4options" in {row[3] for row in bars["customdata"]}  # the id in the hover


def test_history_names_tasks_in_headers_flips_and_lines(app):
    run(app, "app_pages/history.py", model="acme/med-7b", config="0:loglikelihood")
    versions = frame(app, "history-acme_med-7b")
    assert {"MedQA", "MedMCQA", "Anatomy", "Prof. med."} <= set(versions.columns)
    assert "medqa_4options" not in versions.columns
    assert "medqa_4options" in column_help(app, 0, "MedQA") and "MedQA" in column_help(app, 0, "MedQA")
    flips = frame(app, "history-flips-acme_med-7b")
    assert set(flips["task"]) == {"all tasks (pooled)", *OMLL_NAMES.values()}
    lines = json.loads(app.get("plotly_chart")[0].proto.spec)["data"]
    assert sorted(line["name"] for line in lines) == sorted(OMLL_NAMES.values())
    assert {line["meta"] for line in lines} == set(OMLL_NAMES)  # each line's hover names its id
    assert app.selectbox(key="history_task").options[1:] == list(OMLL_NAMES.values())


def test_slices_names_tasks_benchmarks_and_slices(app):
    run(app, "app_pages/slices.py")
    assert app.multiselect(key="slices_benchmarks").options == ["MedMCQA", "MedQA", "MMLU"]
    slices = set(frame(app, "slices-omll")["slice"])
    assert {"MMLU Anatomy", "MedQA: step1", "MedMCQA: Pharmacology"} <= slices
    assert not any(s.startswith(("mmlu", "medqa", "medmcqa")) for s in slices)
    heatmap = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert "MMLU Anatomy" in heatmap["x"] and "MedQA: step2&amp;3" in heatmap["x"]  # safe() escapes '&'
    hardest = frame(app, "items-hardest-omll")
    assert set(hardest["task"]) <= set(OMLL_NAMES.values()) and "MedQA" in set(hardest["task"])
    assert app.selectbox(key="items_task").options[1:] == list(OMLL_NAMES.values())


@pytest.fixture(scope="module")
def analysis_path(tmp_path_factory):
    return build_analysis_warehouse(tmp_path_factory.mktemp("analysis") / "names.duckdb")


def test_calibration_and_robustness_name_their_tasks(analysis_path, monkeypatch):
    app = run(make_app(analysis_path, monkeypatch), "app_pages/calibration.py", entry=ANALYSIS["alpha"])
    assert frame(app, "calibration-per-task")["task"].tolist() == ["MedMCQA", "MedQA"]
    assert [s.value for s in app.subheader][-1] == "Every model version on MedMCQA"
    app = run(make_app(analysis_path, monkeypatch), "app_pages/robustness.py", entry=ANALYSIS["bravo"])
    assert "MedQA" in set(frame(app, "robustness-permutations")["task"])
    assert "MedQA" in app.selectbox(key="rob_task").options


def test_the_csv_keeps_the_task_id_beside_its_name(app, csv_log):  # noqa: F811
    """Exact text of the Compare page's discordant questions (A = v2 got medqa_4options/0 and /3 right, v3
    wrong; their subjects and texts are the fixture's patterns)."""
    run(app, "app_pages/compare.py", models=f"{E['acme_v2']},{E['acme_v3']}", task="medqa_4options")
    exported = next(text for text in csv_log if text.startswith("\ufeffquestion_id,"))
    assert exported == (
        "\ufeffquestion_id,task,task name,subject,text,right answer by\n"
        "medqa_4options/0,medqa_4options,MedQA,step1,medqa_4options question 0: which option is right?,A\n"
        "medqa_4options/3,medqa_4options,MedQA,step2&3,medqa_4options question 3: which option is right?,A\n"
    )
    per_task = next(text for text in csv_log if text.startswith("\ufeffmodel A,"))
    lines = per_task.splitlines()
    assert lines[0].startswith("\ufeffmodel A,model B,task,task name,n,")
    assert lines[1].split(",")[2:4] == ["medmcqa", "MedMCQA"]
    assert lines[-1].split(",")[2:4] == ["all tasks (pooled)", "all tasks (pooled)"]


def test_task_labels_helpers():
    assert labels.slice_title("mmlu", "anatomy") == "MMLU Anatomy"  # the slice is the whole task
    assert labels.slice_title("medmcqa", "Anatomy") == "MedMCQA: Anatomy"
    assert labels.benchmark_title("headqa") == "HEAD-QA" and labels.benchmark_title("custom") == "custom"


def test_the_leaderboard_chart_names_the_sorted_task(app):
    run(app, sort="mmlu_anatomy")
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"].startswith("MMLU Anatomy (mmlu_anatomy), top 6")
    assert figure["layout"]["xaxis"]["title"]["text"] == "MMLU Anatomy (mmlu_anatomy) accuracy (%)"


def test_runs_name_their_tasks_and_the_csv_keeps_the_ids(app, csv_log):  # noqa: F811
    run(app, "app_pages/runs.py")
    runs = frame(app, "runs")
    assert {task for cell in runs["tasks"] for task in cell.split(", ")} == set(OMLL_NAMES.values())
    exported = next(text for text in csv_log if ",tasks," in text.splitlines()[0])
    ids = {
        task for line in exported.splitlines()[1:] for task in OMLL_NAMES if f"{task}," in line or f'{task}"' in line
    }
    assert ids == set(OMLL_NAMES) and "MMLU Anatomy" not in exported
