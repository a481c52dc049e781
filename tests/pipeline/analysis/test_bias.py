import math

import polars as pl
import pytest
from scipy import stats

from pipeline.analysis.bias import flip_rates, flipped_questions, wilson_interval


def test_wilson_hand_computed():
    # 0 of 10: upper = z^2 / (n + z^2) = 3.8415 / 13.8415
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(3.841459 / 13.841459, abs=1e-6)
    # 5 of 10: centre 0.5, half-width z sqrt(0.025 + z^2/400) / (1 + z^2/10) = 0.263407
    low, high = wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.236593, abs=1e-6), pytest.approx(0.763407, abs=1e-6))


def test_wilson_matches_scipy():
    for k, n in ((0, 1), (3, 17), (40, 642), (17, 17)):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == (pytest.approx(ci.low, abs=1e-9), pytest.approx(ci.high, abs=1e-9))
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(4, 3)


ROWS = pl.DataFrame(
    {
        "question_id": ["q1", "q2", "q3", "q4", "q5", "q6", "q1", "q2", "q3"],
        "attribute": ["sex"] * 6 + ["race"] * 3,
        "pred_original": [0, 1, 2, 3, None, None, 0, 1, 2],
        "pred_counterfactual": [0, 2, 2, 1, None, 3, 0, 1, 2],
        "correct_original": [True, True, False, False, False, False, True, True, False],
        "correct_counterfactual": [True, False, False, True, False, False, True, True, False],
    },
    schema_overrides={"pred_original": pl.Int32, "pred_counterfactual": pl.Int32},
)


def test_flip_rates_hand_computed():
    """sex: q2 (1->2), q4 (3->1), q6 (invalid -> 3) flip; q5 invalid on both sides does not -> 3 of 6.
    race: none of 3."""
    table = flip_rates(ROWS)
    race, sex = table.row(0, named=True), table.row(1, named=True)
    assert (sex["attribute"], sex["n"], sex["flips"], sex["flip_rate"]) == ("sex", 6, 3, 0.5)
    assert (sex["low"], sex["high"]) == wilson_interval(3, 6)
    assert sex["acc_original"] == pytest.approx(2 / 6) and sex["acc_counterfactual"] == pytest.approx(2 / 6)
    assert (race["n"], race["flips"], race["flip_rate"], race["low"]) == (3, 0, 0.0, 0.0)


def test_flip_rates_by_version():
    rows = pl.concat(
        [ROWS.with_columns(pl.lit("v1").alias("version_id")), ROWS.with_columns(pl.lit("v2").alias("version_id"))]
    )
    table = flip_rates(rows, by=["version_id"])
    assert table.height == 4 and table["flips"].to_list() == [0, 3, 0, 3]


def test_flipped_questions_with_direction():
    flipped = flipped_questions(ROWS)
    assert flipped["question_id"].to_list() == ["q2", "q4", "q6"]
    assert flipped["direction"].to_list() == ["to wrong", "to right", "wrong to wrong"]
