"""The run loop's plumbing: resume, idempotence, failures, shards, validation-before-write.

These use a small deterministic backend so they are fast and exact; the same loop on the real
SmolLM2 model is tested in test_eval_e2e.py.
"""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from pipeline import benchmarks
from pipeline.backends.base import Scores
from pipeline.run import EvalConfig, OpenEndedTask, evaluate, in_shard
from warehouse.records import ModelInfo


class ScriptedBackend:
    """Log-likelihoods from a hash of the prompt; fails the questions named in `fail`."""

    scoring_mode = "loglikelihood"

    def __init__(self, fail: set[str] = frozenset(), revision: str = "rev1"):
        self.info = ModelInfo(name="test/scripted", revision=revision, source="local")
        self.fail = set(fail)
        self.calls: list[str] = []

    def loglikelihood(self, requests):
        out = []
        for r in requests:
            self.calls.append(r.question_id)
            if r.question_id in self.fail:
                out.append(Scores((), status="failed"))
                continue
            digest = hashlib.sha256(r.prompt.encode()).digest()
            out.append(Scores(tuple(-1.0 - digest[i] / 64 for i in range(len(r.continuations)))))
        return out

    def close(self):
        pass


def config(tmp_path, **kw):
    base = dict(
        model="test/scripted", tasks=["mmlu_anatomy", "pubmedqa"], warehouse=str(tmp_path / "w.duckdb"), limit=5
    )
    base.update(kw)
    return EvalConfig(**base)


def count(path, sql="SELECT count(*) FROM predictions", params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()[0][0]
    finally:
        con.close()


def test_rerun_adds_nothing_and_resume_scores_only_missing(tmp_path):
    first = evaluate(config(tmp_path, limit=3), backend=ScriptedBackend(), progress=False)
    assert (first.n_scored, first.n_skipped) == (6, 0)
    again = ScriptedBackend()
    second = evaluate(config(tmp_path, limit=5), backend=again, progress=False)
    assert second.run_id == first.run_id
    assert (second.n_scored, second.n_skipped) == (4, 6)
    assert len(again.calls) == 4  # only the new questions reached the model
    third = evaluate(config(tmp_path, limit=5), backend=ScriptedBackend(), progress=False)
    assert third.n_scored == 0
    path = tmp_path / "w.duckdb"
    assert count(path) == 10
    assert count(path, "SELECT count(*) FROM (SELECT DISTINCT run_id, question_id, variant FROM predictions)") == 10
    assert count(path, "SELECT count(*) FROM runs") == 1
    assert count(path, "SELECT status FROM runs") == "complete"


def test_failed_questions_are_recorded_then_retried(tmp_path):
    failing = benchmarks.load_questions("mmlu_anatomy")[1].id
    result = evaluate(config(tmp_path), backend=ScriptedBackend(fail={failing}), progress=False)
    path = tmp_path / "w.duckdb"
    assert result.n_failed == 1
    assert count(path, "SELECT status FROM runs") == "failed"
    assert count(path, "SELECT count(*) FROM predictions WHERE status = 'failed' AND NOT correct AND pred IS NULL") == 1
    retry = ScriptedBackend()
    evaluate(config(tmp_path), backend=retry, progress=False)
    assert retry.calls == [failing]
    assert count(path, "SELECT count(*) FROM predictions WHERE status = 'failed'") == 0
    assert count(path) == 10
    assert count(path, "SELECT status FROM runs") == "complete"


def test_prediction_rows_hold_probabilities_and_correctness(tmp_path):
    evaluate(config(tmp_path, tasks=["pubmedqa"], limit=4), backend=ScriptedBackend(), progress=False)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    rows = con.execute("SELECT pred, golds, correct, loglikelihoods, probs, prompt_hash FROM predictions").fetchall()
    con.close()
    assert len(rows) == 4
    for pred, golds, correct, lls, probs, prompt_hash in rows:
        assert len(lls) == len(probs) == 3
        assert abs(sum(probs) - 1) < 1e-12
        assert pred == max(range(3), key=lambda i: lls[i])
        assert correct == (pred in golds)
        assert len(prompt_hash) == 16


def test_shards_partition_the_questions(tmp_path):
    ids = [q.id for q in benchmarks.load_questions("mmlu_anatomy")]
    shards = [{i for i in ids if in_shard(i, (k, 3))} for k in (1, 2, 3)]
    assert sum(len(s) for s in shards) == len(ids) == 135
    assert set().union(*shards) == set(ids)
    assert all(len(s) > 20 for s in shards)


def test_new_model_revision_is_a_new_version_and_run(tmp_path):
    a = evaluate(config(tmp_path), backend=ScriptedBackend(revision="r1"), progress=False)
    b = evaluate(config(tmp_path), backend=ScriptedBackend(revision="r2"), progress=False)
    assert a.version_id != b.version_id and a.run_id != b.run_id
    assert count(tmp_path / "w.duckdb", "SELECT count(*) FROM model_versions") == 2


def test_unknown_task_is_reported_before_anything_is_written(tmp_path):
    with pytest.raises(benchmarks.UnknownTask, match="omll"):
        benchmarks.resolve_tasks("medqa_4options,not_a_task")
    assert not (tmp_path / "w.duckdb").exists()


def test_an_open_ended_task_is_refused_with_where_to_go_before_anything_is_written(tmp_path):
    with pytest.raises(OpenEndedTask, match=r"kqa is open-ended: pipeline\.generation\.generate_answers"):
        evaluate(config(tmp_path, tasks=["pubmedqa", "kqa"]), backend=ScriptedBackend(), progress=False)
    assert not (tmp_path / "w.duckdb").exists()


def test_run_that_fails_validation_writes_nothing(tmp_path, monkeypatch):
    def broken(task, source="local", **kw):
        raise benchmarks.BenchmarkFormatError(path="x.jsonl", row=3, field="options", message="empty option")

    monkeypatch.setattr(benchmarks, "load_questions", broken)
    with pytest.raises(benchmarks.BenchmarkFormatError):
        evaluate(config(tmp_path), backend=ScriptedBackend(), progress=False)
    assert not (tmp_path / "w.duckdb").exists()


def test_the_summary_table_prints_wilson_intervals_as_low_high():
    """`medlb eval`'s table: 0 right of 5 used to print [0.0000, 0.0000] (a normal interval); Wilson's upper
    bound at 0/n is z²/(n + z²) = 3.8415 / 8.8415 = 0.4345."""
    from pipeline.metrics import accuracy
    from pipeline.run import EvalResult, format_summary

    result = EvalResult(
        "run",
        "version",
        5,
        5,
        0,
        0,
        1.0,
        {"pubmedqa": accuracy([False] * 5), "medqa_4options": accuracy([])},
        None,
        None,
    )
    lines = format_summary(result).splitlines()
    assert lines[1].endswith("95% CI (Wilson)")
    assert lines[2] == f"{'pubmedqa':32} {5:6d} {0.0:7.4f}  [0.0000, 0.4345]"
    assert lines[3].startswith("medqa_4options") and lines[3].endswith("-")


def test_the_summary_prints_frenchmedmcqa_own_metrics(tmp_path):
    """A multi-answer task's summary shows its exact match ratio and Hamming score (|P ∩ G| / |P ∪ G|),
    recomputed here in plain Python from the stored answer sets."""
    from pipeline.run import format_summary

    result = evaluate(config(tmp_path, tasks=["frenchmedmcqa", "pubmedqa"]), backend=ScriptedBackend(), progress=False)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT pred_set, golds FROM predictions WHERE task = 'frenchmedmcqa'").fetchall()
    finally:
        con.close()
    assert len(rows) == 5
    emr = sum(set(p) == set(g) for p, g in rows) / 5
    hamming = sum(len(set(p) & set(g)) / len(set(p) | set(g)) for p, g in rows) / 5
    assert result.set_scores["frenchmedmcqa"] == pytest.approx((emr, hamming))
    assert "pubmedqa" not in result.set_scores  # single-answer tasks have accuracy only
    lines = format_summary(result).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("frenchmedmcqa"))
    assert lines[at + 1] == f"{'  EMR (exact match ratio)':32} {'':6} {emr:7.4f}"
    assert lines[at + 2] == f"{'  Hamming score':32} {'':6} {hamming:7.4f}"
    assert lines[at + 3].startswith("pubmedqa")
