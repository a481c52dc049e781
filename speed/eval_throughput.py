"""Questions per second of the transformers backend against the obvious way, side by side in one run.

(a) the backend: one call over a mixed batch of real requests (letters, yes/no/maybe, HEAD-QA answer texts),
    with its shortcuts: last-position logits, KV-cache reuse, length-sorted batches;
(b) the baseline: one question at a time, one full forward pass of prompt+choice per choice, no cache.

Both score the same requests with the same loaded model; the script checks they agree (lm-eval-exact)
before it prints the ratio. Timings depend on the machine and its load: read the ratio, not the seconds.

    .venv/bin/python speed/eval_throughput.py [--model smollm2-135m-instruct] [--per-task 3] [--shots 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from pipeline import benchmarks, prompts  # noqa: E402
from pipeline.backends import create_backend  # noqa: E402
from pipeline.backends.base import Request  # noqa: E402

DEFAULT_TASKS = benchmarks.OMLL_TASKS + ("headqa_en",)


def build_requests(tasks, per_task: int, shots: int) -> list[Request]:
    requests = []
    for task in tasks:
        examples = tuple(benchmarks.fewshot_pool(task)[:shots]) if shots else ()
        requests += [prompts.build_request(q, examples) for q in benchmarks.demo_sample(task, per_task)]
    return requests


def full_pass_scores(backend, request: Request) -> list[float]:
    """The baseline: every choice gets its own forward pass over prompt+choice (lm-eval's tokenization)."""
    totals = []
    for choice in request.continuations:
        context, tokens = backend.encode_pair(request.prompt, choice)
        with torch.inference_mode():
            logits = backend.model(input_ids=torch.tensor([context + tokens], device=backend.device)).logits[0]
        logprobs = logits.float().log_softmax(-1)
        totals.append(sum(logprobs[len(context) - 1 + i, t].item() for i, t in enumerate(tokens)))
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS))
    parser.add_argument("--per-task", type=int, default=3)
    parser.add_argument("--shots", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    requests = build_requests(benchmarks.resolve_tasks(args.tasks), args.per_task, args.shots)
    backend = create_backend("transformers", model=args.model, device=args.device, batch_size=args.batch_size)
    n_choices = sum(len(r.continuations) for r in requests)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"model {backend.info.name} ({backend.info.revision[:19]}), {len(requests)} questions, {n_choices} choices, "
        f"{args.shots}-shot, device {args.device}, torch threads {torch.get_num_threads()}, load {load:.1f}"
    )

    backend.loglikelihood(requests[:2])  # warm-up: first-call allocations are not the backend's speed
    started = time.perf_counter()
    fast = backend.loglikelihood(requests)
    fast_seconds = time.perf_counter() - started

    started = time.perf_counter()
    slow = [full_pass_scores(backend, r) for r in tqdm(requests, desc="baseline: full passes", unit="q")]
    slow_seconds = time.perf_counter() - started

    worst = max(abs(a - b) for s, f in zip(slow, fast) for a, b in zip(s, f.loglikelihoods))
    print(f"max |difference| between the two, per choice: {worst:.2e}")
    print(
        f"(a) backend (batched, cached):          {len(requests) / fast_seconds:7.2f} questions/s  ({fast_seconds:.1f} s)"
    )
    print(
        f"(b) one question, full pass per choice: {len(requests) / slow_seconds:7.2f} questions/s  ({slow_seconds:.1f} s)"
    )
    print(f"ratio (a)/(b): {slow_seconds / fast_seconds:.2f}x")
    backend.close()
    return 0 if worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
