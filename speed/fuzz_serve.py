"""Fuzz pipeline.serve's HTTP layer with the property of tests/pipeline/test_serve_fuzz.py, at a larger budget.

    .venv/bin/python speed/fuzz_serve.py [--examples 5000] [--seed 0]

The same random requests (methods, paths, headers, keys, bodies of random bytes or JSON) against the same
stand-in model, but without stopping at the first failure: it prints how many requests it tried, how their
replies' statuses were spread, and each violation it found with the request behind it. Exit status 1 if any.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.pipeline.test_serve_fuzz import check, exchanges, fuzz_server

SHOWN = 10  # violations printed in full; the rest are counted


def fuzz(examples: int, random_seed: int) -> tuple[Counter, list[tuple[object, list[str]]]]:
    """(statuses seen, [(request, its violations)]) over `examples` random requests."""
    statuses: Counter = Counter()
    failures: list[tuple[object, list[str]]] = []
    with fuzz_server() as server:

        @seed(random_seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(exchanges())
        def one(exchange):
            verdict = check(server, exchange)
            statuses[verdict.status] += 1
            if verdict.violations:
                failures.append((exchange, verdict.violations))

        one()
    return statuses, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.redirect_stderr(io.StringIO()):  # the server's one log line per request
        statuses, failures = fuzz(args.examples, args.seed)
    print(f"inputs tried: {sum(statuses.values())} (seed {args.seed})")
    print("statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items(), key=str)))
    print(f"failures found: {len(failures)}")
    for exchange, found in failures[:SHOWN]:
        print(f"\n{exchange.to_bytes()[:300]!r}\n  " + "\n  ".join(found))
    if len(failures) > SHOWN:
        print(f"\n... and {len(failures) - SHOWN} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
