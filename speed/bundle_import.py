"""Import rate of run bundles: merge a 1M-prediction bundle set into a fresh warehouse.

    .venv/bin/python speed/bundle_import.py [--bundles 50] [--per-bundle 20000]

Builds a source warehouse of N runs x M predictions through warehouse.writer (the predictions one
numpy-built frame, no Python loop over rows), exports every run as a bundle with
pipeline.bundles.export_runs, then times pipeline.bundles.import_bundles into an empty warehouse (the figure: predictions per second, every
bundle checked: manifest, sha256 of each file, counts, keys) and once more into the same warehouse,
where every row is a duplicate. Nothing asserts a time; it prints figures for the README and review.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import polars as pl
from scipy import special

from pipeline.bundles import export_runs, import_bundles
from warehouse import writer
from warehouse.db import execute_write
from warehouse.records import ModelInfo, Question, RunSpec, TaskInfo

TASK = "synthetic_mcq"


def build_source(path: Path, n_runs: int, per_run: int) -> list[str]:
    """N runs of N model versions, each answering the same M questions, through warehouse.writer in one
    execute_write; the predictions are one frame built with numpy (no Python loop over rows)."""
    questions = [
        Question(
            id=f"{TASK}/{i}",
            task=TASK,
            source_id=str(i),
            text=f"Question number {i}?",
            options=("first option", "second option", "third option", "fourth option"),
            golds=(i % 4,),
        )
        for i in range(per_run)
    ]
    run_ids = [f"run{r:05d}" for r in range(n_runs)]
    rng = np.random.default_rng(0)
    lls = -rng.random((n_runs * per_run, 4)) * 5
    probs = special.softmax(lls, axis=1)
    pred = probs.argmax(axis=1)
    question = np.tile(np.arange(per_run), n_runs)
    predictions = pl.DataFrame(
        {
            "run_id": np.repeat(run_ids, per_run),
            "question_id": [f"{TASK}/{q}" for q in range(per_run)] * n_runs,
            "variant": "",
            "task": TASK,
            "pred": pred.astype(np.int32),
            "gold": (question % 4).astype(np.int32),
            "correct": pred == question % 4,
            "loglikelihoods": lls,
            "probs": probs,
            "prompt_hash": "bench",
            "latency_ms": rng.random(n_runs * per_run) * 50,
            "status": "ok",
        }
    ).with_columns(
        golds=pl.concat_list("gold"),
        loglikelihoods=pl.col("loglikelihoods").cast(pl.List(pl.Float64)),
        probs=pl.col("probs").cast(pl.List(pl.Float64)),
    )

    def fill(con) -> None:
        writer.register_tasks(
            con,
            [
                (
                    TaskInfo(task=TASK, benchmark="synthetic", split="test", task_group="extra", source="generated"),
                    per_run,
                )
            ],
        )
        writer.register_questions(con, questions)
        for r, run_id in enumerate(run_ids):
            version_id = writer.register_model_version(
                con, ModelInfo(name="bench/model", revision=f"rev{r}", source="local")
            )
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
                    prompt_version="bench",
                    prompt_hash="bench",
                    settings={},
                    packages={},
                    tasks=(TASK,),
                ),
            )
        writer.append_predictions(con, predictions.drop("gold"), on_conflict=None)
        for run_id in run_ids:
            writer.finish_run(con, run_id, "complete", 1.0)

    execute_write(fill, path)
    return run_ids


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=50)
    parser.add_argument("--per-bundle", type=int, default=20_000)
    args = parser.parse_args()
    total = args.bundles * args.per_bundle

    with tempfile.TemporaryDirectory(prefix="medlb-bundles-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        run_ids = build_source(tmp / "source.duckdb", args.bundles, args.per_bundle)
        print(
            f"built source warehouse: {len(run_ids)} runs, {total:,} predictions in {time.perf_counter() - started:.1f}s"
        )

        started = time.perf_counter()
        bundles = export_runs(tmp / "source.duckdb", run_ids, tmp / "bundles")
        seconds = time.perf_counter() - started
        print(
            f"export: {len(bundles)} bundles, {folder_bytes(tmp / 'bundles') / 1e6:.1f} MB, {seconds:.1f}s "
            f"({total / seconds:,.0f} rows/s)"
        )

        started, cpu = time.perf_counter(), time.process_time()
        report = import_bundles(tmp / "central.duckdb", [tmp / "bundles"])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if report.refused or report.predictions_added != total:
            raise SystemExit(f"import went wrong:\n{report.summary()}")
        print(
            f"import into an empty warehouse: {report.predictions_added:,} predictions from {len(bundles)} "
            f"bundles in {seconds:.1f}s = {total / seconds:,.0f} rows/s ({seconds / len(bundles) * 1000:.0f} ms/bundle; "
            f"CPU {cpu:.1f}s, all threads)"
        )

        started, cpu = time.perf_counter(), time.process_time()
        again = import_bundles(tmp / "central.duckdb", [tmp / "bundles"])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"re-import (all {again.duplicates:,} rows already present, nothing added: {again.predictions_added}): "
            f"{seconds:.1f}s = {total / seconds:,.0f} rows/s (CPU {cpu:.1f}s)"
        )
        print(
            f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end "
            "(other work on the machine slows the wall-clock figures)"
        )


if __name__ == "__main__":
    main()
