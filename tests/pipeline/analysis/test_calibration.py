import math

import numpy as np
import polars as pl
import pytest

from pipeline.analysis.calibration import (
    accuracy_at_coverage,
    bin_index,
    brier_score,
    calibration_summary,
    calibration_table,
    coverage_curve,
    expected_calibration_error,
    reliability_bins,
    top_confidence,
)

# Ten questions, hand-binned (bins ((m-1)/10, m/10]):
#   bin 9: 0.95 right, 0.92 right -> conf .935, acc 1.0, |gap| .065, weight .2 -> .013
#   bin 8: 0.85 wrong             -> .85 x .1 = .085
#   bin 7: 0.71 wrong             -> .71 x .1 = .071
#   bin 6: 0.62 right             -> .38 x .1 = .038
#   bin 5: 0.55 right, 0.58 wrong -> conf .565, acc .5, .065 x .2 = .013
#   bin 4: 0.45 right             -> .55 x .1 = .055
#   bin 3: 0.35 wrong, 0.33 right -> conf .34, acc .5, .16 x .2 = .032
#   ECE = .307
CONFIDENCE = [0.95, 0.85, 0.55, 0.62, 0.35, 0.45, 0.92, 0.71, 0.58, 0.33]
CORRECT = [True, False, True, True, False, True, True, False, False, True]


def rows_with(confidence, correct, n_options=4):
    """Probability rows whose top option has the given confidence, and golds that make it right or wrong."""
    probs, golds = [], []
    for c, right in zip(confidence, correct):
        rest = (1 - c) / (n_options - 1)
        probs.append([c] + [rest] * (n_options - 1))
        golds.append([0] if right else [1])
    return probs, golds


def reference_ece(confidence, correct, n_bins=10):
    """Plain-loop ECE, written independently of the module (Guo et al. 2017, eq. 3)."""
    n = len(confidence)
    total = 0.0
    for m in range(1, n_bins + 1):
        lo, hi = (m - 1) / n_bins, m / n_bins
        members = [i for i, c in enumerate(confidence) if (lo < c <= hi) or (m == 1 and c == 0)]
        if members:
            acc = sum(correct[i] for i in members) / len(members)
            conf = sum(confidence[i] for i in members) / len(members)
            total += len(members) / n * abs(acc - conf)
    return total


def test_ece_hand_computed():
    assert expected_calibration_error(CONFIDENCE, CORRECT) == pytest.approx(0.307)
    assert reference_ece(CONFIDENCE, CORRECT) == pytest.approx(0.307)


def test_ece_matches_reference_loop_on_random_data():
    rng = np.random.default_rng(7)
    for n in (1, 13, 500):
        conf = rng.uniform(0.25, 1.0, size=n)
        right = rng.uniform(size=n) < conf * 0.8
        assert expected_calibration_error(conf, right) == pytest.approx(
            reference_ece(list(conf), list(right)), abs=1e-12
        )


def test_bin_edges_are_right_closed():
    assert bin_index(np.array([0.0, 0.1, 0.1000001, 0.5, 1.0])).tolist() == [0, 0, 1, 4, 9]


def test_reliability_bins_table():
    table = reliability_bins(CONFIDENCE, CORRECT)
    assert table.height == 10 and table["count"].to_list() == [0, 0, 0, 2, 1, 2, 1, 1, 1, 2]
    bin5 = table.row(5, named=True)
    assert bin5["confidence"] == pytest.approx(0.565) and bin5["accuracy"] == 0.5
    assert math.isnan(table.row(0, named=True)["accuracy"])


def test_top_confidence_takes_first_of_ties():
    conf, right = top_confidence([[0.4, 0.4, 0.2], [0.1, 0.7, 0.2]], [[1], [1]])
    assert conf.tolist() == [0.4, 0.7] and right.tolist() == [False, True]


def test_brier_hand_computed():
    # (0.3^2 + 0.2^2 + 0.1^2) = 0.14;  0.25 + 0.25 + 1 = 1.5;  0  -> mean 1.64 / 3
    probs = [[0.7, 0.2, 0.1], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]
    golds = [[0], [2], [0]]
    assert brier_score(probs, golds) == pytest.approx(1.64 / 3)
    assert brier_score([[0.25] * 4], [[0]]) == pytest.approx(0.75)  # uniform over 4: 0.5625 + 3 x 0.0625


def test_accuracy_at_coverage_hand_computed():
    conf = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    right = [1, 1, 0, 1, 1, 0, 0, 1, 0, 0]
    order = [3, 9, 0, 7, 1, 5, 2, 8, 4, 6]  # shuffled input: the function must sort by confidence
    conf_s, right_s = [conf[i] for i in order], [right[i] for i in order]
    assert accuracy_at_coverage(conf_s, right_s, 0.5) == pytest.approx(4 / 5)
    assert accuracy_at_coverage(conf_s, right_s, 0.8) == pytest.approx(5 / 8)
    assert accuracy_at_coverage(conf_s, right_s, 1.0) == pytest.approx(5 / 10)
    curve = coverage_curve(conf_s, right_s)
    assert curve["accuracy"].to_list()[:3] == [1.0, 1.0, pytest.approx(2 / 3)]
    assert curve["threshold"].to_list()[0] == 0.9
    with pytest.raises(ValueError):
        accuracy_at_coverage(conf, right, 0)


def test_summary_and_table():
    probs, golds = rows_with(CONFIDENCE, CORRECT)
    summary = calibration_summary(probs, golds)
    assert summary.n == 10 and summary.accuracy == 0.6
    assert summary.ece == pytest.approx(0.307)
    assert summary.mean_confidence == pytest.approx(sum(CONFIDENCE) / 10)
    frame = pl.DataFrame({"entry_id": ["v"] * 10, "task": ["t"] * 10, "probs": probs, "golds": golds})
    table = calibration_table(frame)
    assert table["ece"][0] == pytest.approx(0.307) and table["acc_at_100"][0] == 0.6
