"""Calibration from the option probabilities already recorded: ECE, Brier, reliability, coverage.

Inputs are one row per question: `probs` (softmax over the options' log-likelihoods, as stored in
predictions.probs) and `golds` (indices of the correct options). The model's answer for calibration
is its top option; its confidence is that option's probability. For single-answer tasks "top option
is a gold" is exactly the stored `correct`. Rows without probabilities (generative backends) carry no
confidence and are left out by the caller (the SQL does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

N_BINS = 10
COVERAGE_POINTS = (0.5, 0.8, 1.0)


def top_confidence(probs: Sequence[Sequence[float]], golds: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) per question: the top option's probability, and whether it is a gold.

    Ties for the top go to the first option, as argmax over log-likelihoods does in the run.
    """
    if len(probs) != len(golds):
        raise ValueError(f"{len(probs)} probability rows but {len(golds)} gold rows")
    confidence = np.empty(len(probs))
    correct = np.empty(len(probs), dtype=bool)
    for i, (p, g) in enumerate(zip(probs, golds)):
        row = np.asarray(p, dtype=float)
        top = int(np.argmax(row))
        confidence[i] = row[top]
        correct[i] = top in set(g)
    return confidence, correct


def bin_index(confidence: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Equal-width bins ((m-1)/M, m/M] as in Guo et al. 2017; a confidence of exactly 0 goes to bin 0."""
    return np.clip(np.ceil(np.asarray(confidence, dtype=float) * n_bins).astype(int) - 1, 0, n_bins - 1)


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS) -> pl.DataFrame:
    """Reliability-diagram data, one row per bin (empty bins too, with NaN means).

    Columns: bin, lower, upper, count, confidence (mean), accuracy, gap (accuracy - confidence).
    """
    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=float)
    bins = bin_index(conf, n_bins)
    rows = []
    for m in range(n_bins):
        in_bin = bins == m
        count = int(in_bin.sum())
        mean_conf = float(conf[in_bin].mean()) if count else math.nan
        acc = float(right[in_bin].mean()) if count else math.nan
        rows.append(
            {
                "bin": m,
                "lower": m / n_bins,
                "upper": (m + 1) / n_bins,
                "count": count,
                "confidence": mean_conf,
                "accuracy": acc,
                "gap": acc - mean_conf,
            }
        )
    return pl.DataFrame(rows)


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS) -> float:
    """ECE = sum over bins of |B_m|/n * |acc(B_m) - conf(B_m)| (Guo et al. 2017, 10 equal-width bins)."""
    conf = np.asarray(confidence, dtype=float)
    if conf.size == 0:
        return math.nan
    bins = reliability_bins(conf, correct, n_bins).filter(pl.col("count") > 0)
    weights = bins["count"].to_numpy() / conf.size
    return float(np.sum(weights * np.abs(bins["accuracy"].to_numpy() - bins["confidence"].to_numpy())))


def brier_score(probs: Sequence[Sequence[float]], golds: Sequence[Sequence[int]]) -> float:
    """Multi-class Brier score (Brier 1950): mean over questions of sum_k (p_k - y_k)^2, in [0, 2].

    y_k = 1 for a correct option, else 0. Rows may differ in their number of options.
    """
    if len(probs) != len(golds):
        raise ValueError(f"{len(probs)} probability rows but {len(golds)} gold rows")
    if not probs:
        return math.nan
    totals = []
    for p, g in zip(probs, golds):
        row = np.asarray(p, dtype=float)
        target = np.zeros_like(row)
        target[list(g)] = 1.0
        totals.append(float(np.sum((row - target) ** 2)))
    return float(np.mean(totals))


def coverage_curve(confidence: Sequence[float], correct: Sequence[bool]) -> pl.DataFrame:
    """Accuracy when answering only the k most confident questions, for k = 1..n.

    Columns: answered (k), coverage (k / n), accuracy, threshold (the k-th highest confidence).
    Equal confidences keep their input order (stable sort), so the curve is deterministic.
    """
    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=float)
    order = np.argsort(-conf, kind="stable")
    answered = np.arange(1, conf.size + 1)
    return pl.DataFrame(
        {
            "answered": answered,
            "coverage": answered / max(conf.size, 1),
            "accuracy": np.cumsum(right[order]) / answered,
            "threshold": conf[order],
        }
    )


def accuracy_at_coverage(confidence: Sequence[float], correct: Sequence[bool], coverage: float) -> float:
    """Accuracy over the ceil(coverage x n) most confident questions (at least one)."""
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    conf = np.asarray(confidence, dtype=float)
    if conf.size == 0:
        return math.nan
    k = max(1, math.ceil(round(coverage * conf.size, 9)))  # round: 0.8 * 10 must stay 8, not 8.000000001
    return float(coverage_curve(conf, correct)["accuracy"][k - 1])


@dataclass(frozen=True)
class Calibration:
    n: int
    accuracy: float  # of the top option
    mean_confidence: float
    ece: float
    brier: float
    acc_at_coverage: dict[float, float]  # {0.5: ..., 0.8: ..., 1.0: ...}


def calibration_summary(
    probs: Sequence[Sequence[float]], golds: Sequence[Sequence[int]], n_bins: int = N_BINS
) -> Calibration:
    """Everything one model version x task shows, from its probability rows."""
    conf, right = top_confidence(probs, golds)
    if conf.size == 0:
        return Calibration(0, math.nan, math.nan, math.nan, math.nan, {c: math.nan for c in COVERAGE_POINTS})
    return Calibration(
        n=int(conf.size),
        accuracy=float(right.mean()),
        mean_confidence=float(conf.mean()),
        ece=expected_calibration_error(conf, right, n_bins),
        brier=brier_score(probs, golds),
        acc_at_coverage={c: accuracy_at_coverage(conf, right, c) for c in COVERAGE_POINTS},
    )


def calibration_table(
    rows: pl.DataFrame, by: Sequence[str] = ("entry_id", "task"), n_bins: int = N_BINS
) -> pl.DataFrame:
    """calibration_summary per group of a frame with `probs` and `golds` list columns (analysis_calibration_inputs.sql)."""
    out = []
    for key, group in rows.group_by(list(by), maintain_order=True):
        summary = calibration_summary(group["probs"].to_list(), group["golds"].to_list(), n_bins)
        out.append(
            {
                **dict(zip(by, key)),
                "n": summary.n,
                "accuracy": summary.accuracy,
                "mean_confidence": summary.mean_confidence,
                "ece": summary.ece,
                "brier": summary.brier,
                **{f"acc_at_{round(c * 100)}": v for c, v in summary.acc_at_coverage.items()},
            }
        )
    return pl.DataFrame(out)
