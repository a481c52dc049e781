"""Import rate of run bundles: merge a 1M-prediction bundle set into a fresh warehouse.

    .venv/bin/python speed/bundle_import.py [--bundles 50] [--per-bundle 20000]

Builds a source warehouse of N runs x M predictions with DuckDB's range()/random() (no Python loop
over rows), exports every run as a bundle with pipeline.bundles.export_runs, then times
pipeline.bundles.import_bundles into an empty warehouse (the figure: predictions per second, every
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

from pipeline.bundles import export_runs, import_bundles
from warehouse.db import run_sql, write_connection

TASK = "synthetic_mcq"


def build_source(path: Path, n_runs: int, per_run: int) -> list[str]:
    """N runs of N model versions, each answering the same M questions; set-based SQL only."""
    with write_connection(path) as con:
        run_sql(con, "INSERT INTO models (model_id, source) VALUES ('bench/model', 'local')")
        run_sql(
            con,
            "INSERT INTO model_versions (version_id, model_id, revision, label) "
            "SELECT 'v' || lpad(r::VARCHAR, 5, '0'), 'bench/model', 'rev' || r, 'rev' || r FROM range(?) t(r)",
            [n_runs],
        )
        run_sql(
            con,
            "INSERT INTO benchmarks (task, benchmark, split, task_group, n_questions, source) "
            "VALUES (?, 'synthetic', 'test', 'extra', ?, 'generated')",
            [TASK, per_run],
        )
        run_sql(
            con,
            "INSERT INTO questions (question_id, task, source_id, content_hash, text, options, golds, meta) "
            "SELECT ? || '/' || i, ?, i::VARCHAR, md5(i::VARCHAR)[:16], 'Question number ' || i || '?', "
            "['first option', 'second option', 'third option', 'fourth option'], [i % 4], '{}' "
            "FROM range(?) t(i)",
            [TASK, TASK, per_run],
        )
        run_sql(
            con,
            "INSERT INTO runs (run_id, version_id, backend, scoring_mode, provenance, num_fewshot, dtype, "
            "device, prompt_version, prompt_hash, settings, packages, tasks, status, started_at, "
            "finished_at, seconds, n_predictions) "
            "SELECT 'run' || lpad(r::VARCHAR, 5, '0'), 'v' || lpad(r::VARCHAR, 5, '0'), 'synthetic', "
            "'loglikelihood', 'evaluated', 0, 'float32', 'cpu', 'bench', 'bench', '{}', '{}', [?], "
            "'complete', now()::TIMESTAMP, now()::TIMESTAMP, 1.0, ? FROM range(?) t(r)",
            [TASK, per_run, n_runs],
        )
        run_sql(
            con,
            """
            INSERT INTO predictions (run_id, question_id, variant, task, pred, golds, correct, loglikelihoods,
                                     probs, prompt_hash, latency_ms, status)
            WITH scored AS (
                SELECT r, q, [-random() * 5, -random() * 5, -random() * 5, -random() * 5] AS lls
                FROM range(?) a(r), range(?) b(q)
            ), expd AS (
                SELECT *, list_transform(lls, lambda x: exp(x)) AS e, list_position(lls, list_max(lls)) - 1 AS pred
                FROM scored
            )
            SELECT 'run' || lpad(r::VARCHAR, 5, '0'), ? || '/' || q, '', ?, pred, [q % 4], pred = q % 4, lls,
                   list_transform(e, lambda x: x / list_sum(e)), md5(q::VARCHAR)[:16], random() * 50, 'ok'
            FROM expd
        """,
            [n_runs, per_run, TASK, TASK],
        )
        return [row[0] for row in run_sql(con, "SELECT run_id FROM runs ORDER BY run_id")]


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
