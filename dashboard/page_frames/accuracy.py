"""What the pages show beyond the SQL: the wide leaderboard, its marks (settings, ties), paired statistics
(2x2 tables, exact McNemar, paired bootstrap), flip sets between versions, and answer labels.

Pure functions over polars frames as the queries in warehouse.queries return them: no Streamlit here,
so every number is testable without a running app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from pipeline.analysis import items
from pipeline.metrics import (
    FLIP_CELLS,
    Z95,
    leaderboard_average,
    mcnemar_exact,
    paired_bootstrap_ci,
    paired_table,
)
from warehouse.records import LETTERS

ALL_TASKS = "all tasks (pooled)"
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
REGRESSION_P = 0.05
FLIP_KINDS = {  # kind -> (earlier correct, later correct): the sets the history page lists
    "fixed": FLIP_CELLS["fixed"],
    "broken": FLIP_CELLS["broken"],
    "still wrong": FLIP_CELLS["still_wrong"],
}


# ------------------------------------------------------------------ leaderboard


def leaderboard_table(cells: pl.DataFrame, entries: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """One row per entry that has results in `tasks`: metadata, per-task accuracy and interval, averages.

    Columns per task t: `t` (accuracy), `t ±` (half-width of the 95% interval, as reported by the query),
    and for the average: `average` (unweighted mean of the tasks, null unless every task is present,
    the leaderboard rule), `average_se`, `weighted` (every question counts once), `questions`, `tasks_present`.
    """
    tasks = list(tasks)
    if cells.is_empty():
        return pl.DataFrame()
    cells = cells.filter(pl.col("task").is_in(tasks)).with_columns(
        ((pl.col("acc_high") - pl.col("acc_low")) / 2).alias("half")
    )
    acc = cells.pivot(on="task", index="entry_id", values="acc")
    half = cells.pivot(on="task", index="entry_id", values="half")
    half = half.rename({t: f"{t} ±" for t in half.columns if t != "entry_id"})
    totals = cells.group_by("entry_id").agg(
        pl.len().alias("tasks_present"),
        pl.col("n").sum().alias("questions"),
        (pl.col("n_correct").sum() / pl.col("n").sum()).alias("weighted"),
        pl.col("acc").alias("task_accuracies"),
        # se of an unweighted mean of independent task accuracies: sqrt(sum se_t^2) / T
        (pl.col("stderr").fill_null(0.0).pow(2).sum().sqrt() / len(tasks)).alias("average_se"),
    )
    table = (
        entries.join(totals, on="entry_id", how="inner")
        .join(acc, on="entry_id", how="left")
        .join(half, on="entry_id", how="left")
        .with_columns(average_of_all_tasks(len(tasks)), (pl.col("tasks_present") < len(tasks)).alias("partial"))
        .drop("task_accuracies")
    )
    for task in tasks:  # a task nobody has results for still gets its (empty) column
        if task not in table.columns:
            table = table.with_columns(
                pl.lit(None, pl.Float64).alias(task), pl.lit(None, pl.Float64).alias(f"{task} ±")
            )
    order = ["average", "weighted", "entry_label"]  # the label breaks exact ties, so the order is stable
    return mark_settings(table).sort(order, descending=[True, True, False], nulls_last=True).pipe(mark_ties)


def average_of_all_tasks(n_tasks: int) -> pl.Expr:
    """`average` from the list column `task_accuracies`: pipeline.metrics.leaderboard_average, null unless
    every one of the n_tasks tasks is present."""
    return (
        pl.col("task_accuracies")
        .map_elements(
            lambda accuracies: leaderboard_average(accuracies.to_list(), n_tasks),
            return_dtype=pl.Float64,
        )
        .alias("average")
    )


def mark_settings(table: pl.DataFrame) -> pl.DataFrame:
    """Add `settings`: what differs from the most common shots, prompt hash and dtype ('' when nothing)."""
    if table.is_empty():
        return table.with_columns(pl.lit("").alias("settings"))

    def most_common(column: str):
        counts = table.group_by(column).len().sort(["len", column], descending=[True, False], nulls_last=True)
        return counts[column][0]

    shots, prompt, dtype = most_common("num_fewshot"), most_common("prompt_hash"), most_common("dtype")
    notes = []
    for row in table.select("num_fewshot", "prompt_hash", "dtype", "scoring_mode").iter_rows(named=True):
        parts = []
        if row["num_fewshot"] != shots:
            parts.append(f"{row['num_fewshot']}-shot")
        if row["prompt_hash"] != prompt:
            parts.append(f"prompt {row['prompt_hash']}")
        if row["dtype"] != dtype and row["dtype"] != "?":  # '?': not recorded (API models have none)
            parts.append(f"dtype {row['dtype']}")
        if row["scoring_mode"] != "loglikelihood":
            parts.append(row["scoring_mode"])
        notes.append("; ".join(parts))
    return table.with_columns(pl.Series("settings", notes, dtype=pl.String))


def mark_ties(table: pl.DataFrame, value: str = "average", se: str = "average_se") -> pl.DataFrame:
    """Add `tie`: rows ranked by `value` whose difference to the next is not significant share a label.

    Test: |difference| / sqrt(se1^2 + se2^2) < 1.96 (two-sided 5%, normal approximation, unpaired). Being
    unpaired it is conservative (models answering the same questions are positively correlated, which a
    paired test would use), so it marks more ties, never fewer. Rows without a value get no label; groups
    of one get ''.
    """
    ranked = table.with_row_index("_row").sort(value, descending=True, nulls_last=True, maintain_order=True)
    values, ses = ranked[value].to_list(), ranked[se].to_list()
    group, groups = 0, []
    for i, current in enumerate(values):
        if current is None:
            groups.append(None)
            continue
        if i > 0 and values[i - 1] is not None and not _tied(values[i - 1], ses[i - 1], current, ses[i]):
            group += 1
        groups.append(group)
    sizes = {g: groups.count(g) for g in set(groups) if g is not None}
    labels, names = [], {}
    for g in groups:
        if g is None or sizes[g] < 2:
            labels.append("")
        else:
            names.setdefault(g, f"≈{len(names) + 1}")
            labels.append(names[g])
    return ranked.with_columns(pl.Series("tie", labels, dtype=pl.String)).sort("_row").drop("_row")


def _tied(v1: float, se1: float | None, v2: float, se2: float | None) -> bool:
    spread = math.sqrt((se1 or 0.0) ** 2 + (se2 or 0.0) ** 2)
    if spread == 0:
        return v1 == v2
    return abs(v1 - v2) / spread < Z95


def format_accuracy(table: pl.DataFrame, tasks: Sequence[str], with_interval: bool) -> pl.DataFrame:
    """Accuracy columns in percent: numbers, or text 'acc ± half' when intervals are shown inline."""
    out = table
    for task in tasks:
        pct = (pl.col(task) * 100).round(1)
        if with_interval:
            text = pl.format("{} ± {}", pct, (pl.col(f"{task} ±") * 100).round(1))
            out = out.with_columns(pl.when(pl.col(task).is_null()).then(None).otherwise(text).alias(task))
        else:
            out = out.with_columns(pct.alias(task))
    return out.with_columns((pl.col("average") * 100).round(1), (pl.col("weighted") * 100).round(1)).drop(
        [f"{t} ±" for t in tasks]
    )


# ------------------------------------------------------------------ compare


def compare_summary(
    pairs: pl.DataFrame, tasks: Sequence[str], n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> pl.DataFrame:
    """Per task (and pooled over all): accuracies of A and B, B - A, its paired bootstrap 95% interval,
    the exact McNemar p-value and the 2x2 table. Questions keep the query's order (task, question_id), so a
    fixed seed gives the same interval every time."""
    rows = []
    groups = [(t, pairs.filter(pl.col("task") == t)) for t in tasks] + [(ALL_TASKS, pairs)]
    for name, part in groups:
        if part.is_empty():
            continue
        a, b = part["a_correct"].to_numpy(), part["b_correct"].to_numpy()
        table = paired_table(a, b)
        low, high = paired_bootstrap_ci(a, b, n_resamples=n_resamples, seed=seed)
        rows.append(
            {
                "task": name,
                "n": len(a),
                "acc_a": float(a.mean()),
                "acc_b": float(b.mean()),
                "diff": float(b.mean() - a.mean()),
                "ci_low": low,
                "ci_high": high,
                "p_mcnemar": mcnemar_exact(table.a_only, table.b_only),
                "both_right": table.both_right,
                "a_only": table.a_only,
                "b_only": table.b_only,
                "both_wrong": table.both_wrong,
            }
        )
    return pl.DataFrame(rows, schema=COMPARE_SCHEMA)


COMPARE_SCHEMA = {
    "task": pl.String,
    "n": pl.Int64,
    "acc_a": pl.Float64,
    "acc_b": pl.Float64,
    "diff": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_mcnemar": pl.Float64,
    "both_right": pl.Int64,
    "a_only": pl.Int64,
    "b_only": pl.Int64,
    "both_wrong": pl.Int64,
}


def subject_differences(pairs: pl.DataFrame) -> pl.DataFrame:
    """Accuracy of A and B per (task, subject) and B - A; questions without a subject count under their task."""
    return (
        pairs.with_columns(pl.col("subject").fill_null("(all)"))
        .group_by("task", "subject")
        .agg(pl.len().alias("n"), pl.col("a_correct").mean().alias("acc_a"), pl.col("b_correct").mean().alias("acc_b"))
        .with_columns((pl.col("acc_b") - pl.col("acc_a")).alias("diff"))
        .sort("task", "subject")
    )


def discordant(pairs: pl.DataFrame) -> pl.DataFrame:
    """Questions exactly one of A and B got right, with who did."""
    return pairs.filter(pl.col("a_correct") != pl.col("b_correct")).with_columns(
        pl.when(pl.col("a_correct")).then(pl.lit("A")).otherwise(pl.lit("B")).alias("right")
    )


# ------------------------------------------------------------------ history


def history_table(history: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """One row per version in order: accuracy per task, the average (only with every task) and questions."""
    tasks = list(tasks)
    per_version = history.group_by("position", "entry_id", "label", "released_at", "first_run_at").agg(
        pl.len().alias("tasks_present"),
        pl.col("n").sum().alias("questions"),
        (pl.col("n_correct").sum() / pl.col("n").sum()).alias("weighted"),
        pl.col("acc").alias("task_accuracies"),
    )
    wide = history.pivot(on="task", index="position", values="acc")
    table = per_version.join(wide, on="position").with_columns(average_of_all_tasks(len(tasks)))
    present = [t for t in tasks if t in table.columns]
    return table.select(
        "position", "entry_id", "label", "released_at", "first_run_at", "average", "weighted", *present, "questions"
    ).sort("position")


def transitions(flips: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """Per consecutive pair of versions: fixed, broken, still wrong, McNemar p and a regression flag,
    pooled over tasks (task = ALL_TASKS) and per task. A regression is a drop (broken > fixed) with p < 0.05."""
    if flips.is_empty():
        return pl.DataFrame()
    pooled = flips.group_by("from_position", "to_position").agg(
        pl.lit(ALL_TASKS).alias("task"), pl.col("fixed", "broken", "still_wrong", "still_right").sum()
    )
    both = pl.concat([pooled, flips.select(pooled.columns)], how="vertical_relaxed")
    labels = dict(zip(versions["position"].to_list(), versions["label"].to_list()))
    p_values = [mcnemar_exact(b, f) for f, b in zip(both["fixed"].to_list(), both["broken"].to_list())]
    return (
        both.with_columns(
            pl.col("from_position").replace_strict(labels, return_dtype=pl.String).alias("from"),
            pl.col("to_position").replace_strict(labels, return_dtype=pl.String).alias("to"),
            pl.Series("p_mcnemar", p_values, dtype=pl.Float64),
        )
        .with_columns(((pl.col("broken") > pl.col("fixed")) & (pl.col("p_mcnemar") < REGRESSION_P)).alias("regression"))
        .sort("from_position", pl.col("task") != ALL_TASKS, "task")
    )


def flip_set(pairs: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The questions of one flip kind between an earlier version (A) and a later one (B)."""
    if kind not in FLIP_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FLIP_KINDS)}, not {kind!r}")
    before, after = FLIP_KINDS[kind]
    return pairs.filter((pl.col("a_correct") == before) & (pl.col("b_correct") == after))


# ------------------------------------------------------------------ questions


def option_label(options: Sequence[str], index: int | None) -> str:
    if index is None or not 0 <= index < len(options):
        return "no answer"
    return f"{LETTERS[index]}. {options[index]}"


def answer_label(options: Sequence[str], pred: int | None, pred_set: Sequence[int] | None = None) -> str:
    """The answer an entry gave: a set for multi-answer tasks, else one option."""
    if pred_set:
        return ", ".join(LETTERS[i] for i in sorted(pred_set))
    return option_label(options, pred)


def gold_label(options: Sequence[str], golds: Sequence[int]) -> str:
    return ", ".join(option_label(options, g) for g in golds)


def difficulty(answers: pl.DataFrame) -> float | None:
    """Share of entries that got the question right (None when nobody answered it)."""
    return answers.select(items.difficulty(pl.col("correct"))).item()
