"""Exact coverage of 95% intervals at small n, side by side: for accuracy (Wald, as the dashboard showed
before, against Wilson and Clopper-Pearson) and for the paired difference acc(B) - acc(A) (the percentile
bootstrap the Compare page used before, the BCa bootstrap, and Newcombe's paired method it uses now).

Coverage is computed exactly, not by simulation: every possible outcome at n questions is enumerated and
weighted by its probability under the true rates (outcomes less likely than 1e-7 are skipped; the
skipped mass is printed). The bootstrap intervals are each outcome's own (2000 resamples, seed 0).

    .venv/bin/python speed/paired_interval_coverage.py
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
from scipy import stats

from pipeline.metrics import PairedTable, newcombe_paired_ci, paired_bootstrap_ci, wilson_interval

MIN_PROBABILITY = 1e-7
# True cell probabilities (both right, A only, B only, both wrong); B - A = B only - A only.
SCENARIOS = {
    "B 10 points better, 20% disagree": (0.45, 0.05, 0.15, 0.35),
    "equal, 10% disagree": (0.60, 0.05, 0.05, 0.30),
    "B 20 points better, chance-level A": (0.20, 0.05, 0.25, 0.50),
}


def wald(k: int, n: int) -> tuple[float, float]:
    p = k / n
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / n)
    return (max(0.0, p - half), min(1.0, p + half))


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(method="exact")
    return (ci.low, ci.high)


def accuracy_coverage(n: int, p: float, interval) -> float:
    return sum(stats.binom.pmf(k, n, p) for k in range(n + 1) if interval(k, n)[0] <= p <= interval(k, n)[1])


def bca_ci(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate resample distribution warns and gives NaN
        result = stats.bootstrap(
            (a, b),
            lambda x, y, axis=-1: y.mean(axis=axis) - x.mean(axis=axis),
            paired=True,
            vectorized=True,
            n_resamples=2000,
            method="BCa",
            rng=np.random.default_rng(0),
        )
    low, high = result.confidence_interval
    return (low, high) if not (math.isnan(low) or math.isnan(high)) else (0.0, 0.0)


def answers(table: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    both_right, a_only, b_only, both_wrong = table
    a = np.array([1] * both_right + [1] * a_only + [0] * b_only + [0] * both_wrong, dtype=float)
    b = np.array([1] * both_right + [0] * a_only + [1] * b_only + [0] * both_wrong, dtype=float)
    return a, b


def paired_coverage(n: int, cells: tuple[float, ...]) -> tuple[dict[str, float], float]:
    truth = cells[2] - cells[1]
    methods = {
        "percentile bootstrap": lambda t: paired_bootstrap_ci(*answers(t), n_resamples=2000, seed=0),
        "BCa bootstrap": lambda t: bca_ci(*answers(t)),
        "Newcombe paired": lambda t: newcombe_paired_ci(PairedTable(*t)),
    }
    covered = dict.fromkeys(methods, 0.0)
    skipped = 0.0
    for first, second, third in itertools.product(range(n + 1), repeat=3):
        fourth = n - first - second - third
        if fourth < 0:
            continue
        table = (first, second, third, fourth)
        probability = stats.multinomial.pmf(table, n, cells)
        if probability < MIN_PROBABILITY:
            skipped += probability
            continue
        for name, method in methods.items():
            low, high = method(table)
            covered[name] += probability * (low - 1e-12 <= truth <= high + 1e-12)
    return covered, skipped


def main() -> None:
    print("Accuracy, 95% intervals: exact coverage (nominal 0.95)")
    print(f"{'n':>4} {'p':>5} {'Wald':>7} {'Wilson':>7} {'Clopper-P':>9}")
    for n, p in itertools.product((5, 10, 25), (0.05, 0.25, 0.5)):
        row = [accuracy_coverage(n, p, f) for f in (wald, wilson_interval, clopper_pearson)]
        print(f"{n:4d} {p:5.2f} {row[0]:7.3f} {row[1]:7.3f} {row[2]:9.3f}")
    print()
    print("Paired difference acc(B) - acc(A), 95% intervals: exact coverage (nominal 0.95)")
    for scenario, cells in SCENARIOS.items():
        for n in (10, 20):
            covered, skipped = paired_coverage(n, cells)
            figures = "  ".join(f"{name} {value:.3f}" for name, value in covered.items())
            print(f"n={n:3d} {scenario:38} {figures}  (skipped mass {skipped:.1e})")


if __name__ == "__main__":
    main()
