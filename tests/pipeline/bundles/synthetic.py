"""Synthetic runs written through warehouse.writer (the one write path), for bundle tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np

from pipeline.metrics import softmax
from warehouse import writer
from warehouse.db import write_connection
from warehouse.records import ModelInfo, Prediction, Question, RunSpec, TaskInfo

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
    """Several runs (seed, questions, model, failed question ids) in one writer connection."""
    run_ids = []
    with write_connection(path) as con:
        writer.register_tasks(
            con, [(TaskInfo(task=TASK, benchmark="synthetic", split="test", source="generated"), 1000)]
        )
        for seed, questions, model, failed in runs:
            info = ModelInfo(name=model, revision=f"rev{seed}", source="local")
            run_id = hashlib.sha256(f"{model}:{seed}".encode()).hexdigest()[:16]
            version_id = writer.register_model_version(con, info)
            writer.register_questions(con, questions)
            writer.start_run(
                con,
                RunSpec(
                    run_id=run_id,
                    version_id=version_id,
                    backend="synthetic",
                    scoring_mode="loglikelihood",
                    provenance="evaluated",
                    num_fewshot=0,
                    dtype="float32",
                    device="cpu",
                    prompt_version="test",
                    prompt_hash="t",
                    settings={"seed": seed},
                    packages={"numpy": np.__version__},
                    tasks=(TASK,),
                ),
            )
            writer.write_predictions(con, synthetic_predictions(run_id, seed, questions, failed))
            writer.finish_run(con, run_id, "failed" if failed else "complete", 1.5)
            run_ids.append(run_id)
    return run_ids


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
