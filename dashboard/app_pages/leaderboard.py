"""Leaderboard: one row per model version and run configuration, with filters, columns, sort and CSV."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, summaries, verdicts
from dashboard.page_frames.labels import task_header, task_help, task_title

BILLION = 1e9
METADATA = {  # display name -> expression over the leaderboard table
    "parameters (B)": (pl.col("n_params") / BILLION).round(2),
    "type": pl.col("model_type"),
    "license": pl.col("license"),
    "revision": pl.col("revision"),
    "evaluated": pl.col("evaluated_at"),
    "shots": pl.col("num_fewshot"),
    "scoring": pl.col("scoring_mode"),
    "backend": pl.col("backend"),
    "provenance": pl.col("provenance"),
    "dtype": pl.col("dtype"),
    "status": pl.col("status"),
    "entry id": pl.col("entry_id"),
}

QUALITY = {  # optional beyond-accuracy columns: display name -> expression (lower ECE/Brier is better)
    "ECE": pl.col("ece").round(3),
    "Brier": pl.col("brier").round(3),
    "EMR": (pl.col("emr") * 100).round(1),
    "Hamming": (pl.col("hamming") * 100).round(1),
}

NO_COLUMNS = "none"  # cols=none: the user removed every optional column (an absent cols means the default)


def start_columns(optional: list[str], default: list[str]) -> None:
    """Start the Columns choice at the link's cols= (the optional columns it names, in the page's order;
    `default` when it has none, or none this page offers), warning about names it does not offer. A
    followed link wins over the user's earlier choice."""
    asked = widgets.url_list("cols")
    known = [c for c in optional if c in asked]
    chosen = [] if asked == [NO_COLUMNS] else known or default
    instead = "They are left out." if known else f"Showing the default columns ({', '.join(default)}) instead."
    widgets.warn_unknown_in_url("cols", widgets.url_unknown("cols", [*optional, NO_COLUMNS]), instead)
    if widgets.url_changed("cols") or "lb_columns" not in st.session_state:
        st.session_state["lb_columns"] = chosen


# ------------------------------------------------------------------ results without per-question data
# Aggregate-only (lm-eval results files without samples) and reported (papers, model cards) scores get a
# section of their own below the ranked table, shown by default behind a visible toggle. A clinician reading
# the ranking expects every row in it to be measured the same way and comparable question by question; these
# are not (other shots, other prompts, no answers to pair), so they are never ranked, tied or tested with it.
# Yet they are the reference numbers people come looking for (GPT-4, Med-PaLM 2), so they are not hidden.


def show_results_without_questions(ctx: widgets.PageContext, table: pl.DataFrame) -> None:
    if table.is_empty():
        return
    st.subheader(summaries.SECTION_TITLE)
    st.caption(
        f"{table.height} entr{'y' if table.height == 1 else 'ies'} known only by per-task accuracies: "
        "**aggregate only** (an lm-eval results file without its samples) and **reported** (a paper or model "
        "card, with its citation). Their shots and protocol may differ from the table above, so they are not "
        "ranked with it, and having no per-question answers they are in no tie, paired test, Compare, History "
        "or question view. Brackets are the 95% Wilson interval where n is known."
    )
    if not st.toggle("Show results without per-question data", value=True, key="lb_without_questions"):
        return
    display = summaries.summary_display(table, ctx.tasks)
    config = {
        "badge": st.column_config.TextColumn(
            "badge",
            help="aggregate only: lm-eval scores without samples; reported: copied from the cited paper or model card.",
        ),
        "average": widgets.percent("average", "Unweighted mean of the tasks; empty when a task is missing."),
        "n from": st.column_config.TextColumn("n from", help="Where each task's number of questions comes from."),
    }
    widgets.table(
        display,
        f"leaderboard-{ctx.group}-without-questions",
        key="leaderboard-without-questions",
        column_config=config,
        export=summaries.summary_export(table, ctx.tasks),
    )


ctx = widgets.page_context()
board = data.leaderboard(ctx.version, ctx.group)
quality = data.leaderboard_quality(ctx.version, ctx.group)
if not board.is_empty():
    board = board.join(quality, on="entry_id", how="left")

st.title("Open Medical-LLM Leaderboard")
st.caption(
    f"Accuracy (%) on the {len(ctx.tasks)} tasks of **{widgets.md(ctx.group)}**, one row per model version and run "
    "configuration (shots, scoring mode). **average** is the unweighted mean of the tasks, shown only when every "
    "task is present; **weighted** counts every question once. Brackets are the 95% Wilson interval of each "
    "accuracy; **chance** is what guessing at random scores (25% with four options, 33.3% on PubMedQA, 1/31 "
    "for the exact answer set of FrenchMedMCQA) and **above chance?** tests every answer of the row against it."
)
without_questions = data.summary_board(ctx.version, ctx.group)
if not without_questions.is_empty():  # their section sits below the ranked table and its chart: say so here
    st.markdown(summaries.pointer_text(without_questions.height))
if board.is_empty():
    st.info(f"No results for task group {widgets.md(ctx.group)} yet. {data.EVAL_HINT}")
    show_results_without_questions(ctx, without_questions)
    st.stop()

# ------------------------------------------------------------------ filters
left, middle, right = st.columns([3, 3, 4])
widgets.start_text_from_url("lb_search", "q")
search = left.text_input("Search models", key="lb_search", placeholder="name contains…")
types = sorted(t for t in board["model_type"].unique().to_list() if t)
widgets.warn_unknown_in_url("types", widgets.url_unknown("types", types), "They are left out of the type filter.")
widgets.start_list_from_url("lb_types", "types", types)
chosen_types = middle.multiselect("Model type", types, key="lb_types", placeholder="all types")
widgets.set_url("q", search)
widgets.set_url("types", chosen_types)
sizes = board["n_params"].drop_nulls()
if sizes.len() and sizes.min() != sizes.max():
    low, high = float(sizes.min()) / BILLION, float(sizes.max()) / BILLION
    if widgets.url_changed("size") and not widgets.url_range_readable("size"):
        widgets.warn_unknown_in_url("size", [widgets.url_value("size") or ""], "Showing every size instead.")
    widgets.warn_unknown_in_url("unknown", widgets.url_unknown("unknown", ["no"]), "Including unknown sizes.")
    linked = widgets.url_range("size", low, high)
    widgets.start_widget_at("lb_size", linked, [linked], force=widgets.url_changed("size"))
    size_range = right.slider("Size (billions of parameters)", low, high, key="lb_size")
    unknown = widgets.url_value("unknown") != "no"
    widgets.start_widget_at("lb_unknown", unknown, [unknown], force=widgets.url_changed("unknown"))
    unknown_size = right.checkbox("include models of unknown size", key="lb_unknown")
    whole = size_range == (low, high)
    widgets.set_url("size", None if whole else f"{size_range[0]:g}-{size_range[1]:g}")
    widgets.set_url("unknown", None if unknown_size else "no")
else:
    size_range, unknown_size = None, True

shown = board
if search:
    short = pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_label"))
    matches = [c.str.to_lowercase().str.contains(search.lower(), literal=True) for c in (pl.col("entry_label"), short)]
    shown = shown.filter(matches[0] | matches[1])
if chosen_types:
    shown = shown.filter(pl.col("model_type").is_in(chosen_types))
if size_range:
    in_range = pl.col("n_params").is_between(size_range[0] * BILLION, size_range[1] * BILLION)
    shown = shown.filter(in_range | (pl.col("n_params").is_null() & unknown_size))

# ------------------------------------------------------------------ sort and columns
sort_options = ["average", "weighted", *ctx.tasks, "questions", "parameters (B)", "evaluated"]
sort_columns = {"parameters (B)": "n_params", "evaluated": "evaluated_at"}
# All in the link: sort=COLUMN, order=asc, interval=on, cols=A,B (or cols=none); a value this page does
# not offer (a task of another group, a column of a removed metric) is said so, not silently dropped.
left, middle, right = st.columns([3, 2, 5])
widgets.warn_unknown_in_url("sort", widgets.url_unknown("sort", sort_options), "Sorted by the average instead.")
widgets.start_from_url("lb_sort", "sort", "average", sort_options)
sort_by = left.selectbox(
    "Sort by", sort_options, key="lb_sort", format_func=task_title, help="A task's id is in the link (sort=…)."
)
widgets.warn_unknown_in_url("order", widgets.url_unknown("order", ["asc"]), "Highest first instead.")
widgets.start_widget_at(
    "lb_desc", widgets.url_value("order") != "asc", [True, False], force=widgets.url_changed("order")
)
descending = middle.toggle("Highest first", key="lb_desc")
widgets.set_url("sort", None if sort_by == "average" else sort_by)
widgets.set_url("order", None if descending else "asc")
widgets.warn_unknown_in_url("interval", widgets.url_unknown("interval", ["on"]), "Plain numbers instead.")
widgets.start_widget_at(
    "lb_interval", widgets.url_value("interval") == "on", [True, False], force=widgets.url_changed("interval")
)
inline_interval = middle.toggle(
    "Show 95% interval",
    key="lb_interval",
    help="Off: plain numbers (sortable by clicking a column header). The CSV always has acc, low and high.",
)
widgets.set_url("interval", "on" if inline_interval else None)
# EMR and Hamming exist only for groups with a multi-answer task (FrenchMedMCQA): offered there only.
offered = [name for name in QUALITY if name in ("ECE", "Brier") or quality[name.lower()].drop_nulls().len()]
optional = ["tie", "questions", "weighted", "chance", "above chance?", "coverage", "settings", *offered, *METADATA]
# At 1440 px the default columns fit without scrolling inside the grid (tests/dashboard/test_browser.py).
default_optional = ["tie", "above chance?"]
start_columns(optional, default_optional)
extra = right.multiselect("Columns", optional, key="lb_columns")
widgets.set_url("cols", None if set(extra) == set(default_optional) else (extra or NO_COLUMNS))

shown = shown.sort(sort_columns.get(sort_by, sort_by), descending=descending, nulls_last=True)
# Ties follow the accuracy column being sorted (the average unless a task or the weighted mean is chosen),
# with paired tests between neighbours that answered the same questions.
tie_by = sort_by if sort_by in ("average", "weighted", *ctx.tasks) else "average"
ties = data.leaderboard_ties(ctx.version, ctx.group, tie_by, tuple(shown["entry_id"].to_list()))
shown = shown.drop("tie").join(ties, on="entry_id", how="left", maintain_order="left")
display = accuracy.format_accuracy(shown, ctx.tasks, with_interval=inline_interval).with_columns(
    pl.int_range(1, pl.len() + 1).alias("rank"),
    pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_label")).alias("model"),
    (pl.col("chance") * 100).round(1).alias("chance"),
    pl.col("p_above_chance").map_elements(verdicts.above_chance_label, return_dtype=pl.String).alias("above chance?"),
    pl.format("{} of {}", pl.col("tasks_present"), pl.lit(len(ctx.tasks))).alias("coverage"),  # not a date
    *[expression.alias(name) for name, expression in METADATA.items()],
    *[expression.alias(name) for name, expression in QUALITY.items()],
)
display = display.with_columns(
    pl.when(pl.col("partial")).then(pl.col("coverage") + " partial").otherwise(pl.col("coverage")).alias("coverage")
)
leading = ["tie"] if "tie" in extra else []  # tie labels read best next to the rank
marked = display.filter(pl.col("settings") != "").height  # warned about below, whether the column shows or not
columns = ["rank", *leading, "model", "average", *ctx.tasks]
columns += [c for c in optional if c in extra and c not in leading]
display = display.select(columns)

# Tasks under short headers (the readable name and the id in the tooltip); the CSV keeps the task ids.
headers = {t: task_header(t) for t in ctx.tasks}
interval_help = "Accuracy (%) with its 95% Wilson interval [low, high]." if inline_interval else "Accuracy (%)."
config = {
    headers[t]: st.column_config.Column(
        headers[t], help=task_help(t, interval_help), width=None if inline_interval else 62
    )
    for t in ctx.tasks
}
if not inline_interval:
    config = {h: st.column_config.NumberColumn(h, format="%.1f", help=c["help"], width=62) for h, c in config.items()}
config |= {
    "model": st.column_config.TextColumn(
        "model", pinned=True, width=190, help="Short label of the model version and run."
    ),
    "rank": st.column_config.NumberColumn("rank", width=40),
    "chance": widgets.percent("chance", "Accuracy of guessing at random, mean over the row's tasks (%)."),
    "above chance?": st.column_config.TextColumn(
        "above chance?",
        width=84,
        help="One-sided exact test of all the row's answers against guessing at random (5%).",
    ),
}
config |= {
    "average": st.column_config.NumberColumn(
        "average", format="%.1f", width=62, help="Unweighted mean of the tasks; empty when a task is missing."
    ),
    "weighted": widgets.percent("weighted", "Size-weighted mean: every question counts once."),
    "tie": st.column_config.TextColumn(
        "tie",
        width=40,
        help=f"Same ≈n: on {tie_by}, the difference to the next row is not significant (two-sided 5%): "
        "exact McNemar for a task, a paired permutation test for the average, on the questions both answered.",
    ),
    "settings": st.column_config.TextColumn(
        "settings", help="What differs from most rows: shots, prompt, dtype, or generative scoring."
    ),
    "ECE": st.column_config.NumberColumn(
        "ECE",
        format="%.3f",
        help="Expected calibration error (10 bins), mean "
        "over the group's tasks with option probabilities. Lower is better.",
    ),
    "Brier": st.column_config.NumberColumn(
        "Brier",
        format="%.3f",
        help="Multi-class Brier score, mean over the group's tasks with option probabilities. Lower is better.",
    ),
    "EMR": widgets.percent("EMR", "Exact match ratio of the answer sets (FrenchMedMCQA), %."),
    "Hamming": widgets.percent("Hamming", "Hamming score |P∩G|/|P∪G| of the answer sets (FrenchMedMCQA), %."),
}
st.write(f"{display.height} of {board.height} entries")
# The CSV has numbers where the screen may show text: each task's accuracy, low, high (%) and n.
export = accuracy.accuracy_export(display, shown, ctx.tasks).with_columns(
    shown["p_above_chance"].alias("above chance p")
)
widgets.table(
    display.rename(headers), f"leaderboard-{ctx.group}", key="leaderboard", column_config=config, export=export
)
if marked:
    st.caption(
        f"⚠ {marked} row(s) ran with settings that differ from the rest (add the **settings** column to see "
        "which); compare them with care."
    )

if shown[tie_by].drop_nulls().len():
    chance = dict(data.task_chance(ctx.version, ctx.group).select("task", "chance").rows())
    level = chance.get(tie_by) if tie_by in ctx.tasks else (sum(chance.values()) / len(chance) if chance else None)
    figure = charts.leaderboard_bars(shown, ctx.labels, value=tie_by, chance=level)
    st.plotly_chart(figure, key="leaderboard-chart")


show_results_without_questions(ctx, without_questions)
