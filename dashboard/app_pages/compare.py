"""Compare two model versions A and B question by question: per-task paired statistics, per-subject
differences, and the discordant questions (each opens the question view). URL: ?models=A,B&task=T."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, verdicts
from dashboard.page_frames.labels import task_title
from pipeline.metrics import INTERVAL_METHOD

ctx = widgets.page_context()
board = data.leaderboard(ctx.version, ctx.group)

st.title("Compare two model versions")
if board.height < 2:
    st.info(
        f"Comparing needs two model versions with results on {widgets.md(ctx.group)}; this warehouse has "
        f"{board.height}. {data.EVAL_HINT}"
    )
    st.stop()

ranked = board["entry_id"].to_list()  # best first
# By default compare the top two of the rows run with the common settings (unmarked on the leaderboard).
usual = board.filter(pl.col("settings") == "")["entry_id"].to_list()
defaults = usual[:2] if len(usual) >= 2 else ranked[:2]
asked = widgets.url_list("models")
linked = [e for e in asked if e in ranked]
unknown = [e for e in asked if e not in ranked]
if unknown and widgets.url_changed("models"):
    st.warning(
        f"The link names model version(s) this warehouse has no results for on {widgets.md(ctx.group)}: "
        f"{widgets.md(', '.join(unknown))}. Showing the default pair instead; pick the models below."
    )
followed = widgets.url_changed("models") and len(linked) == 2
widgets.start_widget_at("compare_a", linked[0] if followed else defaults[0], ranked, force=followed)
widgets.start_widget_at("compare_b", linked[1] if followed else defaults[1], ranked, force=followed)
task_options = [accuracy.ALL_TASKS, *ctx.tasks]
widgets.start_from_url("compare_task", "task", accuracy.ALL_TASKS, task_options)

left, right, third = st.columns([4, 4, 3])
a = left.selectbox("Model A", ranked, key="compare_a", format_func=ctx.labels.get)
b = right.selectbox("Model B", ranked, key="compare_b", format_func=ctx.labels.get)
focus = widgets.task_selectbox(third, "Discordant questions of", task_options, key="compare_task")
widgets.set_url("models", [a, b])
widgets.set_url("task", None if focus == accuracy.ALL_TASKS else focus)

if a == b:
    st.warning(
        f"Model A and model B are the same version ({widgets.md(ctx.labels[a])}): every difference is zero. "
        "Pick another model for B."
    )

pairs = data.compare(ctx.version, a, b, ctx.group)
if pairs.is_empty():
    st.warning("These two have no answered question in common on this task group.")
    st.stop()

summary = data.compare_summary(ctx.version, a, b, ctx.group)
task_titles = {t: task_title(t) for t in ctx.tasks}
st.markdown(
    f"**{widgets.md(verdicts.compare_verdict(summary, ctx.labels[a], ctx.labels[b], task_titles))}**  \n"
    f"A = {widgets.md(ctx.labels[a])}, B = {widgets.md(ctx.labels[b])}."
)

st.subheader("Per task")
st.caption(
    "Only questions both answered count. **B − A** in points with its 95% interval (Newcombe's method for "
    f"paired proportions, from the {INTERVAL_METHOD} intervals of both accuracies); **McNemar p** is the exact "
    "two-sided test on the questions exactly one of them got right; **Holm p** adjusts it for testing every "
    "task at once (the pooled row is one test and keeps its p). **A %** and **B %** carry their 95% Wilson "
    "intervals."
)
with_bounds = accuracy.with_side_intervals(summary)


def bracket(low: str, high: str) -> pl.Expr:
    return pl.format("[{}, {}]", (pl.col(low) * 100).round(1), (pl.col(high) * 100).round(1))


per_task = with_bounds.select(
    "task",
    "n",
    (pl.col("acc_a") * 100).round(1).alias("A %"),
    bracket("a_low", "a_high").alias("A 95%"),
    (pl.col("acc_b") * 100).round(1).alias("B %"),
    bracket("b_low", "b_high").alias("B 95%"),
    (pl.col("diff") * 100).round(1).alias("B − A"),
    bracket("ci_low", "ci_high").alias("B − A 95%"),
    pl.col("p_mcnemar").round(4).alias("McNemar p"),
    pl.col("p_holm").round(4).alias("Holm p"),
    pl.col("both_right").alias("both right"),
    pl.col("a_only").alias("A only"),
    pl.col("b_only").alias("B only"),
    pl.col("both_wrong").alias("both wrong"),
)
export = with_bounds.select(  # the CSV: models named, each interval as numeric low and high columns
    pl.lit(ctx.labels[a]).alias("model A"),
    pl.lit(ctx.labels[b]).alias("model B"),
    "task",
    "n",
    (pl.col("acc_a") * 100).round(2).alias("A %"),
    (pl.col("a_low") * 100).round(2).alias("A 95% low"),
    (pl.col("a_high") * 100).round(2).alias("A 95% high"),
    (pl.col("acc_b") * 100).round(2).alias("B %"),
    (pl.col("b_low") * 100).round(2).alias("B 95% low"),
    (pl.col("b_high") * 100).round(2).alias("B 95% high"),
    (pl.col("diff") * 100).round(2).alias("B − A"),
    (pl.col("ci_low") * 100).round(2).alias("B − A 95% low"),
    (pl.col("ci_high") * 100).round(2).alias("B − A 95% high"),
    pl.col("p_mcnemar").alias("McNemar p"),
    pl.col("p_holm").alias("Holm p"),
    pl.col("both_right").alias("both right"),
    pl.col("a_only").alias("A only"),
    pl.col("b_only").alias("B only"),
    pl.col("both_wrong").alias("both wrong"),
)
widgets.task_table(per_task, "compare-per-task", key="compare_summary", export=export)

st.subheader("Per subject")
diffs = accuracy.subject_differences(pairs)
st.plotly_chart(charts.subject_differences(diffs, ctx.labels[a], ctx.labels[b]), key="compare-subjects")

st.subheader("Discordant questions")
odd = accuracy.discordant(pairs)
if focus != accuracy.ALL_TASKS:
    odd = odd.filter(pl.col("task") == focus)
st.caption(f"{odd.height} question(s) exactly one of them got right. Select a row to open the question.")
listing = odd.select(
    "question_id",
    "task",
    "subject",
    pl.col("text").str.slice(0, 160).alias("text"),
    pl.col("right").alias("right answer by"),
)
picked = widgets.task_table(listing, "compare-discordant", key="compare_discordant", select=True)
if picked:
    row = listing.row(picked[0], named=True)
    widgets.open_question(row["question_id"])
