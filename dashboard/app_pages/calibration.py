"""Calibration of one model version (leaderboard entry) per task, from the option probabilities already
recorded: ECE (10 equal-width bins, Guo et al. 2017), multi-class Brier score, a reliability diagram and
accuracy at coverage (answer only the most confident X%). URL: ?entry=ENTRY_ID&task=T."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import beyond_accuracy
from dashboard.page_frames.labels import task_title

ctx = widgets.page_context()

st.title("Calibration")
st.caption(
    f"Does a model know when it is right? **ECE** (expected calibration error, {beyond_accuracy.N_BINS} equal-width bins "
    "on the top option's probability) is the count-weighted gap between confidence and accuracy; **Brier** is "
    "the mean over questions of Σ (p − y)² over all options (0 is perfect, 2 the worst). **acc @ X%** answers "
    "only the X% most confident questions. Lower ECE and Brier are better."
)
overview = data.calibration(ctx.version).filter(pl.col("task").is_in(ctx.tasks))
if overview.is_empty():
    st.info(
        f"No answers with option probabilities on {widgets.md(ctx.group)} yet: calibration needs "
        f"log-likelihood scoring (generative answers carry no probabilities). {data.EVAL_HINT}"
    )
    st.stop()

entries = sorted(overview["entry_id"].unique().to_list(), key=lambda e: ctx.labels.get(e, e))
widgets.start_from_url("cal_entry", "entry", entries[0], entries)
left, right = st.columns([3, 2])
entry = left.selectbox("Model version", entries, key="cal_entry", format_func=lambda e: ctx.labels.get(e, e))
widgets.set_url("entry", entry)

inputs = data.calibration_inputs(ctx.version, entry)
per_task = beyond_accuracy.calibration_by_task(inputs, ctx.tasks)
entry_tasks = per_task["task"].to_list()
widgets.start_from_url("cal_task", "task", entry_tasks[0], entry_tasks)
if st.session_state.get("cal_task") not in entry_tasks:  # the entry changed under a stale choice
    st.session_state["cal_task"] = entry_tasks[0]
task = widgets.task_selectbox(right, "Task (charts)", entry_tasks, key="cal_task")
widgets.set_url("task", task)

st.subheader("Per task")
shown = per_task.select(
    "task",
    "n",
    (pl.col("accuracy") * 100).round(1).alias("accuracy %"),
    (pl.col("mean_confidence") * 100).round(1).alias("mean confidence %"),
    pl.col("ece").round(3).alias("ECE"),
    pl.col("brier").round(3).alias("Brier"),
    *[
        (pl.col(f"acc_at_{round(c * 100)}") * 100).round(1).alias(f"acc @ {round(c * 100)}%")
        for c in beyond_accuracy.COVERAGE_POINTS
    ],
)
widgets.task_table(shown, "calibration-per-task", key="calibration_tasks")

left, right = st.columns(2)
with left:
    st.plotly_chart(
        charts.reliability_diagram(
            beyond_accuracy.reliability(inputs, task), f"Reliability diagram · {task_title(task)}"
        ),
        key="calibration-reliability",
    )
with right:
    st.plotly_chart(
        charts.coverage_curve(beyond_accuracy.coverage(inputs, task), f"Accuracy at coverage · {task_title(task)}"),
        key="calibration-coverage",
    )

st.subheader(f"Every model version on {widgets.md(task_title(task))}")
others = (
    overview.filter(pl.col("task") == task)
    .with_columns(pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_id")).alias("model"))
    .sort("ece", "model", nulls_last=True)
)
widgets.table(
    others.select(
        "model",
        "n",
        (pl.col("accuracy") * 100).round(1).alias("accuracy %"),
        (pl.col("mean_confidence") * 100).round(1).alias("mean confidence %"),
        pl.col("ece").round(3).alias("ECE"),
        pl.col("brier").round(3).alias("Brier"),
    ),
    "calibration-models",
    key="calibration_models",
)
