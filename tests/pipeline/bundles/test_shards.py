"""`medlb eval --shard i/n` on n machines, bundles merged: exactly the rows of one unsharded run.

The run loop is the real one (pipeline.run.evaluate); the backend is a small deterministic stand-in
(log-likelihoods from a hash of the prompt), since what is under test is the split and the merge.
"""

from __future__ import annotations

import hashlib

from pipeline.backends.base import Scores
from pipeline.bundles import export_runs, import_bundles
from pipeline.run import EvalConfig, evaluate
from tests.pipeline.bundles.synthetic import rows
from warehouse.records import ModelInfo

TASKS = ["pubmedqa", "mmlu_anatomy", "medqa_4options"]
# Columns that describe the machine or the moment rather than the answer.
PER_MACHINE = ("created_at", "latency_ms")


class HashBackend:
    scoring_mode = "loglikelihood"

    def __init__(self):
        self.info = ModelInfo(name="test/hash-model", revision="r1", source="local")

    def loglikelihood(self, requests):
        return [
            Scores(
                tuple(-1.0 - hashlib.sha256(r.prompt.encode()).digest()[i] / 64 for i in range(len(r.continuations))),
                latency_ms=1.0,
            )
            for r in requests
        ]

    def close(self):
        pass


def answer_rows(path):
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = [c[0] for c in con.execute("DESCRIBE predictions").fetchall() if c[0] not in PER_MACHINE]
        return con.execute(f"SELECT {', '.join(columns)} FROM predictions ORDER BY ALL").fetchall()
    finally:
        con.close()


def run_summary(path):
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT run_id, version_id, backend, status, tasks, n_predictions FROM runs").fetchall()
    finally:
        con.close()


def test_three_shard_bundles_merge_into_exactly_the_unsharded_run(tmp_path):
    def config(warehouse, shard=None):
        return EvalConfig(model="test/hash-model", tasks=TASKS, warehouse=str(warehouse), limit=20, shard=shard)

    whole = tmp_path / "whole.duckdb"
    unsharded = evaluate(config(whole), backend=HashBackend(), progress=False)
    bundles, sizes = [], []
    for i in (1, 2, 3):
        machine = tmp_path / f"machine{i}.duckdb"
        result = evaluate(config(machine, (i, 3)), backend=HashBackend(), progress=False)
        assert result.run_id == unsharded.run_id  # the shard is not part of the run's identity
        sizes.append(result.n_scored)
        bundles += export_runs(machine, [result.run_id], tmp_path / "bundles")
    assert sum(sizes) == 60 and all(0 < n < 60 for n in sizes)

    merged = tmp_path / "merged.duckdb"
    report = import_bundles(merged, [tmp_path / "bundles"])
    assert (report.runs_added, report.predictions_added, report.duplicates, report.refused) == (1, 60, 0, [])
    assert answer_rows(merged) == answer_rows(whole)
    assert run_summary(merged) == run_summary(whole)
    assert rows(merged, "questions") == rows(whole, "questions")
    assert rows(merged, "benchmarks") == rows(whole, "benchmarks")

    again = import_bundles(merged, bundles)
    assert (again.predictions_added, again.duplicates) == (0, 60)
    assert answer_rows(merged) == answer_rows(whole)
