"""Runs: every run with its settings, backend, scoring mode, provenance, and tokens and cost where recorded."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, widgets
from dashboard.page_frames.labels import task_title

ctx = widgets.page_context()
runs = data.runs(ctx.version)

st.title("Runs")
st.caption(
    "Newest first. **rank** is the run's place within its leaderboard entry (1 answers first: complete "
    "before unfinished, then latest). **provenance**: evaluated here, imported from another tool, or loaded "
    "from a bundle. Tokens and cost appear where the backend recorded them (API models)."
)
if runs.is_empty():
    st.info(f"No runs yet. {data.EVAL_HINT}")
    st.stop()

left, right = st.columns(2)
backends = left.multiselect(
    "Backend", sorted(runs["backend"].unique().to_list()), key="runs_backend", placeholder="all backends"
)
modes = right.multiselect(
    "Scoring mode", sorted(runs["scoring_mode"].unique().to_list()), key="runs_mode", placeholder="both modes"
)
if backends:
    runs = runs.filter(pl.col("backend").is_in(backends))
if modes:
    runs = runs.filter(pl.col("scoring_mode").is_in(modes))

shown = runs.select(
    pl.col("model_id").alias("model"),
    pl.col("label").alias("version"),
    pl.col("num_fewshot").alias("shots"),
    pl.col("scoring_mode").alias("scoring"),
    "backend",
    "provenance",
    "dtype",
    "device",
    "status",
    pl.col("run_rank").alias("rank"),
    pl.col("started_at").alias("started"),
    pl.col("finished_at").alias("finished"),
    pl.col("seconds").round(1),
    "predictions",
    "failed",
    "invalid",
    pl.col("input_tokens").alias("input tokens"),
    pl.col("output_tokens").alias("output tokens"),
    pl.col("cost_usd").round(4).alias("cost (USD)"),
    pl.col("prompt_version").alias("prompt version"),
    pl.col("prompt_hash").alias("prompt hash"),
    "tasks",
    "settings",
    pl.col("run_id").alias("run id"),
)
# The screen names each task (MedQA, MMLU Anatomy); the CSV keeps the task ids a run is repeated with.
ids = shown["tasks"].str.split(", ")
titles = {t: task_title(t) for t in ids.explode().drop_nulls().unique().to_list()}
readable = shown.with_columns(
    ids.list.eval(pl.element().replace_strict(titles, default=pl.element())).list.join(", ").alias("tasks")
)
widgets.table(
    readable,
    "runs",
    key="runs_table",
    column_config={"tasks": st.column_config.TextColumn("tasks", help="The run's tasks; the CSV has their ids.")},
    export=shown,
)
