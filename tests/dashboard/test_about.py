"""The About page: its dataset table against the vendored files (sha256 and counts worked out here from
the files themselves), its statistics notes naming the methods the pages use, and the page itself."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from dashboard.page_frames import methodology
from tests.dashboard.test_app import frame, run
from tests.helpers import make_app

DATA = Path(__file__).resolve().parents[2] / "pipeline" / "benchmarks" / "data"


@pytest.fixture(scope="module")
def datasets():
    return {row["task"]: row for row in methodology.dataset_table().iter_rows(named=True)}


def test_every_sha256_is_the_vendored_files(datasets):
    assert len(datasets) >= 12  # the nine, FrenchMedMCQA and HEAD-QA in two languages
    for task, row in datasets.items():
        assert row["sha256"] == hashlib.sha256((DATA / row["file"]).read_bytes()).hexdigest(), task


def test_counts_against_the_files(datasets):
    medqa = DATA / datasets["medqa_4options"]["file"]
    assert datasets["medqa_4options"]["questions"] == sum(1 for line in medqa.open() if line.strip()) == 1273
    for task in [t for t in datasets if t.startswith("mmlu_")]:
        with (DATA / datasets[task]["file"]).open(newline="", encoding="utf-8") as handle:
            assert datasets[task]["questions"] == sum(1 for _ in csv.reader(handle)), task
    pubmedqa = json.loads((DATA / datasets["pubmedqa"]["file"]).read_text(encoding="utf-8"))
    assert datasets["pubmedqa"]["questions"] == len(pubmedqa) == 500
    french = json.loads((DATA / datasets["frenchmedmcqa"]["file"]).read_text(encoding="utf-8"))
    assert datasets["frenchmedmcqa"]["questions"] == len(french)
    # HEAD-QA leaves out its image questions, and says how many
    exams = json.loads((DATA / datasets["headqa_en"]["file"]).read_text(encoding="utf-8"))["exams"]
    all_questions = sum(len(exam["data"]) for exam in exams.values())
    with_image = sum(1 for exam in exams.values() for q in exam["data"] if q.get("image"))
    row = datasets["headqa_en"]
    assert (row["questions"], row["excluded"]) == (all_questions - with_image, with_image)


def test_statistics_notes_name_the_methods():
    notes = {name: (what, misleads) for name, what, misleads in methodology.statistics_notes()}
    assert "Wilson score" in notes["accuracy interval"][0]
    assert "Newcombe" in notes["difference B − A"][0]
    assert "Holm" in notes["Holm p"][0]
    assert "letter-position bias" in notes["chance and above chance?"][1]
    assert "fewer than 10 answers" in notes["small slices"][0]


def test_about_page_on_the_fixture(fixture_path, monkeypatch):
    app = run(make_app(fixture_path, monkeypatch), "app_pages/about.py")
    assert app.title[0].value == "About: how these numbers are made"
    assert len(frame(app, "about-datasets")) == len(methodology.dataset_table())
    hashes = frame(app, "about-prompt-hashes")
    assert set(hashes["prompt_hash"]) == {"lmeval0000000001", "generative000001"}
    commands = frame(app, "about-reproduce")
    assert len(commands) == 7  # every run of the fixture
    by_run = dict(zip(commands["run id"], commands["command"]))
    assert by_run["run-acme-1"] == "medlb eval --model acme/med-7b --revision rev-acme-1 --tasks omll"
    assert by_run["run-acme-3-5shot"] == "medlb eval --model acme/med-7b --revision rev-acme-3 --tasks omll --shots 5"
    assert by_run["run-gamma"] == (
        "medlb eval --model gamma/gen-api --revision 2024-05-01 --tasks omll --scoring-mode generative"
    )
    assert by_run["run-acme-2-new"].startswith("imported (imported, backend lm-eval)")


def test_stray_escapes_are_shown_as_the_source_has_them(tmp_path, monkeypatch):
    """MedMCQA's dev file writes "cow\\'s milk" (a stray backslash): the question view shows that backslash
    as plain text, and the About page says so (in a code span, where markdown keeps a backslash)."""
    from pipeline import benchmarks
    from tests.fixtures.builder import Rows, Run, build_warehouse, pattern_answer, run_spec
    from warehouse.records import ModelInfo, TaskInfo, version_id_for

    rows = (json.loads(line) for line in (DATA / "medmcqa" / "dev.json").open(encoding="utf-8"))
    raw = next(row for row in rows if "cow\\'s" in row["question"])
    question = next(q for q in benchmarks.load_questions("medmcqa") if q.source_id == raw["id"])
    assert question.text == raw["question"] and "cow\\'s milk" in question.text
    model = ModelInfo(name="m/one", revision="r", source="local")
    spec = run_spec("run", version_id_for(model.name, "r", ""), ["medmcqa"])
    info = TaskInfo(task="medmcqa", benchmark="medmcqa", split="validation", source="fixture")
    path = build_warehouse(
        tmp_path / "w.duckdb",
        Rows([(info, 1)], [question], [model], [Run(spec, [pattern_answer("run", question, True)])]),
    )
    app = make_app(path, monkeypatch)
    run(app, "app_pages/questions.py", question=question.id, task="medmcqa")
    assert raw["question"] in [text.value for text in app.text]
    run(app, "app_pages/about.py")
    assert any("`cow\\'s milk` keeps its backslash" in caption.value for caption in app.caption)


def test_the_tables_give_readable_names_beside_the_ids(datasets):
    assert datasets["medqa_4options"]["task name"] == "MedQA"
    assert datasets["mmlu_anatomy"]["task name"] == "MMLU Anatomy"
    protocol = {row["task"]: row for row in methodology.protocol_table().iter_rows(named=True)}
    assert protocol["pubmedqa"]["task name"] == "PubMedQA"
