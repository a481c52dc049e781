"""K-QA end to end on the real SmolLM2-135M-Instruct: generation killed and resumed through the CLI, then a real
judge (both modes) on real answers and on the physicians' pairs, every number recomputed from stored rows."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from pipeline.backends import create_backend
from pipeline.benchmarks import kqa
from pipeline.generation import Sampling, generate_answers
from pipeline.judging.check import judge_check
from pipeline.judging.judge import LEAD_IN, Judge, judge_run, run_pairs
from pipeline.judging.metrics import score_answers
from pipeline.run import EvalConfig
from tests.helpers import ROOT, query
from warehouse import judged
from warehouse.db import read_connection

pytestmark = pytest.mark.slow
MODEL = "smollm2-135m-instruct"
COUNT_ROWS = {table: f"SELECT count(*) FROM {table}" for table in ("generations", "judgments")}
SHORT = ("kqa/107", "kqa/42")  # one Must_have statement each: the cheapest questions to judge


def medlb(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def eval_command(path) -> list[str]:
    return medlb(
        "eval", "--model", MODEL, "--tasks", "kqa", "--limit", "3", "--batch-size", "1",
        "--max-new-tokens", "4", "--no-progress", "--warehouse", str(path),
    )  # fmt: skip


def wait_for_rows(proc: subprocess.Popen, path, table: str, timeout: float) -> None:
    """Until the command has written a row to `table` (generations, judgments), while it still runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            if path.exists() and query(path, COUNT_ROWS[table])[0][0]:
                assert proc.poll() is None, "the command finished before it could be killed"
                return
        except Exception:  # the writer holds the lock for a moment, or the table is not there yet
            continue
    raise AssertionError(f"no row in {table} within {timeout}s; exit code {proc.poll()}")


def test_killed_generation_resumes_without_duplicates_and_a_rerun_adds_nothing(tmp_path):
    path = tmp_path / "kqa.duckdb"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(
        eval_command(path), cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    wait_for_rows(proc, path, "generations", timeout=600)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = dict(query(path, "SELECT question_id, created_at FROM generations"))
    assert 1 <= len(before) < 3
    resumed = subprocess.run(eval_command(path), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"answered {3 - len(before)}, already recorded {len(before)}, failed 0" in resumed.stdout
    rows = query(path, "SELECT question_id, created_at, output_tokens, status FROM generations ORDER BY question_id")
    assert [r[0] for r in rows] == ["kqa/0", "kqa/1", "kqa/2"]
    assert all(r[1] == before[r[0]] for r in rows if r[0] in before)  # what was written stays as it was
    assert all(r[3] == "ok" and 0 < r[2] <= 4 for r in rows)
    again = subprocess.run(eval_command(path), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert "answered 0, already recorded 3, failed 0" in again.stdout
    assert query(path, "SELECT count(*), count(DISTINCT question_id) FROM generations")[0] == (3, 3)
    assert query(path, "SELECT status FROM runs") == [("complete",)]


@pytest.fixture(scope="module")
def smol():
    backend = create_backend("transformers", model=MODEL, batch_size=4)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def answered(smol, tmp_path_factory):
    path = tmp_path_factory.mktemp("kqa") / "kqa.duckdb"
    config = EvalConfig(model=MODEL, tasks=["kqa"], warehouse=str(path), question_ids=SHORT)
    result = generate_answers(config, Sampling(max_new_tokens=6), backend=smol, progress_bar=False)
    assert (result.n_generated, result.n_failed) == (2, 0)
    return path, result.run_id


def p_true_by_hand(backend, prompt: str) -> float:
    """P(" True") against P(" False") after prompt + LEAD_IN, from plain full forward passes."""
    context = prompt + LEAD_IN
    totals = []
    with torch.inference_mode():
        for choice in (" True", " False"):
            ctx = backend.tokenizer.encode(context)
            whole = backend.tokenizer.encode(context + choice)
            cont = whole[len(ctx) :]
            logprobs = backend.model(torch.tensor([whole[:-1]])).logits[0].float().log_softmax(-1)
            totals.append(sum(logprobs[len(ctx) - 1 + i, t].item() for i, t in enumerate(cont)))
    return 1 / (1 + math.exp(totals[1] - totals[0]))


def test_loglikelihood_judge_on_real_answers(smol, answered):
    path, run_id = answered
    judge = Judge(smol, "loglikelihood")
    assert judge_run(path, judge, run_id, progress=False) == (4, 0)  # 2 statements x (entails, contradicts)
    rows = query(path, "SELECT question_id, statement_id, relation, verdict, probability FROM judgments ORDER BY ALL")
    assert len(rows) == 4 and {r[3] for r in rows} <= {"true", "false"}
    assert all((r[4] > 0.5) == (r[3] == "true") for r in rows)
    # One probability from scratch: the paper's prompt filled with the stored answer and statement.
    question_id, statement_id, relation, _, probability = rows[0]
    answer = query(path, "SELECT output FROM generations WHERE question_id = ?", [question_id])[0][0]
    item = next(i for i in kqa.load_open() if i.id == question_id)
    statement = next(c.text for c in item.criteria if c.id == statement_id)
    prompt = kqa.judge_prompts()[relation].render(item.question.text, answer, statement)
    assert probability == pytest.approx(p_true_by_hand(smol, prompt), abs=1e-4)
    # Comprehensiveness by hand from the stored verdicts: each question has one Must_have statement.
    entailed = dict(query(path, "SELECT question_id, verdict = 'true' FROM judgments WHERE relation = 'entails'"))
    with read_connection(path) as con:
        scores = score_answers(judged.run_verdicts(con, judge.judge_id, run_id).iter_rows(named=True))
    assert {s.question_id: s.comprehensiveness for s in scores} == {q: float(v) for q, v in entailed.items()}
    assert judge_run(path, judge, run_id, progress=False) == (0, 4)  # a rerun adds nothing
    judges = query(path, "SELECT model_id, mode, prompt_hash FROM judges")
    assert judges == [("HuggingFaceTB/SmolLM2-135M-Instruct", "loglikelihood", judge.prompt_hash)]


def test_killed_judging_resumes_without_duplicates_and_equals_a_clean_judge(smol, tmp_path):
    """`medlb judge` killed after its first batch of verdicts: the rerun judges only the rest, keeps what was
    written, and every stored probability equals the same judge run in one go (kqa/44: 3 statements, 6 pairs)."""
    path = tmp_path / "judge.duckdb"
    config = EvalConfig(model=MODEL, tasks=["kqa"], warehouse=str(path), question_ids=("kqa/44",))
    run_id = generate_answers(config, Sampling(max_new_tokens=6), backend=smol, progress_bar=False).run_id
    command = medlb("judge", "--run", run_id, "--judge", MODEL, "--judge-batch-size", "2", "--no-progress",
                    "--warehouse", str(path))  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_rows(proc, path, "judgments", timeout=600)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {(r[0], r[1]): r[2] for r in query(path, "SELECT statement_id, relation, created_at FROM judgments")}
    assert 2 <= len(before) < 6 and len(before) % 2 == 0  # whole batches only
    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"judged {6 - len(before)}, already recorded {len(before)}" in resumed.stdout
    rows = query(path, "SELECT statement_id, relation, created_at, probability FROM judgments ORDER BY ALL")
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == 6
    assert all(r[2] == before[(r[0], r[1])] for r in rows if (r[0], r[1]) in before)
    clean = {(j["statement_id"], j["relation"]): j["probability"] for j in Judge(smol, "loglikelihood").judge(
        run_pairs(path, run_id))}  # fmt: skip
    assert {(r[0], r[1]): r[3] for r in rows} == pytest.approx(clean, abs=1e-4)


def test_generative_judge_keeps_its_reasoning_and_counts_unparsed(smol, answered):
    path, run_id = answered
    judge = Judge(smol, "generative", max_new_tokens=8)
    judge_run(path, judge, run_id, progress=False)
    rows = query(path, "SELECT verdict, probability, rationale FROM judgments WHERE judge_id = ?", [judge.judge_id])
    assert len(rows) == 4
    for verdict, probability, rationale in rows:
        assert probability is None and isinstance(rationale, str) and rationale
        said = re.findall(r"answer\s+is\W{0,3}(true|false)\b", rationale, re.IGNORECASE)
        assert verdict == (said[-1].lower() if said else "unparsed")


def test_judge_check_on_the_physicians_pairs(smol, tmp_path):
    path = tmp_path / "check.duckdb"
    judge = Judge(smol, "loglikelihood")
    results = judge_check(path, judge, limit=2, progress=False)
    pairs = kqa.load_judge_set()[:2]
    stored = dict(query(path, "SELECT statement_id || ' ' || relation, verdict FROM judgments"))
    for result in results:
        positive = {"entails": "Entailment", "contradicts": "Contradiction"}[result["relation"]]
        truth = ["true" if p.majority == positive else "false" for p in pairs]
        verdicts = [stored[f"{p.pair_id} {result['relation']}"] for p in pairs]
        assert result["accuracy"] == sum(t == v for t, v in zip(truth, verdicts)) / 2 and result["n_pairs"] == 2
    rows = query(
        path, "SELECT relation, n_pairs, accuracy, ceiling_kappa, macro_f1 FROM judge_checks ORDER BY relation"
    )
    assert [(r[0], r[1], r[2]) for r in rows] == sorted((r["relation"], 2, r["accuracy"]) for r in results)
    assert all(0 < r[3] < 1 for r in rows)  # the physicians' Fleiss kappa on all 399 pairs
    assert [r[4] for r in rows] == [r["macro_f1"] for r in sorted(results, key=lambda r: r["relation"])]
