"""`medlb import lm-eval` on real lm-evaluation-harness 0.4.13 output (tests/fixtures/lm_eval/README.md)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from pipeline import benchmarks
from pipeline.importers.lm_eval import (
    QuestionIndex,
    checked_samples,
    import_lm_eval,
    model_info,
    sample_loglikelihoods,
    samples_path,
)
from tests.helpers import query
from warehouse.records import Question

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "lm_eval" / "output"
RESULTS = next(FIXTURE.rglob("results_*.json"))
# Rows of each source file the fixture's questions were copied from (see the fixture README).
ROWS = {"medqa_4options": [7, 402, 851, 1270], "medmcqa": [5, 1500, 3000, 4180], "pubmedqa": [0, 125, 250, 499]}
ROWS.update({task: [1, 30, 60, 99] for task in benchmarks.MMLU_TASKS})


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm_eval") / "w.duckdb"
    return path, import_lm_eval(path, FIXTURE)


def test_every_sample_lands_on_the_question_it_was_copied_from(imported):
    path, report = imported
    assert (report.runs_added, report.predictions_added, report.unmatched_samples) == (1, 36, 0)
    assert report.skipped_tasks == [] and report.refused == []
    found = {
        task: sorted(qid for (qid,) in query(path, "SELECT question_id FROM predictions WHERE task = ?", [task]))
        for task in benchmarks.OMLL_TASKS
    }
    for task, rows in ROWS.items():
        questions = benchmarks.load_questions(task)
        assert found[task] == sorted(questions[r].id for r in rows), task


def test_per_question_loglikelihoods_and_accuracy_are_lm_evals(imported):
    path, _ = imported
    results = json.loads(RESULTS.read_text())
    for task in benchmarks.OMLL_TASKS:
        [(acc,)] = query(path, "SELECT avg(correct::INTEGER) FROM predictions WHERE task = ?", [task])
        assert acc == pytest.approx(results["results"][task]["acc,none"]), task
        stored = sorted(
            tuple(lls) for (lls,) in query(path, "SELECT loglikelihoods FROM predictions WHERE task = ?", [task])
        )
        logged = sorted(sample_loglikelihoods(s.record) for s in checked_samples(samples_path(RESULTS, task)))
        assert stored == logged, task
    for pred, lls, probs, correct, golds in query(
        path, "SELECT pred, loglikelihoods, probs, correct, golds FROM predictions"
    ):
        assert pred == lls.index(max(lls))
        assert sum(probs) == pytest.approx(1.0)
        assert correct == (golds == [pred])


def test_run_records_provenance_model_and_lm_eval_config(imported):
    path, report = imported
    [(run_id, backend, provenance, scoring, shots, prompt_version, packages, settings, status, n, seconds)] = query(
        path,
        "SELECT run_id, backend, provenance, scoring_mode, num_fewshot, prompt_version, packages, settings, "
        "status, n_predictions, seconds FROM runs",
    )
    assert report.run_ids == [run_id]
    assert (backend, provenance, scoring, shots, status, n) == (
        "lm-eval",
        "imported",
        "loglikelihood",
        0,
        "complete",
        36,
    )
    assert prompt_version == "lm-eval-0.4.13"
    assert json.loads(packages) == {"lm_eval": "0.4.13", "transformers": "5.24.0", "torch": "2.13.0+cpu"}
    settings = json.loads(settings)
    assert settings["config"]["model_args"] == {
        "pretrained": "/tmp/medlb_lmeval/SmolLM2-135M-Instruct",
        "dtype": "float32",
    }
    assert settings["configs"]["medmcqa"]["dataset_path"] == "json"
    assert "pretty_env_info" not in settings
    assert seconds == pytest.approx(161.131, abs=1e-3)
    [(started, finished)] = query(path, "SELECT started_at, finished_at FROM runs")
    assert started == datetime(2026, 11, 27, 13, 57, 21, 375893)  # lm-eval's "date", not the import's
    assert (finished - started).total_seconds() == pytest.approx(161.131, abs=1e-3)
    [(model_id, revision, n_params, source)] = query(
        path, "SELECT v.model_id, v.revision, v.n_params, m.source FROM model_versions v JOIN models m USING (model_id)"
    )
    assert (model_id, revision, n_params, source) == (
        "/tmp/medlb_lmeval/SmolLM2-135M-Instruct",
        "unrecorded",
        134515008,
        "local",
    )


def test_reimporting_the_same_output_adds_nothing(imported):
    path, first = imported
    before = query(path, "SELECT * FROM predictions ORDER BY ALL")
    again = import_lm_eval(path, FIXTURE)
    assert (again.runs_added, again.predictions_added, again.duplicates) == (0, 0, 36)
    assert again.run_ids == first.run_ids
    assert query(path, "SELECT * FROM predictions ORDER BY ALL") == before
    assert query(path, "SELECT count(*) FROM runs") == [(1,)]


def edited_copy(tmp_path: Path) -> Path:
    """The fixture plus a task we do not know and one sample whose question was altered."""
    out = tmp_path / "output"
    shutil.copytree(FIXTURE, out)
    results_path = next(out.rglob("results_*.json"))
    results = json.loads(results_path.read_text())
    results["configs"]["mmlu_astronomy"] = dict(results["configs"]["mmlu_anatomy"], task="mmlu_astronomy")
    results["n-shot"]["mmlu_astronomy"] = 0
    results_path.write_text(json.dumps(results))
    shutil.copy(samples_path(results_path, "mmlu_anatomy"), samples_path(results_path, "mmlu_astronomy"))
    medqa = samples_path(results_path, "medqa_4options")
    lines = medqa.read_text().splitlines()
    sample = json.loads(lines[1])
    sample["doc"]["sent1"] = "A question that is in no benchmark file."
    lines[1] = json.dumps(sample)
    medqa.write_text("\n".join(lines) + "\n")
    return out


def test_unknown_tasks_are_skipped_and_unmatched_samples_counted(tmp_path):
    path = tmp_path / "w.duckdb"
    report = import_lm_eval(path, edited_copy(tmp_path))
    assert report.skipped_tasks == ["mmlu_astronomy"]
    assert (report.unmatched_samples, report.unmatched_by_task) == (1, {"medqa_4options": 1})
    assert (report.runs_added, report.predictions_added) == (1, 35)
    text = report.summary()
    assert "skipped unknown tasks: mmlu_astronomy" in text
    assert "samples matching no known question: 1 (medqa_4options 1)" in text
    assert query(path, "SELECT count(*) FROM predictions WHERE task = 'medqa_4options'") == [(3,)]
    [(tasks,)] = query(path, "SELECT tasks FROM runs")
    assert "mmlu_astronomy" not in tasks and len(tasks) == 9


def test_a_broken_results_file_is_refused_and_the_others_still_import(tmp_path):
    out = tmp_path / "output"
    shutil.copytree(FIXTURE, out)
    broken = out / "other" / "results_2026-01-01T00-00-00.json"
    broken.parent.mkdir()
    broken.write_text("{ not json")
    path = tmp_path / "w.duckdb"
    report = import_lm_eval(path, out)
    assert [p for p, _ in report.refused] == [broken]
    assert "not a readable JSON results file" in report.refused[0][1]
    assert report.predictions_added == 36


def test_missing_samples_file_says_to_use_log_samples(tmp_path):
    out = tmp_path / "output"
    shutil.copytree(FIXTURE, out)
    samples_path(next(out.rglob("results_*.json")), "pubmedqa").unlink()
    report = import_lm_eval(tmp_path / "w.duckdb", out)
    [(_, reason)] = report.refused
    assert "samples_pubmedqa_" in reason and "--log_samples" in reason
    assert report.predictions_added == 0


def test_no_results_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results_\\*.json"):
        import_lm_eval(tmp_path / "w.duckdb", tmp_path)


def test_identical_questions_are_handed_out_in_order_and_by_dataset_id():
    def q(i, source_id):
        return Question(
            id=f"medmcqa/{source_id}",
            task="medmcqa",
            source_id=source_id,
            text="Same  question?",
            options=("a", "b", "c", "d"),
            golds=(0,),
        )

    index = QuestionIndex([q(0, "u1"), q(1, "u2"), q(2, "u3")])
    doc = {"question": "Same question? ", "opa": "a", "opb": "b", "opc": "c", "opd": "d"}
    assert index.match("medmcqa", dict(doc, id="u3")).id == "medmcqa/u3"
    assert index.match("medmcqa", dict(doc, id="not-ours")).id == "medmcqa/u1"
    assert index.match("medmcqa", doc).id == "medmcqa/u2"
    assert index.match("medmcqa", doc) is None


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {"model": "hf", "model_args": "pretrained=org/model,revision=abc123,dtype=bfloat16", "model_sha": "ffff"},
            ("org/model", "abc123", "hub", "bfloat16"),
        ),
        (
            {"model": "hf", "model_args": {"pretrained": "org/model"}, "model_sha": "c0ffee", "model_revision": "main"},
            ("org/model", "c0ffee", "hub", "unknown"),
        ),
        (
            {"model": "hf", "model_args": {"pretrained": "org/model"}, "model_sha": "", "model_revision": "main"},
            ("org/model", "main", "hub", "unknown"),
        ),
        (
            {"model": "hf", "model_args": {"pretrained": "./ckpt", "revision": "step-100"}},
            ("./ckpt", "step-100", "local", "unknown"),
        ),
        (
            {"model": "openai-chat-completions", "model_args": "model=gpt-4o-mini"},
            ("gpt-4o-mini", "unrecorded", "api", "unknown"),
        ),
    ],
)
def test_model_and_revision_come_from_the_config(config, expected):
    info = model_info({"config": config}, Path("results.json"))
    assert (info.name, info.revision, info.source, info.dtype) == expected
