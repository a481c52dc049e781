"""Synthetic runs with random log-likelihoods, for bundle tests: data for tests/fixtures/builder.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np

from pipeline.metrics import softmax
from tests.fixtures.builder import Rows, Run, build_warehouse, run_spec
from warehouse.records import ModelInfo, Prediction, Question, TaskInfo, version_id_for

TASK = "synthetic_mcq"
TABLES = ("runs", "models", "model_versions", "benchmarks", "questions", "predictions")


def synthetic_questions(n: int, text: str = "Which option is number {i}?") -> list[Question]:
    return [
        Question(
            id=f"{TASK}/{i}",
            task=TASK,
            source_id=str(i),
            text=text.format(i=i),
            options=tuple(f"option {k} of {i}" for k in range(4)),
            golds=(i % 4,),
        )
        for i in range(n)
    ]


def write_run(
    path: Path,
    seed: int,
    questions: list[Question],
    model: str = "test/synthetic",
    failed: frozenset[str] = frozenset(),
) -> str:
    """One complete run of `model` at revision rev<seed>; random log-likelihoods drawn from `seed`."""
    return write_runs(path, [(seed, questions, model, failed)])[0]


def write_runs(path: Path, runs: list[tuple[int, list[Question], str, frozenset[str]]]) -> list[str]:
    """Several runs (seed, questions, model, failed question ids) in one writer transaction."""
    declared = [synthetic_run(*run) for run in runs]
    build_warehouse(
        path,
        Rows(
            tasks=[(TaskInfo(task=TASK, benchmark="synthetic", split="test", source="generated"), 1000)],
            questions=[q for _, questions, _, _ in runs for q in questions],
            models=[ModelInfo(name=model, revision=f"rev{seed}", source="local") for seed, _, model, _ in runs],
            runs=declared,
        ),
    )
    return [run.spec.run_id for run in declared]


def synthetic_run(seed: int, questions: list[Question], model: str, failed: frozenset[str]) -> Run:
    run_id = hashlib.sha256(f"{model}:{seed}".encode()).hexdigest()[:16]
    spec = run_spec(
        run_id,
        version_id_for(model, f"rev{seed}", ""),
        (TASK,),
        backend="synthetic",
        prompt_version="test",
        prompt_hash="t",
        settings={"seed": seed},
        packages={"numpy": np.__version__},
    )
    predictions = synthetic_predictions(run_id, seed, questions, failed)
    return Run(spec, predictions, status="failed" if failed else "complete", seconds=1.5)


def synthetic_predictions(
    run_id: str, seed: int, questions: list[Question], failed: frozenset[str]
) -> list[Prediction]:
    rng = np.random.default_rng(seed)
    predictions = []
    for q in questions:
        if q.id in failed:
            predictions.append(
                Prediction(
                    run_id=run_id,
                    question_id=q.id,
                    task=q.task,
                    pred=None,
                    golds=q.golds,
                    correct=False,
                    loglikelihoods=None,
                    probs=None,
                    prompt_hash="p",
                    status="failed",
                )
            )
            continue
        lls = tuple(float(x) for x in -rng.random(len(q.options)) * 5)
        probs = softmax(lls)
        pred = int(np.argmax(probs))
        predictions.append(
            Prediction(
                run_id=run_id,
                question_id=q.id,
                task=q.task,
                pred=pred,
                golds=q.golds,
                correct=(pred,) == q.golds,
                loglikelihoods=lls,
                probs=tuple(probs),
                prompt_hash=hashlib.sha256(q.text.encode()).hexdigest()[:16],
                latency_ms=float(rng.random() * 10),
            )
        )
    return predictions


def rows(path: Path, table: str, where: str = "", params: list | None = None) -> list[tuple]:
    """All rows of a table in a stable order (JSON compared as text)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table} {where} ORDER BY ALL", params or []).fetchall()
    finally:
        con.close()


def count(path: Path, table: str) -> int:
    return len(rows(path, table))


def edit_manifest(bundle: Path, change) -> None:
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest))
