"""Means compared, from rows or (value, count) pairs, and the ratio of means (uem_helpers.stats._means)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import statsmodels.api as sm
from scipy.stats import ttest_1samp, ttest_ind

from uem_helpers.stats import mean_difference, ratio_of_means_ci

from tests.unit.stats.by_hand import Z95


def test_mean_difference_matches_welch_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0, 10.0])
    r = mean_difference(a, b)
    # By hand: means 2.5 and 6; variances 5/3 and 10; se = sqrt(5/12 + 2) = 1.5546
    se = math.sqrt((5 / 3) / 4 + 10 / 5)
    df = se**4 / (((5 / 3) / 4) ** 2 / 3 + (10 / 5) ** 2 / 4)  # Welch-Satterthwaite
    from scipy.stats import t

    half = t.ppf(0.975, df) * se
    assert r.diff == pytest.approx(3.5)
    assert (r.diff_low, r.diff_high) == pytest.approx((3.5 - half, 3.5 + half))
    half_a = t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2
    assert (r.mean_a_low, r.mean_a_high) == pytest.approx((2.5 - half_a, 2.5 + half_a))
    assert r.rel == pytest.approx(6 / 2.5 - 1)
    assert r.diff_low < 0 < r.diff_high and r.p_value > 0.05  # CI and test agree: not significant
    # Ratio 6 / 2.5 = 2.4 by the delta method on the log scale, variances with divisor n:
    # var(log ratio) = (5/4) / (4 · 2.5²) + 8 / (5 · 6²) = 0.05 + 0.04444 = 0.09444
    half_log = Z95 * math.sqrt((5 / 4) / (4 * 2.5**2) + 8 / (5 * 6**2))
    assert (r.rel_low, r.rel_high) == pytest.approx((2.4 * math.exp(-half_log) - 1, 2.4 * math.exp(half_log) - 1))


def test_counts_give_the_numbers_of_the_repeated_values():
    # Order values 0 x3, 99 x2, 120 x1 before; 0 x2, 99 x4, 150 x3 after.
    values_a, counts_a = [0.0, 99.0, 120.0], [3, 2, 1]
    values_b, counts_b = [150.0, 0.0, 99.0, 7.0], [3, 2, 4, 0]  # a value counted 0 times is no observation
    a, b = np.repeat(values_a, counts_a), np.repeat(values_b, counts_b)
    weighted = mean_difference(values_a, values_b, counts_a=counts_a, counts_b=counts_b)
    rows = mean_difference(a, b)
    assert (weighted.n_a, weighted.n_b) == (6, 9)
    for field in ("mean_a", "mean_b", "mean_a_low", "mean_a_high", "diff", "diff_low", "diff_high", "rel", "rel_low",
                  "rel_high", "p_value"):
        assert getattr(weighted, field) == pytest.approx(getattr(rows, field), rel=1e-12, abs=1e-12), field
    welch, one_a = ttest_ind(b, a, equal_var=False), ttest_1samp(a, 0.0).confidence_interval()
    assert (weighted.diff_low, weighted.diff_high) == pytest.approx(tuple(welch.confidence_interval()), rel=1e-12)
    assert weighted.p_value == pytest.approx(welch.pvalue, rel=1e-12)
    assert (weighted.mean_a_low, weighted.mean_a_high) == pytest.approx((one_a.low, one_a.high), rel=1e-12)


def _ratio_ci_from_every_row(a, b, alpha):
    """The unaggregated fit: log-link Gaussian GLM on one row per observation, robust covariance."""
    y = np.concatenate([a, b])
    x = sm.add_constant(np.r_[np.zeros(len(a)), np.ones(len(b))])
    fit = sm.GLM(y, x, family=sm.families.Gaussian(link=sm.families.links.Log())).fit(
        start_params=np.log([a.mean(), b.mean() / a.mean()]), cov_type="HC1")
    return tuple(np.exp(np.asarray(fit.conf_int(alpha=alpha))[1]))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([0.0, 9.9, 49.0, 99.0, 128.5, 300.0]), st.integers(1, 40)), min_size=1,
             max_size=6),
    st.lists(st.tuples(st.sampled_from([0.0, 19.0, 99.0, 101.0, 250.0]), st.integers(1, 40)), min_size=1,
             max_size=5),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_ratio_interval_from_counts_equals_the_fit_on_every_row(cells_a, cells_b, alpha):
    (va, ca), (vb, cb) = zip(*cells_a), zip(*cells_b)
    a, b = np.repeat(va, ca), np.repeat(vb, cb)
    if len(a) < 2 or len(b) < 2:
        return
    low, high = ratio_of_means_ci(va, vb, alpha=alpha, counts_a=ca, counts_b=cb)
    if a.mean() <= 0 or b.mean() <= 0 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        assert np.isnan(low) and np.isnan(high)
        return
    assert (low, high) == pytest.approx(_ratio_ci_from_every_row(a, b, alpha), rel=1e-9)
    assert (low, high) == pytest.approx(ratio_of_means_ci(a, b, alpha=alpha), rel=1e-9)
    ratio = b.mean() / a.mean()
    assert low <= ratio * (1 + 1e-9) and ratio <= high * (1 + 1e-9)
    wider = ratio_of_means_ci(va, vb, alpha=alpha / 2, counts_a=ca, counts_b=cb)
    assert wider[0] <= low + 1e-9 and wider[1] >= high - 1e-9


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1, 500), min_size=2, max_size=30), st.lists(st.floats(1, 500), min_size=2, max_size=30),
       st.sampled_from([0.01, 0.05, 0.2]))
def test_ratio_interval_contains_the_ratio_and_narrows_with_alpha(a, b, alpha):
    low, high = ratio_of_means_ci(a, b, alpha=alpha)
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        assert np.isnan(low) and np.isnan(high)  # no spread: no interval rather than a point claiming certainty
        return
    ratio = np.mean(b) / np.mean(a)
    assert low <= ratio * (1 + 1e-9) and ratio <= high * (1 + 1e-9)
    wider = ratio_of_means_ci(a, b, alpha=alpha / 2)
    assert wider[0] <= low + 1e-9 and wider[1] >= high - 1e-9


@pytest.mark.parametrize(
    ("counts", "words"),
    [([1, 2], "3 whole numbers"), ([1, -1, 2], "3 whole numbers"), ([1, 0.5, 2], "3 whole numbers"),
     ([1, 0, 0], "has 1 value"), ([0, 0, 0], "has 0 value")],
)
def test_counts_must_be_whole_and_give_two_observations(counts, words):
    with pytest.raises(ValueError, match=words):
        mean_difference([1.0, 2.0, 3.0], [1.0, 2.0], counts_a=counts)
