"""Bias probe report: how often a counterfactual copy changes the model's answer.

Input: one row per (question, counterfactual variant) of a run or model version, as
warehouse/queries/analysis_bias.sql returns them: question_id, attribute ("sex" | "race"),
pred_original, pred_counterfactual (NULL = invalid answer), correct_original, correct_counterfactual.
Counterfactuals keep the option order, so the answers compare by index. An invalid answer on one side
and a valid one on the other counts as a flip; two invalid answers do not.

A flip is not always an error (the rules in pipeline.analysis.counterfactual skip vignettes where the
attribute is stated to matter, but prevalence still differs by sex and race); what the report shows is
how much the answer depends on an attribute the vignette does not make relevant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl
from scipy import stats


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (good at rates near 0, where flip rates live); NaN for n = 0."""
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, got {successes}")
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    return (float(interval.low), float(interval.high))


def with_flips(rows: pl.DataFrame) -> pl.DataFrame:
    """Add `flipped`: the counterfactual's answer differs from the original's (null-aware)."""
    return rows.with_columns(pl.col("pred_original").ne_missing(pl.col("pred_counterfactual")).alias("flipped"))


def flip_rates(rows: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per attribute (and `by` keys): n, flips, flip_rate with a 95% Wilson interval, and the accuracy
    on the original and on the counterfactual copies of the same questions."""
    keys = [*by, "attribute"]
    grouped = (
        with_flips(rows)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col("flipped").sum().alias("flips"),
            pl.col("correct_original").mean().alias("acc_original"),
            pl.col("correct_counterfactual").mean().alias("acc_counterfactual"),
        )
        .sort(keys)
    )
    intervals = [wilson_interval(int(f), int(n)) for f, n in zip(grouped["flips"], grouped["n"])]
    return grouped.with_columns(
        (pl.col("flips") / pl.col("n")).alias("flip_rate"),
        pl.Series("low", [lo for lo, _ in intervals], dtype=pl.Float64),
        pl.Series("high", [hi for _, hi in intervals], dtype=pl.Float64),
    ).select(*keys, "n", "flips", "flip_rate", "low", "high", "acc_original", "acc_counterfactual")


def flipped_questions(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows whose answer flipped, with the direction: 'to right', 'to wrong', 'wrong to wrong', or
    'right to right' (possible only when a question has several correct options)."""
    flipped = with_flips(rows).filter(pl.col("flipped"))
    return flipped.with_columns(
        pl.when(~pl.col("correct_original") & pl.col("correct_counterfactual"))
        .then(pl.lit("to right"))
        .when(pl.col("correct_original") & ~pl.col("correct_counterfactual"))
        .then(pl.lit("to wrong"))
        .when(pl.col("correct_original") & pl.col("correct_counterfactual"))
        .then(pl.lit("right to right"))
        .otherwise(pl.lit("wrong to wrong"))
        .alias("direction")
    ).drop("flipped")
