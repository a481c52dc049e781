"""Metrics as pure functions over arrays: no I/O, no warehouse, no torch."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Accuracy:
    n: int
    correct: int
    acc: float
    stderr: float  # sample standard error, as lm-evaluation-harness reports acc_stderr
    low: float  # 95% interval (normal approximation, clipped to [0, 1])
    high: float


def accuracy(correct: Sequence[bool] | np.ndarray) -> Accuracy:
    values = np.asarray(correct, dtype=float)
    n = int(values.size)
    if n == 0:
        return Accuracy(0, 0, math.nan, math.nan, math.nan, math.nan)
    acc = float(values.mean())
    stderr = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    half = Z95 * stderr if n > 1 else math.nan
    return Accuracy(n, int(values.sum()), acc, stderr, max(0.0, acc - half), min(1.0, acc + half))


def softmax(loglikelihoods: Sequence[float]) -> list[float]:
    values = np.asarray(loglikelihoods, dtype=float)
    shifted = np.exp(values - values.max())
    return (shifted / shifted.sum()).tolist()


def unweighted_mean(task_accuracies: Sequence[float]) -> float:
    """The leaderboard average: every task counts once, whatever its size."""
    return float(np.mean(task_accuracies)) if len(task_accuracies) else math.nan


def weighted_mean(task_accuracies: Sequence[float], sizes: Sequence[int]) -> float:
    """Size-weighted mean: every question counts once."""
    sizes_arr = np.asarray(sizes, dtype=float)
    return float(np.dot(task_accuracies, sizes_arr) / sizes_arr.sum()) if sizes_arr.sum() else math.nan


@dataclass(frozen=True)
class PairedTable:
    both_right: int
    a_only: int  # A right, B wrong
    b_only: int  # B right, A wrong
    both_wrong: int


def paired_table(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> PairedTable:
    a = np.asarray(a_correct, dtype=bool)
    b = np.asarray(b_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("paired metrics need the same questions for both models")
    return PairedTable(int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()), int((~a & ~b).sum()))


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Exact (binomial) McNemar p-value, two-sided, on the discordant pairs."""
    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    return float(stats.binomtest(min(a_only, b_only), discordant, 0.5, alternative="two-sided").pvalue)


def paired_bootstrap_ci(
    a_correct: Sequence[bool], b_correct: Sequence[bool], n_resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of acc(B) - acc(A), resampling questions (pairs stay together)."""
    diff = np.asarray(b_correct, dtype=float) - np.asarray(a_correct, dtype=float)
    n = diff.size
    if n == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    means = diff[idx].mean(axis=1)
    alpha = (1 - level) / 2
    return (float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)))
