"""What the beyond-accuracy pages show beyond the SQL: calibration per task, leaderboard quality columns,
permutation robustness per task, bias-probe flip rates, item quality and answers under variants.

Pure functions over the frames warehouse.queries.analysis_* return, built on pipeline.analysis (the
metrics themselves live there): no Streamlit here, so every number is testable without a running app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from dashboard.page_frames.accuracy import ALL_TASKS, option_label, with_wilson
from dashboard.page_frames.labels import slice_title
from pipeline.analysis import calibration as cal
from pipeline.analysis import items
from pipeline.analysis.multilabel import SET_SHARE
from pipeline.analysis.variants import decode_variant, original_index
from warehouse.records import LETTERS

if TYPE_CHECKING:
    from pipeline.analysis.robustness import LetterBias

# pipeline.analysis.robustness and .bias import scipy.stats (about a second): they are imported by the
# functions of the Robustness page that use them, so the other pages do not pay for them.

N_BINS = cal.N_BINS
COVERAGE_POINTS = cal.COVERAGE_POINTS
__all__ = ["N_BINS", "SET_SHARE", "COVERAGE_POINTS"]  # re-exported for dashboard.data's query parameters


def percent(column: str) -> pl.Expr:
    """A share column as a percentage with one decimal, for display."""
    return (pl.col(column) * 100).round(1)


# ------------------------------------------------------------------ calibration


def calibration_by_task(inputs: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """One row per task of `tasks` the entry has probabilities for: n, accuracy, mean_confidence, ece,
    brier, acc_at_50, acc_at_80, acc_at_100 (pipeline.analysis.calibration.calibration_table)."""
    rows = inputs.filter(pl.col("task").is_in(list(tasks)))
    if rows.is_empty():
        return pl.DataFrame()
    return cal.calibration_table(rows, by=("task",)).sort("task")


def task_confidence(inputs: pl.DataFrame, task: str):
    """(confidence, correct) arrays of one task's rows: the top option's probability and whether it is a gold."""
    rows = inputs.filter(pl.col("task") == task)
    return cal.top_confidence(rows["probs"].to_list(), rows["golds"].to_list())


def reliability(inputs: pl.DataFrame, task: str, n_bins: int = N_BINS) -> pl.DataFrame:
    """Reliability-diagram bins (every bin, empty ones with NaN means) of one task."""
    return cal.reliability_bins(*task_confidence(inputs, task), n_bins=n_bins)


def coverage(inputs: pl.DataFrame, task: str) -> pl.DataFrame:
    """Accuracy when answering only the k most confident questions, k = 1..n, of one task."""
    return cal.coverage_curve(*task_confidence(inputs, task))


def leaderboard_quality(calibration: pl.DataFrame, multilabel: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """Per entry, over the task group's tasks: ece and brier (unweighted mean of the per-task values, like
    the leaderboard average; over the tasks with probabilities only), emr and hamming (mean over the
    group's multi-answer tasks, e.g. FrenchMedMCQA). Null where an entry has nothing to measure."""
    tasks = list(tasks)
    schema = {"entry_id": pl.String, "ece": pl.Float64, "brier": pl.Float64, "emr": pl.Float64, "hamming": pl.Float64}
    parts = []
    for frame, columns in ((calibration, ("ece", "brier")), (multilabel, ("emr", "hamming"))):
        if frame.is_empty():
            parts.append(pl.DataFrame(schema={"entry_id": pl.String, **{c: pl.Float64 for c in columns}}))
        else:
            parts.append(
                frame.filter(pl.col("task").is_in(tasks)).group_by("entry_id").agg(*[pl.col(c).mean() for c in columns])
            )
    ids = pl.concat([part.select("entry_id") for part in parts]).unique()
    out = ids.join(parts[0], on="entry_id", how="left").join(parts[1], on="entry_id", how="left")
    return out.select(list(schema)).cast(schema).sort("entry_id")


# ------------------------------------------------------------------ robustness


def robustness_by_task(rows: pl.DataFrame) -> pl.DataFrame:
    """One entry's permutation rows: per task, then pooled over tasks (ALL_TASKS) when there are several,
    consistency and accuracy under permutation (original, mean over presentations, worst case)."""
    from pipeline.analysis import robustness

    out = []
    tasks = sorted(rows["task"].unique().to_list())
    groups = [(t, rows.filter(pl.col("task") == t)) for t in tasks]
    if len(tasks) > 1:
        groups.append((ALL_TASKS, rows))
    for name, part in groups:
        kept = robustness.consistency(part)
        acc = robustness.permutation_accuracy(part)
        out.append(
            {
                "task": name,
                "questions": kept.n_questions,
                "permutations": kept.n_permutations,
                "consistent": kept.n_consistent,
                "consistency": kept.consistency,
                "accuracy": acc.original,
                "mean accuracy": acc.mean,
                "worst case": acc.worst_case,
                "incomplete": kept.n_incomplete,
            }
        )
    return pl.DataFrame(
        out,
        schema={
            "task": pl.String,
            "questions": pl.Int64,
            "permutations": pl.Int64,
            "consistent": pl.Int64,
            "consistency": pl.Float64,
            "accuracy": pl.Float64,
            "mean accuracy": pl.Float64,
            "worst case": pl.Float64,
            "incomplete": pl.Int64,
        },
    )


def letter_bias(rows: pl.DataFrame) -> LetterBias:
    from pipeline.analysis import robustness

    return robustness.letter_bias(rows)


# ------------------------------------------------------------------ bias probe


def flip_table(rows: pl.DataFrame) -> pl.DataFrame:
    """Per (entry, attribute): n, flips, flip_rate, Wilson 95% low/high, accuracy original/counterfactual."""
    from pipeline.analysis import bias as bias_metrics

    if rows.is_empty():
        return pl.DataFrame()
    return bias_metrics.flip_rates(rows, by=["entry_id"])


def flipped(rows: pl.DataFrame) -> pl.DataFrame:
    """The flipped (entry, question, attribute) rows with their direction ('to right', 'to wrong', ...)."""
    from pipeline.analysis import bias as bias_metrics

    if rows.is_empty():
        return pl.DataFrame()
    return bias_metrics.flipped_questions(rows).sort("entry_id", "attribute", "question_id")


# ------------------------------------------------------------------ items and slices


def item_table(responses: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """Difficulty and discrimination per question of the group's tasks (the item pool: ability is each
    entry's accuracy on the pool's other items), with task, subject and text columns joined back."""
    pool = responses.filter(pl.col("task").is_in(list(tasks)))
    if pool.is_empty():
        return pl.DataFrame()
    stats = items.item_stats(pool)
    about = pool.group_by("question_id").agg(pl.col("task").first(), pl.col("subject").first())
    return stats.join(about, on="question_id", how="left")


# A slice answered fewer times than this is greyed out: below it a 95% Wilson interval is wider than about
# 50 points (at 10 answers, 5 right is [23.7%, 76.3%]), so one or two answers decide a 0% or 100%.
MIN_SLICE_N = 10


def chosen_slices(
    slices: pl.DataFrame, labels: dict[str, str], task_group: str, benchmarks: Sequence[str]
) -> pl.DataFrame:
    """The long slice rows of one task group's chosen benchmarks, with `model` (the entry's display label),
    `slice` its readable name (labels.slice_title) and `slice id` the warehouse's "benchmark: subject"."""
    chosen = slices.filter((pl.col("task_group") == task_group) & pl.col("benchmark").is_in(list(benchmarks)))
    titles = {(b, s): slice_title(b, s) for b, s in chosen.select("benchmark", "subject").unique().iter_rows()}
    readable = pl.Series("slice", [titles[key] for key in chosen.select("benchmark", "subject").iter_rows()])
    return chosen.with_columns(
        pl.col("entry_id").replace_strict(labels, default=pl.col("entry_id")).alias("model"),
        pl.col("slice").alias("slice id"),
        readable.cast(pl.String),
    )


def slice_heatmap_frame(
    slices: pl.DataFrame, labels: dict[str, str], task_group: str, benchmarks: Sequence[str], value: str = "accuracy"
) -> pl.DataFrame:
    """Models x slices (`value`: accuracy, or n) of one task group's chosen benchmarks, one row per entry."""
    chosen = chosen_slices(slices, labels, task_group, benchmarks)
    if chosen.is_empty():
        return pl.DataFrame()
    return items.slice_matrix(chosen, value=value, rows=("model",))


def slice_rows(
    slices: pl.DataFrame, labels: dict[str, str], task_group: str, benchmarks: Sequence[str]
) -> pl.DataFrame:
    """One row per (model, slice): n, n_correct, accuracy with its 95% Wilson interval (%), `too_few`
    (n below MIN_SLICE_N), and the slice's benchmark id and warehouse id: the slice table and its CSV."""
    chosen = chosen_slices(slices, labels, task_group, benchmarks)
    if chosen.is_empty():
        return pl.DataFrame()
    rows = with_wilson(chosen.sort("model", "slice"))
    return rows.select(
        "model",
        "slice",
        "n",
        percent("accuracy").alias("accuracy %"),
        percent("acc_low").alias("accuracy % low"),
        percent("acc_high").alias("accuracy % high"),
        "n_correct",
        (pl.col("n") < MIN_SLICE_N).alias("too few"),
        "benchmark",
        "slice id",
    )


# ------------------------------------------------------------------ question view


def variant_answers(variants: pl.DataFrame, options: Sequence[str], labels: dict[str, str]) -> pl.DataFrame:
    """Each entry's answer under each variant, in the ORIGINAL option lettering: a perm<k> answer at shown
    position i is original option (i + k) mod n. Columns: model, variant, shown, answer, correct,
    p(answer), status. A variant name the analysis does not know keeps its shown position only."""
    rows = []
    n = len(options)
    for row in variants.iter_rows(named=True):
        pred = row["pred"]
        try:
            shift = decode_variant(row["variant"]).shift
        except ValueError:
            shift = None
        shown = LETTERS[pred] if pred is not None and 0 <= pred < n else "–"
        if pred is None:
            answer = "no answer"
        elif shift is None:
            answer = f"position {shown} (unknown option order)"
        else:
            answer = option_label(options, original_index(pred, shift, n))
        probs = row["probs"]
        rows.append(
            {
                "model": labels.get(row["entry_id"], row["entry_id"]),
                "variant": row["variant"],
                "shown": shown,
                "answer": answer,
                "correct": row["correct"],
                "p(answer)": round(max(probs), 3) if probs else None,
                "status": row["status"],
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "model": pl.String,
            "variant": pl.String,
            "shown": pl.String,
            "answer": pl.String,
            "correct": pl.Boolean,
            "p(answer)": pl.Float64,
            "status": pl.String,
        },
    )


def finite(value: float | None) -> float | None:
    """None for NaN (an undefined metric shows as an empty cell, not 'nan')."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
