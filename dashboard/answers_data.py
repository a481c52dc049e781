"""The Answers page's loads: bounded st.cache_data over warehouse/queries/answers_*.sql, reduced to polars frames.

K-QA's metrics come from their one home, pipeline.judging.metrics (pure reducers, no torch); the judge's
agreement with physicians from the judge_checks rows, labelled by pipeline.judging.agreement.status.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.data import CACHE, READ_WAIT_SECONDS, WarehouseVersion
from dashboard.page_frames.beyond_accuracy import MIN_SLICE_N
from pipeline.judging import icd10
from pipeline.judging.agreement import status
from pipeline.judging.judge_set import pair_targets
from pipeline.judging.metrics import mean_interval, paired_difference, score_answers, summarize
from warehouse import judged
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
    a, b = per_question(version, run_a, judge_id), per_question(version, run_b, judge_id)
    rows = []
    for metric in ("comprehensiveness", "hallucinations"):
        diff = paired_difference(dict(zip(a["question_id"], a[metric])), dict(zip(b["question_id"], b[metric])))
        rows.append({"metric": metric, "shared questions": diff.n, "mean difference (a - b)": diff.mean,
                     "95% low": diff.low, "95% high": diff.high, "paired t-test p": diff.p_value,
                     "method": diff.method})  # fmt: skip
    return pl.DataFrame(rows)


# ------------------------------------------------------------------ judges compared on the same answers

UNREAD = ("unparsed", "failed")
VERDICTS_SCHEMA = {
    "judge_id": pl.String,
    "question_id": pl.String,
    "statement_id": pl.String,
    "kind": pl.String,
    "relation": pl.String,
    "verdict": pl.String,
    "source": pl.String,
}
FROM_JUDGMENTS, FROM_JUDGE_CHECK = "judged on this run", "its judge check (same answer and statement)"


def _read(version: WarehouseVersion, load, *args) -> pl.DataFrame:
    with read_connection(version.path, wait=READ_WAIT_SECONDS) as con:
        return load(con, *args)


@st.cache_data(**CACHE)
def judge_names(version: WarehouseVersion) -> dict[str, str]:
    """judge_id -> "model (mode)", every stored judge (one that only ran `medlb judge-check` included)."""
    rows = _read(version, judged.judges).iter_rows(named=True)
    return {r["judge_id"]: f"{r['model_id']} ({r['mode']})" for r in rows}


def physicians_model(version: WarehouseVersion, run_id: str) -> str | None:
    """The commercial model whose K-QA answers `run_id` imported (`medlb import kqa-physicians`), else None."""
    rows = entries(version).filter(pl.col("run_id") == run_id, pl.col("judge_mode") == "physicians")
    return rows["model_id"][0] if rows.height else None


@st.cache_data(**CACHE)
def verdicts_on_run(version: WarehouseVersion, run_id: str) -> pl.DataFrame:
    """Every judge's verdicts on one run's answers, one row per (judge, statement, relation), with `source`.

    On a run of the physicians' import the machine judges' `medlb judge-check` verdicts count too: a check
    judges the same answer against the same statement (pipeline.judging.judge_set maps each labelled pair
    to the entry's statement). A judge that also judged the run itself keeps those verdicts instead."""
    direct = _read(version, judged.run_judges_verdicts, run_id).with_columns(pl.lit(FROM_JUDGMENTS).alias("source"))
    direct = direct.select(list(VERDICTS_SCHEMA)).cast(VERDICTS_SCHEMA)  # type: ignore[arg-type]
    model = physicians_model(version, run_id)
    if model is None:
        return direct
    targets = pl.DataFrame(
        [vars(t) for t in pair_targets() if t.model == model],
        schema={"pair_id": pl.String, "model": pl.String, "question_id": pl.String, "statement_id": pl.String,
                "kind": pl.String},
    )  # fmt: skip
    checked = _read(version, judged.judge_set_all_verdicts).join(targets, on="pair_id")
    mapped = checked.with_columns(pl.lit(FROM_JUDGE_CHECK).alias("source")).select(list(VERDICTS_SCHEMA))
    mapped = mapped.cast(VERDICTS_SCHEMA).join(direct, on=["judge_id", "statement_id", "relation"], how="anti")  # type: ignore[arg-type]
    return pl.concat([direct, mapped])


def disagreements(verdicts: pl.DataFrame, judge_id: str, names: dict[str, str]) -> pl.DataFrame:
    """Per question: how many (statement, relation) this judge and another judge of the same answer read
    opposite ways (true against false; an unread verdict never counts), and which judges."""
    read = verdicts.filter(pl.col("verdict").is_in(["true", "false"]))
    mine = read.filter(pl.col("judge_id") == judge_id).select("question_id", "statement_id", "relation", "verdict")
    others = read.filter(pl.col("judge_id") != judge_id).select(
        "statement_id", "relation", pl.col("verdict").alias("other"), pl.col("judge_id").alias("other_judge")
    )
    differ = mine.join(others, on=["statement_id", "relation"]).filter(pl.col("verdict") != pl.col("other"))
    return (
        differ.with_columns(pl.col("other_judge").replace_strict(names, default=pl.col("other_judge")))
        .group_by("question_id")
        .agg(pl.len().cast(pl.Int64).alias("judges disagree"), pl.col("other_judge").unique().sort().str.join(", ").alias("disagreeing judges"))
        .sort("question_id")
    )  # fmt: skip


@st.cache_data(**CACHE)
def per_question_compared(version: WarehouseVersion, run_id: str, judge_id: str) -> pl.DataFrame:
    """per_question, with the count of (statement, relation) another judge of the same answer reads the
    other way ("judges disagree", 0 where none) and those judges."""
    found = disagreements(verdicts_on_run(version, run_id), judge_id, judge_names(version))
    return (
        per_question(version, run_id, judge_id)
        .join(found, on="question_id", how="left", maintain_order="left")
        .with_columns(pl.col("judges disagree").fill_null(0), pl.col("disagreeing judges").fill_null(""))
    )


# ------------------------------------------------------------------ judge bias per commercial model

BIAS_METRICS = {"comprehensiveness": "entails", "hallucinations": "contradicts"}


def _scores_of(rows: pl.DataFrame) -> dict[str, object]:
    return {s.question_id: s for s in score_answers(rows.iter_rows(named=True))}


def bias_rows(verdicts: pl.DataFrame, physicians_id: str, judge_id: str) -> list[dict]:
    """One judge against the physicians on one entry's answers: on the (statement, relation) both judged,
    each metric's mean under each, and judge minus physicians paired over the shared questions."""
    keys = ["statement_id", "relation"]
    physicians = verdicts.filter(pl.col("judge_id") == physicians_id)
    machine = verdicts.filter(pl.col("judge_id") == judge_id)
    physicians, machine = physicians.join(machine, on=keys, how="semi"), machine.join(physicians, on=keys, how="semi")
    by_physicians, by_judge = _scores_of(physicians), _scores_of(machine)
    rows = []
    for metric in BIAS_METRICS:
        theirs = {q: getattr(s, metric) for q, s in by_physicians.items()}
        ours = {q: getattr(s, metric) for q, s in by_judge.items()}
        diff = paired_difference(ours, theirs)
        rows.append({
            "metric": metric, "pairs compared": machine.filter(pl.col("relation") == BIAS_METRICS[metric]).height,
            "under the physicians": mean_interval(theirs.values()).mean, "under the judge": mean_interval(ours.values()).mean,
            "shared questions": diff.n, "difference (judge - physicians)": diff.mean, "95% low": diff.low,
            "95% high": diff.high, "paired t-test p": diff.p_value,
            "verdicts from": ", ".join(sorted(machine["source"].unique().to_list())), "method": diff.method,
        })  # fmt: skip
    return rows


@st.cache_data(**CACHE)
def judge_bias(version: WarehouseVersion) -> pl.DataFrame:
    """For each model of the physicians' import and each machine judge with verdicts on its answers: that
    judge's Comprehensiveness and Hallucinations against the physicians' on the same answers."""
    names, check_rows = judge_names(version), checks(version)
    rows = []
    for entry in entries(version).filter(pl.col("judge_mode") == "physicians").iter_rows(named=True):
        verdicts = verdicts_on_run(version, entry["run_id"])
        for judge_id in sorted(set(verdicts["judge_id"].to_list()) - {entry["judge_id"]}):
            for row in bias_rows(verdicts, entry["judge_id"], judge_id):
                agreement = agreement_label(check_rows, judge_id, BIAS_METRICS[row["metric"]])
                rows.append({"model": entry["model_id"], "judge": names.get(judge_id, judge_id),
                             "judge agreement": agreement, **row, "run id": entry["run_id"], "judge id": judge_id})  # fmt: skip
    return pl.DataFrame(rows)


# ------------------------------------------------------------------ slices by ICD-10

SLICE_BYS = {"chapter": "ICD-10-CM chapter", "diagnosis": "diagnosis (K-QA's ICD_10_diag)"}


@st.cache_data(**CACHE)
def question_slices(version: WarehouseVersion) -> pl.DataFrame:
    """K-QA's questions with their diagnosis, its ICD-10-CM code and chapter (pipeline.judging.icd10)."""
    subjects = _read(version, judged.question_subjects, "kqa")
    return subjects.with_columns(
        pl.col("subject").fill_null(icd10.NO_DIAGNOSIS).alias("diagnosis"),
        pl.col("subject").map_elements(icd10.code_of, return_dtype=pl.String).alias("code"),
        pl.col("subject").map_elements(icd10.chapter_of, return_dtype=pl.String, skip_nulls=False).alias("chapter"),
    )


def slice_scores(scores: pl.DataFrame, slices: pl.DataFrame, by: str) -> pl.DataFrame:
    """One row per slice: its questions, Comprehensiveness and Hallucinations with 95% Student t intervals
    over those questions, and `too few` (fewer than MIN_SLICE_N questions, the Slices page's minimum)."""
    joined = scores.join(slices, on="question_id", how="left").with_columns(
        pl.col(by).fill_null(icd10.NO_DIAGNOSIS).alias("slice")
    )
    rows = []
    for (name,), group in sorted(joined.group_by("slice"), key=lambda item: str(item[0][0])):
        row: dict = {"slice": name}
        if by == "diagnosis":
            row["ICD-10-CM code"] = group["code"][0]
        row["questions"] = group.height
        for metric in BIAS_METRICS:
            mean = mean_interval(group[metric].to_list())
            row |= {metric: mean.mean, f"{metric} 95% low": mean.low, f"{metric} 95% high": mean.high}
        row["too few"] = group.height < MIN_SLICE_N
        rows.append(row)
    return pl.DataFrame(rows)


def slice_display(rows: pl.DataFrame) -> pl.DataFrame:
    """The slice table as shown: each metric "mean [low, high]" ("–" where a slice has no interval: one
    question), marked ⚠ under MIN_SLICE_N questions."""
    shown = []
    for metric in BIAS_METRICS:
        parts = (
            pl.col(c).round(3).cast(pl.String).fill_null("–")
            for c in (metric, f"{metric} 95% low", f"{metric} 95% high")
        )
        text = pl.format("{} [{}, {}]", *parts)
        flagged = pl.format("⚠ {} (n < {})", text, pl.lit(MIN_SLICE_N))
        shown.append(pl.when(pl.col("too few")).then(flagged).otherwise(text).alias(metric))
    keep = [c for c in ("slice", "ICD-10-CM code", "questions") if c in rows.columns]
    return rows.select(*keep, *shown)


# ------------------------------------------------------------------ the question view's marks


def marks(view: pl.DataFrame, physicians: pl.DataFrame | None) -> pl.DataFrame:
    """The verdicts table of one answer: each gold statement's mark by the entry's judge and, where they
    labelled this answer, by the physicians (entailed / neutral / contradicted; "not labelled" otherwise).
    The marks come first: in a half-width column a wide statement would push them out of sight."""
    table = view.select(
        _mark("entailed", "contradicted", "not judged").alias("judge's mark"), "kind", "statement",
        "entailed", "p_entailed", "contradicted", "p_contradicted", "statement_id",
    )  # fmt: skip
    if physicians is None:
        theirs = table.select("statement_id", pl.lit("not labelled").alias("physicians' mark"))
    else:
        theirs = physicians.select(
            "statement_id", _mark("entailed", "contradicted", "not labelled").alias("physicians' mark")
        )
    joined = table.join(theirs, on="statement_id", how="left", maintain_order="left")
    return joined.select(
        "judge's mark",
        pl.col("physicians' mark").fill_null("not labelled"),
        pl.exclude("judge's mark", "physicians' mark"),
    )


def _mark(entailed: str, contradicted: str, missing: str) -> pl.Expr:
    e, c = pl.col(entailed), pl.col(contradicted)
    return (
        pl.when(e.is_null() & c.is_null()).then(pl.lit(missing))
        .when((e == "true") & (c == "true")).then(pl.lit("entailed and contradicted"))
        .when(e == "true").then(pl.lit("entailed"))
        .when(c == "true").then(pl.lit("contradicted"))
        .when((e == "false") & (c == "false")).then(pl.lit("neutral"))
        .otherwise(pl.lit("unread (unparsed or failed)"))
    )  # fmt: skip


def answered(version: WarehouseVersion, key: str) -> set[str]:
    """The questions an entry ("<run id>:<judge id>") has verdicts on."""
    run_id, judge_id = key.rsplit(":", 1)
    return set(per_question(version, run_id, judge_id)["question_id"].to_list())


def physicians_view(version: WarehouseVersion, run_id: str, question_id: str) -> pl.DataFrame | None:
    """The physicians' verdicts on this run's answer to the question, where they labelled it (the commercial
    answers of `medlb import kqa-physicians`), else None."""
    rows = entries(version).filter(pl.col("run_id") == run_id, pl.col("judge_mode") == "physicians")
    if rows.is_empty():
        return None
    return question_view(version, run_id, rows["judge_id"][0], question_id)
