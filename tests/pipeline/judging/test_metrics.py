"""K-QA metrics and judge agreement on hand-computed fixtures (numbers worked out by hand in the comments)."""

from __future__ import annotations

import pytest

from pipeline.benchmarks import kqa
from pipeline.judging.agreement import agreement, physicians_ceiling, status
from pipeline.judging.check import format_check
from pipeline.judging.metrics import mean_interval, score_answers, summarize
from pipeline.judging.verdicts import parse_verdict


def row(q, s, kind, relation, verdict):
    return {"question_id": q, "statement_id": s, "kind": kind, "relation": relation, "verdict": verdict}


VERDICTS = [
    # q1: Must_have m1 entailed, m2 not, m3 unparsed (left out) -> comp 1/2; n1 contradicted -> 1 hallucination of 4 read
    row("q1", "m1", "Must_have", "entails", "true"),
    row("q1", "m2", "Must_have", "entails", "false"),
    row("q1", "m3", "Must_have", "entails", "unparsed"),
    row("q1", "n1", "Nice_to_have", "entails", "true"),  # Nice_to_have never counts for comprehensiveness
    row("q1", "m1", "Must_have", "contradicts", "false"),
    row("q1", "m2", "Must_have", "contradicts", "false"),
    row("q1", "m3", "Must_have", "contradicts", "false"),
    row("q1", "n1", "Nice_to_have", "contradicts", "true"),
    # q2: the one Must_have entailed -> comp 1; nothing contradicted; one failed verdict left out
    row("q2", "m1", "Must_have", "entails", "true"),
    row("q2", "m1", "Must_have", "contradicts", "failed"),
]


def test_answer_scores_by_hand():
    q1, q2 = score_answers(VERDICTS)
    assert (q1.comprehensiveness, q1.hallucinations, q1.hallucination_rate) == (0.5, 1, 0.25)
    assert (q1.n_must_have, q1.n_unparsed) == (3, 1)
    assert (q2.comprehensiveness, q2.hallucinations, q2.hallucination_rate, q2.n_unparsed) == (1.0, 0, None, 1)


def test_run_means_and_t_interval_by_hand():
    summary = summarize(score_answers(VERDICTS))
    comp = summary["comprehensiveness"]
    # mean 0.75; sd of (0.5, 1) = 0.35355; sem = 0.25; t(0.975, 1) = 12.7062 -> 0.75 +- 3.17655
    assert comp.n == 2 and comp.mean == 0.75
    assert comp.low == pytest.approx(0.75 - 12.706204736 * 0.25) and comp.high == pytest.approx(
        0.75 + 12.706204736 * 0.25
    )
    assert summary["hallucinations"].mean == 0.5 and summary["hallucination_rate"].n == 1
    assert mean_interval([]).mean is None and mean_interval([0.3]).low is None


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("The premise supports it. The answer is True.", "true"),
        ("At first the answer is True, but on reflection the answer is **False**", "false"),
        ("The answer is: true", "true"),
        ("I am not sure.", "unparsed"),
        ("", "unparsed"),
        ("The answer is Truest", "unparsed"),
    ],
)
def test_verdict_is_the_last_stated_one(reply, verdict):
    assert parse_verdict(reply) == verdict


def test_agreement_against_a_hand_computation():
    majority = ["Entailment", "Entailment", "Neutral", "Neutral", "Contradiction"]
    verdicts = ["true", "false", "false", "unparsed", "false"]
    got = agreement("entails", majority, verdicts)
    # physicians' yes/no: T T F F F; judge: T F F U F -> agree on 3 of 5
    assert (got["accuracy"], got["n_unparsed"], got["n_pairs"]) == (0.6, 1, 5)
    assert got["confusion"] == {"true/true": 1, "true/false": 1, "false/false": 2, "false/unparsed": 1}
    # Cohen: p_o = 0.6; marginals physicians (T .4, F .6, U 0), judge (T .2, F .6, U .2): p_e = .08 + .36 = .44
    assert got["kappa"] == pytest.approx((0.6 - 0.44) / (1 - 0.44))
    # Wilson 95% for 3/5: centre (3 + z^2/2)/(5 + z^2), half-width z/(5+z^2)*sqrt(3*2/5 + z^2/4)
    z = 1.959963984540054
    centre, half = (3 + z * z / 2) / (5 + z * z), z / (5 + z * z) * (3 * 2 / 5 + z * z / 4) ** 0.5
    assert got["accuracy_low"] == pytest.approx(centre - half) and got["accuracy_high"] == pytest.approx(centre + half)
    # macro-F1 over yes/no: "yes" P 1/1, R 1/2 -> F1 2/3; "no" P 2/3 (the U is a miss), R 2/3 -> F1 2/3
    assert got["macro_f1"] == pytest.approx(2 / 3)
    contradicts = agreement("contradicts", majority, ["false", "false", "false", "false", "true"])
    assert contradicts["accuracy"] == 1.0 and contradicts["kappa"] == pytest.approx(1.0)
    assert contradicts["macro_f1"] == pytest.approx(1.0)


def test_the_check_table_shows_macro_f1_and_the_confusion_of_each_relation():
    majority = ["Entailment", "Entailment", "Neutral", "Neutral", "Contradiction"]
    figures = agreement("entails", majority, ["true", "false", "false", "unparsed", "false"])
    text = format_check([{**figures, "ceiling_kappa": 0.5}])
    assert "   0.667  0.286   0.500        1" in text.splitlines()[1]
    assert text.splitlines()[-3:] == [
        "            " + "      true     false  unparsed",
        "true        " + "         1         1         0",
        "false       " + "         0         2         1",
    ]


def fleiss_by_hand(rows: list[list[str]]) -> float:
    n, k = len(rows), len(rows[0])
    cats = sorted({c for r in rows for c in r})
    counts = [[r.count(c) for c in cats] for r in rows]
    p_i = [(sum(x * x for x in c) - k) / (k * (k - 1)) for c in counts]
    p_j = [sum(c[j] for c in counts) / (n * k) for j in range(len(cats))]
    p_bar, p_e = sum(p_i) / n, sum(p * p for p in p_j)
    return (p_bar - p_e) / (1 - p_e)


def test_physicians_ceiling_is_fleiss_kappa_on_all_399_pairs():
    pairs = kqa.load_judge_set()
    for relation, positive in (("entails", "Entailment"), ("contradicts", "Contradiction")):
        coded = [["y" if label == positive else "n" for label in p.labels] for p in pairs]
        assert physicians_ceiling(relation, [p.labels for p in pairs]) == pytest.approx(fleiss_by_hand(coded))


def test_status_marks_unchecked_and_weak_judges():
    assert status(None) == "unvalidated (never checked)"
    assert status({"kappa": 0.1, "n_pairs": 10}).startswith("unvalidated (kappa 0.10")
    assert status({"kappa": 0.55, "n_pairs": 399}) == "kappa 0.55 on 399 pairs"
    assert status({"kappa": None, "n_pairs": 8}) == "unvalidated (kappa undefined on 8 pairs)"  # checked, all one label


def test_paired_difference_on_shared_questions_by_hand():
    from pipeline.judging.metrics import paired_difference

    a = {"q1": 1.0, "q2": 0.5, "q3": 0.0, "only_a": 1.0}
    b = {"q1": 0.5, "q2": 0.5, "q3": 0.5, "only_b": 0.0, "q4": None}
    got = paired_difference(a, b)
    # differences 0.5, 0, -0.5: mean 0, sd 0.5, sem 0.5/sqrt(3); t(0.975, 2) = 4.302653; t statistic 0 -> p = 1
    half = 4.302652729911275 * 0.5 / 3**0.5
    assert got.n == 3 and got.mean == 0 and got.low == pytest.approx(-half) and got.high == pytest.approx(half)
    assert got.p_value == pytest.approx(1.0)
    assert paired_difference({"q": 1.0}, {"q": 1.0}).p_value is None
