"""The binomial CUSUM: its statistic by hand, its runs, its threshold and the robust in-control rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from uem_helpers.stats import (
    binomial_cusum,
    block_median_rate,
    cusum_runs,
    cusum_threshold,
    robust_dispersion,
    shifted_rate,
)
from uem_helpers.stats._cusum import MIN_THRESHOLD


def test_shifted_rate_divides_or_multiplies_the_odds():
    assert shifted_rate(0.5, "down", 2) == pytest.approx(1 / 3)  # odds 1 -> 1/2
    assert shifted_rate(0.5, "up", 2) == pytest.approx(2 / 3)  # odds 1 -> 2
    assert shifted_rate(0.8, "down", 2) == pytest.approx(2 / 3)  # odds 4 -> 2
    with pytest.raises(ValueError, match="p0"):
        shifted_rate(1.0)
    with pytest.raises(ValueError, match="direction"):
        shifted_rate(0.5, "sideways")


def test_cusum_statistic_by_hand():
    # p0 = 0.5, odds ratio 2, a drop: p1 = 1/3; a success adds log(2/3) = -0.405465, a failure log(4/3) = 0.287682.
    s = binomial_cusum([2, 0, 1, 3], [4, 3, 2, 3], 0.5)
    # day 1: 2·(-0.405465) + 2·0.287682 = -0.235566 -> 0; day 2: 3·0.287682 = 0.863046;
    # day 3: 0.863046 - 0.405465 + 0.287682 = 0.745263; day 4: 0.745263 - 3·0.405465 < 0 -> 0.
    assert s == pytest.approx([0.0, 0.863046, 0.745263, 0.0], abs=1e-6)
    up = binomial_cusum([3, 0], [3, 3], 0.5, direction="up")  # p1 = 2/3: a success adds log(4/3)
    assert up == pytest.approx([3 * math.log(4 / 3), 0.0])
    with pytest.raises(ValueError, match="successes <= trials"):
        binomial_cusum([4], [3], 0.5)


def test_cusum_runs_start_after_the_last_zero_and_end_at_the_peak():
    s = [0, 0.5, 2.0, 3.5, 3.0, 1.0, 0, 0.4, 0]
    assert cusum_runs(s, 3.2) == [(1, 3, 3)]  # from day 1 (after the zero) to the peak, alarm on day 3
    assert cusum_runs(s, 5.0) == []
    assert cusum_runs(s, 0.3) == [(1, 3, 1), (7, 7, 7)]


def test_threshold_is_reproducible_floored_and_gives_one_alarm_a_year():
    h = cusum_threshold([5] * 30, 0.85)
    assert h == cusum_threshold([5] * 30, 0.85) and h > MIN_THRESHOLD
    assert cusum_threshold([5000] * 30, 0.5) == MIN_THRESHOLD  # the drift keeps S at 0: the floor decides
    # Fresh in-control years (another seed than the calibration's): about one year in e^-1 has no alarm.
    rng = np.random.default_rng(7)
    x = rng.binomial(5, 0.85, size=(4000, 365))
    peaks = binomial_cusum(x, np.full(x.shape, 5), 0.85).max(axis=1)
    assert abs((peaks <= h).mean() - math.exp(-1)) < 0.04


def test_block_median_rate_ignores_a_shifted_minority_of_weeks():
    n = np.full(35, 10)
    x = np.full(35, 8)
    x[7:14] = 2  # one week of five at 20%
    assert block_median_rate(x, n) == pytest.approx(0.8)
    assert x.sum() / n.sum() == pytest.approx(0.68)  # the pooled rate is pulled down
    assert math.isnan(block_median_rate([], []))


def test_robust_dispersion_by_hand_and_its_floor():
    # p0 = 0.5, 100 trials: residuals² (50-50)²/25 = 0, (60-50)²/25 = 4, (40-50)²/25 = 4; median 4 / 0.454936.
    assert robust_dispersion([50, 60, 40], [100, 100, 100], 0.5) == pytest.approx(4 / 0.454936)
    assert robust_dispersion([50, 51, 49], [100, 100, 100], 0.5) == 1.0  # tighter than a binomial: floored
    assert robust_dispersion([0, 5, 0], [5, 5, 5], 0.5) == 1.0  # five a day: too discrete, binomial assumed
    rng = np.random.default_rng(11)
    n = np.full(365, 2000)
    binomial = rng.binomial(n, 0.6)
    assert robust_dispersion(binomial, n, 0.6) < 1.25
    spread = rng.binomial(n, rng.beta(0.6 * 400, 0.4 * 400, 365))  # beta-binomial: variance × (1 + 1999/401) ≈ 6
    assert 4 < robust_dispersion(spread, n, 0.6) < 8
