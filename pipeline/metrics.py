"""Metrics as pure functions over arrays: no I/O, no warehouse, no torch.

Where the SQL computes the same number, its macro (warehouse/migrations/007_macros.sql) is named in the
docstring, and tests/warehouse/test_macros.py checks that both agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

Z95 = 1.959963984540054  # the two-sided 95% normal quantile, written out as the SQL macros write it


@dataclass(frozen=True)
class Accuracy:
    n: int
    correct: int
    acc: float
    stderr: float  # sample standard error, as lm-evaluation-harness reports acc_stderr
    low: float  # 95% interval (normal approximation, clipped to [0, 1])
    high: float


def accuracy_interval(n_correct: int, n: int) -> tuple[float, float, float]:
    """(stderr, low, high) of n_correct right out of n (SQL: acc_stderr, acc_low, acc_high).

    The sample standard error of a 0/1 vector is sqrt(p (1 - p) / (n - 1)); the interval is p ± 1.96 of
    it, clipped to [0, 1]. One answer has no spread: no stderr, and the interval is all of [0, 1]."""
    if n < 2:
        return math.nan, 0.0, 1.0
    acc = n_correct / n
    stderr = math.sqrt(acc * (1 - acc) / (n - 1))
    return stderr, max(0.0, acc - Z95 * stderr), min(1.0, acc + Z95 * stderr)


def accuracy(correct: Sequence[bool] | np.ndarray) -> Accuracy:
    values = np.asarray(correct, dtype=bool)
    n, n_correct = int(values.size), int(values.sum())
    if n == 0:
        return Accuracy(0, 0, math.nan, math.nan, math.nan, math.nan)
    return Accuracy(n, n_correct, n_correct / n, *accuracy_interval(n_correct, n))


def scored_correct(pred: int | None, pred_set: Sequence[int] | None, golds: Sequence[int]) -> bool:
    """Whether an answer is right: the one rule for the rows a run writes, an lm-eval import makes and a
    bundle import checks. A predicted set is right when it is the gold set (the exact match of multi-answer
    tasks; SQL: set_exact); a single pick when it is the one gold, so a pick is never right on a
    multi-answer question."""
    if pred_set is not None:
        return set(pred_set) == set(golds)
    return pred is not None and [pred] == list(golds)


def softmax(loglikelihoods: Sequence[float]) -> list[float]:
    return special.softmax(np.asarray(loglikelihoods, dtype=float)).tolist()


def leaderboard_average(task_accuracies: Sequence[float], n_tasks: int) -> float | None:
    """The leaderboard average: every task counts once, whatever its size, and only an entry with all
    `n_tasks` tasks gets one (an average over fewer tasks would rank it against a different test)."""
    if n_tasks == 0 or len(task_accuracies) != n_tasks:
        return None
    return float(np.mean(task_accuracies))


def weighted_mean(task_accuracies: Sequence[float], sizes: Sequence[int]) -> float:
    """Size-weighted mean: every question counts once."""
    sizes_arr = np.asarray(sizes, dtype=float)
    return float(np.dot(task_accuracies, sizes_arr) / sizes_arr.sum()) if sizes_arr.sum() else math.nan


# The paired 2x2 table between answers A (earlier) and B (later) to the same questions:
# cell -> (A correct, B correct). SQL: flip_kind(was_correct, is_correct) returns the cell's name.
FLIP_CELLS = {
    "fixed": (False, True),
    "broken": (True, False),
    "still_wrong": (False, False),
    "still_right": (True, True),
}


@dataclass(frozen=True)
class PairedTable:
    both_right: int  # still_right
    a_only: int  # A right, B wrong: broken
    b_only: int  # B right, A wrong: fixed
    both_wrong: int  # still_wrong


def paired_table(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> PairedTable:
    a = np.asarray(a_correct, dtype=bool)
    b = np.asarray(b_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("paired metrics need the same questions for both models")
    counts = {cell: int(((a == was) & (b == now)).sum()) for cell, (was, now) in FLIP_CELLS.items()}
    return PairedTable(counts["still_right"], counts["broken"], counts["fixed"], counts["still_wrong"])


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Exact (binomial) McNemar p-value, two-sided, on the discordant pairs."""
    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    return float(stats.binomtest(min(a_only, b_only), discordant, 0.5, alternative="two-sided").pvalue)


def _difference_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return b.mean(axis=axis) - a.mean(axis=axis)


def paired_bootstrap_ci(
    a_correct: Sequence[bool], b_correct: Sequence[bool], n_resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of acc(B) - acc(A), resampling questions (pairs stay together)."""
    a = np.asarray(a_correct, dtype=float)
    b = np.asarray(b_correct, dtype=float)
    if a.size == 0:
        return (math.nan, math.nan)
    if a.size == 1:  # every resample is the one question (scipy needs two observations to resample)
        return (float(b[0] - a[0]), float(b[0] - a[0]))
    result = stats.bootstrap(
        (a, b),
        _difference_of_means,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return (float(result.confidence_interval.low), float(result.confidence_interval.high))
