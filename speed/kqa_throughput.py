"""K-QA throughput, side by side in one run on one loaded model: generation tokens/s batched (left-padded) against
one question at a time, and judgments/s of the two judge modes on the same (answer, statement) pairs.

The batched and one-at-a-time answers are checked equal (greedy) before the ratio is printed. Timings depend on
the machine and its load: read the ratios, not the seconds.

    .venv/bin/python speed/kqa_throughput.py [--model smollm2-135m-instruct] [--questions 4] [--new 16] [--pairs 4]
        [--reuse-pairs 40]

The third part times the log-likelihood judge on the first --reuse-pairs judge-set pairs two ways, each from an
empty prefix cache: as judge_pairs runs it (pairs ordered by answer, each answer's prompt a Request.prefix, a new
prefix continuing the cached instructions), and as it ran before (whole prompts, in the judge set's order, only
the openings a batch shares run once). Verdicts must be equal and P(true) within 1e-4.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import benchmarks  # noqa: E402
from pipeline.backends import create_backend  # noqa: E402
from pipeline.backends.base import GenerationRequest, Request  # noqa: E402
from pipeline.generation import messages_for  # noqa: E402
from pipeline.judging.judge import BATCH_SIZE, Judge, judge_set_pairs, ordered_for_reuse  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--questions", type=int, default=4)
    parser.add_argument("--new", type=int, default=16, help="max_new_tokens per answer")
    parser.add_argument("--pairs", type=int, default=4, help="judge-set pairs (each judged under both relations)")
    parser.add_argument("--reuse-pairs", type=int, default=40, help="judge-set pairs for the prompt-reuse timing")
    args = parser.parse_args()
    backend = create_backend("transformers", model=args.model, batch_size=args.questions)
    items = benchmarks.open_questions("kqa")[: args.questions]
    requests = [GenerationRequest(i.id, messages_for(i.question), args.new) for i in items]

    started = time.perf_counter()
    batched = backend.generate(requests)
    batched_s = time.perf_counter() - started
    started = time.perf_counter()
    single = [backend.generate([r])[0] for r in requests]
    single_s = time.perf_counter() - started
    same = [a.text == b.text for a, b in zip(batched, single)]
    tokens = sum(g.output_tokens for g in batched)
    print(f"generation, {len(requests)} answers, {tokens} tokens; batched == one at a time: {sum(same)}/{len(same)}")
    print(f"  batched      {tokens / batched_s:8.2f} tokens/s")
    print(f"  one at a time{tokens / single_s:8.2f} tokens/s   ratio batched/one-at-a-time {single_s / batched_s:.2f}x")

    pairs = judge_set_pairs(args.pairs)
    rates = {}
    for mode in ("loglikelihood", "generative"):
        judge = Judge(backend, mode)
        started = time.perf_counter()
        judge.judge(pairs)
        rates[mode] = len(pairs) / (time.perf_counter() - started)
    print(f"judging, {len(pairs)} judgments (judge-set pairs x entails/contradicts):")
    for mode, rate in rates.items():
        print(f"  {mode:14} {rate:8.3f} judgments/s")
    print(f"  ratio loglikelihood/generative {rates['loglikelihood'] / rates['generative']:.2f}x")
    equal = judge_prompt_reuse(backend, judge_set_pairs(args.reuse_pairs))
    backend.close()
    return 0 if all(same) and equal else 1


def judge_prompt_reuse(backend, pairs) -> bool:
    judge = Judge(backend, "loglikelihood")

    def timed(batches):
        backend._prefix_caches.clear()
        started = time.perf_counter()
        scores = {}
        for batch in batches:
            scores.update(zip(batch, backend.loglikelihood([request for _, request in batch])))
        return scores, time.perf_counter() - started

    def whole(pair):
        request = judge.scoring_request(pair)
        return Request(request.question_id, request.prompt, request.continuations)

    def in_batches(items):
        return [items[i : i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]

    now, now_s = timed(
        in_batches([((p.statement_id, p.relation), judge.scoring_request(p)) for p in ordered_for_reuse(pairs)])
    )
    before, before_s = timed(in_batches([((p.statement_id, p.relation), whole(p)) for p in pairs]))
    before = {key: scores for (key, _), scores in before.items()}
    now = {key: scores for (key, _), scores in now.items()}
    diffs = [abs(a - b) for key in now for a, b in zip(now[key].loglikelihoods, before[key].loglikelihoods)]
    verdicts_equal = all(
        (now[k].loglikelihoods[0] > now[k].loglikelihoods[1])
        == (before[k].loglikelihoods[0] > before[k].loglikelihoods[1])
        for k in now
    )
    answers = len({p.answer for p in pairs})
    print(
        f"judge prompt reuse, {len(pairs)} judgments over {answers} answers (loglikelihood, batches of {BATCH_SIZE}):"
    )
    print(f"  as before (whole prompts)   {len(pairs) / before_s:8.3f} judgments/s")
    print(
        f"  now (answer prefix, reused) {len(pairs) / now_s:8.3f} judgments/s   ratio now/before {before_s / now_s:.2f}x"
    )
    print(f"  same verdicts: {verdicts_equal}; max |log-likelihood difference| {max(diffs):.2e}")
    return verdicts_equal and max(diffs) < 1e-4


if __name__ == "__main__":
    sys.exit(main())
