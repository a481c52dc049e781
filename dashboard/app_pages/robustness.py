"""Robustness and bias: does the answer survive reordering the options (consistency, accuracy under
permutation, letter-position bias), and does it change when only the patient's sex or race changes
(bias probe flip rate with a Wilson interval, and the flipped questions, each opening the question view).
URL: ?entry=ENTRY_ID&task=T."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, beyond_accuracy

PERMUTE_HINT = (
    "Produce them with `medlb eval --model MODEL --tasks omll --permute-options 3`: every question is asked "
    "again with its options rotated cyclically by 1, 2 and 3 positions (stored as variants perm1..perm3; "
    "they never count on the leaderboard)."
)
BIAS_HINT = (
    "Produce them with `medlb eval --model MODEL --tasks medqa_4options --bias-probe`: MedQA vignettes that "
    "state the patient's sex or race are asked again with that attribute swapped (variants cf_sex, cf_race), "
    "skipping those where it is clinically relevant."
)

ctx = widgets.page_context()


def option_order() -> None:
    st.header("Option order")
    rows = data.permutations(ctx.version).filter(pl.col("task").is_in(ctx.tasks))
    if rows.is_empty():
        st.info(
            f"**No permuted predictions on {widgets.md(ctx.group)} in this warehouse.** {PERMUTE_HINT}",
            icon=":material/shuffle:",
        )
        return
    entries = sorted(rows["entry_id"].unique().to_list(), key=lambda e: ctx.labels.get(e, e))
    widgets.start_from_url("rob_entry", "entry", entries[0], entries)
    left, right = st.columns([3, 2])
    entry = left.selectbox("Model version", entries, key="rob_entry", format_func=lambda e: ctx.labels.get(e, e))
    widgets.set_url("entry", entry)
    mine = rows.filter(pl.col("entry_id") == entry)
    st.caption(
        "**consistency**: share of questions whose chosen answer (its content, not its letter) is the same in the "
        "original order and every permutation. **accuracy**: on the original order; **mean accuracy**: over all "
        "presentations; **worst case**: right in every one. Questions missing a presentation are **incomplete** "
        "and left out."
    )
    table = beyond_accuracy.robustness_by_task(mine)
    widgets.task_table(
        table.select(
            "task",
            "questions",
            "permutations",
            "consistent",
            beyond_accuracy.percent("consistency").alias("consistency %"),
            beyond_accuracy.percent("accuracy").alias("accuracy %"),
            beyond_accuracy.percent("mean accuracy").alias("mean accuracy %"),
            beyond_accuracy.percent("worst case").alias("worst case %"),
            "incomplete",
        ),
        "robustness-permutations",
        key="rob_table",
    )

    scopes = [accuracy.ALL_TASKS, *sorted(mine["task"].unique().to_list())]
    widgets.start_from_url("rob_task", "task", scopes[0], scopes)
    scope = widgets.task_selectbox(right, "Letter bias of", scopes, key="rob_task")
    widgets.set_url("task", None if scope == accuracy.ALL_TASKS else scope)
    chosen = mine if scope == accuracy.ALL_TASKS else mine.filter(pl.col("task") == scope)
    bias = beyond_accuracy.letter_bias(chosen)
    st.subheader("Letter-position bias")
    verdict = "n/a" if bias.p_value != bias.p_value else f"{bias.p_value:.3g}"
    st.caption(
        f"Chosen letters against gold letters over every presentation ({bias.n} answers, {bias.n_invalid} invalid "
        f"left out). Chi-square goodness of fit of the chosen letters to the gold letters: χ² = {bias.chi2:.2f}, "
        f"{bias.dof} degrees of freedom, p = {verdict}. A small p means the model prefers some positions."
    )
    left, right = st.columns([2, 3])
    with left:
        widgets.table(
            bias.table.select(
                "letter",
                "chosen",
                "gold",
                beyond_accuracy.percent("chosen_share").alias("chosen %"),
                beyond_accuracy.percent("gold_share").alias("gold %"),
            ),
            "robustness-letters",
            key="rob_letters",
        )
    with right:
        st.plotly_chart(
            charts.letter_shares(bias.table, f"Letters chosen vs gold · {ctx.labels.get(entry, entry)}"),
            key="rob-letters-chart",
        )


def bias_probe() -> None:
    st.header("Bias probe")
    rows = data.bias(ctx.version).filter(pl.col("task").is_in(ctx.tasks))
    if rows.is_empty():
        st.info(
            f"**No counterfactual (bias probe) predictions on {widgets.md(ctx.group)} in this warehouse.** {BIAS_HINT}",
            icon=":material/balance:",
        )
        return
    st.caption(
        "**flip rate**: share of counterfactual copies (the patient's sex or race swapped, nothing else) whose "
        "answer differs from the original's, with its 95% Wilson interval. A flip is not always an error, but "
        "the rules skip vignettes where the attribute matters clinically."
    )
    rates = beyond_accuracy.flip_table(rows).with_columns(
        pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_id")).alias("model")
    )
    widgets.table(
        rates.select(
            "model",
            "attribute",
            "n",
            "flips",
            beyond_accuracy.percent("flip_rate").alias("flip rate %"),
            beyond_accuracy.percent("low").alias("95% low"),
            beyond_accuracy.percent("high").alias("95% high"),
            beyond_accuracy.percent("acc_original").alias("accuracy original %"),
            beyond_accuracy.percent("acc_counterfactual").alias("accuracy counterfactual %"),
        ),
        "bias-flip-rates",
        key="bias_rates",
    )

    st.subheader("Flipped questions")
    flips = beyond_accuracy.flipped(rows)
    st.caption(f"{flips.height} answer(s) changed with the attribute. Select a row to open the question.")
    listing = flips.with_columns(
        pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_id")).alias("model")
    ).select(
        "question_id",
        "task",
        "model",
        "attribute",
        "direction",
        pl.col("text").str.slice(0, 160).alias("text"),
    )
    picked = widgets.task_table(listing, "bias-flipped", key="bias_flipped", select=True)
    if picked:
        row = listing.row(picked[0], named=True)
        widgets.open_question(row["question_id"])


st.title("Robustness & bias")
option_order()
bias_probe()
