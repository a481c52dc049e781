"""Questions: browse by task, subject, "wrong for model X", "everyone wrong", "different answers", "split"; the
question view shows the text (plain text, never HTML), options, gold, explanation, every model version's
answer with its option probabilities, and the difficulty. URL: the list's filters
?task=T&subject=S&wrong=ENTRY&show=SCOPE&q=TEXT, plus &question=ID for the question view: opening a question
keeps the filters in the URL, so "Back" returns to exactly that list and previous/next step through it."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, widgets
from dashboard.page_frames import accuracy, beyond_accuracy, matrix
from dashboard.page_frames.labels import task_title
from warehouse.records import LETTERS

SCOPES = {
    "all": "all questions",
    "everyone_wrong": "everyone wrong",
    "different": "different answers",
    "split": "split: some right, some wrong",
}
ALL = "(all)"
LIST_LIMIT = 500
# URL parameter -> its value when the filter is off
LIST_PARAMS = {"task": ALL, "subject": ALL, "wrong": ALL, "show": "all", "q": ""}

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
    st.subheader(  # data: escaped
        f"{widgets.md(task_title(found['task']))} · {widgets.md(found['source_id'])}",
        help=f"Task id {widgets.md(found['task'])}; the question id is {widgets.md(question_id)}.",
    )
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
    task = first.selectbox(
        "Task",
        [ALL, *ctx.tasks],
        key="q_task",
        format_func=lambda t: t if t == ALL else task_title(t),
        help="The task id (as in the CSV and the link) is the first part of each question id.",
    )
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
    chosen = {"task": task, "subject": subject, "wrong": wrong_for, "show": scope, "q": search}
    for param, off in LIST_PARAMS.items():
        widgets.set_url(param, None if chosen[param] == off else chosen[param])

    found = listed_questions(chosen)
    total = found["n_matching"][0] if found.height else 0
    st.caption(
        f"{total} question(s), hardest first"
        + (f"; the first {LIST_LIMIT} shown" if total > LIST_LIMIT else "")
        + ". **right** is the share of model versions that got it right. Select a row to open it."
    )
    listing = found.select(
        "question_id",
        pl.col("task").replace_strict({t: task_title(t) for t in found["task"].unique()}).alias("task"),
        "subject",
        pl.col("text").str.slice(0, 160).alias("text"),
        pl.col("n_answers").alias("answered"),
        (pl.col("share_right") * 100).round(1).alias("right %"),
    )
    export = listing.insert_column(2, found["task"].alias("task id"))  # the CSV keeps the id beside the name
    help_ = {
        "task": st.column_config.TextColumn("task", help="The task's readable name; its id starts the question id.")
    }
    picked = widgets.table(
        listing, f"questions-{ctx.group}", key="questions_list", select=True, column_config=help_, export=export
    )
    if picked:  # the filters stay in the URL: Back returns to this list, previous/next step through it
        widgets.set_url("question", listing["question_id"][picked[0]])
        st.rerun()
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


def listed_questions(chosen: dict[str, str]) -> pl.DataFrame:
    """The list for these filter values (URL parameter -> value, LIST_PARAMS' off value where unset)."""
    on = {param: (None if chosen[param] == off else chosen[param]) for param, off in LIST_PARAMS.items()}
    scope = on["show"] if on["show"] in SCOPES else "all"
    return data.questions(ctx.version, ctx.group, on["task"], on["subject"], on["wrong"], scope, on["q"], LIST_LIMIT)


def list_navigation(question_id: str) -> None:
    """Back to the list the question was opened from (its filters are still in the URL), and previous/next
    through that list."""
    listed = listed_questions({p: widgets.url_value(p) or off for p, off in LIST_PARAMS.items()})
    ids = listed["question_id"].to_list()
    back, previous, position, following = st.columns([2, 1, 2, 1])
    if back.button("← Back to the list", key="q_back"):
        go_to(None)
    if question_id not in ids:
        position.caption("Not in the list's current filters.")
        return
    at = ids.index(question_id)
    position.caption(f"Question {at + 1} of {len(ids)} in the list")
    if previous.button("← Previous", key="q_previous", disabled=at == 0):
        go_to(ids[at - 1])
    if following.button("Next →", key="q_next", disabled=at == len(ids) - 1):
        go_to(ids[at + 1])


def go_to(question_id: str | None) -> None:
    widgets.set_url("question", question_id)
    st.rerun()


st.title("Questions")
chosen = widgets.url_value("question")
if chosen:
    widgets.set_url("question", chosen)
    list_navigation(chosen)
    question_view(chosen)
else:
    question_list()
