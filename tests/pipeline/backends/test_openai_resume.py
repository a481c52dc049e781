"""`medlb eval --backend openai` end to end: killed mid-run, resumed, failed questions retried alone.

The run goes through the fault proxy to the real model server, so the proxy's log shows exactly
which questions each invocation asked about.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from pipeline import benchmarks, prompts
from tests.helpers import query, wait_for_rows
from tests.pipeline.backends.conftest import MODEL, ROOT
from tests.pipeline.backends.fault_proxy import Fault

pytestmark = pytest.mark.slow
TASK, LIMIT = "mmlu_anatomy", 12  # --batch-size 1 writes 8 questions per transaction: a kill lands after one


def asked(proxy, contexts: dict[str, str]) -> dict[str, int]:
    """Question id -> number of /completions calls about it (the probe is about no question)."""
    counts: dict[str, int] = {}
    for path, body in proxy.log:
        qid = contexts.get(body.get("prompt", "")[:-2]) if path == "/v1/completions" else None  # drop " A"
        if qid:
            counts[qid] = counts.get(qid, 0) + 1
    return counts


def test_killed_run_resumes_and_a_rerun_asks_only_for_failed_and_missing(faulty, api_key, tmp_path):
    questions = benchmarks.load_questions(TASK)[:LIMIT]
    contexts = {prompts.build_request(q).prompt: q.id for q in questions}
    # the run writes a task's longest prompts first (pipeline.run.by_prompt_length), so the third longest is in
    # the first written batch; it is refused (HTTP 400, not retried) until the third invocation
    broken = sorted(questions, key=lambda q: -len(prompts.build_request(q).prompt))[2]
    path = tmp_path / "w.duckdb"
    args = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "eval",
        "--backend",
        "openai",
        "--base-url",
        faulty.url,
        "--model",
        MODEL,
        "--tasks",
        TASK,
        "--limit",
        str(LIMIT),
        "--batch-size",
        "1",
        "--concurrency",
        "2",
        "--warehouse",
        str(path),
        "--no-progress",
    ]
    env = dict(os.environ, OPENAI_API_KEY=api_key)  # the key comes from the environment, as documented
    faulty.reset(Fault(broken.text, "400", times=None), delay=0.1)

    # 1. killed as soon as the first batch is in the warehouse
    first = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    written = wait_for_rows(first, path, timeout=600)
    first.send_signal(signal.SIGKILL)
    out, err = first.communicate()
    recorded = dict(query(path, "SELECT question_id, status FROM predictions"))
    assert 0 < written == len(recorded) < LIMIT
    assert recorded[broken.id] == "failed"

    # 2. resumed with the fault still there: asks for the missing and the failed, nothing else
    faulty.reset(Fault(broken.text, "400", times=None))
    second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 1, second.stderr  # a question failed: the CLI says so
    ok_before = {qid for qid, status in recorded.items() if status == "ok"}
    assert asked(faulty, contexts) == {q.id: 4 for q in questions if q.id not in ok_before}
    assert f"already recorded {len(ok_before)}" in second.stdout
    assert query(
        path, "SELECT count(*), count(DISTINCT question_id), count(*) FILTER (status = 'failed') FROM predictions"
    ) == [(LIMIT, LIMIT, 1)]
    assert query(path, "SELECT status, scoring_mode FROM runs") == [("failed", "loglikelihood")]

    # 3. the server is fixed: only the failed question is asked again, and the run completes.
    # The key comes from the flag this time: backend options must not reach the run's settings either.
    faulty.reset()
    third = subprocess.run(
        args + ["--api-key", api_key], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=False
    )
    assert third.returncode == 0, third.stderr
    assert asked(faulty, contexts) == {broken.id: 4}
    rows = query(
        path,
        "SELECT question_id, status, pred, len(loglikelihoods), input_tokens, output_tokens, latency_ms "
        "FROM predictions",
    )
    assert len(rows) == LIMIT == len({r[0] for r in rows})
    assert all(
        status == "ok" and pred is not None and n == 4 and tokens_in > 0 and tokens_out <= 4 and latency > 0
        for _, status, pred, n, tokens_in, tokens_out, latency in rows
    )
    assert query(path, "SELECT count(*), min(status), min(backend) FROM runs") == [(1, "complete", "openai")]
    [(model_id, source)] = query(path, "SELECT model_id, source FROM models")
    assert (model_id, source) == (MODEL, "api")

    # the key reached neither the warehouse nor anything the CLI printed
    stored = path.read_bytes() + (
        path.with_name(path.name + ".wal").read_bytes() if path.with_name(path.name + ".wal").exists() else b""
    )
    assert api_key.encode() not in stored
    for text in (out, err, second.stdout, second.stderr, third.stdout, third.stderr):
        assert api_key not in text
