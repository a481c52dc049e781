"""History of one model: its versions in order, per-task accuracy across them, and between consecutive
versions the questions fixed, broken and still wrong (a significant drop is flagged as a regression).
URL: ?model=M&config=SHOTS:MODE."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, verdicts
from dashboard.page_frames.labels import task_header, task_help, task_title

INTERVAL_HELP = "Accuracy (%) with its 95% Wilson interval [low, high]."

ctx = widgets.page_context()
catalog = data.history_models(ctx.version)

st.title("Version history")
if catalog.is_empty():
    st.info(f"No model has results yet. {data.EVAL_HINT}")
    st.stop()

models = catalog["model_id"].unique(maintain_order=True).to_list()  # most versions first
widgets.start_from_url("history_model", "model", models[0], models)
left, right = st.columns([3, 2])
model = left.selectbox("Model", models, key="history_model")
configs = catalog.filter(pl.col("model_id") == model)
options = [f"{shots}:{mode}" for shots, mode in configs.select("num_fewshot", "scoring_mode").iter_rows()]
widgets.start_from_url("history_config", "config", options[0], options)
if st.session_state.get("history_config") not in options:  # the model changed under a stale choice
    st.session_state["history_config"] = options[0]
config = right.selectbox(
    "Run configuration",
    options,
    key="history_config",
    format_func=lambda c: f"{c.split(':')[0]}-shot · {c.split(':', 1)[1]}",
)
widgets.set_url("model", model)
widgets.set_url("config", config)
shots, mode = int(config.split(":")[0]), config.split(":", 1)[1]

history = data.history(ctx.version, model, shots, mode, ctx.group)
if history.is_empty():
    st.info(f"{widgets.md(model)} has no results on {widgets.md(ctx.group)} under this configuration.")
    st.stop()

versions = accuracy.history_table(history, ctx.tasks)
flips = data.history_flips(ctx.version, model, shots, mode, ctx.group)
moves = accuracy.transitions(flips, versions)
if not moves.is_empty():
    st.markdown(f"**{widgets.md(verdicts.history_verdict(moves, {t: task_title(t) for t in ctx.tasks}))}**")

st.subheader("Versions")
st.caption(
    "Oldest first: by release date where known, else by the first run. Accuracy in % with its 95% Wilson "
    "interval [low, high]; the CSV has them as numeric low and high columns."
)
shown = versions.select(
    "position",
    pl.col("label").alias("version"),
    pl.col("released_at").alias("released"),
    pl.col("first_run_at").alias("first run"),
    *[(pl.col(c) * 100).round(1).alias(c) for c in versions.columns if c in ("average", "weighted", *ctx.tasks)],
    "questions",
)
export = accuracy.history_export(history, shown, ctx.tasks)
inline = [
    pl.format("{} [{}, {}]", pl.col(t), pl.col(f"{t} low").round(1), pl.col(f"{t} high").round(1)).alias(t)
    for t in ctx.tasks
    if t in shown.columns
]
# Tasks under their short headers, the readable name and the id in the tooltip; the CSV keeps the task ids.
headers = {t: task_header(t) for t in ctx.tasks if t in shown.columns}
widgets.table(
    export.with_columns(inline).select(shown.columns).rename(headers),
    f"history-{model.replace('/', '_')}",
    key="history_versions",
    column_config={h: st.column_config.TextColumn(h, help=task_help(t, INTERVAL_HELP)) for t, h in headers.items()},
    export=export,
)
chance = dict(data.task_chance(ctx.version, ctx.group).select("task", "chance").rows())
labelled = history.drop("label").join(versions.select("position", "label"), on="position")  # distinct labels
st.plotly_chart(charts.history_lines(labelled, chance), key="history-chart")

if flips.is_empty():
    st.info("One version only: nothing to compare yet.")
    st.stop()

st.subheader("Between consecutive versions")
st.caption(
    "Questions both versions answered: **fixed** (wrong → right), **broken** (right → wrong), **still wrong**; "
    "**later − earlier** in points with its 95% interval (Newcombe's paired method). A drop (more broken than "
    f"fixed) whose **Holm p** is below {accuracy.REGRESSION_P} is flagged as a regression: Holm adjusts the exact "
    "McNemar p for testing every task of a step at once, so nine tasks do not raise a false alarm a third of "
    "the time; the pooled row is one test and keeps its p."
)
listing = moves.select(
    "from",
    "to",
    "task",
    "n",
    "fixed",
    "broken",
    pl.col("still_wrong").alias("still wrong"),
    (pl.col("diff") * 100).round(1).alias("later − earlier"),
    pl.format("[{}, {}]", (pl.col("ci_low") * 100).round(1), (pl.col("ci_high") * 100).round(1)).alias("95%"),
    pl.col("p_mcnemar").round(4).alias("McNemar p"),
    pl.col("p_holm").round(4).alias("Holm p"),
    pl.when(pl.col("regression")).then(pl.lit("⚠ regression")).otherwise(pl.lit("")).alias("flag"),
)
export = listing.drop("95%").insert_column(
    listing.columns.index("95%"), (moves["ci_low"] * 100).round(2).alias("95% low")
)
export = export.insert_column(listing.columns.index("95%") + 1, (moves["ci_high"] * 100).round(2).alias("95% high"))
widgets.task_table(listing, f"history-flips-{model.replace('/', '_')}", key="history_flips", export=export)

st.subheader("Browse a set")
steps = versions.select("position", "entry_id", "label").to_dicts()
pairs_of = {
    f"{before['label']} → {after['label']}": (before["entry_id"], after["entry_id"])
    for before, after in pairwise(steps)
}
left, middle, right = st.columns(3)
step = left.selectbox("Between", list(pairs_of), key="history_step")
kind = middle.selectbox("Set", list(accuracy.FLIP_KINDS), index=1, key="history_kind")
task = widgets.task_selectbox(right, "Task", [accuracy.ALL_TASKS, *ctx.tasks], key="history_task")
earlier, later = pairs_of[step]
chosen = accuracy.flip_set(data.compare(ctx.version, earlier, later, ctx.group), kind)
if task != accuracy.ALL_TASKS:
    chosen = chosen.filter(pl.col("task") == task)
st.caption(f"{chosen.height} question(s) {kind}. Select a row to open the question.")
questions = chosen.select("question_id", "task", "subject", pl.col("text").str.slice(0, 160).alias("text"))
picked = widgets.task_table(questions, f"history-{kind.replace(' ', '-')}", key="history_set", select=True)
if picked:
    row = questions.row(picked[0], named=True)
    widgets.open_question(row["question_id"])
