"""Interval, multiplicity and chance statistics of pipeline.metrics, against values worked out here from
the published formulas (never from the code under test), and the exact coverage of the paired interval
at small n against the percentile bootstrap the Compare page used before."""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import stats

from pipeline.metrics import (
    PairedTable,
    above_chance_p,
    accuracy,
    format_interval,
    holm,
    newcombe_paired_ci,
    paired_bootstrap_ci,
    paired_permutation_p,
    pooled_above_chance_p,
    wilson_interval,
)

Z = 1.959963984540054


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = p + Z**2 / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return ((centre - spread) / (1 + Z**2 / n), (centre + spread) / (1 + Z**2 / n))


@pytest.mark.parametrize("n", [1, 5, 25])
def test_wilson_bounds_at_small_n(n):
    for k in range(n + 1):
        low, high = wilson_interval(k, n)
        assert (low, high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)
        assert 0.0 <= low <= k / n <= high <= 1.0
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        assert (low, high) == (ci.low, ci.high)


def test_wilson_keeps_a_width_where_the_normal_interval_had_none():
    # The case: 0 right of 25 is 0-13% (Wilson), where the normal approximation said [0, 0].
    low, high = wilson_interval(0, 25)
    assert low == pytest.approx(0.0, abs=1e-15) and high == pytest.approx(0.1332, abs=5e-5)
    assert wilson_interval(5, 5) == pytest.approx((0.5655, 1.0), abs=5e-5)  # z²/(n+z²) = 0.4345 below 1
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    one = accuracy([False] * 5)
    assert (one.acc, one.low, one.high) == (0.0, pytest.approx(0.0, abs=1e-15), pytest.approx(0.4345, abs=5e-5))


def test_intervals_are_written_low_high_never_plus_minus():
    assert format_interval(0.0, 0.1332) == "[0.0, 13.3]"
    assert format_interval(0.30064, 0.95441, digits=4, percent=False) == "[0.3006, 0.9544]"
    assert format_interval(math.nan, math.nan) == ""


def newcombe_by_hand(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Newcombe (1998) method 10 for p1 - p2 with p1 = (a+b)/n, p2 = (a+c)/n: Wilson limits of each, and
    phi = (ad - bc - n/2) / sqrt(margins) when ad - bc > n/2, 0 up to n/2, (ad - bc) / sqrt(.) below 0."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_by_hand(a + b, n)
    l2, u2 = wilson_by_hand(a + c, n)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    phi = 0.0 if margins == 0 else (cross - n / 2 if cross > n / 2 else min(cross, 0)) / math.sqrt(margins)
    delta = math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    epsilon = math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return (p1 - p2 - delta, p1 - p2 + epsilon)


@pytest.mark.parametrize("cells", [(18, 10, 0, 8), (2, 1, 0, 1), (5, 2, 6, 7), (0, 0, 3, 0), (4, 0, 0, 4)])
def test_newcombe_paired_interval(cells):
    both_right, a_only, b_only, both_wrong = cells
    # B - A: B plays p1 (right in both_right and b_only), A plays p2.
    expected = newcombe_by_hand(both_right, b_only, a_only, both_wrong)
    assert newcombe_paired_ci(PairedTable(*cells)) == pytest.approx(expected, abs=1e-12)


def test_newcombe_does_not_collapse_when_no_question_disagrees():
    low, high = newcombe_paired_ci(PairedTable(4, 0, 0, 4))
    assert low < 0 < high  # the percentile bootstrap says [0, 0] here: every resample has B - A = 0
    assert paired_bootstrap_ci([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]) == (0.0, 0.0)


def exact_coverage(n: int, cells: tuple[float, float, float, float], interval) -> float:
    """Probability that interval(table) holds the true B - A, summed over every 2x2 table of n questions."""
    truth = cells[2] - cells[1]
    covered = 0.0
    for first, second, third in itertools.product(range(n + 1), repeat=3):
        if first + second + third > n:
            continue
        table = (first, second, third, n - first - second - third)
        low, high = interval(table)
        if low - 1e-12 <= truth <= high + 1e-12:
            covered += stats.multinomial.pmf(table, n, cells)
    return covered


def bootstrap_of(table: tuple[int, int, int, int]) -> tuple[float, float]:
    both_right, a_only, b_only, both_wrong = table
    a = [1] * (both_right + a_only) + [0] * (b_only + both_wrong)
    b = [1] * both_right + [0] * a_only + [1] * b_only + [0] * both_wrong
    return paired_bootstrap_ci(a, b, n_resamples=500, seed=0)


def test_paired_interval_keeps_its_coverage_at_small_n_where_the_percentile_bootstrap_does_not():
    # 10 questions; B is 10 points better (B only 15%, A only 5%). Exactly computed coverage, nominal 95%:
    # the percentile bootstrap misses whenever the few discordant questions happen to lean one way (and
    # always when none disagree, since it collapses to [0, 0]); Newcombe's interval does not.
    cells = (0.45, 0.05, 0.15, 0.35)
    newcombe = exact_coverage(10, cells, lambda t: newcombe_paired_ci(PairedTable(*t)))
    percentile = exact_coverage(10, cells, bootstrap_of)
    assert newcombe >= 0.95
    assert percentile < 0.85
    assert newcombe - percentile > 0.1


def test_paired_permutation_test_by_hand():
    # 7 of 10 discordant questions to B with equal weights: exact, as McNemar's 2 P(X <= 3 | 10, 1/2) = 0.34375
    a, b = [1] * 3 + [0] * 7, [0] * 3 + [1] * 7
    assert paired_permutation_p(a, b, [0.1] * 10) == pytest.approx(2 * (1 + 10 + 45 + 120) / 1024)
    # Weights count: three questions worth 1 for B, one worth 4 for A. Observed 1 + 1 + 1 - 4 = -1, and every
    # one of the 16 sign patterns of (1, 1, 1, 4) sums to at least 1 in size: p = 1.
    assert paired_permutation_p([0, 0, 0, 1], [1, 1, 1, 0], [1, 1, 1, 4]) == pytest.approx(1.0)
    # (1, 1, 1, 1) all for B: only all-B or all-A reach |4|: 2 of 16.
    assert paired_permutation_p([0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]) == pytest.approx(2 / 16)
    assert paired_permutation_p([1, 0], [0, 0], [1, 1]) == 1.0  # one discordant question
    assert paired_permutation_p([1, 0], [1, 0], [1, 1]) == 1.0  # none


def test_holm_by_hand_on_three_p_values():
    # Sorted 0.01 < 0.03 < 0.04: 3 x 0.01 = 0.03; max(0.03, 2 x 0.03) = 0.06; max(0.06, 1 x 0.04) = 0.06.
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # 2 x 0.5 = 1.0, then max(1.0, 1 x 0.9) = 1.0
    adjusted = holm([0.02, math.nan])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])


def test_above_chance_by_hand():
    # 3 of 4 at chance 1/4: P(X >= 3) = 4 (1/4)^3 (3/4) + (1/4)^4 = 13/256.
    assert above_chance_p(3, 4, 0.25) == pytest.approx(13 / 256)
    assert above_chance_p(1, 4, 0.25) == pytest.approx(1 - (3 / 4) ** 4)
    # Two tasks of one question, chances 1/2 and 1/4: both right has probability 1/8 under guessing,
    # at least one right 1 - (1/2)(3/4) = 5/8.
    assert pooled_above_chance_p([(1, 1, 0.5), (1, 1, 0.25)]) == pytest.approx(1 / 8)
    assert pooled_above_chance_p([(1, 1, 0.5), (0, 1, 0.25)]) == pytest.approx(5 / 8)
    assert pooled_above_chance_p([(0, 3, 0.25)]) == pytest.approx(1.0)
