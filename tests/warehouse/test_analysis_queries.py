"""The analysis SQL on a small warehouse built by code, checked against hand counts and the Python metrics."""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl
import pytest

from pipeline.analysis.bias import flip_rates
from pipeline.analysis.calibration import N_BINS, calibration_summary
from pipeline.analysis.items import item_stats, slice_matrix
from pipeline.analysis.multilabel import SET_SHARE, choose_answer_set
from pipeline.analysis.robustness import consistency
from pipeline.analysis.variants import rotate
from tests.fixtures.builder import Rows, Run, build_warehouse
from tests.helpers import run_query
from tests.pipeline.analysis.set_scores import set_scores
from warehouse.db import read_connection
from warehouse.records import (
    ModelInfo,
    Prediction,
    Question,
    RunSpec,
    TaskInfo,
    version_id_for,
)

MEDQA = [
    Question(
        id=f"medqa_4options/{i}",
        task="medqa_4options",
        source_id=str(i),
        text=f"A 40-year-old man, case {i}?",
        options=tuple(f"m{i}-option{j}" for j in range(4)),
        golds=(i,),
        subject=step,
    )
    for i, step in enumerate(["step1", "step1", "step2&3", "step2&3"])
]
FRENCH = [
    Question(
        id=f"frenchmedmcqa/{i}",
        task="frenchmedmcqa",
        source_id=str(i),
        text=f"Question {i} ?",
        options=tuple(f"f{i}-{c}" for c in "abcde"),
        golds=golds,
        subject="pharmacie",
    )
    for i, golds in enumerate([(0, 1), (2,), (1, 3, 4)])
]
PROBS = {  # original presentation: version -> question -> option probabilities
    "A": {
        "medqa_4options/0": [0.7, 0.1, 0.1, 0.1],
        "medqa_4options/1": [0.4, 0.3, 0.2, 0.1],
        "medqa_4options/2": [0.2, 0.2, 0.5, 0.1],
        "medqa_4options/3": [0.9, 0.05, 0.03, 0.02],
        "frenchmedmcqa/0": [0.4, 0.35, 0.1, 0.1, 0.05],
        "frenchmedmcqa/1": [0.1, 0.1, 0.6, 0.1, 0.1],
        "frenchmedmcqa/2": [0.05, 0.3, 0.05, 0.3, 0.3],
    },
    "B": {
        "medqa_4options/0": [0.25, 0.25, 0.25, 0.25],
        "medqa_4options/1": [0.1, 0.8, 0.05, 0.05],
        "medqa_4options/2": [0.3, 0.3, 0.2, 0.2],
        "medqa_4options/3": [0.1, 0.1, 0.1, 0.7],
        "frenchmedmcqa/0": [0.5, 0.1, 0.2, 0.1, 0.1],
        "frenchmedmcqa/1": [0.3, 0.1, 0.3, 0.2, 0.1],
        "frenchmedmcqa/2": None,
    },  # an invalid answer: no probabilities
    "C": {
        "medqa_4options/0": [0.1, 0.6, 0.2, 0.1],
        "medqa_4options/1": [0.1, 0.6, 0.2, 0.1],
        "medqa_4options/2": [0.1, 0.1, 0.1, 0.7],
        "medqa_4options/3": [0.4, 0.1, 0.1, 0.4],
    },
}
QUESTIONS = {q.id: q for q in MEDQA + FRENCH}


def info(name):
    return ModelInfo(name=f"org/model-{name}", revision=f"rev-{name}", label=f"model {name}")


VERSION = {name: version_id_for(f"org/model-{name}", f"rev-{name}") for name in "ABC"}


def entry(name, shots=0):
    return f"{VERSION[name]}:{shots}:loglikelihood"


def prediction(run_id, question, probs, variant="", pred=None, status="ok"):
    if probs is None:
        return Prediction(
            run_id=run_id,
            question_id=question.id,
            task=question.task,
            pred=None,
            golds=question.golds,
            correct=False,
            loglikelihoods=None,
            probs=None,
            prompt_hash="h",
            variant=variant,
            status="invalid",
        )
    top = max(range(len(probs)), key=lambda i: (probs[i], -i))
    pred = top if pred is None else pred
    if len(question.golds) > 1:
        correct = set(choose_answer_set(probs)) == set(question.golds)
    else:
        correct = pred == question.gold
    return Prediction(
        run_id=run_id,
        question_id=question.id,
        task=question.task,
        pred=pred,
        golds=question.golds,
        correct=correct,
        loglikelihoods=tuple(math.log(p) for p in probs),
        probs=tuple(probs),
        prompt_hash="h",
        variant=variant,
        status=status,
    )


def spec(run_id, name, shots=0):
    return RunSpec(
        run_id=run_id,
        version_id=VERSION[name],
        backend="transformers",
        scoring_mode="loglikelihood",
        provenance="evaluated",
        num_fewshot=shots,
        dtype="float32",
        device="cpu",
        prompt_version="1",
        prompt_hash="h",
        settings={},
        packages={},
        tasks=("medqa_4options", "frenchmedmcqa"),
    )


def variant_rows(run_id):
    rows = []
    for q in MEDQA:  # A always answers "A" in perm1..perm3
        for k in (1, 2, 3):
            rows.append(prediction(run_id, rotate(q, k), [0.7, 0.1, 0.1, 0.1], variant=f"perm{k}"))
    # counterfactuals keep the options: m0 keeps its answer under cf_sex, m1 flips to the gold; m0 flips under cf_race
    rows.append(prediction(run_id, MEDQA[0], PROBS["A"]["medqa_4options/0"], variant="cf_sex"))
    rows.append(prediction(run_id, MEDQA[1], [0.1, 0.6, 0.2, 0.1], variant="cf_sex"))
    rows.append(prediction(run_id, MEDQA[0], [0.1, 0.1, 0.7, 0.1], variant="cf_race"))
    return rows


def entry_rows(name):
    """Version `name`'s answers in the original presentation and, for A and B, in its variants."""
    run_id = f"run-{name}"
    rows = [prediction(run_id, QUESTIONS[qid], p) for qid, p in PROBS[name].items()]
    if name == "A":
        # A's stored answer set for f0 differs from what its probabilities give: the stored one counts
        f0 = next(i for i, row in enumerate(rows) if row.question_id == "frenchmedmcqa/0")
        rows[f0] = replace(rows[f0], pred_set=(0,), correct=False)
        rows += variant_rows(run_id)
    if name == "B":  # follows the gold content in perm1, except m3, whose perm1 failed
        rows += [
            prediction(
                run_id,
                rotate(q, 1),
                [0.1] * 4,
                variant="perm1",
                pred=rotate(q, 1).gold,
                status="failed" if q is MEDQA[3] else "ok",
            )
            for q in MEDQA
        ]
    return rows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    runs = [Run(spec(f"run-{name}", name), entry_rows(name), seconds=1.0) for name in "ABC"]
    # a five-shot entry for A: a separate leaderboard entry, never mixed with zero-shot
    runs.append(Run(spec("run-A5", "A", shots=5), [prediction("run-A5", MEDQA[0], [0.1, 0.2, 0.3, 0.4])], seconds=1.0))
    rows = Rows(
        tasks=[
            (TaskInfo("medqa_4options", "medqa", "test"), 1273),
            (TaskInfo("frenchmedmcqa", "frenchmedmcqa", "test", language="fr", task_group="french"), 622),
        ],
        questions=MEDQA + FRENCH,
        models=[info(name) for name in "ABC"],
        runs=runs,
    )
    return build_warehouse(tmp_path_factory.mktemp("analysis") / "fixture.duckdb", rows)


def query(path, name, params=None):
    with read_connection(path) as con:
        return run_query(con, name, params or {})


def test_calibration_sql_matches_python(warehouse):
    table = query(warehouse, "analysis_calibration", {"n_bins": N_BINS})
    inputs = {e: query(warehouse, "analysis_calibration_inputs", {"entry_id": e}) for e in table["entry_id"].unique()}
    assert set(inputs) == {entry("A"), entry("B"), entry("C"), entry("A", 5)}
    for row in table.iter_rows(named=True):
        rows = inputs[row["entry_id"]].filter(pl.col("task") == row["task"])
        summary = calibration_summary(rows["probs"].to_list(), rows["golds"].to_list())
        assert row["n"] == summary.n
        assert row["ece"] == pytest.approx(summary.ece, abs=1e-12)
        assert row["brier"] == pytest.approx(summary.brier, abs=1e-12)
        assert row["accuracy"] == pytest.approx(summary.accuracy)
        assert row["mean_confidence"] == pytest.approx(summary.mean_confidence)
    # by hand, model A on MedQA: confidences .7 right, .4 wrong, .5 right, .9 wrong, each alone in its bin
    a = table.filter((pl.col("entry_id") == entry("A")) & (pl.col("task") == "medqa_4options")).row(0, named=True)
    assert a["ece"] == pytest.approx((0.3 + 0.4 + 0.5 + 0.9) / 4)
    assert a["accuracy"] == 0.5 and a["n"] == 4
    # the invalid French answer of B has no probabilities: left out
    b_fr = table.filter((pl.col("entry_id") == entry("B")) & (pl.col("task") == "frenchmedmcqa"))
    assert b_fr["n"].to_list() == [2]


def test_multilabel_sql_hand_computed(warehouse):
    """A: stored {0} vs {0,1} (1/2), derived {2} and {1,3,4} exact -> EMR 2/3, Hamming (1/2 + 1 + 1)/3.
    B: derived {0} vs {0,1} (1/2), {0,2,3} vs {2} (1/3), invalid = empty set (0) -> EMR 0, Hamming 5/18."""
    table = query(warehouse, "analysis_multilabel", {"set_share": SET_SHARE})
    by_entry = {row["entry_id"]: row for row in table.iter_rows(named=True)}
    assert set(by_entry) == {entry("A"), entry("B")}  # only the multi-answer task, only entries that ran it
    a, b = by_entry[entry("A")], by_entry[entry("B")]
    assert (a["n"], a["n_multi"], a["emr"]) == (3, 2, pytest.approx(2 / 3))
    assert a["hamming"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert b["emr"] == 0.0 and b["hamming"] == pytest.approx((0.5 + 1 / 3 + 0) / 3)
    preds = [[0], [2], [1, 3, 4]]
    golds = [list(q.golds) for q in FRENCH]
    assert set_scores(preds, golds) == (pytest.approx(a["emr"]), pytest.approx(a["hamming"]))


def test_permutations_sql_feeds_consistency(warehouse):
    rows = query(warehouse, "analysis_permutations")
    assert set(rows["entry_id"]) == {entry("A"), entry("B")}
    a = consistency(rows.filter(pl.col("entry_id") == entry("A")))
    assert (a.n_questions, a.n_consistent, a.n_permutations) == (4, 0, 3)  # always "A", distinct options
    b = consistency(rows.filter(pl.col("entry_id") == entry("B")))
    # m3's perm1 failed: incomplete. B follows the gold in perm1, so it is consistent where its original
    # answer was right too: m0 and m1, not m2 (original answer option 0, gold option 2)
    assert (b.n_questions, b.n_consistent, b.n_incomplete) == (3, 2, 1)
    assert rows.filter(pl.col("variant") == "perm2")["options"][0].to_list()[0].endswith("option0")  # original order


def test_bias_sql_feeds_flip_rates(warehouse):
    rows = query(warehouse, "analysis_bias")
    table = flip_rates(rows, by=["entry_id"])
    assert table.select("attribute", "n", "flips").rows() == [("race", 1, 1), ("sex", 2, 1)]
    sex = rows.filter(pl.col("attribute") == "sex").sort("question_id")
    assert sex["flipped"].to_list() == [False, True]
    assert sex["correct_counterfactual"].to_list() == [True, True]
    assert sex["text"][0] == MEDQA[0].text


def test_item_responses_and_slices(warehouse):
    responses = query(warehouse, "analysis_item_responses", {"num_fewshot": 0}).filter(
        pl.col("task") == "medqa_4options"
    )
    assert responses.height == 12  # 3 entries x 4 questions; the five-shot entry is not a taker here
    stats = item_stats(responses)
    difficulty = dict(zip(stats["question_id"], stats["difficulty"]))
    assert difficulty == pytest.approx(
        {"medqa_4options/0": 2 / 3, "medqa_4options/1": 2 / 3, "medqa_4options/2": 1 / 3, "medqa_4options/3": 1 / 3}
    )
    slices = query(warehouse, "analysis_slices").filter(pl.col("num_fewshot") == 0)
    wide = slice_matrix(slices)
    assert wide.columns == ["entry_id", "label", "frenchmedmcqa: pharmacie", "medqa: step1", "medqa: step2&3"]
    by_label = {row[1]: row[3:] for row in wide.rows()}
    assert by_label == {"model A": (0.5, 0.5), "model B": (1.0, 0.5), "model C": (0.5, 0.0)}
