"""`medlb import lm-eval` on results files without samples: the Open Medical-LLM Leaderboard's published
layout (tests/fixtures/lm_eval/hf_leaderboard, see its README) and lm-eval 0.4.13's own results file alone.
They become 'aggregate only' runs: per-task accuracies and n, no predictions, no entry in `runs`."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from pipeline import benchmarks
from pipeline.importers.lm_eval import import_lm_eval
from tests.helpers import query

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lm_eval"
MEDIKAI = next((FIXTURES / "hf_leaderboard" / "OEvortex").rglob("results_*.json"))
GPT4 = next((FIXTURES / "hf_leaderboard" / "GPT-4 (5-shot)").glob("results_*.json"))
WITH_SAMPLES = FIXTURES / "output"


def scores(path, model: str) -> dict[str, tuple]:
    rows = query(
        path,
        "SELECT s.task, s.accuracy, s.n, s.n_correct, s.n_source, r.num_fewshot, r.kind FROM summary_scores s "
        "JOIN summary_runs r USING (run_id) JOIN model_versions v USING (version_id) WHERE v.model_id = ?",
        [model],
    )
    return {task: tuple(rest) for task, *rest in rows}


@pytest.fixture(scope="module")
def leaderboard_files(tmp_path_factory):
    path = tmp_path_factory.mktemp("hf") / "w.duckdb"
    return path, import_lm_eval(path, FIXTURES / "hf_leaderboard")


def test_the_leaderboards_files_become_aggregate_only_runs(leaderboard_files):
    path, report = leaderboard_files
    assert report.refused == [] and (report.runs_added, report.predictions_added) == (2, 0)
    assert query(path, "SELECT count(*) FROM predictions")[0][0] == 0
    assert query(path, "SELECT count(*) FROM runs")[0][0] == 0  # so no entry, tie or paired test sees them
    assert sorted(query(path, "SELECT kind, source_file FROM summary_runs")) == sorted(
        [("aggregate", GPT4.name), ("aggregate", MEDIKAI.name)]
    )
    assert any("aggregate only" in w for w in report.warnings)


def test_accuracies_are_the_files_and_n_is_what_acc_stderr_implies(leaderboard_files):
    path, _ = leaderboard_files
    results = json.loads(MEDIKAI.read_text())["results"]
    found = scores(path, "OEvortex/MediKAI")
    assert set(found) == set(benchmarks.OMLL_TASKS)
    for task, (acc, n, n_correct, n_source, shots, kind) in found.items():
        assert acc == results[task]["acc,none"] and (shots, kind) == (0, "aggregate"), task
        # acc_stderr = sqrt(p(1-p)/(n-1)) recovers the size of the full test split, which the vendored copy has too
        assert (n, n_source) == (len(benchmarks.load_questions(task)), "acc_stderr"), task
        assert n_correct == round(acc * n) and n_correct / n == pytest.approx(acc, abs=1e-12), task
    [(name, revision)] = query(
        path, "SELECT model_id, revision FROM model_versions WHERE model_id = 'OEvortex/MediKAI'"
    )
    assert revision == "main"  # config.model_sha as the leaderboard recorded it


def test_hand_entered_paper_numbers_say_no_shots_and_no_n(leaderboard_files):
    """The leaderboard's GPT-4 (5-shot) file has accuracies only: its shots are not in the data, only in a name."""
    path, _ = leaderboard_files
    found = scores(path, "GPT-4 (5-shot)")
    assert found["medqa_4options"] == (0.814, None, None, None, None, "aggregate")
    assert all(shots is None and n is None for _, n, _, _, shots, _ in found.values())


def test_importing_the_same_files_again_adds_nothing(leaderboard_files):
    path, _ = leaderboard_files
    before = query(path, "SELECT count(*) FROM summary_scores")[0][0]
    again = import_lm_eval(path, FIXTURES / "hf_leaderboard")
    assert again.runs_added == 0 and query(path, "SELECT count(*) FROM summary_scores")[0][0] == before


def test_lm_evals_own_results_file_alone_takes_n_from_n_samples(tmp_path):
    """lm-eval 0.4.13's results file without its samples: n from n-samples, n_correct equal to what the
    samples give when they are imported (per question) into another warehouse."""
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(next(WITH_SAMPLES.rglob("results_*.json")), alone)
    report = import_lm_eval(tmp_path / "a.duckdb", alone)
    assert report.refused == [] and report.predictions_added == 0
    per_question = tmp_path / "p.duckdb"
    import_lm_eval(per_question, WITH_SAMPLES)
    counted = dict(query(per_question, "SELECT task, count(*) FILTER (WHERE correct) FROM predictions GROUP BY task"))
    found = scores(tmp_path / "a.duckdb", "/tmp/medlb_lmeval/SmolLM2-135M-Instruct")
    assert set(found) == set(benchmarks.OMLL_TASKS)
    for task, (_, n, n_correct, n_source, shots, _) in found.items():
        assert (n, n_correct, n_source, shots) == (4, counted[task], "n-samples", 0), task
    # the same model version as the per-question import of the same output (lm-eval's own model_args)
    versions = [
        query(p, "SELECT version_id, revision FROM model_versions") for p in (tmp_path / "a.duckdb", per_question)
    ]
    assert versions[0] == versions[1]


def test_a_bad_accuracy_refuses_the_file_and_writes_nothing(tmp_path):
    out = tmp_path / "bad"
    out.mkdir()
    doc = json.loads(MEDIKAI.read_text())
    doc["results"]["pubmedqa"]["acc,none"] = "high"
    (out / "results_2024-01-01T00-00-00.json").write_text(json.dumps(doc))
    path = tmp_path / "w.duckdb"
    import_lm_eval(path, FIXTURES / "hf_leaderboard" / "GPT-4 (5-shot)")  # something already recorded
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    report = import_lm_eval(path, out)
    [(refused, reason)] = report.refused
    assert refused.name == "results_2024-01-01T00-00-00.json" and "results.pubmedqa.acc,none" in reason
    assert "finite number" in reason and report.runs_added == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
