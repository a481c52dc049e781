"""The SQL macros of migration 007 and their Python twins give the same numbers on the same rows, and
both match values worked out here by hand."""

from __future__ import annotations

import math

import duckdb
import polars as pl
import pytest

from pipeline.analysis.calibration import bin_index, brier_score, top_confidence
from pipeline.analysis.items import difficulty
from pipeline.analysis.multilabel import SET_SHARE, choose_answer_set
from pipeline.metrics import (
    FLIP_CELLS,
    accuracy,
    accuracy_interval,
    leaderboard_average,
    paired_table,
    scored_correct,
)
from warehouse.migrate import migrate


@pytest.fixture(scope="module")
def macros():
    """An in-memory warehouse with every migration applied: the macros, nothing else needed."""
    con = duckdb.connect()
    migrate(con)
    yield con
    con.close()


def one(con, sql: str, params: list):
    return con.execute(sql, params).fetchall()[0]


@pytest.mark.parametrize("n_correct, n", [(0, 1), (1, 1), (1, 2), (2, 4), (3, 4), (0, 7), (7, 7), (40, 642)])
def test_stderr_macro_and_python_agree(macros, n_correct, n):
    (stderr,) = one(macros, "SELECT acc_stderr(?, ?)", [n_correct, n])
    py_stderr, _, _ = accuracy_interval(n_correct, n)
    if n < 2:
        assert stderr is None and math.isnan(py_stderr)
        return
    p = n_correct / n
    by_hand = math.sqrt(p * (1 - p) / (n - 1))
    assert stderr == pytest.approx(py_stderr, abs=1e-15) and py_stderr == pytest.approx(by_hand, abs=1e-15)


def test_the_normal_interval_macros_are_gone(macros):
    """Migration 009 dropped 007's acc_low/acc_high (the normal approximation): Wilson's interval comes
    from scipy in Python (tests/pipeline/test_metrics.py)."""
    with pytest.raises(duckdb.CatalogException):
        macros.execute("SELECT acc_low(1, 4)")
    with pytest.raises(duckdb.CatalogException):
        macros.execute("SELECT acc_high(1, 4)")


def test_accuracy_of_a_vector_uses_the_same_interval():
    result = accuracy([True, True, True, False])
    assert (result.n, result.correct, result.acc) == (4, 3, 0.75)
    assert (result.stderr, result.low, result.high) == accuracy_interval(3, 4)
    assert result.stderr == pytest.approx(0.25)  # sqrt(.75 x .25 / 3)


def test_leaderboard_average_needs_every_task():
    assert leaderboard_average([0.5, 1.0, 0.75], 3) == pytest.approx(0.75)
    assert leaderboard_average([0.5, 1.0], 3) is None
    assert leaderboard_average([], 0) is None


def test_leaderboard_cells_carry_the_python_stderr(con):
    """Every leaderboard cell of the fixture warehouse, against pipeline.metrics on its counts."""
    cells = con.execute(
        "SELECT n_correct, n, stderr FROM (" + _leaderboard_sql() + ")", {"task_group": "omll"}
    ).fetchall()
    assert len(cells) == 53
    for n_correct, n, stderr in cells:
        py_stderr, _, _ = accuracy_interval(n_correct, n)
        if n < 2:
            assert stderr is None and math.isnan(py_stderr)
        else:
            assert stderr == pytest.approx(py_stderr, abs=1e-15)


def _leaderboard_sql() -> str:
    from warehouse.queries import load_sql

    return load_sql("leaderboard").replace("SELECT * FROM final ORDER BY entry_id, task", "SELECT * FROM final")


PROBS = [
    [0.65, 0.15, 0.1, 0.1],
    [0.4, 0.4, 0.2],
    [0.25, 0.25, 0.25, 0.25],
    [0.05, 0.3, 0.05, 0.3, 0.3],
    [1.0, 0.0],
    [0.1, 0.2, 0.3, 0.4],
]
GOLDS = [[0], [1], [3], [1, 3, 4], [1], [2, 3]]


def test_calibration_macros_and_python_agree(macros):
    conf, right = top_confidence(PROBS, GOLDS)
    bins = bin_index(conf)
    for i, (probs, golds) in enumerate(zip(PROBS, GOLDS)):
        sql_conf, sql_right, sql_brier, sql_bin = one(
            macros,
            "SELECT top_confidence($p), top_is_gold($p, $g), brier($p, $g), confidence_bin(top_confidence($p), 10)",
            {"p": probs, "g": golds},
        )
        assert sql_conf == conf[i] and sql_right == right[i] and sql_bin == bins[i]
        assert sql_brier == pytest.approx(brier_score([probs], [golds]), abs=1e-15)
    # by hand: ties go to the first option; brier of row 0 is .35^2 + .15^2 + 2 x .1^2
    assert right.tolist() == [True, False, False, True, False, True]
    assert bins.tolist() == [6, 3, 2, 2, 9, 3]
    assert brier_score([PROBS[0]], [GOLDS[0]]) == pytest.approx(0.165)


def test_answer_set_macros_and_python_agree(macros):
    for probs, golds in zip(PROBS, GOLDS):
        sql_set, exact, hamming = one(
            macros,
            "SELECT answer_set($p, $s), set_exact(answer_set($p, $s), $g), set_hamming(answer_set($p, $s), $g)",
            {"p": probs, "s": SET_SHARE, "g": golds},
        )
        python_set = choose_answer_set(probs, SET_SHARE)
        assert tuple(sql_set) == python_set
        assert exact == (set(python_set) == set(golds))
        assert hamming == pytest.approx(len(set(python_set) & set(golds)) / len(set(python_set) | set(golds)))
    # by hand: {1, 3, 4} exactly; 0.2 is half of 0.4, so it joins; {0, 1} vs {1}: 1/2; two empty sets agree
    assert choose_answer_set(PROBS[3]) == (1, 3, 4) and choose_answer_set(PROBS[1]) == (0, 1, 2)
    assert one(macros, "SELECT set_hamming([0, 1], [1]), set_hamming([]::INTEGER[], []::INTEGER[])", []) == (0.5, 1.0)


# (pred, pred_set, golds, right): worked out by hand from the rule (a set must be the gold set; a single
# pick must be the one gold, so a pick alone is never right on a multi-answer question)
SCORED = [
    (2, None, [2], True),
    (1, None, [2], False),
    (None, None, [0], False),
    (0, None, [0, 2], False),
    (2, [2, 0], [0, 2], True),
    (0, [0], [0, 2], False),
    (0, [0, 2, 0], [0, 2], True),
    (None, [1], [1], True),
]


@pytest.mark.parametrize("pred, pred_set, golds, right", SCORED)
def test_scored_correct_follows_the_rule_and_set_exact_agrees(macros, pred, pred_set, golds, right):
    assert scored_correct(pred, pred_set, golds) is right
    if pred_set is not None:
        assert one(macros, "SELECT set_exact(?, ?)", [pred_set, golds]) == (right,)


def test_difficulty_macro_and_python_agree(macros):
    rows = pl.DataFrame(
        {"question_id": ["a", "a", "a", "b", "b", "c"], "correct": [True, False, True, False, False, True]}
    )
    python = rows.group_by("question_id").agg(difficulty(pl.col("correct"))).sort("question_id")
    sql = macros.execute(
        "SELECT question_id, difficulty(correct) FROM rows GROUP BY question_id ORDER BY question_id"
    ).fetchall()
    assert sql == list(zip(python["question_id"], python["correct"]))
    assert [share for _, share in sql] == pytest.approx([2 / 3, 0.0, 1.0])


def test_flip_kind_macro_is_the_python_table(macros):
    for cell, (was, now) in FLIP_CELLS.items():
        assert one(macros, "SELECT flip_kind(?, ?)", [was, now]) == (cell,)
    table = paired_table([True, True, False, False, True], [True, False, True, False, True])
    assert (table.both_right, table.a_only, table.b_only, table.both_wrong) == (2, 1, 1, 1)


def test_history_flips_count_what_paired_table_counts(con):
    """Versions v1 -> v2 of the fixture model: the SQL's flip cells equal paired_table over compare's pairs."""
    from tests.fixtures.warehouse import ENTRIES
    from warehouse import queries

    flips = queries.history_flips(con, "acme/med-7b").filter(pl.col("from_position") == 1)
    pairs = queries.compare(con, ENTRIES["acme_v1"], ENTRIES["acme_v2"])
    table = paired_table(pairs["a_correct"].to_numpy(), pairs["b_correct"].to_numpy())
    sums = flips.select(pl.col("fixed", "broken", "still_wrong", "still_right").sum()).row(0, named=True)
    assert (
        (sums["fixed"], sums["broken"], sums["still_wrong"], sums["still_right"])
        == (table.b_only, table.a_only, table.both_wrong, table.both_right)
        == (10, 0, 8, 18)
    )
    assert pairs.height == 36
