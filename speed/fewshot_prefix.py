"""Few-shot prompts: the transformers backend's shared-prefix KV reuse against recomputing the prefix.

    .venv/bin/python speed/fewshot_prefix.py [--task mmlu_clinical_knowledge] [--questions 40]
        [--shots 5] [--repeat 3] [--batch-size 16] [--threads N] [--model smollm2-135m-instruct] [--device cpu]

The same K-shot requests are scored twice by one loaded backend:
  shared     as pipeline.prompts builds them: the shots are Request.prefix, so the backend runs them once
             and reuses their KV cache for every question;
  recomputed the prefix folded into Request.context (prefix ""), so the backend cannot tell it is shared
             and runs the shots again inside every prompt.
The two modes alternate, `--repeat` times each, and the median of each is printed with questions/s and
the ratio. The backend keeps prefix caches between calls, so they are dropped before every shared pass:
each pass pays for its prefix once, as one `medlb eval` run does. The script also prints the largest
difference between the two modes' log-likelihoods (the reuse must not move a number).
On a CPU shared with other busy processes, --threads 1 gives steadier figures (OpenMP threads that wait
for a busy core spin). Nothing here asserts a time; it prints figures for the README and the review.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import benchmarks, prompts  # noqa: E402
from pipeline.backends import create_backend  # noqa: E402
from pipeline.backends.base import Request  # noqa: E402
from pipeline.run import shots_for  # noqa: E402


def build_requests(task: str, n_questions: int, shots: int) -> tuple[list[Request], list[Request]]:
    """(shared, recomputed): the same prompts, with the shots as a shared prefix or inside each context."""
    questions = benchmarks.load_questions(task)[:n_questions]
    examples = shots_for(task, shots)
    shared = [prompts.build_request(q, examples) for q in questions]
    recomputed = [dataclasses.replace(r, context=r.prompt, prefix="") for r in shared]
    assert all(a.prompt == b.prompt for a, b in zip(shared, recomputed))
    return shared, recomputed


def timed_pass(backend, requests: list[Request], drop_prefix_cache: bool) -> tuple[float, list]:
    if drop_prefix_cache:
        # HFBackend keeps recent prefixes' KV caches across calls; a pass that found it warm would not
        # pay for its prefix at all, which no fresh run gets either.
        getattr(backend, "_prefix_caches", {}).clear()
    started = time.perf_counter()
    scores = backend.loglikelihood(requests)
    return time.perf_counter() - started, scores


def max_abs_difference(a, b) -> float:
    return max(abs(x - y) for sa, sb in zip(a, b) for x, y in zip(sa.loglikelihoods, sb.loglikelihoods))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--task", default="mmlu_clinical_knowledge")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    shared, recomputed = build_requests(args.task, args.questions, args.shots)
    started = time.perf_counter()
    backend = create_backend("transformers", model=args.model, batch_size=args.batch_size, device=args.device)
    print(
        f"loaded {args.model} on {args.device} in {time.perf_counter() - started:.1f}s, "
        f"{torch.get_num_threads()} torch threads"
    )
    try:
        encode = backend.tokenizer.encode
        prefix_tokens, prompt_tokens = len(encode(shared[0].prefix)), [len(encode(r.prompt)) for r in shared]
        print(
            f"{args.task}: {len(shared)} questions, {args.shots}-shot prefix of {prefix_tokens} tokens, "
            f"prompts {min(prompt_tokens)}-{max(prompt_tokens)} tokens (mean {statistics.mean(prompt_tokens):.0f}), "
            f"batch size {args.batch_size}"
        )
        timed_pass(backend, shared[:2], drop_prefix_cache=True)  # warm-up: first-call allocations
        times = {"shared": [], "recomputed": []}
        scores = {}
        for _ in range(args.repeat):
            seconds, scores["recomputed"] = timed_pass(backend, recomputed, drop_prefix_cache=False)
            times["recomputed"].append(seconds)
            seconds, scores["shared"] = timed_pass(backend, shared, drop_prefix_cache=True)
            times["shared"].append(seconds)
    finally:
        backend.close()

    n = len(shared)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    print(f"{'mode':12} {'median s':>9} {'questions/s':>12}  all passes (s)")
    for mode in ("recomputed", "shared"):
        runs = " ".join(f"{t:.2f}" for t in times[mode])
        print(f"{mode:12} {medians[mode]:9.2f} {n / medians[mode]:12.2f}  {runs}")
    print(f"speed-up of shared-prefix KV reuse: {medians['recomputed'] / medians['shared']:.2f}x")
    print(
        f"max |log-likelihood difference| between the modes: {max_abs_difference(scores['shared'], scores['recomputed']):.2e}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
