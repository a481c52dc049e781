"""`medlb eval --ray` against a local run, on the real SmolLM2-135M-Instruct and a local Ray instance of
2 CPUs (2 actors of 1 CPU each): the same predictions, a lost actor's units retried.
A killed driver resumes; for K-QA generation and judging, speed/ray_kill_trials.py kills a driver at random
writes (not in CI, which keeps its time: the driver plans and writes as a local run does)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from functools import partial

import pytest

from pipeline import cli
from pipeline.distributed import RayNotNeeded, evaluate_on_ray, work
from pipeline.distributed.cluster import connect
from pipeline.distributed.pool import RayPool
from pipeline.run import EvalConfig, backend_options, evaluate
from tests.helpers import ROOT, query, wait_for_rows
from warehouse import queue

pytestmark = pytest.mark.slow
TASKS = ["medqa_4options", "pubmedqa", "mmlu_anatomy"]
LIMIT = 3
ROWS = (
    "SELECT question_id, variant, run_id, status, pred, correct, prompt_hash, loglikelihoods, probs "
    "FROM predictions ORDER BY question_id, variant"
)


def config(path, **kw) -> EvalConfig:
    return EvalConfig(model="smollm2-135m-instruct", tasks=TASKS, limit=LIMIT, warehouse=str(path), batch_size=2, **kw)


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    """The single-process run's predictions: what every Ray run must reproduce."""
    path = tmp_path_factory.mktemp("local") / "w.duckdb"
    evaluate(config(path), progress=False)
    return query(path, ROWS)


def assert_same_predictions(path, expected):
    rows = query(path, ROWS)
    assert len(rows) == len(expected) == len(TASKS) * LIMIT
    for got, want in zip(rows, expected):
        assert got[:7] == want[:7]  # ids, run id, status, prediction, correctness, prompt
        assert got[7] == pytest.approx(want[7], abs=1e-4)  # log-likelihoods
        assert got[8] == pytest.approx(want[8], abs=1e-4)
    assert query(path, "SELECT status FROM runs") == [("complete",)]


def test_two_actors_give_the_local_predictions(ray_cluster, local_rows, tmp_path):
    path = tmp_path / "ray.duckdb"
    result = evaluate_on_ray(config(path), ray_cluster, actors=2, progress=False, unit_size=2)
    assert (result.n_scored, result.n_failed) == (len(TASKS) * LIMIT, 0)
    assert_same_predictions(path, local_rows)


def test_a_killed_actors_units_are_retried_on_the_other(ray_cluster, local_rows, tmp_path, capsys):
    path = tmp_path / "ray.duckdb"
    pool = RayPool("transformers", backend_options(config(path)), connect(ray_cluster), actors=2)
    score_all = partial(work.score_all, pool, unit_size=1)
    outcome = {}
    runner = threading.Thread(
        target=lambda: outcome.update(result=evaluate(config(path), backend=pool, progress=False, score_all=score_all))
    )
    runner.start()
    deadline = time.monotonic() + 120
    while sum(s.done for s in pool.stats) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(pool.stats[1].pid, signal.SIGKILL)  # the actor's worker process, as an OOM killer or lost node would
    runner.join(timeout=180)
    pool.close()
    assert not pool.stats[1].alive
    assert outcome["result"].n_failed == 0
    assert "failed on actor 1" in capsys.readouterr().err
    assert_same_predictions(path, local_rows)


def test_the_openai_backend_needs_no_actors(tmp_path):
    with pytest.raises(RayNotNeeded, match="Drop --ray"):
        evaluate_on_ray(config(tmp_path / "w.duckdb", backend="openai"))
    assert not (tmp_path / "w.duckdb").exists()


def test_a_worker_on_ray_finishes_a_request_with_the_local_predictions(ray_cluster, local_rows, tmp_path):
    """`medlb worker --once --ray ADDRESS` on the session's Ray instance. The request names the packaged
    SmolLM2 directly (queue.submit, not the Submit page's hub-id check): a hub id would need the test's
    hub-cache stand-in inside Ray's worker processes, which started before it; tests/pipeline/test_worker.py
    covers hub ids on the local path."""
    store, path = tmp_path / "q.sqlite", tmp_path / "ray.duckdb"
    request = queue.NewRequest("smollm2-135m-instruct", "", "float32", "instruction-tuned", tuple(TASKS))
    request_id, _ = queue.submit(request, store)
    work = ["worker", "--once", "--ray", ray_cluster, "--ray-actors", "2", "--limit", str(LIMIT), "--no-progress"]
    assert cli.main([*work, "--queue", str(store), "--warehouse", str(path)]) == 0
    [done] = queue.list_requests(store).iter_rows(named=True)
    assert (done["request_id"], done["status"], done["error"]) == (request_id, "done", None)
    assert (done["progress_done"], done["progress_total"]) == (len(TASKS) * LIMIT,) * 2
    assert done["run_id"] == local_rows[0][2]  # the local run's id: the same run, wherever it was scored
    assert_same_predictions(path, local_rows)


def test_a_killed_driver_resumes_without_duplicates_and_keeps_the_local_predictions(ray_cluster, local_rows, tmp_path):
    """`medlb eval --ray ADDRESS` killed (kill -9, its process group) after its first write; the actors are
    Ray's processes, ended with their driver's job. The same run resumed on Ray scores only what is missing.
    20 questions per task (60 predictions, written 16 at a time), so the kill lands with work left; the first
    3 per task are the local run's questions."""
    path, limit = tmp_path / "killed.duckdb", 20
    command = [sys.executable, "-m", "pipeline.cli", "eval", "--model", "smollm2-135m-instruct", "--tasks",
               ",".join(TASKS), "--limit", str(limit), "--batch-size", "2", "--ray", ray_cluster, "--ray-actors", "2",
               "--warehouse", str(path), "--no-progress"]  # fmt: skip
    env = dict(os.environ, HF_HUB_OFFLINE="1", RAY_enable_metrics_collection="0")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_rows(proc, path, timeout=300)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = dict(query(path, "SELECT question_id, created_at FROM predictions"))
    assert 0 < len(before) < len(TASKS) * limit
    resumed = EvalConfig(model="smollm2-135m-instruct", tasks=TASKS, limit=limit, warehouse=str(path), batch_size=2)
    result = evaluate_on_ray(resumed, ray_cluster, actors=2, progress=False)
    assert (result.n_scored, result.n_failed) == (len(TASKS) * limit - len(before), 0)
    rows = query(path, "SELECT question_id, variant, created_at FROM predictions")
    assert len(rows) == len({r[:2] for r in rows}) == len(TASKS) * limit  # each question once
    assert all(created == before[q] for q, _, created in rows if q in before)  # what was written stays as it was
    wanted = {row[0]: row for row in local_rows}
    got = [row for row in query(path, ROWS) if row[0] in wanted]
    assert len(got) == len(wanted)
    for row in got:
        want = wanted[row[0]]
        assert (row[:2], row[3:7]) == (want[:2], want[3:7])  # ids, status, prediction, correctness, prompt
        assert row[7] == pytest.approx(want[7], abs=1e-4)
    assert query(path, "SELECT status FROM runs") == [("complete",)]
