"""Medians compared by bootstrap and rank methods (uem_helpers.stats._medians): known answers and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from uem_helpers.stats import mann_whitney, median_difference


def test_median_difference_bootstrap_ci_contains_the_true_difference_and_is_reproducible():
    a = np.arange(1.0, 102.0) ** 2  # 1, 4, ..., 10201: median 51² = 2601
    a = np.random.default_rng(1).permutation(a)
    b = np.random.default_rng(2).permutation(a) + 10.0  # median 2611: true difference 10
    r = median_difference(a, b, n_resamples=999, seed=7)
    assert (r.median_a, r.median_b, r.diff) == (2601.0, 2611.0, 10.0)
    assert r.rel == pytest.approx(10 / 2601)
    assert r.diff_low < 10 < r.diff_high
    assert r.rel_low < 10 / 51 < r.rel_high
    assert r.diff_high - r.diff_low < 3000  # the median of 101 squares is known to about ±1,000
    again = median_difference(a, b, n_resamples=999, seed=7)
    assert (again.diff_low, again.diff_high, again.rel_low) == (r.diff_low, r.diff_high, r.rel_low)
    other = median_difference(a, b, n_resamples=999, seed=8)
    assert (other.diff_low, other.diff_high) != (r.diff_low, r.diff_high)
    assert (r.n_a, r.n_b, r.n_resamples) == (101, 101, 999)


def test_median_difference_detects_a_large_shift():
    a = np.arange(1.0, 41.0)  # 1..40
    b = a + 100  # every b beats every a
    r = median_difference(a, b, n_resamples=500)
    assert r.diff == 100.0 and r.diff_low > 80
    assert r.p_value < 1e-10


def test_median_difference_relative_change_undefined_at_zero_baseline():
    r = median_difference([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], n_resamples=200)
    assert r.diff == 2.0
    assert math.isnan(r.rel) and math.isnan(r.rel_low) and math.isnan(r.rel_high)


@pytest.mark.parametrize(
    ("a", "b", "words"),
    [
        ([], [1.0, 2.0], "sample a has 0 value"),
        ([1.0, 2.0], [3.0], "sample b has 1 value"),
        ([1.0, np.nan], [1.0, 2.0], "NaN"),
    ],
)
def test_median_difference_rejects_samples_too_small_or_with_nan(a, b, words):
    with pytest.raises(ValueError, match=words):
        median_difference(a, b)


def test_mann_whitney_known_statistic_on_tiny_samples():
    # a = [1,2,3], b = [4,5,6]: no a exceeds any b -> U = 0; exact two-sided p = 2 / C(6,3) = 0.1.
    assert mann_whitney([1, 2, 3], [4, 5, 6]) == pytest.approx((0.0, 0.1))
    # a = [3,5], b = [1,2,4]: pairs with a > b: 3>1, 3>2, 5>1, 5>2, 5>4 -> U = 5.
    # Rank sums of 2 of 5 ranks >= 8: {3,5}, {4,5} -> P(U >= 5) = 2/10; two-sided p = 0.4.
    assert mann_whitney([3, 5], [1, 2, 4]) == pytest.approx((5.0, 0.4))


def test_mann_whitney_rejects_an_empty_sample():
    with pytest.raises(ValueError, match="sample b has 0 value"):
        mann_whitney([1.0], [])


def test_median_ci_brackets_the_median_and_narrows_with_n():
    from uem_helpers.stats import median_ci

    rng = np.random.default_rng(1)
    small, large = rng.exponential(10, 50), rng.exponential(10, 5000)
    lo_s, hi_s = median_ci(small)
    lo_l, hi_l = median_ci(large)
    assert lo_s <= np.median(small) <= hi_s and lo_l <= np.median(large) <= hi_l
    assert hi_l - lo_l < hi_s - lo_s
    assert lo_l < 10 * math.log(2) < hi_l  # the true median of Exp(mean 10)
