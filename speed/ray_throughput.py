"""Questions per second of `medlb eval` locally and on 1 and 2 Ray actors, side by side in one run
(with --generation: K-QA answers per second, `medlb eval --tasks kqa`).

Each configuration evaluates the same questions into its own fresh warehouse (so each scores all of them).
Scoring throughput counts from the first write to the last (evaluate's own seconds; the local run's model is loaded before it, as
the actors' are); "with startup" adds model loading and, for Ray, the actors' start. On a 2-core machine expect
parity or a small loss for Ray: the actors share the cores a local run uses with two threads. The point is that
the same command scales out on a cluster. Timings depend on the machine and its load: read the ratios.

    .venv/bin/python speed/ray_throughput.py [--per-task 4] [--tasks medqa_4options,pubmedqa,mmlu_anatomy]
    .venv/bin/python speed/ray_throughput.py --generation [--per-task 8] [--max-new-tokens 32] [--batch-size 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipeline.backends import create_backend  # noqa: E402
from pipeline.distributed import evaluate_on_ray, generate_on_ray  # noqa: E402
from pipeline.generation import Sampling, generate_answers  # noqa: E402
from pipeline.run import EvalConfig, backend_options, evaluate  # noqa: E402


def run_once(args, config: EvalConfig, actors: int | None) -> tuple[int, float]:
    """(questions or answers done, the run's own seconds) of one configuration: local when actors is None."""
    cpus = max(1, (os.cpu_count() or 1) // (actors or 1))
    if args.generation:
        sampling = Sampling(max_new_tokens=args.max_new_tokens)
        if actors is None:
            backend = create_backend(config.backend, **backend_options(config))
            result = generate_answers(config, sampling, backend=backend, progress_bar=False)
            backend.close()
        else:
            result = generate_on_ray(config, sampling, actors=actors, cpus_per_actor=cpus, progress=False)
        return result.n_generated, result.seconds
    if actors is None:  # the model loaded before evaluate, as the actors load theirs before it
        backend = create_backend(config.backend, **backend_options(config))
        result = evaluate(config, backend=backend, progress=False)
        backend.close()
    else:
        result = evaluate_on_ray(config, actors=actors, cpus_per_actor=cpus, progress=False)
    return result.n_scored, result.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tasks", default="medqa_4options,pubmedqa,mmlu_anatomy")
    parser.add_argument("--per-task", type=int, default=4)
    parser.add_argument("--generation", action="store_true", help="K-QA answers instead of multiple choice")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="with --generation")
    parser.add_argument("--batch-size", type=int, default=None, help="default 16, with --generation 1")
    args = parser.parse_args()
    tasks = ["kqa"] if args.generation else args.tasks.split(",")
    batch_size = args.batch_size or (1 if args.generation else 16)
    noun = "answers" if args.generation else "questions"
    import ray

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)  # one instance for both Ray rows
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, actors in (("local", None), ("ray 1 actor", 1), ("ray 2 actors", 2)):
            config = EvalConfig(
                model=args.model,
                tasks=tasks,
                limit=args.per_task,
                warehouse=f"{folder}/{name}.duckdb",
                batch_size=batch_size,
            )
            started = time.monotonic()
            n, seconds = run_once(args, config, actors)
            rows.append((name, n, seconds, time.monotonic() - started))
    ray.shutdown()
    base = rows[0][1] / rows[0][2]
    print(f"{'configuration':14} {noun:>9} {noun + '/s':>11} {'vs local':>8} {'s with startup':>14}")
    for name, n, seconds, total in rows:
        rate = n / seconds
        print(f"{name:14} {n:9d} {rate:11.2f} {rate / base:8.2f} {total:14.1f}")


if __name__ == "__main__":
    main()
