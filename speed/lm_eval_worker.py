"""lm-evaluation-harness as a long-lived worker: load the model once, then evaluate one task per stdin line.

Runs with the Python of the separate lm-eval virtualenv that speed/lm_eval_vs_medlb.py builds (never the
project's .venv; it imports nothing of medlb). Protocol, one JSON object per line:
  stdout {"ready": true, "load_seconds": s, "threads": n}          once the model is loaded;
  stdin  {"task": t, "docs": [start, end]}                         evaluate documents start..end-1 of task t
                                                                   (simple_evaluate's `samples`);
  stdout {"task": t, "seconds": s, "samples": path}                when done (samples written by lm-eval's
                                                                   own EvaluationTracker, as --log_samples does).
Only lm-eval's simple_evaluate call is timed; writing the samples files comes after the clock stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="a transformers model folder")
    parser.add_argument("--batch-size", required=True, help="an integer, or auto")
    parser.add_argument("--include-path", required=True, help="folder of task YAMLs")
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    started = time.perf_counter()
    batch_size = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    lm = HFLM(pretrained=args.model, dtype="float32", device="cpu", batch_size=batch_size)
    manager = TaskManager(include_path=args.include_path)
    reply({"ready": True, "load_seconds": time.perf_counter() - started, "threads": torch.get_num_threads()})

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        task, (start, end) = request["task"], request["docs"]
        output = args.output / task / f"{start:05d}-{end:05d}"
        tracker = EvaluationTracker(output_path=str(output))  # as `lm-eval run --output_path` does
        started = time.perf_counter()
        results = simple_evaluate(
            model=lm,
            tasks=[task],
            task_manager=manager,
            samples={task: list(range(start, end))},
            log_samples=True,
            batch_size=batch_size,
            evaluation_tracker=tracker,
        )
        seconds = time.perf_counter() - started
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        tracker.save_results_samples(task_name=task, samples=samples[task])
        [written] = output.rglob(f"samples_{task}_*.jsonl")
        reply({"task": task, "seconds": seconds, "samples": str(written)})
    return 0


def reply(message: dict) -> None:
    print("MEDLB-SPEED " + json.dumps(message), flush=True)


if __name__ == "__main__":
    sys.exit(main())
