"""The Answers page's loads: bounded st.cache_data over warehouse/queries/answers_*.sql, reduced to polars frames.

K-QA's metrics come from their one home, pipeline.judging.metrics (pure reducers, no torch); the judge's
agreement with physicians from the judge_checks rows, labelled by pipeline.judging.agreement.status.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.data import CACHE, READ_WAIT_SECONDS, WarehouseVersion
from pipeline.judging.agreement import status
from pipeline.judging.metrics import score_answers, summarize
from warehouse.db import read_connection
from warehouse.queries import run_query

PHYSICIANS_LABEL = "the reference: K-QA physicians' majority, on the pairs they labelled"


def _query(version: WarehouseVersion, name: str, **params) -> pl.DataFrame:
    with read_connection(version.path, wait=READ_WAIT_SECONDS) as con:
        return run_query(con, name, params or None)


@st.cache_data(**CACHE)
def entries(version: WarehouseVersion) -> pl.DataFrame:
    return _query(version, "answers_entries")


@st.cache_data(**CACHE)
def checks(version: WarehouseVersion) -> pl.DataFrame:
    return _query(version, "answers_checks")


def check_table(check_rows: pl.DataFrame) -> pl.DataFrame:
    """Every stored judge check as the page lists it: one row per (judge, relation, pairs checked), with the
    confusion counts as columns "physicians yes / judge no" and so on (rows of the physicians' majority)."""
    import json

    rows = []
    for row in check_rows.iter_rows(named=True):
        confusion = json.loads(row["confusion"]) if isinstance(row["confusion"], str) else row["confusion"]
        out = {k: row[k] for k in ("judge_id", "relation", "n_pairs", "accuracy", "accuracy_low", "accuracy_high")}
        out |= {"macro_f1": row["macro_f1"], "kappa": row["kappa"], "physicians' ceiling": row["ceiling_kappa"]}
        for truth in ("true", "false"):
            for judge in ("true", "false", "unparsed"):
                name = f"physicians {YES_NO[truth]} / judge {YES_NO.get(judge, judge)}"
                out[name] = (confusion or {}).get(f"{truth}/{judge}", 0)
        out["status"] = status(row)
        rows.append(out)
    return pl.DataFrame(rows)


YES_NO = {"true": "yes", "false": "no"}


def agreement_label(check_rows: pl.DataFrame, judge_id: str, relation: str) -> str:
    rows = check_rows.filter(pl.col("judge_id") == judge_id, pl.col("relation") == relation)
    return status(rows.row(0, named=True) if rows.height else None)


@st.cache_data(**CACHE)
def per_question(version: WarehouseVersion, run_id: str, judge_id: str) -> pl.DataFrame:
    verdicts = _query(version, "answers_verdicts", run_id=run_id, judge_id=judge_id)
    scores = score_answers(verdicts.iter_rows(named=True))
    return pl.DataFrame(
        [vars(s) for s in scores],
        schema={
            "question_id": pl.String,
            "comprehensiveness": pl.Float64,
            "hallucinations": pl.Int64,
            "hallucination_rate": pl.Float64,
            "n_must_have": pl.Int64,
            "n_unparsed": pl.Int64,
        },
    )


@st.cache_data(**CACHE)
def leaderboard(version: WarehouseVersion) -> pl.DataFrame:
    """One row per (model version, judge): the K-QA means with intervals, the judge and its agreement."""
    check_rows = checks(version)
    rows = []
    for entry in entries(version).iter_rows(named=True):
        scores = per_question(version, entry["run_id"], entry["judge_id"])
        summary = summarize(_as_scores(scores))
        row = {"model": entry["model_id"], "version": entry["version"], "questions": scores.height}
        for name, mean in summary.items():
            row[name] = mean.mean
            row[f"{name} 95% low"] = mean.low
            row[f"{name} 95% high"] = mean.high
        row["judge"] = f"{entry['judge_model']} ({entry['judge_mode']})"
        for relation in ("entails", "contradicts"):
            row[f"judge agreement ({relation})"] = (
                PHYSICIANS_LABEL
                if entry["judge_mode"] == "physicians"
                else agreement_label(check_rows, entry["judge_id"], relation)
            )
        row["unparsed verdicts"] = entry["n_unparsed"]
        row["run id"], row["judge id"] = entry["run_id"], entry["judge_id"]
        rows.append(row)
    return pl.DataFrame(rows)


@st.cache_data(**CACHE)
def question_view(version: WarehouseVersion, run_id: str, judge_id: str, question_id: str) -> pl.DataFrame:
    return _query(version, "answers_question", run_id=run_id, judge_id=judge_id, question_id=question_id)


def _as_scores(frame: pl.DataFrame):
    from pipeline.judging.metrics import AnswerScore

    return [AnswerScore(**row) for row in frame.iter_rows(named=True)]


@st.cache_data(**CACHE)
def paired(version: WarehouseVersion, run_a: str, run_b: str, judge_id: str) -> pl.DataFrame:
    """Entry a minus entry b on the questions both answered, under one judge (never across judges)."""
    from pipeline.judging.metrics import paired_difference

    a, b = per_question(version, run_a, judge_id), per_question(version, run_b, judge_id)
    rows = []
    for metric in ("comprehensiveness", "hallucinations"):
        diff = paired_difference(dict(zip(a["question_id"], a[metric])), dict(zip(b["question_id"], b[metric])))
        rows.append({"metric": metric, "shared questions": diff.n, "mean difference (a - b)": diff.mean,
                     "95% low": diff.low, "95% high": diff.high, "paired t-test p": diff.p_value,
                     "method": diff.method})  # fmt: skip
    return pl.DataFrame(rows)
