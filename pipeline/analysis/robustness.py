"""Robustness to option order: consistency, accuracy under permutation, letter-position bias.

Input: one row per (question, variant) of ONE run (or one model version), with columns
    question_id, variant ('' or 'perm<k>'), pred (shown position chosen, NULL when invalid),
    golds (shown positions of the correct options), options (the ORIGINAL options, from `questions`),
as warehouse/queries/analysis_permutations.sql returns them. Failed rows are left out by the query;
a question then lacks a variant and counts as incomplete (excluded and reported), never as wrong.

A permutation's chosen position is mapped back to the original option by the rotation the variant
name encodes (pipeline.analysis.variants), and answers are compared by option CONTENT (text), so two
identical option texts count as the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from pipeline.analysis.variants import ORIGINAL, decode_variant, original_index
from warehouse.records import LETTERS


def _presentations(rows: pl.DataFrame) -> pl.DataFrame:
    """Keep the original and the perm variants; add shift, chosen original index and chosen content."""
    kinds = {v: decode_variant(v) for v in rows["variant"].unique().to_list()}
    keep = [v for v, d in kinds.items() if d.kind in ("original", "perm")]
    frame = rows.filter(pl.col("variant").is_in(keep))
    shifts = [kinds[v].shift for v in frame["variant"].to_list()]
    chosen_index, chosen_content = [], []
    for pred, shift, options in zip(frame["pred"].to_list(), shifts, frame["options"].to_list()):
        if pred is None:
            chosen_index.append(None)
            chosen_content.append(None)  # invalid answer: "no answer" is its own content
            continue
        original = original_index(pred, shift, len(options))
        chosen_index.append(original)
        chosen_content.append(options[original])
    right = [p is not None and p in set(g) for p, g in zip(frame["pred"].to_list(), frame["golds"].to_list())]
    return frame.with_columns(
        pl.Series("shift", shifts, dtype=pl.Int64),
        pl.Series("chosen_index", chosen_index, dtype=pl.Int64),
        pl.Series("chosen_content", chosen_content, dtype=pl.String),
        pl.Series("right", right, dtype=pl.Boolean),
    )


def _complete(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Questions that have the original and every rotation the run asked for (capped at n - 1)."""
    n_perm = int(frame["shift"].max() or 0)
    per_question = frame.group_by("question_id").agg(
        pl.col("shift").n_unique().alias("seen"),
        (pl.col("shift") == 0).any().alias("has_original"),
        pl.col("options").first().list.len().alias("n_options"),
    )
    expected = pl.min_horizontal(pl.lit(n_perm), pl.col("n_options") - 1) + 1
    ok = per_question.filter(pl.col("has_original") & (pl.col("seen") == expected))["question_id"]
    n_incomplete = per_question.height - ok.len()
    return frame.filter(pl.col("question_id").is_in(ok.implode())), n_incomplete


@dataclass(frozen=True)
class Consistency:
    n_questions: int  # complete questions compared
    n_consistent: int  # same chosen content in the original and every permutation
    consistency: float
    n_incomplete: int  # questions missing the original or a permutation (not scored yet, or failed)
    n_permutations: int  # rotations per question (the largest perm<k> seen)


def consistency(rows: pl.DataFrame) -> Consistency:
    """Share of questions whose chosen answer content is the same in the original and all permutations."""
    frame = _presentations(rows)
    n_perm = int(frame["shift"].max() or 0) if frame.height else 0
    complete, n_incomplete = _complete(frame) if frame.height else (frame, 0)
    per_question = complete.group_by("question_id").agg(
        # n_unique counts null as a value: an invalid answer matches only other invalid answers
        (pl.col("chosen_content").n_unique() == 1).alias("consistent")
    )
    n = per_question.height
    n_consistent = int(per_question["consistent"].sum()) if n else 0
    return Consistency(n, n_consistent, n_consistent / n if n else math.nan, n_incomplete, n_perm)


@dataclass(frozen=True)
class PermutationAccuracy:
    n_questions: int
    original: float  # accuracy on the published order
    mean: float  # mean accuracy over the original and every permutation
    worst_case: float  # share of questions right in the original and in every permutation
    per_variant: dict[str, float]


def permutation_accuracy(rows: pl.DataFrame) -> PermutationAccuracy:
    """Accuracy under permutation, over the questions that have every presentation."""
    complete, _ = _complete(_presentations(rows))
    if complete.height == 0:
        return PermutationAccuracy(0, math.nan, math.nan, math.nan, {})
    per_variant_frame = complete.group_by("variant").agg(pl.col("right").mean().alias("acc")).sort("variant")
    per_variant = dict(zip(per_variant_frame["variant"].to_list(), per_variant_frame["acc"].to_list()))
    worst = complete.group_by("question_id").agg(pl.col("right").all().alias("always"))
    return PermutationAccuracy(
        n_questions=worst.height,
        original=float(per_variant[ORIGINAL]),
        mean=float(np.mean(list(per_variant.values()))),
        worst_case=float(worst["always"].mean()),
        per_variant=per_variant,
    )


@dataclass(frozen=True)
class LetterBias:
    table: pl.DataFrame  # letter, chosen, gold, chosen_share, gold_share, ratio
    chi2: float
    dof: int
    p_value: float
    n: int  # single-answer rows with a valid answer
    n_invalid: int


def letter_bias(rows: pl.DataFrame) -> LetterBias:
    """Distribution of chosen letters against gold letters, pooled over every presentation given.

    Chi-square goodness of fit: are the chosen letters distributed like the gold letters? An unbiased
    model's answers, right or wrong, follow the gold positions when the permutations balance them.
    Only single-answer rows count (a multi-answer gold has no one letter). A letter that is never gold
    but is chosen makes the statistic infinite (p = 0).
    """
    single = rows.filter(pl.col("golds").list.len() == 1)
    n_invalid = int(single["pred"].null_count())
    valid = single.filter(pl.col("pred").is_not_null())
    n_letters = int(max(valid["options"].list.len().max() or 0, (valid["pred"].max() or 0) + 1)) if valid.height else 0
    chosen = (
        np.bincount(valid["pred"].to_numpy(), minlength=n_letters)[:n_letters] if valid.height else np.zeros(0, int)
    )
    gold = (
        np.bincount(valid["golds"].list.first().to_numpy(), minlength=n_letters)[:n_letters]
        if valid.height
        else np.zeros(0, int)
    )
    n = int(chosen.sum())
    table = pl.DataFrame(
        {
            "letter": list(LETTERS[:n_letters]),
            "chosen": chosen.astype(np.int64),
            "gold": gold.astype(np.int64),
            "chosen_share": chosen / n if n else np.full(n_letters, math.nan),
            "gold_share": gold / n if n else np.full(n_letters, math.nan),
        }
    ).with_columns((pl.col("chosen_share") / pl.col("gold_share")).alias("ratio"))
    chi2, dof, p = _goodness_of_fit(chosen, gold)
    return LetterBias(table, chi2, dof, p, n, n_invalid)


def _goodness_of_fit(observed: np.ndarray, reference: np.ndarray) -> tuple[float, int, float]:
    if observed.sum() == 0:
        return math.nan, 0, math.nan
    possible = reference > 0
    if np.any(observed[~possible] > 0):
        return math.inf, int(possible.sum()) - 1, 0.0
    if possible.sum() < 2:
        return math.nan, 0, math.nan
    expected = reference[possible] / reference[possible].sum() * observed[possible].sum()
    result = stats.chisquare(observed[possible], f_exp=expected)
    return float(result.statistic), int(possible.sum()) - 1, float(result.pvalue)
