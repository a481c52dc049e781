"""Numbers the pages compute from query results: the wide leaderboard and its marks, paired statistics,
flip sets between versions. Expected values come from the fixture's patterns (tests/fixtures/warehouse.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from dashboard.page_frames import accuracy, verdicts
from tests.fixtures.warehouse import ENTRIES, OMLL_TASKS
from warehouse import queries

E = ENTRIES
TASKS = sorted(OMLL_TASKS)


@pytest.fixture
def board(con):
    chance = queries.task_chance(con, "omll")
    return accuracy.leaderboard_table(queries.leaderboard(con), queries.entries(con), TASKS, chance)


def by_entry(board: pl.DataFrame) -> dict[str, dict]:
    return {row["entry_id"]: row for row in board.iter_rows(named=True)}


def test_leaderboard_rows_averages_and_order(board):
    assert board["entry_id"].to_list() == [
        E["acme_v3_5s"],
        E["acme_v2"],
        E["acme_v1"],
        E["acme_v3"],
        E["beta"],
        E["gamma"],
    ]
    rows = by_entry(board)
    assert rows[E["acme_v2"]]["average"] == pytest.approx(7 / 9)  # medqa 1.0 and eight tasks at 0.75
    assert rows[E["acme_v3_5s"]]["average"] == pytest.approx(35 / 36)
    assert rows[E["beta"]]["average"] == pytest.approx(7 / 27)  # eight at 0.25, medmcqa 1/3
    assert rows[E["beta"]]["weighted"] == pytest.approx(9 / 35)  # 9 right of 35 answered
    assert rows[E["beta"]]["questions"] == 35
    gamma = rows[E["gamma"]]
    assert gamma["average"] is None and gamma["partial"] and gamma["tasks_present"] == 8
    assert gamma["weighted"] == pytest.approx(0.75) and gamma["pubmedqa"] is None
    assert rows[E["acme_v1"]]["medmcqa"] == 0.5
    # The 95% Wilson interval of 3 right of 4 (it was the normal approximation's [0.26, 1.0] before
    # issue 13): (3/4 + z²/8 ± z sqrt(3/64 + z²/64)) / (1 + z²/4).
    z = 1.959963984540054
    centre, spread = 0.75 + z**2 / 8, z * np.sqrt(0.75 * 0.25 / 4 + z**2 / 64)
    expected = ((centre - spread) / (1 + z**2 / 4), (centre + spread) / (1 + z**2 / 4))
    assert (rows[E["acme_v2"]]["medmcqa low"], rows[E["acme_v2"]]["medmcqa high"]) == pytest.approx(expected)
    assert expected == pytest.approx((0.3006, 0.9544), abs=5e-5)
    assert rows[E["beta"]]["medmcqa n"] == 3


def test_chance_levels_per_task(con):
    omll = dict(queries.task_chance(con, "omll").select("task", "chance").rows())
    assert omll == pytest.approx({t: 1 / 3 if t == "pubmedqa" else 1 / 4 for t in TASKS})
    # FrenchMedMCQA is scored as the exact set of its five options: one of 2^5 - 1 non-empty sets.
    assert queries.task_chance(con, "french")["chance"].to_list() == pytest.approx([1 / 31])


def test_above_chance_per_entry(board):
    rows = by_entry(board)
    assert rows[E["beta"]]["chance"] == pytest.approx((8 / 4 + 1 / 3) / 9)
    # beta: 9 right of 35; 31 questions at chance 1/4 (medmcqa has 3) and pubmedqa's 4 at 1/3. Under guessing
    # P(total >= 9) = sum_j P(Bin(4, 1/3) = j) P(Bin(31, 1/4) >= 9 - j).
    by_hand = sum(stats.binom.pmf(j, 4, 1 / 3) * stats.binom.sf(8 - j, 31, 1 / 4) for j in range(5))
    assert rows[E["beta"]]["p_above_chance"] == pytest.approx(by_hand, rel=1e-9)
    assert verdicts.above_chance_label(rows[E["beta"]]["p_above_chance"]) == f"no (p = {by_hand:.3f})"
    assert verdicts.above_chance_label(rows[E["acme_v2"]]["p_above_chance"]) == "yes (p = < 0.001)"


def test_settings_mark_rows_that_differ(board):
    rows = by_entry(board)
    assert rows[E["acme_v3_5s"]]["settings"] == "5-shot"
    assert rows[E["beta"]]["settings"] == "dtype bfloat16"
    assert rows[E["gamma"]]["settings"] == "prompt generative000001; generative"
    assert {rows[E[k]]["settings"] for k in ("acme_v1", "acme_v2", "acme_v3")} == {""}


def test_tied_groups(board):
    # Averages 35/36, 7/9, 1/2, 1/2, 7/27 with standard errors 0.028, 0.079, 0.096, 0.096, 0.087:
    # 35/36 vs 7/9 z=2.33 and 7/9 vs 1/2 z=2.24 are significant; 1/2 vs 1/2 and 1/2 vs 7/27 (z=1.86) are not.
    rows = by_entry(board)
    assert rows[E["acme_v1"]]["average_se"] == pytest.approx(np.sqrt(9 * 0.25 / 3) / 9)
    assert [rows[E[k]]["tie"] for k in ("acme_v3_5s", "acme_v2", "acme_v1", "acme_v3", "beta", "gamma")] == [
        "",
        "",
        "≈1",
        "≈1",
        "≈1",
        "",
    ]


def test_ties_chain_only_through_insignificant_steps():
    table = pl.DataFrame({"average": [0.9, 0.89, 0.5, 0.49, 0.1], "average_se": [0.01, 0.01, 0.01, 0.01, 0.01]})
    assert accuracy.mark_ties(table)["tie"].to_list() == ["≈1", "≈1", "≈2", "≈2", ""]


def paired_fixture(n: int, a_right: int, b_extra: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One task t of n questions: A right on the first a_right, B on those and b_extra more."""
    answers = pl.DataFrame(
        [
            {"entry_id": entry, "task": "t", "question_id": f"t/{i}", "correct": i < right}
            for entry, right in (("A", a_right), ("B", a_right + b_extra))
            for i in range(n)
        ]
    )
    table = pl.DataFrame(
        {
            "entry_id": ["A", "B"],
            "t": [a_right / n, (a_right + b_extra) / n],
            "t n": [n, n],
            "average": [a_right / n, (a_right + b_extra) / n],
            "average_se": [np.sqrt(p * (1 - p) / (n - 1)) for p in (a_right / n, (a_right + b_extra) / n)],
        }
    )
    return table, answers


def test_paired_ties_see_what_the_unpaired_test_cannot():
    # 20/40 vs 27/40, B right wherever A is: unpaired, z = 0.175 / sqrt(.25/40 + .675 x .325/40) = 1.62 < 1.96,
    # a tie; paired, the 7 discordant questions all go to B: exact McNemar p = 2 / 2^7 = 0.016, no tie.
    table, answers = paired_fixture(40, 20, 7)
    assert accuracy.mark_ties(table, "t", None)["tie"].to_list() == ["≈1", "≈1"]
    assert accuracy.paired_tie_p(answers, "B", "A", "t", ["t"]) == pytest.approx(2 / 128)
    assert accuracy.mark_ties(table, "t", None, answers, ["t"])["tie"].to_list() == ["", ""]
    # The average over one task is the same test done by permutation: exact with 7 discordant (2^7 < 9999).
    assert accuracy.paired_tie_p(answers, "B", "A", "average", ["t"]) == pytest.approx(2 / 128)
    assert accuracy.mark_ties(table, "average", "average_se", answers, ["t"])["tie"].to_list() == ["", ""]


def test_paired_ties_on_the_fixture(board, con):
    # Neighbours by average: 5-shot v3 vs v2 differ on 7 questions, all for v3 (p = 2/2^7); v2 vs v1 on 10,
    # all for v2 (2/2^10); v1 vs v3 on 18 split 9/9 (p = 1); v3 vs beta on 27, 18 for v3 and 9 for beta
    # (McNemar's 0.12 before weighting): tied.
    answers = queries.leaderboard_answers(con)
    p = {
        pair: accuracy.paired_tie_p(answers, E[pair[0]], E[pair[1]], "average", TASKS)
        for pair in (("acme_v3_5s", "acme_v2"), ("acme_v2", "acme_v1"), ("acme_v1", "acme_v3"), ("acme_v3", "beta"))
    }
    assert p[("acme_v3_5s", "acme_v2")] == pytest.approx(2 / 128)
    assert p[("acme_v2", "acme_v1")] == pytest.approx(2 / 1024)
    assert p[("acme_v1", "acme_v3")] == pytest.approx(1.0)
    assert 0.05 < p[("acme_v3", "beta")] < 0.3
    marked = by_entry(accuracy.mark_ties(board.drop("tie"), "average", "average_se", answers, TASKS))
    assert [marked[E[k]]["tie"] for k in ("acme_v3_5s", "acme_v2", "acme_v1", "acme_v3", "beta", "gamma")] == [
        "",
        "",
        "≈1",
        "≈1",
        "≈1",
        "",
    ]


def test_format_accuracy_inline_interval(board):
    shown = accuracy.format_accuracy(board, TASKS, with_interval=True)
    row = shown.filter(pl.col("entry_id") == E["acme_v2"]).row(0, named=True)
    assert row["medmcqa"] == "75.0 [30.1, 95.4]"  # was "75.0 ± 37.0": the interval is asymmetric (Wilson)
    assert row["average"] == 77.8
    assert "medmcqa low" not in shown.columns and "medmcqa high" not in shown.columns
    plain = accuracy.format_accuracy(board, TASKS, with_interval=False)
    assert plain.filter(pl.col("entry_id") == E["acme_v2"])["medqa_4options"].item() == 100.0


def test_compare_summary_per_task_and_pooled(con):
    summary = accuracy.compare_summary(queries.compare(con, E["acme_v2"], E["acme_v3"]), TASKS)
    rows = {row["task"]: row for row in summary.iter_rows(named=True)}
    assert list(rows) == [*TASKS, accuracy.ALL_TASKS]
    medmcqa = rows["medmcqa"]  # 1110 vs 0110
    assert (medmcqa["both_right"], medmcqa["a_only"], medmcqa["b_only"], medmcqa["both_wrong"]) == (2, 1, 0, 1)
    assert (medmcqa["acc_a"], medmcqa["acc_b"], medmcqa["diff"]) == (0.75, 0.5, -0.25)
    medqa = rows["medqa_4options"]  # 1111 vs 0110
    assert (medqa["both_right"], medqa["a_only"], medqa["b_only"], medqa["both_wrong"]) == (2, 2, 0, 0)
    assert medqa["p_mcnemar"] == pytest.approx(0.5)
    pooled = rows[accuracy.ALL_TASKS]
    assert (pooled["n"], pooled["both_right"], pooled["a_only"], pooled["b_only"], pooled["both_wrong"]) == (
        36,
        18,
        10,
        0,
        8,
    )
    assert pooled["diff"] == pytest.approx(-10 / 36)


def test_mcnemar_p_value_is_the_exact_binomial_test(con):
    pooled = accuracy.compare_summary(queries.compare(con, E["acme_v2"], E["acme_v3"]), TASKS).row(-1, named=True)
    expected = stats.binomtest(0, 10, 0.5, alternative="two-sided").pvalue
    assert pooled["p_mcnemar"] == pytest.approx(expected, rel=1e-12)
    assert pooled["p_mcnemar"] == pytest.approx(2 / 2**10)


def test_difference_interval_is_newcombes_paired_one(con):
    """Pooled acme v2 vs v3: 18 both right, 10 A only, 0 B only, 8 both wrong. Newcombe (1998, method 10)
    from the Wilson limits of 28/36 (A) and 18/36 (B), with phi* = (18 x 8 - 10 x 0 - 36/2) / sqrt of the
    margins 18 x 18 x 28 x 8; worked out here from the formulas."""
    pooled = accuracy.compare_summary(queries.compare(con, E["acme_v2"], E["acme_v3"]), TASKS).row(-1, named=True)
    z = 1.959963984540054

    def wilson(k, n):
        p = k / n
        centre, spread = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        return ((centre - spread) / (1 + z**2 / n), (centre + spread) / (1 + z**2 / n))

    (l_b, u_b), (l_a, u_a) = wilson(18, 36), wilson(28, 36)
    phi = (18 * 8 - 0 - 18) / np.sqrt(18 * 18 * 28 * 8)
    p_b, p_a = 0.5, 28 / 36
    low = p_b - p_a - np.sqrt((p_b - l_b) ** 2 - 2 * phi * (p_b - l_b) * (u_a - p_a) + (u_a - p_a) ** 2)
    high = p_b - p_a + np.sqrt((u_b - p_b) ** 2 - 2 * phi * (u_b - p_b) * (p_a - l_a) + (p_a - l_a) ** 2)
    assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    assert pooled["ci_low"] < pooled["diff"] < pooled["ci_high"] < 0


def test_holm_adjusts_the_tasks_and_leaves_the_pooled_test(con):
    summary = accuracy.compare_summary(queries.compare(con, E["acme_v2"], E["acme_v3"]), TASKS)
    rows = {row["task"]: row for row in summary.iter_rows(named=True)}
    # Raw p: medqa 0.5 (2 discordant), the eight others 1.0 (1 discordant). Holm: the smallest times 9 is
    # 4.5, capped at 1; every other is at least that: all 1.0.
    assert rows["medqa_4options"]["p_mcnemar"] == pytest.approx(0.5)
    assert [rows[t]["p_holm"] for t in TASKS] == pytest.approx([1.0] * 9)
    pooled = rows[accuracy.ALL_TASKS]
    assert pooled["p_holm"] == pooled["p_mcnemar"] == pytest.approx(2 / 1024)


def test_holm_on_a_three_task_fixture():
    # Three tasks with 10 discordant questions each, 0/10, 1/10 and 2/10 going to A: exact McNemar
    # 2/1024, 22/1024 and 112/1024. Holm: 3 x 2/1024, max(that, 2 x 22/1024), max(that, 112/1024).
    rows = []
    for task, a_only in (("t1", 0), ("t2", 1), ("t3", 2)):
        for i in range(10):
            rows.append({"task": task, "a_correct": i < a_only, "b_correct": i >= a_only})
    summary = accuracy.compare_summary(pl.DataFrame(rows), ["t1", "t2", "t3"])
    raw = [2 / 1024, 22 / 1024, 112 / 1024]
    assert summary["p_mcnemar"].head(3).to_list() == pytest.approx(raw)
    assert summary["p_holm"].head(3).to_list() == pytest.approx([6 / 1024, 44 / 1024, 112 / 1024])
    verdict = verdicts.compare_verdict(summary, "model A", "model B")
    assert verdict.startswith("model B is better: B − A = +80.0 points [")
    assert "after Holm adjustment over 3 tasks, 2 differ: t1 (+100.0, p = 0.006), t2 (+80.0, p = 0.043)" in verdict


def test_compare_verdict_without_a_difference():
    frame = pl.DataFrame(
        {"task": ["t"] * 4, "a_correct": [True, False, True, True], "b_correct": [False, True, True, True]}
    )
    verdict = verdicts.compare_verdict(accuracy.compare_summary(frame, ["t"]), "A", "B")
    assert verdict == (
        "No significant difference: B − A = 0.0 points ["
        + verdicts.points(accuracy.compare_summary(frame, ["t"])["ci_low"][0])
        + ", "
        + verdicts.points(accuracy.compare_summary(frame, ["t"])["ci_high"][0])
        + "] over 4 questions both answered, exact McNemar p = 1.000; 1 right only for B, 1 right only for A."
    )


def test_subject_differences_and_discordant(con):
    pairs = queries.compare(con, E["acme_v1"], E["acme_v3"])  # 1100 vs 0110 everywhere
    diffs = accuracy.subject_differences(pairs)
    medmcqa = {row["subject"]: row for row in diffs.filter(pl.col("task") == "medmcqa").iter_rows(named=True)}
    assert (medmcqa["Anatomy"]["acc_a"], medmcqa["Anatomy"]["acc_b"], medmcqa["Anatomy"]["diff"]) == (1.0, 0.5, -0.5)
    assert (medmcqa["Pharmacology"]["acc_a"], medmcqa["Pharmacology"]["acc_b"], medmcqa["Pharmacology"]["diff"]) == (
        0.0,
        0.5,
        0.5,
    )
    assert diffs.filter(pl.col("task") == "pubmedqa")["subject"].to_list() == ["(all)"]
    odd = accuracy.discordant(pairs)
    assert odd.height == 18  # q0 (A only) and q2 (B only) of each task
    assert odd.filter(pl.col("right") == "A")["question_id"].str.ends_with("/0").all()
    assert odd.filter(pl.col("right") == "B")["question_id"].str.ends_with("/2").all()


def test_transitions_flag_the_significant_drop(con):
    history = queries.history(con, "acme/med-7b")
    moves = accuracy.transitions(queries.history_flips(con, "acme/med-7b"), accuracy.history_table(history, TASKS))
    pooled = moves.filter(pl.col("task") == accuracy.ALL_TASKS)
    assert pooled.select("from", "to", "fixed", "broken", "still_wrong").rows() == [
        ("v1", "v2", 10, 0, 8),
        ("v2", "v3", 0, 10, 8),
    ]
    assert pooled["p_mcnemar"].to_list() == pytest.approx([2 / 1024, 2 / 1024])
    assert pooled["regression"].to_list() == [False, True]  # same p, but only v2 -> v3 is a drop
    assert pooled["p_holm"].to_list() == pooled["p_mcnemar"].to_list()  # the pooled test is one test
    per_task = moves.filter((pl.col("task") == "medqa_4options") & (pl.col("from") == "v2")).row(0, named=True)
    assert (per_task["broken"], per_task["p_mcnemar"], per_task["regression"]) == (2, 0.5, False)
    assert per_task["p_holm"] == 1.0  # 9 x 0.5, capped
    assert verdicts.history_verdict(moves).startswith(
        "Significant regression from v2 to v3: −27.8 points [−41.9, −11.6] over 36 questions both answered, "
        "exact McNemar p = 0.002; 10 questions broken, 0 fixed; no single task differs after Holm adjustment"
    )


def test_flip_sets_between_versions(con):
    pairs = queries.compare(con, E["acme_v2"], E["acme_v3"])
    assert accuracy.flip_set(pairs, "broken").height == 10
    assert accuracy.flip_set(pairs, "fixed").height == 0
    assert accuracy.flip_set(pairs, "still wrong")["question_id"].str.ends_with("/3").all()
    assert accuracy.flip_set(pairs, "still wrong").height == 8
    with pytest.raises(ValueError, match="kind"):
        accuracy.flip_set(pairs, "sideways")


def test_history_table(con):
    table = accuracy.history_table(queries.history(con, "acme/med-7b"), TASKS)
    assert table["label"].to_list() == ["v1", "v2", "v3"]
    assert table["average"].to_list() == pytest.approx([0.5, 7 / 9, 0.5])
    assert table["questions"].to_list() == [36, 36, 36]


def test_versions_that_share_a_label_are_told_apart():
    versions = pl.DataFrame({"position": [1, 2, 3], "label": ["GGUF Q4", "GGUF Q4", "int8"]})
    assert accuracy.distinct_version_labels(versions).to_list() == ["GGUF Q4 (#1)", "GGUF Q4 (#2)", "int8"]


def test_answer_labels():
    options = ["yes", "no", "maybe"]
    assert accuracy.answer_label(options, 2) == "C. maybe"
    assert accuracy.answer_label(options, None) == "no answer"
    assert accuracy.answer_label(list("abcde"), 0, [2, 0]) == "A, C"
    assert accuracy.gold_label(options, [0]) == "A. yes"
    answers = pl.DataFrame({"correct": [True, False, False, True]})
    assert accuracy.difficulty(answers) == 0.5
    assert accuracy.difficulty(answers.head(0)) is None
