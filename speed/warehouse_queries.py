"""Time the dashboard's queries on a synthetic warehouse of ~10 million predictions.

    .venv/bin/python speed/warehouse_queries.py [--versions 500] [--questions 20000] [--repeat 7]

Builds the warehouse in a temp file through warehouse.writer (each run's rows one numpy-built frame, no
Python loop over predictions), in the order `medlb eval` writes it (run by run, task by task), then prints the median milliseconds of each
query function the dashboard calls. Two figures per query: on an open read-only connection (the SQL
itself) and end to end through a fresh short connection, as each dashboard call opens one.
Nothing here asserts a time; it prints figures for the README and the review.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse import imports, queries, writer  # noqa: E402
from warehouse.db import execute_write, read_connection, run_sql  # noqa: E402
from warehouse.records import ModelInfo, Question, RunSpec, TaskInfo  # noqa: E402

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


def synthetic_questions(n_questions: int) -> list[Question]:
    """Question i belongs to task i % 9; 12 subjects per task; the gold answer cycles over A-D."""
    return [
        Question(
            id=f"{OMLL_TASKS[i % 9]}/{i}",
            task=OMLL_TASKS[i % 9],
            source_id=str(i),
            text=f"Synthetic question {i}",
            options=("one", "two", "three", "four"),
            golds=((i // 9) % 4,),
            subject=f"subject {(i // 9) % 12}",
        )
        for i in range(n_questions)
    ]


def synthetic_versions(n_versions: int) -> list[ModelInfo]:
    """n_versions versions spread over N_MODELS models, released a day apart."""
    return [
        ModelInfo(
            name=f"org/model-{v % N_MODELS}",
            revision=hashlib.md5(f"revision{v}".encode()).hexdigest(),
            label=f"v{v // N_MODELS + 1}",
            n_params=(v % N_MODELS + 1) * 50_000_000,
            model_type=("pretrained", "instruct", "fine-tuned", "commercial")[(v % N_MODELS) % 4],
            license="apache-2.0",
            released_at=(date(2024, 1, 1) + timedelta(days=v)).isoformat(),
        )
        for v in range(n_versions)
    ]


def run_plan(version_ids: list[str], n_questions: int) -> list[dict]:
    """One complete run per version; then a few newer partial runs of the same configuration, and a few
    5-shot runs. `skill` sets each run's accuracy so the leaderboard has a spread; `ord` is its start hour."""
    n = len(version_ids)
    plan = [
        dict(kind="run", v=v, ord=v, shots=0, status="complete", n_questions=n_questions, skill=0.25 + 0.6 * v / n)
        for v in range(n)
    ]
    plan += [
        dict(kind="rerun", v=v, ord=n + v, shots=0, status="running", n_questions=PARTIAL_QUESTIONS, skill=0.5)
        for v in range(EXTRA_RUNS)
    ]
    plan += [
        dict(kind="fewshot", v=v, ord=2 * n + v, shots=5, status="complete", n_questions=PARTIAL_QUESTIONS, skill=0.6)
        for v in range(EXTRA_RUNS, EXTRA_RUNS + FEWSHOT_RUNS)
    ]
    for run in plan:
        run["run_id"] = hashlib.md5(f"{run['kind']}{run['v']}".encode()).hexdigest()[:16]
        run["version_id"] = version_ids[run["v"]]
    return plan


def run_answers(run: dict, questions: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The run's predictions in the order `medlb eval` writes them: task by task, question by question."""
    asked = questions.filter(pl.col("i") < run["n_questions"])
    gold = asked["gold"].to_numpy()
    right = rng.random(len(asked)) < run["skill"]
    pred = np.where(right, gold, rng.integers(0, 4, len(asked))).astype(np.int32)
    return asked.select(
        pl.lit(run["run_id"]).alias("run_id"),
        "question_id",
        pl.lit("").alias("variant"),
        "task",
        pl.Series("pred", pred),
        pl.concat_list("gold").alias("golds"),
        pl.Series("correct", pred == gold),
        pl.lit([-1.2, -1.9, -2.3, -2.8]).alias("loglikelihoods"),
        pl.lit([0.46, 0.23, 0.18, 0.13]).alias("probs"),
        "prompt_hash",
        pl.lit(40.0).alias("latency_ms"),
        pl.lit("ok").alias("status"),
    )


def build_synthetic_warehouse(path: Path, n_versions: int, n_questions: int) -> int:
    """Fill `path` through warehouse.writer, as `medlb eval` would: the tasks, questions and versions in one
    write, then each run in its own; returns the number of predictions written."""
    questions = synthetic_questions(n_questions)
    sizes = Counter(q.task for q in questions)
    tasks = [(TaskInfo(t, t.split("_")[0], "test", source="synthetic"), sizes[t]) for t in OMLL_TASKS]

    def reference_rows(con) -> list[str]:
        writer.register_tasks(con, tasks)
        writer.register_questions(con, questions)
        return [writer.register_model_version(con, info) for info in synthetic_versions(n_versions)]

    version_ids = execute_write(reference_rows, path)
    frame = pl.DataFrame(
        {
            "i": range(n_questions),
            "question_id": [q.id for q in questions],
            "task": [q.task for q in questions],
            "gold": [q.golds[0] for q in questions],
            "prompt_hash": [hashlib.md5(q.id.encode()).hexdigest()[:16] for q in questions],
        },
        schema_overrides={"gold": pl.Int32},
    ).sort("task", "i")
    rng = np.random.default_rng(42)
    for run in run_plan(version_ids, n_questions):
        started = datetime(2024, 6, 1) + timedelta(hours=run["ord"])
        spec = RunSpec(
            run_id=run["run_id"],
            version_id=run["version_id"],
            backend="transformers",
            scoring_mode="loglikelihood",
            provenance="evaluated",
            num_fewshot=run["shots"],
            dtype="float32",
            device="cpu",
            prompt_version="v1",
            prompt_hash="synthetic0000000",
            settings={},
            packages={},
            tasks=tuple(OMLL_TASKS),
        )

        def write_run(con, run=run, spec=spec, started=started) -> None:
            writer.start_run(con, spec)
            writer.append_predictions(con, run_answers(run, frame, rng), on_conflict=None)
            finished = None
            if run["status"] == "complete":
                writer.finish_run(con, spec.run_id, "complete", 3600.0)
                finished = started + timedelta(hours=1)
            imports.set_run_times(con, spec.run_id, started, finished)  # the times it ran, not now

        execute_write(write_run, path)
    with read_connection(path) as con:
        return run_sql(con, "SELECT count(*) FROM predictions")[0][0]


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
