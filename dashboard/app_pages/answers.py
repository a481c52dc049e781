"""Answers: K-QA's open-ended leaderboard (every score with its judge and the judge's measured agreement with
physicians), and one answer judged statement by statement. Model text is shown as text, never markdown."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import answers_data, data, widgets

version = data.warehouse_version()
board = answers_data.leaderboard(version)

st.title("Answers (K-QA)")
st.caption(
    "Patients' questions answered in free text and judged statement by statement with the K-QA paper's prompts. "
    "Comprehensiveness: share of the physicians' Must_have statements the answer entails. Hallucinations: "
    "gold statements it contradicts (count, and share of those judged). Means over questions with a 95% "
    "Student t interval. Every score is one judge's: the judge and its agreement with the physicians "
    "(Cohen's kappa on the labelled K-QA pairs, `medlb judge-check`) stand beside it; a judge never checked "
    "or with kappa under 0.4 is marked unvalidated. Unparsed verdicts are left out of the shares and counted."
)
if board.is_empty():
    st.info(
        "No judged answers yet. Generate and judge them with `medlb eval --model MODEL --tasks kqa --judge JUDGE`, "
        "then measure the judge with `medlb judge-check --judge JUDGE`."
    )
    st.stop()

widgets.table(board, "kqa-leaderboard", key="answers_board")
with st.expander("How far each judge can be trusted: its checks against the physicians"):
    st.caption(
        "`medlb judge-check` on K-QA's 399 physician-labelled (answer, statement) pairs, or its first N. "
        "Accuracy with a Wilson 95% interval; macro-F1 (the mean F1 of yes and no: not flattered by the many "
        "no pairs); Cohen's kappa; the physicians' own Fleiss' kappa as the ceiling; and the confusion counts, "
        "rows the physicians' majority, columns the judge (an unparsed verdict counts as a miss)."
    )
    widgets.table(answers_data.check_table(answers_data.checks(version)), "kqa-judge-checks", key="answers_checks")
keys = [f"{r['run id']}:{r['judge id']}" for r in board.iter_rows(named=True)]
labels = {k: f"{r['model']} {r['version']}, judged by {r['judge']}" for k, r in zip(keys, board.iter_rows(named=True))}
VIEWS = {"questions": "Per question", "slices": "Slices by ICD-10", "bias": "Judge bias per model"}
widgets.start_from_url("answers_view", "view", "questions", list(VIEWS))
view_name = st.radio("View", list(VIEWS), key="answers_view", format_func=VIEWS.get, horizontal=True)
widgets.set_url("view", None if view_name == "questions" else view_name)


def judge_bias() -> None:
    st.subheader("Judge bias per model: a machine judge against the physicians on the same answers")
    bias = answers_data.judge_bias(version)
    st.caption(
        "For each commercial model of `medlb import kqa-physicians` and each machine judge with verdicts on those "
        "very answers (its `medlb judge-check` verdicts on the physician-labelled pairs, mapped to the entry's "
        "statements, or `medlb judge --run <the import's run> --judge J`): Comprehensiveness and Hallucinations "
        "under the physicians and under the judge, on the (statement, relation) pairs both judged, and judge minus "
        "physicians paired over the shared questions (95% Student t interval, paired t-test, scipy). A positive "
        "difference: the judge is more generous (Comprehensiveness) or sees more contradictions (Hallucinations)."
    )
    if bias.is_empty():
        st.info(
            "No machine judge has verdicts on the physicians' answers yet. Import them with `medlb import "
            "kqa-physicians`, then check a judge on the same pairs with `medlb judge-check --judge JUDGE`."
        )
        return
    widgets.table(bias, "kqa-judge-bias", key="answers_bias")


if view_name == "bias":
    judge_bias()
    st.stop()
widgets.start_from_url("answers_entry", "entry", keys[0], keys)
chosen = st.selectbox("Entry", keys, key="answers_entry", format_func=labels.get)
widgets.set_url("entry", chosen)
entry = board.row(keys.index(chosen), named=True)
st.text(
    f"{labels[chosen]}. Judge agreement: entails {entry['judge agreement (entails)']}; contradicts "
    f"{entry['judge agreement (contradicts)']}"
)


def slices() -> None:
    st.subheader("Per slice of the questions' diagnosis")
    by_names = answers_data.SLICE_BYS
    widgets.start_from_url("answers_slice_by", "slice_by", "chapter", list(by_names))
    by = st.radio("Slice by", list(by_names), key="answers_slice_by", format_func=by_names.get, horizontal=True)
    widgets.set_url("slice_by", by)
    minimum = answers_data.MIN_SLICE_N
    st.caption(
        "K-QA gives each question the ICD-10 diagnosis of its patient's conversation (ICD_10_diag, a description). "
        "Chapters come from the vendored table pipeline/judging/data/kqa_icd10.csv (the description matched to "
        "ICD-10-CM by exact text with simple-icd-10-cm; one that matches no code is 'unmapped'). Per slice: "
        "the mean over its questions with a 95% Student t interval; ⚠ marks a slice under "
        f"{minimum} questions (the Slices page's minimum): one or two answers would decide it."
    )
    scores = answers_data.per_question(version, entry["run id"], entry["judge id"])
    rows = answers_data.slice_scores(scores, answers_data.question_slices(version), by)
    widgets.table(answers_data.slice_display(rows), f"kqa-slices-{by}-{entry['run id']}", key="answers_slices",
                  export=rows)  # fmt: skip


if view_name == "slices":
    slices()
    st.stop()
st.subheader("Per question")
same_judge = [k for k in keys if k != chosen and k.endswith(f":{entry['judge id']}")]
if same_judge:
    other = st.selectbox("Compare with (same judge)", same_judge, key="answers_other", format_func=labels.get)
    other_run = board.row(keys.index(other), named=True)["run id"]
    st.caption("Paired differences on the questions both entries answered, this entry minus the other.")
    widgets.table(answers_data.paired(version, entry["run id"], other_run, entry["judge id"]), "kqa-paired",
                  key="answers_paired")  # fmt: skip
scores = answers_data.per_question_compared(version, entry["run id"], entry["judge id"])
FILTERS = {  # URL value -> (checkbox label, the rows it keeps)
    "missed": ("only answers that missed a Must_have statement", pl.col("comprehensiveness") < 1),
    "contradicting": ("only answers that contradicted something", pl.col("hallucinations") > 0),
    "disagree": ("only questions where judges disagree", pl.col("judges disagree") > 0),
}
from_url = widgets.url_list("only")
kept = []
for name, (label, keep) in FILTERS.items():
    key = f"answers_{name}"
    if widgets.url_changed("only") or key not in st.session_state:
        st.session_state[key] = name in from_url
    if st.checkbox(label, key=key):
        scores = scores.filter(keep)
        kept.append(name)
widgets.set_url("only", kept)
st.caption(
    "Judges disagree: another judge of the same answer read at least one (statement, relation) the other way, "
    "true against false, e.g. a machine judge against the physicians on a commercial answer (its judge check "
    "on that pair) or two machine judges on one run. Unparsed or failed verdicts never count. The column "
    "'judges disagree' counts those pairs."
)
widgets.table(scores, f"kqa-questions-{entry['run id']}", key="answers_questions")
if scores.is_empty():
    st.stop()
ids = scores["question_id"].to_list()
widgets.start_from_url("answers_question", "question", ids[0], ids)
question_id = st.selectbox("Question", ids, key="answers_question")
widgets.set_url("question", question_id)
view = answers_data.question_view(version, entry["run id"], entry["judge id"], question_id)
first = view.row(0, named=True)
st.subheader(f"Question {widgets.md(question_id)}")
st.text(first["question"])
st.caption("The physicians' answer")
st.text(first["physicians_answer"] or "")
answered = [k for k in keys if k != chosen and question_id in answers_data.answered(version, k)]
second = None
if answered:
    widgets.start_from_url("answers_entry2", "entry2", answered[0], answered)
    second = st.selectbox("Second answer, side by side", answered, key="answers_entry2", format_func=labels.get)
    widgets.set_url("entry2", second)
else:
    st.caption("No other entry answered this question.")
st.caption(
    "Each gold statement as the entry's judge marks it (entailed, neutral: neither, contradicted) and, for the "
    "commercial answers K-QA's physicians labelled, as their majority marks it ('not labelled' elsewhere)."
)
columns = st.columns(2 if second else 1)
for column, key, name in zip(columns, (chosen, second), ("kqa-verdicts", "kqa-verdicts-second")):
    run_id, judge_id = key.rsplit(":", 1)
    side = view if key == chosen else answers_data.question_view(version, run_id, judge_id, question_id)
    with column:
        st.caption(widgets.md(labels[key]))
        st.text(side.row(0, named=True)["answer"] or "(no answer)")
        widgets.table(answers_data.marks(side, answers_data.physicians_view(version, run_id, question_id)),
                      f"{name}-{question_id}", key=f"answers_{name}")  # fmt: skip
        with st.expander("The judge's reasoning (generative judges)"):
            for row in side.iter_rows(named=True):
                for relation in ("entails", "contradicts"):
                    if row[f"{relation}_rationale"]:
                        st.caption(widgets.md(f"{row['statement_id']} — {relation}"))
                        st.text(row[f"{relation}_rationale"])
