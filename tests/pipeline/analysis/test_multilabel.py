import math

import pytest

from pipeline.analysis.multilabel import choose_answer_set
from tests.pipeline.analysis.set_scores import set_scores


def test_choose_answer_set_share_of_top():
    assert choose_answer_set([0.4, 0.3, 0.2, 0.05, 0.05]) == (0, 1, 2)  # 0.2 is exactly half of 0.4
    assert choose_answer_set([0.9, 0.05, 0.03, 0.01, 0.01]) == (0,)
    assert choose_answer_set([0.2] * 5) == (0, 1, 2, 3, 4)
    assert choose_answer_set([0.1, 0.45, 0.05, 0.3, 0.1]) == (1, 3)
    assert choose_answer_set([0.1, 0.45, 0.05, 0.3, 0.1], share=0.7) == (1,)


def test_choose_answer_set_rejects_bad_input():
    with pytest.raises(ValueError):
        choose_answer_set([])
    with pytest.raises(ValueError):
        choose_answer_set([0.5, math.nan])
    with pytest.raises(ValueError):
        choose_answer_set([0.5, 0.5], share=0)


def test_emr_and_hamming_hand_computed():
    preds = [{0}, {0, 1}, {2, 3}, {1}]
    golds = [{0}, {0, 1, 2}, {3, 4}, {0}]
    emr, hamming = set_scores(preds, golds)
    assert emr == 0.25
    # per question: 1, 2/3, 1/3, 0
    assert hamming == pytest.approx((1 + 2 / 3 + 1 / 3 + 0) / 4)
    assert set_scores([[]], [[]])[1] == 1.0
    assert set_scores([], []) == (None, None)


def test_real_frenchmedmcqa_first_gold_only(frenchmedmcqa_test):
    """Predicting only the first gold letter: EMR = share of single-answer questions, Hamming = mean 1/|G|.
    PROVENANCE counts for test: 1/2/3/4/5 answers = 321/97/141/56/7 of 622."""
    golds = [q.golds for q in frenchmedmcqa_test]
    preds = [[g[0]] for g in golds]
    assert len(golds) == 622
    emr, hamming = set_scores(preds, golds)
    assert emr == pytest.approx(321 / 622)
    assert hamming == pytest.approx((321 + 97 / 2 + 141 / 3 + 56 / 4 + 7 / 5) / 622)
    assert set_scores(golds, golds) == (1.0, 1.0)
