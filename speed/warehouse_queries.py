"""Time the dashboard's queries on a synthetic warehouse of ~10 million predictions.

    .venv/bin/python speed/warehouse_queries.py [--versions 500] [--questions 20000] [--repeat 7]

Builds the warehouse in a temp file with DuckDB's range()/random() (no Python loops over rows), in the
order `medlb eval` writes it (run by run, task by task), then prints the median milliseconds of each
query function the dashboard calls. Two figures per query: on an open read-only connection (the SQL
itself) and end to end through a fresh short connection, as each dashboard call opens one.
Nothing here asserts a time; it prints figures for the README and the review.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse import queries, writer  # noqa: E402
from warehouse.db import read_connection, run_sql  # noqa: E402
from warehouse.migrate import migrate  # noqa: E402

OMLL_TASKS = [
    "medqa_4options",
    "medmcqa",
    "pubmedqa",
    "mmlu_anatomy",
    "mmlu_clinical_knowledge",
    "mmlu_college_biology",
    "mmlu_college_medicine",
    "mmlu_medical_genetics",
    "mmlu_professional_medicine",
]
N_MODELS = 200  # versions are spread over this many models, 2-3 versions each
EXTRA_RUNS = 5  # versions that get a second, newer, partial run of the same configuration (dedup path)
FEWSHOT_RUNS = 5  # versions that also get a 5-shot run (a separate leaderboard entry)
PARTIAL_QUESTIONS = 1000


def build_synthetic_warehouse(path: Path, n_versions: int, n_questions: int) -> int:
    """Fill `path` with a migrated warehouse; returns the number of predictions written."""
    con = duckdb.connect(str(path))
    try:
        run_sql(con, "SET enable_progress_bar = false")
        migrate(con)
        run_sql(con, "SELECT setseed(0.42)")
        run_sql(
            con,
            "INSERT INTO benchmarks (task, benchmark, split, task_group, n_questions, source) "
            "SELECT t, split_part(t, '_', 1), 'test', 'omll', 0, 'synthetic' FROM unnest($tasks) AS u(t)",
            {"tasks": OMLL_TASKS},
        )
        # Question i belongs to task i % 9; 12 subjects per task; the gold answer cycles over A-D.
        run_sql(
            con,
            "INSERT INTO questions (question_id, task, source_id, content_hash, text, options, golds, subject, meta) "
            "SELECT $tasks[q.range % 9 + 1] || '/' || q.range, $tasks[q.range % 9 + 1], q.range::VARCHAR, "
            "md5(q.range::VARCHAR)[:16], 'Synthetic question ' || q.range, ['one', 'two', 'three', 'four'], "
            "[(q.range // 9) % 4], 'subject ' || (q.range // 9) % 12, '{}' FROM range($n) q",
            {"tasks": OMLL_TASKS, "n": n_questions},
        )
        run_sql(
            con, "UPDATE benchmarks SET n_questions = (SELECT count(*) FROM questions q WHERE q.task = benchmarks.task)"
        )
        run_sql(
            con,
            "INSERT INTO models (model_id, family, model_type, license, source) "
            "SELECT 'org/model-' || m.range, 'model-' || m.range, "
            "['pretrained', 'instruct', 'fine-tuned', 'commercial'][m.range % 4 + 1], 'apache-2.0', 'hub' "
            "FROM range($n) m",
            {"n": N_MODELS},
        )
        run_sql(
            con,
            "INSERT INTO model_versions (version_id, model_id, revision, label, n_params, released_at) "
            "SELECT md5('version' || v.range)[:16], 'org/model-' || v.range % $models, md5('revision' || v.range), "
            "'v' || (v.range // $models + 1), (v.range % $models + 1) * 50000000, "
            "TIMESTAMP '2024-01-01' + INTERVAL (v.range) DAY FROM range($n) v",
            {"n": n_versions, "models": N_MODELS},
        )
        # One complete run per version; then a few newer partial runs of the same configuration, and a
        # few 5-shot runs. `skill` sets each run's accuracy so the leaderboard has a spread.
        run_sql(
            con,
            "CREATE TEMP TABLE run_plan AS "
            "SELECT md5('run' || v.range)[:16] AS run_id, md5('version' || v.range)[:16] AS version_id, 0 AS shots, "
            "  'complete' AS status, $n AS n_questions, 0.25 + 0.6 * v.range / $versions AS skill, v.range AS ord "
            "FROM range($versions) v "
            "UNION ALL SELECT md5('rerun' || v.range)[:16], md5('version' || v.range)[:16], 0, 'running', $partial, "
            "  0.5, $versions + v.range FROM range($extra) v "
            "UNION ALL SELECT md5('fewshot' || v.range)[:16], md5('version' || v.range)[:16], 5, 'complete', $partial, "
            "  0.6, 2 * $versions + v.range FROM range($extra, $extra + $fewshot) v",
            {
                "versions": n_versions,
                "n": n_questions,
                "partial": PARTIAL_QUESTIONS,
                "extra": EXTRA_RUNS,
                "fewshot": FEWSHOT_RUNS,
            },
        )
        run_sql(
            con,
            "INSERT INTO runs (run_id, version_id, backend, scoring_mode, provenance, num_fewshot, dtype, device, "
            "prompt_version, prompt_hash, settings, packages, tasks, status, started_at, finished_at, n_predictions) "
            "SELECT run_id, version_id, 'transformers', 'loglikelihood', 'evaluated', shots, 'float32', 'cpu', 'v1', "
            "'synthetic0000000', '{}', '{}', $tasks, status, TIMESTAMP '2024-06-01' + INTERVAL (ord) HOUR, "
            "CASE WHEN status = 'complete' THEN TIMESTAMP '2024-06-01' + INTERVAL (ord) HOUR + INTERVAL 1 HOUR END, "
            "n_questions FROM run_plan",
            {"tasks": OMLL_TASKS},
        )
        run_sql(
            con,
            "INSERT INTO predictions (run_id, question_id, variant, task, pred, golds, correct, loglikelihoods, probs, "
            "prompt_hash, latency_ms, status) "
            "WITH answered AS ("
            "  SELECT r.run_id, r.ord, q.question_id, q.task, q.golds, q.source_id::INTEGER AS i, "
            "    CASE WHEN random() < r.skill THEN q.golds[1] ELSE (random() * 4)::INTEGER % 4 END AS pred "
            "  FROM run_plan r JOIN questions q ON q.source_id::INTEGER < r.n_questions) "
            "SELECT run_id, question_id, '', task, pred, golds, pred = golds[1], "
            "  [-1.2, -1.9, -2.3, -2.8], [0.46, 0.23, 0.18, 0.13], md5(question_id)[:16], 40.0, 'ok' "
            "FROM answered ORDER BY ord, task, i",
        )
        # Rows written here bypass warehouse.writer, so its per-run counts (migration 006) are recounted once.
        writer.recount_runs(con, [run_id for (run_id,) in run_sql(con, "SELECT run_id FROM runs")])
        run_sql(con, "CHECKPOINT")
        return run_sql(con, "SELECT count(*) FROM predictions")[0][0]
    finally:
        con.close()


# ------------------------------------------------------------------ timing


def median_ms(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms of this process) over `repeat` calls after one warm-up call.

    CPU time is reported too because wall time on a shared machine includes waiting for other
    processes; on an idle 2-core machine wall time is about CPU time / 2 for the parallel scans."""
    call()  # warm: the first call pays for reading column segments from disk
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


PLAIN_LEADERBOARD = (
    "SELECT c.entry_id, c.task, count(*), count(*) FILTER (WHERE c.correct) FROM counted_predictions c "
    "JOIN benchmarks b ON b.task = c.task WHERE b.task_group = 'omll' GROUP BY ALL"
)


def measured_queries(path: Path) -> dict[str, Callable]:
    """name -> function(con): the query functions the dashboard pages call, with realistic arguments."""
    with read_connection(path) as con:
        board = queries.leaderboard(con, "omll")
        ranked = board.group_by("entry_id").agg(pl.col("n_correct").sum()).sort("n_correct", descending=True)
    best, second = ranked["entry_id"][0], ranked["entry_id"][1]
    model = "org/model-7"  # versions 7, 207 and 407: three versions
    question = "medmcqa/1234"
    return {
        "leaderboard": lambda con: queries.leaderboard(con, "omll"),
        # the same cells as one plain aggregate over the view, without prediction_counts: the "before"
        "  plain view aggregate": lambda con: run_sql(con, PLAIN_LEADERBOARD),
        "entries": lambda con: queries.entries(con),
        "compare": lambda con: queries.compare(con, best, second, "omll"),
        "history": lambda con: queries.history(con, model),
        "history_flips": lambda con: queries.history_flips(con, model),
        "question (view)": lambda con: queries.question_answers(con, question, "medmcqa"),
        "questions (list, one task)": lambda con: queries.questions(
            con, "omll", task="medmcqa", scope="everyone_wrong"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--questions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", help="build here and keep the file (default: a temp file, removed after)")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory(prefix="medlb-bench-")
    path = Path(args.keep) if args.keep else Path(folder.name) / "synthetic.duckdb"
    if not path.exists():
        start = time.perf_counter()
        rows = build_synthetic_warehouse(path, args.versions, args.questions)
        print(
            f"built {rows:,} predictions ({args.versions} versions x {args.questions:,} questions) "
            f"in {time.perf_counter() - start:.0f} s: {path} ({path.stat().st_size / 1e6:.0f} MB)"
        )
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before timing; median of {args.repeat} "
        "runs after one warm-up\n"
    )
    print(f"{'query':<28}{'open connection':>17}{'(CPU)':>11}{'fresh connection':>19}")
    calls = measured_queries(path)
    with read_connection(path) as con:
        on_open = {name: median_ms(lambda call=call: call(con), args.repeat) for name, call in calls.items()}

    def fresh(call):
        with read_connection(path) as con:
            return call(con)

    for name, call in calls.items():
        fresh_wall, _ = median_ms(lambda call=call: fresh(call), args.repeat)
        wall, cpu = on_open[name]
        print(f"{name:<28}{wall:>14.1f} ms{cpu:>8.1f} ms{fresh_wall:>16.1f} ms")
    connect_wall, _ = median_ms(lambda: fresh(lambda con: run_sql(con, "SELECT 1")), args.repeat)
    print(f"{'(connect + close only)':<28}{'':>28}{connect_wall:>16.1f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} after timing")
    folder.cleanup()


if __name__ == "__main__":
    main()
