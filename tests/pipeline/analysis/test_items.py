import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pipeline.analysis.items import everyone_wrong, hardest, item_stats, slice_matrix

# 4 versions x 3 items (a Guttman pattern):
#        i1 i2 i3
#   v1:   1  1  1
#   v2:   1  1  0
#   v3:   1  0  0
#   v4:   0  0  0
MATRIX = {"v1": [1, 1, 1], "v2": [1, 1, 0], "v3": [1, 0, 0], "v4": [0, 0, 0]}


def responses(matrix):
    return pl.DataFrame(
        [
            {"entry_id": v, "question_id": f"i{j + 1}", "correct": bool(x)}
            for v, row in matrix.items()
            for j, x in enumerate(row)
        ]
    )


def test_difficulty_and_discrimination_hand_computed():
    """Leave-item-out abilities, then Pearson r:
    i1: x = 1,1,1,0; ability = 2/2, 1/2, 0/2, 0/2 -> r = .375 / sqrt(.75 x .6875) = 0.5222330
    i2: x = 1,1,0,0; ability = 2/2, 1/2, 1/2, 0/2 -> r = .5 / sqrt(1 x .5)       = 0.7071068
    i3: x = 1,0,0,0; ability = 2/2, 2/2, 1/2, 0/2 -> r = .375 / sqrt(.75 x .6875) = 0.5222330"""
    table = item_stats(responses(MATRIX))
    by_item = {row["question_id"]: row for row in table.iter_rows(named=True)}
    assert [by_item[i]["difficulty"] for i in ("i1", "i2", "i3")] == [0.75, 0.5, 0.25]
    assert by_item["i1"]["discrimination"] == pytest.approx(0.5222330, abs=1e-7)
    assert by_item["i2"]["discrimination"] == pytest.approx(0.7071068, abs=1e-7)
    assert by_item["i3"]["discrimination"] == pytest.approx(0.5222330, abs=1e-7)
    assert table["question_id"].to_list() == ["i3", "i2", "i1"]  # hardest first
    assert by_item["i2"]["n_takers"] == 4 and by_item["i2"]["n_correct"] == 2


def test_discrimination_matches_scipy_point_biserial():
    rng = np.random.default_rng(3)
    ability = rng.uniform(0.2, 0.9, size=12)
    correct = rng.uniform(size=(12, 30)) < ability[:, None]
    matrix = {f"v{i:02d}": row.astype(int).tolist() for i, row in enumerate(correct)}
    table = item_stats(responses(matrix))
    for row in table.iter_rows(named=True):
        j = int(row["question_id"][1:]) - 1
        x = correct[:, j].astype(float)
        rest = (correct.sum(axis=1) - correct[:, j]) / (correct.shape[1] - 1)
        if x.min() == x.max():
            assert math.isnan(row["discrimination"])
        else:
            assert row["discrimination"] == pytest.approx(stats.pointbiserialr(x, rest).statistic, abs=1e-9)


def test_undefined_discrimination_and_lists():
    matrix = {"v1": [1, 0, 1], "v2": [1, 0, 0], "v3": [0, 0, 1]}
    table = item_stats(responses(matrix))
    by_item = {row["question_id"]: row for row in table.iter_rows(named=True)}
    assert math.isnan(by_item["i2"]["discrimination"])  # everyone wrong: no variance
    assert everyone_wrong(table)["question_id"].to_list() == ["i2"]
    assert hardest(table, k=2)["question_id"].to_list() == ["i2", "i1"]
    two_versions = item_stats(responses({"v1": [1, 0], "v2": [0, 1]}))
    assert two_versions["discrimination"].is_nan().all()  # fewer than 3 versions


def test_slice_matrix():
    slices = pl.DataFrame(
        {
            "entry_id": ["a", "a", "b", "b", "b"],
            "label": ["model A", "model A", "model B", "model B", "model B"],
            "slice": ["medqa: step1", "mmlu: anatomy", "medqa: step1", "medqa: step2&3", "mmlu: anatomy"],
            "accuracy": [0.5, 0.25, 0.75, 0.6, 1.0],
        }
    )
    wide = slice_matrix(slices)
    assert wide.columns == ["entry_id", "label", "medqa: step1", "medqa: step2&3", "mmlu: anatomy"]
    assert wide.row(0) == ("a", "model A", 0.5, None, 0.25)
    assert wide.row(1) == ("b", "model B", 0.75, 0.6, 1.0)
