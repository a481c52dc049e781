"""Fuzz every input target of tests/fuzz/ with the same property as its test, at a large budget.

    .venv/bin/python speed/fuzz_inputs.py [--examples 1000] [--seed 0] [--targets loaders,lm_eval,bundles,dashboard]

Unlike the tests (a fixed small budget, stopping at the first failure), this tries --examples inputs per
target and keeps going: it prints, per target, the inputs tried, the failures found, and the first few
failing inputs with what went wrong. The HTTP server has its own runner, speed/fuzz_serve.py. Exit status 1
if any target failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.fuzz import targets

SHOWN = 12  # failing inputs printed per target


def fuzz(target: targets.Target, examples: int, random_seed: int) -> tuple[int, list[tuple[object, list[str]]]]:
    """(inputs tried, [(input, its violations)]) over `examples` random inputs of one target."""
    tried = 0
    failures: list[tuple[object, list[str]]] = []
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target.name}-") as folder, target.session(Path(folder)) as check:

        @seed(random_seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(target.cases())
        def one(case):
            nonlocal tried
            tried += 1
            found = check(case)
            if found:
                failures.append((case, found))

        one()
    return tried, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="inputs per target (dashboard: a tenth)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", default=",".join(targets.TARGETS))
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # streamlit's and the server's chatter
    failed = False
    print(f"{'target':<12}{'inputs tried':>14}{'failures':>10}{'seconds':>10}   (seed {args.seed})")
    for name in args.targets.split(","):
        target = targets.TARGETS[name]
        examples = max(1, args.examples // target.cost)
        started = time.monotonic()
        with contextlib.redirect_stderr(io.StringIO()):
            tried, failures = fuzz(target, examples, args.seed)
        print(f"{name:<12}{tried:>14}{len(failures):>10}{time.monotonic() - started:>10.0f}", flush=True)
        for case, found in failures[:SHOWN]:
            print(f"    {case!r:.300}\n      " + "\n      ".join(f"{line:.400}" for line in found))
        failed |= bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
