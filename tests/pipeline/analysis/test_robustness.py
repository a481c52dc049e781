import math

import polars as pl
import pytest
from scipy import stats

from pipeline.analysis.robustness import consistency, letter_bias, permutation_accuracy
from pipeline.analysis.variants import perm_name, rotate
from warehouse.records import Question


def question(i, options, gold=0):
    return Question(
        id=f"t/{i}", task="medqa_4options", source_id=str(i), text="?", options=tuple(options), golds=(gold,)
    )


def rows_for(questions, n_perm, answer):
    """Prediction rows for the original and perm1..permN; `answer(shown_question)` returns the shown index."""
    rows = []
    for q in questions:
        for k in range(n_perm + 1):
            shown = rotate(q, k) if k else q
            pred = answer(shown)
            rows.append(
                {
                    "question_id": q.id,
                    "variant": perm_name(k) if k else "",
                    "pred": pred,
                    "golds": list(shown.golds),
                    "options": list(q.options),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "question_id": pl.String,
            "variant": pl.String,
            "pred": pl.Int64,
            "golds": pl.List(pl.Int64),
            "options": pl.List(pl.String),
        },
    )


# Eight questions: five with four distinct options, and three with repeated option texts.
QUESTIONS = [question(i, [f"q{i}-{j}" for j in range(4)], gold=i % 4) for i in range(5)] + [
    question(5, ["x", "x", "x", "y"], gold=3),  # A, B, C share a text
    question(6, ["x", "y", "x", "y"], gold=1),  # A and C share a text, B and D another
    question(7, ["z", "z", "z", "z"], gold=0),  # every option the same text
]


def always_a(shown):
    return 0


def test_always_a_consistency_is_exactly_as_hand_computed():
    """Answering A in perm k picks original option k (shown A = original (0 + k) mod 4). The chosen content
    is the same in the original and perm1..permN only if options 0..N hold the same text:
      N=1: options 0,1 equal -> q5, q7 (q6 has x,y)   -> 2/8
      N=2: options 0,1,2 equal -> q5, q7             -> 2/8
      N=3: all four equal -> q7 only                 -> 1/8
    With four distinct option texts the always-A model is never consistent."""
    for n_perm, expected in ((1, 2), (2, 2), (3, 1)):
        result = consistency(rows_for(QUESTIONS, n_perm, always_a))
        assert (result.n_questions, result.n_consistent, result.n_incomplete) == (8, expected, 0)
        assert result.consistency == expected / 8
        assert result.n_permutations == n_perm


def test_always_a_on_real_medqa_is_never_consistent(medqa_test):
    questions = medqa_test[:200]
    assert all(len(set(q.options)) == 4 for q in questions)  # the hand count: no repeated option text
    result = consistency(rows_for(questions, 3, always_a))
    assert (result.n_questions, result.n_consistent, result.consistency) == (200, 0, 0.0)


def test_content_faithful_models_are_consistent():
    def always_gold(shown):
        return shown.golds[0]

    def always_original_c(shown):  # picks the text that was option C in the published order
        return shown.options.index(shown_original_c[shown.id])

    shown_original_c = {q.id: q.options[2] for q in QUESTIONS[:5]}
    assert consistency(rows_for(QUESTIONS, 3, always_gold)).consistency == 1.0
    result = consistency(rows_for(QUESTIONS[:5], 3, always_original_c))
    assert result.consistency == 1.0
    accuracy = permutation_accuracy(rows_for(QUESTIONS[:5], 3, always_original_c))
    assert accuracy.original == accuracy.mean == accuracy.worst_case == 1 / 5  # only q2 has gold C


def test_permutation_accuracy_of_always_a():
    """Right in perm k iff the gold is original option k: golds of q0..q4 are 0,1,2,3,0; q5: 3, q6: 1, q7: 0.
    Correctness is by gold position (as the run stores it), so q6's second "y" (D) does not count."""
    result = permutation_accuracy(rows_for(QUESTIONS, 3, always_a))
    # original: right when gold = 0 -> q0, q4, q7 = 3/8; perm1: gold = 1 -> q1, q6 = 2/8;
    # perm2: gold = 2 -> q2 = 1/8; perm3: gold = 3 -> q3, q5 = 2/8
    assert result.per_variant == {"": 3 / 8, "perm1": 2 / 8, "perm2": 1 / 8, "perm3": 2 / 8}
    assert result.mean == pytest.approx(8 / 32)
    assert result.worst_case == 0.0 and result.n_questions == 8


def test_incomplete_questions_are_excluded_not_wrong():
    rows = rows_for(QUESTIONS[:5], 3, lambda shown: shown.golds[0])
    rows = rows.filter(~((pl.col("question_id") == "t/0") & (pl.col("variant") == "perm2")))
    result = consistency(rows)
    assert (result.n_questions, result.n_incomplete, result.consistency) == (4, 1, 1.0)
    assert permutation_accuracy(rows).n_questions == 4


def test_invalid_answers_count_as_no_answer():
    rows = rows_for(QUESTIONS[:2], 1, always_a).with_columns(
        pl.when(pl.col("question_id") == "t/0").then(None).otherwise(pl.col("pred")).alias("pred")
    )
    # t/0: invalid in both presentations -> consistent; t/1: A = different texts -> inconsistent
    assert consistency(rows).n_consistent == 1
    bias = letter_bias(rows)
    assert bias.n_invalid == 2 and bias.n == 2


def test_letter_bias_of_always_a():
    """Four questions x (original + 3 rotations): each gold visits every letter once -> gold counts 4,4,4,4;
    chosen 16,0,0,0. Chi-square vs expected 4 each: 12^2/4 + 3 x 4^2/4 = 36 + 12 = 48 on 3 dof."""
    rows = rows_for(QUESTIONS[:4], 3, always_a)
    bias = letter_bias(rows)
    assert bias.table["chosen"].to_list() == [16, 0, 0, 0]
    assert bias.table["gold"].to_list() == [4, 4, 4, 4]
    assert bias.chi2 == pytest.approx(48.0) and bias.dof == 3
    assert bias.p_value == pytest.approx(stats.chi2.sf(48.0, 3))
    assert bias.table["ratio"].to_list() == [4.0, 0.0, 0.0, 0.0]


def test_letter_bias_of_gold_following_model_is_zero():
    bias = letter_bias(rows_for(QUESTIONS[:4], 3, lambda shown: shown.golds[0]))
    assert bias.chi2 == 0.0 and bias.p_value == pytest.approx(1.0)


def test_letter_never_gold_but_chosen_is_infinite():
    rows = pl.DataFrame(
        {
            "question_id": ["a", "b"],
            "variant": ["", ""],
            "pred": [3, 0],
            "golds": [[0], [1]],
            "options": [list("abcd"), list("abcd")],
        }
    )
    bias = letter_bias(rows)
    assert math.isinf(bias.chi2) and bias.p_value == 0.0
