"""The sentences and short texts the pages open with or put in a cell: a comparison's verdict, a history
step's verdict, 'above chance?', p-values and signed points. Pure functions of the frames that
dashboard.page_frames.accuracy computes, so every sentence is testable without a running app.
"""

from __future__ import annotations

import math

import polars as pl

from dashboard.page_frames.accuracy import ALL_TASKS, SIGNIFICANCE


def above_chance_label(p_value: float | None) -> str:
    """The leaderboard's 'above chance?' cell: 'yes' or 'no' at one-sided 5%, with the p-value."""
    if p_value is None or math.isnan(p_value):
        return ""
    return f"{'yes' if p_value < SIGNIFICANCE else 'no'} (p = {format_p(p_value)})"


def format_p(p_value: float) -> str:
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def points(value: float) -> str:
    """A difference in accuracy as signed points: '+2.7', '−5.3' (a real minus sign), '0.0'."""
    text = f"{abs(value) * 100:.1f}"
    if text == "0.0":
        return text
    return ("+" if value > 0 else "\u2212") + text


def difference_text(diff: float, low: float, high: float) -> str:
    return f"{points(diff)} points [{points(low)}, {points(high)}]"


def tasks_that_differ(per_task: pl.DataFrame, task_names: dict[str, str] | None = None) -> str:
    """'' or '; after Holm adjustment over N tasks, M differ: MedQA (B better, p = 0.01), ...'."""
    family = per_task.filter(pl.col("task") != ALL_TASKS)
    if family.height < 2:
        return ""
    differ = family.filter(pl.col("p_holm") < SIGNIFICANCE)
    names = task_names or {}
    if differ.is_empty():
        return f"; no single task differs after Holm adjustment over {family.height} tasks"
    listed = ", ".join(
        f"{names.get(row['task'], row['task'])} ({points(row['diff'])}, p = {format_p(row['p_holm'])})"
        for row in differ.iter_rows(named=True)
    )
    return f"; after Holm adjustment over {family.height} tasks, {differ.height} differ: {listed}"


def compare_verdict(summary: pl.DataFrame, label_a: str, label_b: str, task_names: dict[str, str] | None = None) -> str:
    """One plain sentence that opens the Compare page, from the pooled row and the Holm-adjusted tasks
    (named by `task_names`, task id -> readable name, where given)."""
    pooled = summary.filter(pl.col("task") == ALL_TASKS)
    if pooled.is_empty():
        return "No question was answered by both models."
    row = pooled.row(0, named=True)
    significant = row["p_mcnemar"] < SIGNIFICANCE
    if not significant:
        head = "No significant difference"
    else:
        head = f"{label_b if row['diff'] > 0 else label_a} is better"
    return (
        f"{head}: B − A = {difference_text(row['diff'], row['ci_low'], row['ci_high'])} over {row['n']} "
        f"questions both answered, exact McNemar p = {format_p(row['p_mcnemar'])}; {row['b_only']} right only "
        f"for B, {row['a_only']} right only for A{tasks_that_differ(summary, task_names)}."
    )


def history_verdict(moves: pl.DataFrame, task_names: dict[str, str] | None = None) -> str:
    """One plain sentence that opens the History page: the latest step, pooled over tasks."""
    if moves.is_empty():
        return "One version only: nothing to compare yet."
    last = moves.filter(pl.col("to_position") == moves["to_position"].max())
    row = last.filter(pl.col("task") == ALL_TASKS).row(0, named=True)
    if row["regression"]:
        head = "Significant regression"
    elif row["p_mcnemar"] < SIGNIFICANCE:
        head = "Significant improvement"
    else:
        head = "No significant change"
    return (
        f"{head} from {row['from']} to {row['to']}: {difference_text(row['diff'], row['ci_low'], row['ci_high'])} "
        f"over {row['n']} questions both answered, exact McNemar p = {format_p(row['p_mcnemar'])}; "
        f"{row['broken']} questions broken, {row['fixed']} fixed"
        f"{tasks_that_differ(last, task_names)}."
    )
