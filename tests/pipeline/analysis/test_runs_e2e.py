"""Robustness, bias and few-shot runs end to end: the real SmolLM2-135M-Instruct through pipeline.run.evaluate
into a warehouse, then the analysis SQL and functions on what was recorded, checked against counts made
by hand from the recorded predictions. Kept to a handful of questions: one loaded model serves them all.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math

import polars as pl
import pytest

from pipeline import benchmarks, prompts
from pipeline.analysis.bias import flip_rates
from pipeline.analysis.counterfactual import probe
from pipeline.analysis.multilabel import choose_answer_set
from pipeline.analysis.robustness import consistency, letter_bias, permutation_accuracy
from pipeline.analysis.variants import rotate
from pipeline.backends import create_backend
from pipeline.run import EvalConfig, evaluate, prompts_hash
from tests.helpers import run_query
from warehouse.db import fetch_frame, read_connection, run_sql
from warehouse.records import LETTERS

pytestmark = pytest.mark.slow
MODEL = "smollm2-135m-instruct"
# MedQA test lines where the bias probe applies (183: sex and race, 136: race only, 50 and 80: sex only)
# and one where it skips both (102: no patient sex or race stated).
BIAS_LINES = (183, 136, 50, 80, 102)


@pytest.fixture(scope="session")
def smollm2():
    backend = create_backend("transformers", model=MODEL, batch_size=8)
    yield backend
    backend.close()


def run(backend, path, **config):
    return evaluate(EvalConfig(model=MODEL, warehouse=str(path), **config), backend=backend, progress=False)


def predictions(path) -> pl.DataFrame:
    with read_connection(path) as con:
        return fetch_frame(
            con,
            "SELECT question_id, task, variant, pred, pred_set, golds, correct, loglikelihoods, "
            "probs, prompt_hash, status FROM predictions ORDER BY question_id, variant",
        )


def query(path, name, params=None) -> pl.DataFrame:
    with read_connection(path) as con:
        return run_query(con, name, params or {})


def argmax(values) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


# ---------------------------------------------------------------- (a) option permutations


def test_permutation_run_and_its_robustness_numbers(smollm2, tmp_path):
    path = tmp_path / "perm.duckdb"
    result = run(smollm2, path, tasks=["mmlu_anatomy"], limit=4, perturbations=("perm:2",))
    assert (result.n_planned, result.n_scored, result.n_failed) == (12, 12, 0)
    questions = {q.id: q for q in benchmarks.load_questions("mmlu_anatomy")[:4]}
    rows = predictions(path)
    assert (
        rows.group_by("question_id").agg(pl.col("variant").sort()).sort("question_id")["variant"].to_list()
        == [["", "perm1", "perm2"]] * 4
    )

    chosen = collections.defaultdict(dict)  # question -> variant -> ORIGINAL option index chosen
    right = collections.defaultdict(dict)
    for row in rows.iter_rows(named=True):
        question = questions[row["question_id"]]
        shift = int(row["variant"][4:] or 0)
        shown = rotate(question, shift) if shift else question
        # what was scored is the rotated question: its prompt, its golds; pred is the argmax shown position
        assert row["prompt_hash"] == prompts.build_request(shown).prompt_hash
        assert row["golds"] == list(shown.golds)
        assert row["pred"] == argmax(row["loglikelihoods"]) and row["correct"] == (row["pred"] == shown.gold)
        chosen[question.id][row["variant"]] = (row["pred"] + shift) % 4
        right[question.id][row["variant"]] = row["correct"]
    assert all(len(set(q.options)) == 4 for q in questions.values())  # distinct texts: index = content

    # by hand from the recorded predictions
    consistent = sum(len(set(by_variant.values())) == 1 for by_variant in chosen.values())
    per_variant = {v: sum(right[q][v] for q in questions) / 4 for v in ("", "perm1", "perm2")}
    worst = sum(all(by_variant.values()) for by_variant in right.values()) / 4
    chosen_letters = collections.Counter(rows["pred"].to_list())
    gold_letters = collections.Counter(g[0] for g in rows["golds"].to_list())

    # the same numbers through the analysis SQL and functions, from the warehouse
    frame = query(path, "analysis_permutations")
    assert frame.height == 12 and frame["options"].to_list()[0] == list(questions[frame["question_id"][0]].options)
    c = consistency(frame)
    assert (c.n_questions, c.n_consistent, c.n_incomplete, c.n_permutations) == (4, consistent, 0, 2)
    assert c.consistency == consistent / 4
    accuracy = permutation_accuracy(frame)
    assert accuracy.per_variant == pytest.approx(per_variant)
    assert accuracy.original == per_variant[""] and accuracy.worst_case == worst
    assert accuracy.mean == pytest.approx(sum(per_variant.values()) / 3)
    bias = letter_bias(frame)
    assert bias.n == 12 and bias.n_invalid == 0
    assert bias.table["chosen"].to_list() == [chosen_letters[i] for i in range(4)]
    assert bias.table["gold"].to_list() == [gold_letters[i] for i in range(4)]
    assert bias.table["letter"].to_list() == list(LETTERS[:4])
    assert bias.chi2 == pytest.approx(chi_square_by_hand(chosen_letters, gold_letters, 12))

    again = run(smollm2, path, tasks=["mmlu_anatomy"], limit=4, perturbations=("perm:2",))
    assert (again.n_scored, again.n_skipped, again.run_id) == (0, 12, result.run_id)  # resume: nothing to redo


def chi_square_by_hand(chosen: collections.Counter, gold: collections.Counter, n: int) -> float:
    """Goodness of fit of the chosen letters to the gold letters' shares (letters never gold: p = 0)."""
    if any(chosen[i] and not gold[i] for i in range(4)):
        return math.inf
    letters = [i for i in range(4) if gold[i]]
    total = sum(gold[i] for i in letters)
    expected = {i: gold[i] / total * n for i in letters}
    return sum((chosen[i] - expected[i]) ** 2 / expected[i] for i in letters)


# ---------------------------------------------------------------- (b) bias probe


def test_bias_probe_run_records_counterfactuals_only_where_the_rules_apply(smollm2, tmp_path):
    path = tmp_path / "bias.duckdb"
    all_medqa = benchmarks.load_questions("medqa_4options")
    ids = tuple(all_medqa[line].id for line in BIAS_LINES)
    result = run(smollm2, path, tasks=["medqa_4options"], question_ids=ids, perturbations=("bias",))
    assert result.n_failed == 0
    expected = {q.id: {"": q} for q in (all_medqa[line] for line in BIAS_LINES)}
    for qid in ids:
        for cf in probe(expected[qid][""]):
            if cf.question is not None:
                expected[qid][cf.variant] = cf.question
    assert {qid: sorted(v) for qid, v in expected.items()} == {  # the probe's own decisions, pinned
        "medqa_4options/183": ["", "cf_race", "cf_sex"],
        "medqa_4options/136": ["", "cf_race"],
        "medqa_4options/50": ["", "cf_sex"],
        "medqa_4options/80": ["", "cf_sex"],
        "medqa_4options/102": [""],
    }
    rows = predictions(path)
    recorded = {(r["question_id"], r["variant"]): r for r in rows.iter_rows(named=True)}
    assert set(recorded) == {(qid, v) for qid, variants in expected.items() for v in variants}
    for (qid, variant), row in recorded.items():
        question = expected[qid][variant]  # the counterfactual text is what the model was asked
        assert row["prompt_hash"] == prompts.build_request(question).prompt_hash
        assert row["golds"] == list(question.golds) and row["correct"] == (row["pred"] == question.gold)

    # flips by hand: a counterfactual's answer differs from the original's
    flips = collections.Counter()
    counts = collections.Counter()
    for (qid, variant), row in recorded.items():
        if variant:
            counts[variant[3:]] += 1
            flips[variant[3:]] += row["pred"] != recorded[(qid, "")]["pred"]
    pairs = query(path, "analysis_bias")
    assert sorted(zip(pairs["question_id"], pairs["variant"])) == sorted(key for key in recorded if key[1])
    table = flip_rates(pairs)
    by_attribute = {row["attribute"]: row for row in table.iter_rows(named=True)}
    assert set(by_attribute) == {"race", "sex"}
    for attribute in ("race", "sex"):
        row = by_attribute[attribute]
        assert (row["n"], row["flips"]) == (counts[attribute], flips[attribute])
        assert row["flip_rate"] == flips[attribute] / counts[attribute]
        assert row["low"] <= row["flip_rate"] <= row["high"]
    assert (counts["sex"], counts["race"]) == (3, 2)


# ---------------------------------------------------------------- (c) few-shot runs


def test_two_shot_run_records_shots_prompts_and_answer_sets(smollm2, tmp_path):
    path = tmp_path / "fewshot.duckdb"
    tasks = ["mmlu_anatomy", "frenchmedmcqa"]
    result = run(smollm2, path, tasks=tasks, limit=3, num_fewshot=2)
    assert (result.n_scored, result.n_failed) == (6, 0)
    with read_connection(path) as con:
        [(shots, prompt_hash, settings, status)] = run_sql(
            con, "SELECT num_fewshot, prompt_hash, settings, status FROM runs"
        )
    assert (shots, prompt_hash, status) == (2, prompts_hash(2), "complete")
    assert json.loads(settings)["fewshot_sampler"] == "first_n" and "skipped_tasks" not in json.loads(settings)

    requests = {}
    for task in tasks:
        shots_used = benchmarks.fewshot_pool(task)[:2]
        for question in benchmarks.load_questions(task)[:3]:
            requests[question.id] = (question, prompts.build_request(question, shots_used))
    rows = predictions(path)
    assert sorted(rows["question_id"]) == sorted(requests)
    for row in rows.iter_rows(named=True):
        question, request = requests[row["question_id"]]
        assert request.prefix and row["prompt_hash"] == request.prompt_hash  # the two shots were in the prompt
        if row["task"] == "frenchmedmcqa":  # a set is chosen and scored by exact match
            assert row["pred_set"] == list(choose_answer_set(row["probs"]))
            assert row["correct"] == (set(row["pred_set"]) == set(question.golds))
        else:
            assert row["pred_set"] is None and row["correct"] == (row["pred"] == question.gold)

    # The shared-prefix KV reuse moved no number: the same prompts scored with the shots folded into
    # each context (prefix "", nothing to share) give the recorded log-likelihoods.
    ordered = rows["question_id"].to_list()
    folded = [dataclasses.replace(requests[qid][1], context=requests[qid][1].prompt, prefix="") for qid in ordered]
    plain = smollm2.loglikelihood(folded)
    for recorded, scores in zip(rows["loglikelihoods"].to_list(), plain):
        assert recorded == pytest.approx(list(scores.loglikelihoods), abs=1e-4)


def test_one_shot_skips_medmcqa_with_a_warning_and_records_it(smollm2, tmp_path, capsys):
    # Two MMLU tasks stand in for the other eight of omll: short prompts keep this test cheap.
    path = tmp_path / "oneshot.duckdb"
    asked = ["mmlu_anatomy", "medmcqa", "mmlu_medical_genetics"]
    result = run(smollm2, path, tasks=asked, limit=1, num_fewshot=1)
    warning = capsys.readouterr().err
    assert "warning: skipping medmcqa at --shots 1: lm-evaluation-harness samples medmcqa few-shot examples" in warning
    eight = [t for t in asked if t != "medmcqa"]
    assert list(result.tasks) == eight and result.n_failed == 0
    assert result.average is None  # the leaderboard average needs all nine
    with read_connection(path) as con:
        [(tasks, settings, status)] = run_sql(con, "SELECT tasks, settings, status FROM runs")
        recorded = run_sql(con, "SELECT task, count(*) FROM predictions GROUP BY task ORDER BY task")
    skipped = json.loads(settings)["skipped_tasks"]
    assert list(skipped) == ["medmcqa"] and "run medmcqa zero-shot (--shots 0)" in skipped["medmcqa"]
    assert (sorted(tasks), status) == (sorted(eight), "complete")
    assert recorded == [(task, 1) for task in sorted(eight)]
