"""Metrics as pure functions over arrays: no I/O, no warehouse, no torch.

Where the SQL computes the same number, its macro (warehouse/migrations/007_macros.sql) is named in the
docstring, and tests/warehouse/test_macros.py checks that both agree.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# scipy.stats and statsmodels are imported inside the functions that use them, not here: together they take
# about 1.5 s to import (speed/page_speed.py prints it), and a dashboard page that shows no test (Runs,
# About, a question) or the CLI's --help should not pay for them. Every statistic still comes from them.

Z95 = 1.959963984540054  # the two-sided 95% normal quantile, written out as the SQL macros write it


# Accuracy's 95% interval is Wilson's score interval, from scipy. Why Wilson and not Clopper-Pearson: both
# are exact-where-cheap and never leave [0, 1], but Clopper-Pearson is built to cover at least 95% for
# every p and so covers 97-99% at the n of a sampled task (wider than it needs to be), while Wilson's
# coverage stays close to 95% on average (Brown, Cai & DasGupta 2001, "Interval estimation for a binomial
# proportion"). Unlike the normal (Wald) interval it keeps a width at 0/n and n/n: 0/25 is [0, 13.3%].
INTERVAL_METHOD = "Wilson score"
LEVEL = 0.95


@dataclass(frozen=True)
class Accuracy:
    n: int
    correct: int
    acc: float
    stderr: float  # sample standard error, as lm-evaluation-harness reports acc_stderr
    low: float  # 95% Wilson score interval
    high: float


@functools.lru_cache(maxsize=65536)
def wilson_interval(n_correct: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The Wilson score interval of n_correct right out of n (scipy's binomtest); NaN for n = 0."""
    from scipy import stats

    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= n_correct <= n:
        raise ValueError(f"n_correct must be within 0..{n}, got {n_correct}")
    interval = stats.binomtest(int(n_correct), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return (float(interval.low), float(interval.high))


def sample_stderr(n_correct: int, n: int) -> float:
    """sqrt(p (1 - p) / (n - 1)), the sample standard error lm-evaluation-harness reports as acc_stderr
    (SQL: acc_stderr); NaN for n < 2. Kept for the leaderboard's average, never shown as an interval."""
    if n < 2:
        return math.nan
    acc = n_correct / n
    return math.sqrt(acc * (1 - acc) / (n - 1))


def accuracy_interval(n_correct: int, n: int) -> tuple[float, float, float]:
    """(stderr, low, high) of n_correct right out of n: the sample standard error and the 95% Wilson
    interval."""
    return (sample_stderr(n_correct, n), *wilson_interval(n_correct, n))


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


def format_interval(low: float | None, high: float | None, digits: int = 1, percent: bool = True) -> str:
    """'[low, high]' (asymmetric intervals are never written as ±); '' when there is none."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return ""
    scale = 100 if percent else 1
    return f"[{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def softmax(loglikelihoods: Sequence[float]) -> list[float]:
    from scipy import special

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
    from scipy import stats

    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    return float(stats.binomtest(min(a_only, b_only), discordant, 0.5, alternative="two-sided").pvalue)


def _difference_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return b.mean(axis=axis) - a.mean(axis=axis)


def paired_bootstrap_ci(
    a_correct: Sequence[bool], b_correct: Sequence[bool], n_resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of acc(B) - acc(A), resampling questions (pairs stay together).

    The Compare page showed this before issue 13; at small n it under-covers (0.80 at 10 questions where
    Newcombe's covers 0.99: speed/paired_interval_coverage.py), so the pages use newcombe_paired_ci and
    this stays only to be measured against."""
    from scipy import stats

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


def newcombe_paired_ci(table: PairedTable, level: float = LEVEL) -> tuple[float, float]:
    """95% interval of acc(B) - acc(A) on paired answers: Newcombe's square-and-add method for paired
    proportions (Newcombe 1998, Stat Med 17:2635, method 10; Fagerland, Lydersen & Laake 2014 recommend it).

    It combines the Wilson intervals (scipy) of the two accuracies, corrected for the correlation between
    the paired answers. Unlike the percentile bootstrap it keeps its coverage at small n and never
    collapses to one point when few questions disagree (tests/pipeline/test_metrics.py measures both)."""
    n = table.both_right + table.a_only + table.b_only + table.both_wrong
    if n == 0:
        return (math.nan, math.nan)
    right_b, right_a = table.both_right + table.b_only, table.both_right + table.a_only
    p_b, p_a = right_b / n, right_a / n
    low_b, high_b = wilson_interval(right_b, n, level)
    low_a, high_a = wilson_interval(right_a, n, level)
    margins = right_b * (n - right_b) * right_a * (n - right_a)
    psi = 0.0
    if margins > 0:  # the correlation of the pairs, shrunk towards 0 by n/2 when positive (Newcombe's phi*)
        cross = table.both_right * table.both_wrong - table.a_only * table.b_only
        psi = (cross - n / 2 if cross > n / 2 else min(cross, 0)) / math.sqrt(margins)
    below = (p_b - low_b) ** 2 + (high_a - p_a) ** 2 - 2 * psi * (p_b - low_b) * (high_a - p_a)
    above = (p_a - low_a) ** 2 + (high_b - p_b) ** 2 - 2 * psi * (p_a - low_a) * (high_b - p_b)
    diff = p_b - p_a
    return (max(-1.0, diff - math.sqrt(max(below, 0.0))), min(1.0, diff + math.sqrt(max(above, 0.0))))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (statsmodels), which controls the chance of any false alarm across a
    family of tests (here: the tasks of one comparison) without assuming they are independent. NaN stays."""
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(values.shape, np.nan)
    finite = ~np.isnan(values)
    if finite.any():
        adjusted[finite] = multipletests(values[finite], method="holm")[1]
    return adjusted.tolist()


def above_chance_p(n_correct: int, n: int, chance: float) -> float:
    """One-sided exact binomial p-value of doing better than guessing at random (success rate `chance`)."""
    from scipy import stats

    if n <= 0:
        return math.nan
    return float(stats.binomtest(int(n_correct), int(n), chance, alternative="greater").pvalue)


def pooled_above_chance_p(counts: Sequence[tuple[int, int, float]]) -> float:
    """The same test for several tasks at once, each (n_correct, n, chance): the exact distribution of the
    total right under guessing is the convolution of the tasks' binomials (a Poisson-binomial)."""
    from scipy import stats

    counts = [(int(k), int(n), float(c)) for k, n, c in counts if n > 0]
    if not counts:
        return math.nan
    pmf = np.ones(1)
    for _, n, chance in counts:
        pmf = np.convolve(pmf, stats.binom.pmf(np.arange(n + 1), n, chance))
    observed = sum(k for k, _, _ in counts)
    return float(min(1.0, pmf[observed:].sum()))


def paired_permutation_p(
    a_correct: Sequence[bool],
    b_correct: Sequence[bool],
    weights: Sequence[float],
    n_resamples: int = 9999,
    seed: int = 0,
) -> float:
    """Two-sided p-value of sum_i w_i (b_i - a_i) = 0 by swapping A's and B's answer to each question at
    random (scipy's paired permutation test; exact when there are few enough discordant questions).

    With weights 1 / (T n_t) the statistic is the difference of two entries' unweighted task averages, so
    this is the paired test of the leaderboard average; questions both got right or wrong cannot move it
    and are left out."""
    from scipy import stats

    a = np.asarray(a_correct, dtype=float)
    b = np.asarray(b_correct, dtype=float)
    w = np.asarray(weights, dtype=float)
    discordant = a != b
    if discordant.sum() < 2:  # one swap: both outcomes are as extreme as the one seen (scipy needs two)
        return 1.0
    a, b, w = a[discordant], b[discordant], w[discordant]

    def statistic(x, y, axis=-1):
        return np.sum(w * (y - x), axis=axis)

    result = stats.permutation_test(
        (a, b),
        statistic,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(min(1.0, result.pvalue))
