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
widgets.start_from_url("answers_entry", "entry", keys[0], keys)
chosen = st.selectbox("Entry", keys, key="answers_entry", format_func=labels.get)
widgets.set_url("entry", chosen)
entry = board.row(keys.index(chosen), named=True)
st.subheader("Per question")
st.text(
    f"{labels[chosen]}. Judge agreement: entails {entry['judge agreement (entails)']}; contradicts "
    f"{entry['judge agreement (contradicts)']}"
)
same_judge = [k for k in keys if k != chosen and k.endswith(f":{entry['judge id']}")]
if same_judge:
    other = st.selectbox("Compare with (same judge)", same_judge, key="answers_other", format_func=labels.get)
    other_run = board.row(keys.index(other), named=True)["run id"]
    st.caption("Paired differences on the questions both entries answered, this entry minus the other.")
    widgets.table(answers_data.paired(version, entry["run id"], other_run, entry["judge id"]), "kqa-paired",
                  key="answers_paired")  # fmt: skip
scores = answers_data.per_question(version, entry["run id"], entry["judge id"])
only_missed = st.checkbox("only answers that missed a Must_have statement", key="answers_missed")
only_contradicting = st.checkbox("only answers that contradicted something", key="answers_contradicting")
if only_missed:
    scores = scores.filter(pl.col("comprehensiveness") < 1)
if only_contradicting:
    scores = scores.filter(pl.col("hallucinations") > 0)
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
left, right = st.columns(2)
left.caption("The physicians' answer")
left.text(first["physicians_answer"] or "")
right.caption(widgets.md(labels[chosen]))
right.text(first["answer"] or "(no answer)")
statements = view.select(
    "kind", "statement", "entailed", "p_entailed", "contradicted", "p_contradicted", "statement_id"
)
widgets.table(statements, f"kqa-verdicts-{question_id}", key="answers_verdicts")
with st.expander("The judge's reasoning (generative judges)"):
    for row in view.iter_rows(named=True):
        for relation in ("entails", "contradicts"):
            if row[f"{relation}_rationale"]:
                st.caption(widgets.md(f"{row['statement_id']} — {relation}"))
                st.text(row[f"{relation}_rationale"])
