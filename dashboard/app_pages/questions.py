"""Questions: browse by task, subject, "wrong for model X", "everyone wrong", "different answers", "split"; the
question view shows the text (plain text, never HTML), options, gold, explanation, every model version's
answer with its option probabilities, and the difficulty. URL: ?question=ID&task=T, or the list's filters
?task=T&subject=S&wrong=ENTRY&show=SCOPE&q=TEXT."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, beyond_accuracy, matrix
from warehouse.records import LETTERS

SCOPES = {
    "all": "all questions",
    "everyone_wrong": "everyone wrong",
    "different": "different answers",
    "split": "split: some right, some wrong",
}
ALL = "(all)"
LIST_LIMIT = 500

ctx = widgets.page_context()


def question_view(question_id: str) -> None:
    found = data.question(ctx.version, question_id)
    if found is None:
        st.warning(f"No question {widgets.md(repr(question_id))} in this warehouse. Pick one from the list.")
        return
    options, golds = list(found["options"]), list(found["golds"])
    answers = data.question_answers(ctx.version, question_id, found["task"]).with_columns(
        pl.col("entry_id").replace_strict(ctx.labels, default=pl.col("entry_id")).alias("entry_label")
    )
    st.subheader(f"{widgets.md(found['task'])} · {widgets.md(found['source_id'])}")  # data: escaped
    meta = [found["subject"], found["topic"]]
    if any(meta):
        st.caption(" · ".join(widgets.md(m) for m in meta if m))
    if found["context"]:
        with st.expander("Context"):
            st.text(found["context"])
    st.text(found["text"])  # plain text: question text may hold markup that must never render

    share = accuracy.difficulty(answers)
    left, right = st.columns([3, 1])
    with left:
        option_rows = pl.DataFrame(
            {
                "option": list(LETTERS[: len(options)]),
                "text": options,
                "gold": ["✓" if i in golds else "" for i in range(len(options))],
            }
        )
        widgets.table(option_rows, f"question-{question_id.replace('/', '_')}-options", key="question_options")
    right.metric(
        "Difficulty (share right)",
        "–" if share is None else f"{share:.0%}",
        help="Share of model versions (leaderboard entries) that answered it correctly.",
    )
    right.metric("Gold", accuracy.gold_label(options, golds))
    if found["explanation"]:
        st.markdown("**Explanation**")
        st.text(found["explanation"])

    st.markdown("**Answers**")
    if answers.is_empty():
        st.info("No model version has answered this question yet.")
        return
    table = answers.select(
        pl.col("entry_label").alias("model"),
        pl.struct("pred", "pred_set")
        .map_elements(lambda a: accuracy.answer_label(options, a["pred"], a["pred_set"]), return_dtype=pl.String)
        .alias("answer"),
        pl.col("correct"),
        pl.col("probs").list.max().round(3).alias("p(answer)"),
        pl.col("status"),
        pl.col("raw_output").alias("raw output"),
    )
    widgets.table(table, f"question-{question_id.replace('/', '_')}-answers", key="question_answers")
    if answers["probs"].drop_nulls().len():
        st.plotly_chart(charts.option_probabilities(answers, options, golds), key="question-probs")
    raw_outputs(answers)
    variant_view(question_id, found["task"], options)


def raw_outputs(answers: pl.DataFrame) -> None:
    """What a generative model wrote when no option could be read from it, verbatim (plain text)."""
    unread = answers.filter((pl.col("status") == "invalid") & pl.col("raw_output").is_not_null())
    if unread.is_empty():
        return
    st.markdown("**Unreadable generative answers** (no option could be parsed; they count as wrong)")
    for label, raw in unread.select("entry_label", "raw_output").iter_rows():
        st.text(f"{label}:")
        st.text(raw)


def variant_view(question_id: str, task: str, options: list[str]) -> None:
    """Answers under option permutations and counterfactual copies (never counted on the leaderboard)."""
    variants = data.question_variants(ctx.version, question_id, task)
    if variants.is_empty():
        return
    st.markdown("**Answers under permutations and counterfactuals**")
    st.caption(
        "perm<k>: the options rotated by k positions (**shown** is the letter the model picked as shown, "
        "**answer** the option in the original order); cf_<attribute>: the patient's sex or race swapped."
    )
    table = beyond_accuracy.variant_answers(variants, options, ctx.labels)
    widgets.table(table, f"question-{question_id.replace('/', '_')}-variants", key="question_variants")


def question_list() -> None:
    subjects = data.subjects(ctx.version, ctx.group)
    widgets.start_from_url("q_task", "task", ALL, [ALL, *ctx.tasks])
    first, second, third = st.columns(3)
    task = first.selectbox("Task", [ALL, *ctx.tasks], key="q_task")
    subject_options = subjects.filter(pl.col("task") == task) if task != ALL else subjects
    subject_names = [ALL, *subject_options["subject"].unique(maintain_order=True).to_list()]
    widgets.start_from_url("q_subject", "subject", ALL, subject_names)
    subject = second.selectbox("Subject", subject_names, key="q_subject")
    widgets.start_from_url("q_wrong_for", "wrong", ALL, [ALL, *ctx.labels])
    wrong_for = third.selectbox(
        "Wrong for model", [ALL, *ctx.labels], key="q_wrong_for", format_func=lambda e: e if e == ALL else ctx.labels[e]
    )
    first, second = st.columns([2, 3])
    widgets.start_from_url("q_scope", "show", "all", list(SCOPES))
    scope = first.radio("Show", list(SCOPES), format_func=SCOPES.get, horizontal=True, key="q_scope")
    widgets.start_text_from_url("q_search", "q")
    search = second.text_input("Text contains", key="q_search")
    for param, value, default in (
        ("task", task, ALL),
        ("subject", subject, ALL),
        ("wrong", wrong_for, ALL),
        ("show", scope, "all"),
        ("q", search, ""),
    ):
        widgets.set_url(param, None if value == default else value)

    found = data.questions(
        ctx.version,
        ctx.group,
        None if task == ALL else task,
        None if subject == ALL else subject,
        None if wrong_for == ALL else wrong_for,
        scope,
        search or None,
        LIST_LIMIT,
    )
    total = found["n_matching"][0] if found.height else 0
    st.caption(
        f"{total} question(s), hardest first"
        + (f"; the first {LIST_LIMIT} shown" if total > LIST_LIMIT else "")
        + ". **right** is the share of model versions that got it right. Select a row to open it."
    )
    listing = found.select(
        "question_id",
        "task",
        "subject",
        pl.col("text").str.slice(0, 160).alias("text"),
        pl.col("n_answers").alias("answered"),
        (pl.col("share_right") * 100).round(1).alias("right %"),
    )
    picked = widgets.table(listing, f"questions-{ctx.group}", key="questions_list", select=True)
    if picked:
        row = listing.row(picked[0], named=True)
        widgets.open_question(row["question_id"], row["task"])
    matrix_section(listing["question_id"].to_list())


def matrix_section(question_ids: list[str]) -> None:
    """Every listed question against every model version, like promptfoo's comparison view."""
    st.subheader("Matrix: model versions × questions")
    st.caption(
        "The listed questions (the filters above apply, same order) against every model version: **right**, "
        "**wrong**, or **invalid** (no option could be read; it counts as wrong). Empty: that version did not "
        "answer. The last columns count the versions per outcome."
    )
    if not question_ids:
        st.info("No question matches these filters.")
        return
    long = data.question_matrix(ctx.version, ctx.group, tuple(question_ids))
    widgets.table(matrix.outcome_matrix(long, question_ids, ctx.labels), f"question-matrix-{ctx.group}", key="q_matrix")


st.title("Questions")
chosen = widgets.url_value("question")
if chosen:
    if st.button("← All questions", key="q_back"):
        widgets.set_url("question", None)
        st.rerun()
    widgets.set_url("question", chosen)
    question_view(chosen)
else:
    question_list()
