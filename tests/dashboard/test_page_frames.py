"""Numbers the pages compute from query results: the wide leaderboard and its marks, paired statistics,
flip sets between versions. Expected values come from the fixture's patterns (tests/fixtures/warehouse.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from dashboard.page_frames import accuracy
from pipeline.metrics import paired_bootstrap_ci
from tests.fixtures.warehouse import ENTRIES, OMLL_TASKS
from warehouse import queries

E = ENTRIES
TASKS = sorted(OMLL_TASKS)


@pytest.fixture
def board(con):
    return accuracy.leaderboard_table(queries.leaderboard(con), queries.entries(con), TASKS)


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
    # ± is half the clipped 95% interval: [0.26, 1.0] for 3 right of 4
    assert rows[E["acme_v2"]]["medmcqa ±"] == pytest.approx((1.0 - (0.75 - 1.959963984540054 * 0.25)) / 2)


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


def test_format_accuracy_inline_interval(board):
    shown = accuracy.format_accuracy(board, TASKS, with_interval=True)
    row = shown.filter(pl.col("entry_id") == E["acme_v2"]).row(0, named=True)
    assert row["medmcqa"] == "75.0 ± 37.0"
    assert row["average"] == 77.8
    assert "medmcqa ±" not in shown.columns
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


def test_bootstrap_interval_with_fixed_seed(con):
    pairs = queries.compare(con, E["acme_v2"], E["acme_v3"])
    pooled = accuracy.compare_summary(pairs, TASKS).row(-1, named=True)
    # Seed 0, 2000 resamples of the 36 questions in (task, question_id) order.
    assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx((-16 / 36, -5 / 36))
    a = pairs["a_correct"].to_numpy()
    b = pairs["b_correct"].to_numpy()
    assert (pooled["ci_low"], pooled["ci_high"]) == paired_bootstrap_ci(a, b, n_resamples=2000, seed=0)
    assert pooled["ci_low"] < pooled["diff"] < pooled["ci_high"]
    # Sanity against theory: resampled B - A is -K/36 with K ~ Binomial(36, 10/36) (the A-only questions).
    theory = (-stats.binom.ppf(0.975, 36, 10 / 36) / 36, -stats.binom.ppf(0.025, 36, 10 / 36) / 36)
    assert pooled["ci_low"] == pytest.approx(theory[0], abs=1 / 36 + 1e-9)
    assert pooled["ci_high"] == pytest.approx(theory[1], abs=1 / 36 + 1e-9)


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
    per_task = moves.filter((pl.col("task") == "medqa_4options") & (pl.col("from") == "v2")).row(0, named=True)
    assert (per_task["broken"], per_task["p_mcnemar"], per_task["regression"]) == (2, 0.5, False)


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


def test_answer_labels():
    options = ["yes", "no", "maybe"]
    assert accuracy.answer_label(options, 2) == "C. maybe"
    assert accuracy.answer_label(options, None) == "no answer"
    assert accuracy.answer_label(list("abcde"), 0, [2, 0]) == "A, C"
    assert accuracy.gold_label(options, [0]) == "A. yes"
    answers = pl.DataFrame({"correct": [True, False, False, True]})
    assert accuracy.difficulty(answers) == 0.5
    assert accuracy.difficulty(answers.head(0)) is None
