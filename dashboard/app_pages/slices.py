"""Clinical slices and item quality: accuracy per MedMCQA subject, MMLU subject, MedQA step (models x
slices heatmap), and per question its difficulty and discrimination, with the hardest questions and the
ones every model gets wrong (often a wrong key). Rows open the question view. URL: ?shots=K&task=T."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import beyond_accuracy
from dashboard.page_frames.labels import benchmark_title
from pipeline.analysis.items import everyone_wrong, hardest

ALL = "(all)"
HARDEST = 20

ctx = widgets.page_context()


def heatmap() -> None:
    st.header("Clinical slices")
    slices = data.slices(ctx.version).filter(pl.col("task_group") == ctx.group)
    if slices.is_empty():
        st.info(
            f"No question of {widgets.md(ctx.group)} with a subject or step has been answered yet. {data.EVAL_HINT}"
        )
        return
    benchmarks = sorted(slices["benchmark"].unique().to_list())
    chosen = st.multiselect(
        "Benchmarks", benchmarks, default=benchmarks, key="slices_benchmarks", format_func=benchmark_title
    )
    matrix = beyond_accuracy.slice_heatmap_frame(slices, ctx.labels, ctx.group, chosen)
    if matrix.is_empty():
        st.info("Choose at least one benchmark.")
        return
    minimum = beyond_accuracy.MIN_SLICE_N
    st.caption(
        "Accuracy (%) of every model version (row) on every subject or step (column), with the number of "
        f"answers n in each cell; invalid answers count as wrong. A slice with fewer than {minimum} answers is "
        "greyed out and its accuracy is not coloured: one or two answers would decide it."
    )
    sizes = beyond_accuracy.slice_heatmap_frame(slices, ctx.labels, ctx.group, chosen, value="n")
    figure = charts.slice_heatmap(matrix, f"Accuracy per slice · {ctx.group}", sizes, minimum)
    st.plotly_chart(figure, key="slices-heatmap")
    rows = beyond_accuracy.slice_rows(slices, ctx.labels, ctx.group, chosen)
    st.caption(f"Every cell as a row: accuracy with its 95% Wilson interval; ⚠ marks a slice under {minimum} answers.")
    shown = rows.select(
        "model",
        "slice",
        "n",
        pl.when(pl.col("too few"))
        .then(pl.format("⚠ {} [{}, {}] (n < {})", "accuracy %", "accuracy % low", "accuracy % high", pl.lit(minimum)))
        .otherwise(pl.format("{} [{}, {}]", "accuracy %", "accuracy % low", "accuracy % high"))
        .alias("accuracy %"),
    )
    widgets.table(shown, f"slices-{ctx.group}", key="slices_table", export=rows)


def pick_and_open(listing: pl.DataFrame, name: str, table_key: str) -> None:
    picked = widgets.task_table(listing, name, key=table_key, select=True)
    if picked:
        row = listing.row(picked[0], named=True)
        widgets.open_question(row["question_id"])


def item_quality() -> None:
    st.header("Item quality")
    shot_counts = sorted(data.entries(ctx.version)["num_fewshot"].unique().to_list())
    linked = widgets.url_value("shots")
    widgets.start_widget_at(
        "items_shots",
        int(linked) if linked and linked.isdigit() else shot_counts[0],
        shot_counts,
        force=widgets.url_changed("shots"),
    )
    left, right = st.columns(2)
    shots = left.selectbox(
        "Shots",
        shot_counts,
        key="items_shots",
        format_func=lambda k: f"{k}-shot",
        help="Zero-shot and few-shot answers are never mixed: takers are the entries run with this shot count.",
    )
    widgets.set_url("shots", str(shots) if shots != shot_counts[0] else None)
    widgets.start_from_url("items_task", "task", ALL, [ALL, *ctx.tasks])
    task = widgets.task_selectbox(right, "Task", [ALL, *ctx.tasks], key="items_task")
    widgets.set_url("task", None if task == ALL else task)

    stats = beyond_accuracy.item_table(data.item_responses(ctx.version, shots), ctx.tasks)
    if stats.is_empty():
        st.info(f"No {shots}-shot answers on {widgets.md(ctx.group)} yet. {data.EVAL_HINT}")
        return
    if task != ALL:
        stats = stats.filter(pl.col("task") == task)
    st.caption(
        "The model versions are the test takers. **difficulty**: share of them that got the question right "
        "(lower is harder). **discrimination**: point-biserial correlation between being right on it and the "
        f"taker's accuracy on the other questions of {widgets.md(ctx.group)} (near 0 or negative: it does not "
        "separate strong models from weak ones; empty with fewer than 3 takers or when all agree). Select a row to "
        "open it."
    )

    def listing(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            "question_id",
            "task",
            "subject",
            pl.col("n_takers").alias("takers"),
            pl.col("n_correct").alias("right"),
            beyond_accuracy.percent("difficulty").alias("difficulty %"),
            pl.col("discrimination").fill_nan(None).round(3).alias("discrimination"),
        )

    wrong = everyone_wrong(stats)
    st.subheader("Everyone wrong")
    st.caption(f"{wrong.height} question(s) no model version got right: check their answer key first.")
    pick_and_open(listing(wrong), f"items-everyone-wrong-{ctx.group}", "items_wrong")
    st.subheader(f"Hardest {HARDEST}")
    pick_and_open(listing(hardest(stats, k=HARDEST)), f"items-hardest-{ctx.group}", "items_hardest")


st.title("Slices & items")
heatmap()
item_quality()
