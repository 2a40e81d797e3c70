"""Known answers and invariants of the statistics wrappers (uem_helpers.stats)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import statsmodels.api as sm
from scipy.stats import norm, ttest_1samp, ttest_ind

from uem_helpers.stats import ClusterSums, clustered_wilson_ci, mann_whitney, mean_difference, median_difference, ratio_metric_difference, ratio_metric_se, ratio_of_means_ci, sample_ratio_mismatch, two_proportions, users_needed, wilson_ci

Z95 = norm.isf(0.025)  # 1.959963984540054


def wilson_by_hand(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = p + z**2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


# ---------------------------------------------------------------- wilson_ci


def test_wilson_45_of_100_matches_the_formula():
    # 45/100: p = 0.45, z = 1.96 -> (0.45 + 0.019207 ± 1.96·sqrt(0.002475 + 0.0000960)) / 1.038415
    low, high = wilson_ci(45, 100)
    exp_low, exp_high = wilson_by_hand(45, 100)
    assert low == pytest.approx(exp_low, abs=1e-9)
    assert high == pytest.approx(exp_high, abs=1e-9)
    assert (round(low, 4), round(high, 4)) == (0.3561, 0.5476)


def test_wilson_is_vectorised_on_arrays_and_series():
    successes, totals = [45, 0, 10, 0], [100, 10, 10, 0]
    low, high = wilson_ci(np.array(successes), np.array(totals))
    for i, (k, n) in enumerate(zip(successes[:3], totals[:3])):
        assert (low[i], high[i]) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)
    assert math.isnan(low[3]) and math.isnan(high[3])  # total 0 -> NaN, not an error
    s_low, s_high = wilson_ci(pd.Series(successes, index=list("abcd")), pd.Series(totals, index=list("abcd")))
    assert list(s_low.index) == list("abcd")
    assert s_low["a"] == pytest.approx(low[0], abs=1e-12)


def test_wilson_at_zero_and_all_successes_has_width():
    assert wilson_ci(0, 10) == pytest.approx((0.0, wilson_by_hand(0, 10)[1]), abs=1e-9)
    assert wilson_ci(10, 10) == pytest.approx((wilson_by_hand(10, 10)[0], 1.0), abs=1e-9)
    assert wilson_ci(0, 10)[1] > 0.2  # 0/10 does not prove the rate is 0: upper bound 27.8%


def test_wilson_total_zero_is_nan():
    low, high = wilson_ci(0, 0)
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (1, -1)])
def test_wilson_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError, match="successes"):
        wilson_ci(k, n)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_estimate_inside_0_1(kn):
    k, n = kn
    low, high = wilson_ci(k, n)
    assert 0 <= low <= k / n <= high <= 1


# ---------------------------------------------------------------- two_proportions


def test_two_proportions_matches_newcombes_textbook_example():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    # Our order is (baseline, comparison), so the baseline is 48/80 and diff = 56/70 - 48/80 = 0.2.
    r = two_proportions(48, 80, 56, 70)
    assert r.p1 == 0.6 and r.p2 == 0.8
    assert r.diff == pytest.approx(0.2, abs=1e-12)
    assert (round(r.diff_low, 4), round(r.diff_high, 4)) == (0.0524, 0.3339)


def test_two_proportions_diff_ci_by_hand_from_the_two_wilson_intervals():
    # Newcombe hybrid score: diff - sqrt((p2-l2)² + (u1-p1)²), diff + sqrt((u2-p2)² + (p1-l1)²).
    s1, n1, s2, n2 = 45, 100, 15, 100
    l1, u1 = wilson_by_hand(s1, n1)
    l2, u2 = wilson_by_hand(s2, n2)
    p1, p2 = 0.45, 0.15
    r = two_proportions(s1, n1, s2, n2)
    assert r.diff == pytest.approx(-0.30, abs=1e-12)
    assert r.diff_low == pytest.approx(-0.30 - math.hypot(p2 - l2, u1 - p1), abs=1e-9)
    assert r.diff_high == pytest.approx(-0.30 + math.hypot(u2 - p2, p1 - l1), abs=1e-9)


def test_two_proportions_p_value_is_the_pooled_z_test():
    # 30/100 vs 45/100: pooled p = 75/200 = 0.375; se = sqrt(0.375·0.625·(2/100)) = 0.068465
    # z = 0.15 / 0.068465 = 2.19089; two-sided p = 0.028460.
    r = two_proportions(30, 100, 45, 100)
    z = 0.15 / math.sqrt(0.375 * 0.625 * 0.02)
    assert z == pytest.approx(2.19089, abs=1e-5)
    assert r.p_value == pytest.approx(2 * norm.sf(z), abs=1e-12)
    assert r.p_value == pytest.approx(0.028460, abs=1e-6)


def test_two_proportions_relative_change_and_its_log_adjusted_interval():
    # rel = 0.375/0.30 - 1 = 0.25 (the "+25% cart conversion" case).
    # CI by hand: add 0.5 to counts and sizes, ratio' = (375.5/1000.5) / (300.5/1000.5),
    # se(log ratio') = sqrt(1/375.5 - 1/1000.5 + 1/300.5 - 1/1000.5); bounds ratio'·exp(±z·se) - 1.
    s1, n1, s2, n2 = 300, 1000, 375, 1000
    r = two_proportions(s1, n1, s2, n2)
    assert r.rel == pytest.approx(0.25, abs=1e-12)
    ratio = ((s2 + 0.5) / (n2 + 0.5)) / ((s1 + 0.5) / (n1 + 0.5))
    se = math.sqrt(1 / (s2 + 0.5) - 1 / (n2 + 0.5) + 1 / (s1 + 0.5) - 1 / (n1 + 0.5))
    assert r.rel_low == pytest.approx(ratio * math.exp(-Z95 * se) - 1, abs=1e-9)
    assert r.rel_high == pytest.approx(ratio * math.exp(Z95 * se) - 1, abs=1e-9)
    assert r.rel_low < 0.25 < r.rel_high


def test_two_proportions_edge_cases_zeros_and_all_successes():
    none = two_proportions(0, 100, 0, 100)
    assert (none.diff, none.p_value) == (0.0, 1.0)
    assert none.diff_low < 0 < none.diff_high  # still an interval: 0/100 does not prove 0%
    assert math.isnan(none.rel) and math.isnan(none.rel_low) and math.isnan(none.rel_high)

    all_ = two_proportions(100, 100, 100, 100)
    assert (all_.diff, all_.rel, all_.p_value) == (0.0, 0.0, 1.0)
    assert math.isnan(all_.rel_low) and math.isnan(all_.rel_high)

    from_zero = two_proportions(0, 100, 5, 100)
    assert from_zero.diff == pytest.approx(0.05)
    assert math.isnan(from_zero.rel)  # no relative change from 0%
    assert 0 < from_zero.p_value < 0.05


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((1, 0, 1, 10), "group 1 has no members"),
        ((1, 10, 0, 0), "group 2 has no members"),
        ((11, 10, 1, 10), "between 0 and n = 10"),
    ],
)
def test_two_proportions_rejects_empty_groups_and_impossible_counts(args, words):
    with pytest.raises(ValueError, match=words):
        two_proportions(*args)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_two_proportions_swapping_groups_mirrors_the_result(g1, g2):
    r, swapped = two_proportions(*g1, *g2), two_proportions(*g2, *g1)
    assert r.diff_low <= r.diff <= r.diff_high
    assert swapped.diff == pytest.approx(-r.diff, abs=1e-12)
    assert swapped.diff_low == pytest.approx(-r.diff_high, abs=1e-9)
    assert swapped.diff_high == pytest.approx(-r.diff_low, abs=1e-9)
    assert swapped.p_value == pytest.approx(r.p_value, abs=1e-9)
    assert 0 <= r.p_value <= 1


# ---------------------------------------------------------------- median_difference and mann_whitney


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


# ---------------------------------------------------------------- sample_ratio_mismatch


def test_srm_flags_56_vs_944_against_5_95_on_large_n():
    # n = 100,000: expected 5,000 / 95,000; chi² = 600²/5000 + 600²/95000 = 72 + 3.7895 = 75.79
    r = sample_ratio_mismatch({"treatment": 5_600, "control": 94_400}, {"treatment": 0.05, "control": 0.95})
    assert r.statistic == pytest.approx(72 + 360_000 / 95_000, abs=1e-9)
    assert r.expected == pytest.approx({"treatment": 5_000.0, "control": 95_000.0})
    assert r.p_value < 1e-15 and r.mismatch
    assert r.sentence().startswith("Sample ratio mismatch: treatment 5,600 (5.6% vs 5.0% expected)")


def test_srm_does_not_flag_the_same_split_on_small_n():
    # n = 1,000: expected 50 / 950; chi² = 6²/50 + 6²/950 = 0.72 + 0.0379 = 0.7579, p = 0.384
    r = sample_ratio_mismatch([56, 944], [0.05, 0.95])
    assert r.statistic == pytest.approx(0.72 + 36 / 950, abs=1e-9)
    assert r.p_value == pytest.approx(0.3840, abs=1e-4)
    assert not r.mismatch
    assert r.observed == {"0": 56, "1": 944}
    assert r.sentence().startswith("No sample ratio mismatch")


def test_srm_threshold_is_0001_by_default():
    # chi² = 10.83 is the 0.001 critical value with 1 df: 5165 vs 4835 gives chi² = 2·165²/5000 = 10.89
    r = sample_ratio_mismatch({"a": 5_165, "b": 4_835}, {"a": 0.5, "b": 0.5})
    assert r.statistic == pytest.approx(10.89, abs=1e-9)
    assert r.alpha == 0.001 and r.p_value < 0.001 and r.mismatch
    assert not sample_ratio_mismatch({"a": 5_150, "b": 4_850}, {"a": 0.5, "b": 0.5}).mismatch  # chi² 9.0


@pytest.mark.parametrize(
    ("observed", "shares", "words"),
    [
        ({"a": 1, "b": 2}, {"a": 0.5, "c": 0.5}, "differ from the groups"),
        ({"a": 1, "b": 2}, {"a": 0.5, "b": 0.4}, "sum to 1"),
        ({"a": 1, "b": 2}, {"a": 0.0, "b": 1.0}, "positive"),
        ({"a": 0, "b": 0}, {"a": 0.5, "b": 0.5}, "no units"),
        ({"a": 10}, {"a": 1.0}, "at least two groups"),
    ],
)
def test_srm_rejects_inconsistent_inputs(observed, shares, words):
    with pytest.raises(ValueError, match=words):
        sample_ratio_mismatch(observed, shares)


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


def test_median_ci_brackets_the_median_and_narrows_with_n():
    from uem_helpers.stats import median_ci

    rng = np.random.default_rng(1)
    small, large = rng.exponential(10, 50), rng.exponential(10, 5000)
    lo_s, hi_s = median_ci(small)
    lo_l, hi_l = median_ci(large)
    assert lo_s <= np.median(small) <= hi_s and lo_l <= np.median(large) <= hi_l
    assert hi_l - lo_l < hi_s - lo_s
    assert lo_l < 10 * math.log(2) < hi_l  # the true median of Exp(mean 10)


# ---------------------------------------------------------------- ratio metrics, clustered by user (delta method)

def sums_of(pairs) -> ClusterSums:
    """The sufficient statistics of per-user (y, n) pairs."""
    y, n = (np.array(v, dtype=float) for v in zip(*pairs))
    return ClusterSums(len(y), y.sum(), n.sum(), (y * y).sum(), (n * n).sum(), (y * n).sum())


# Per user (checked-out carts y, carts n).
# Control: (1, 2), (0, 1), (2, 2): m 3, Σy 3, Σn 5, R 0.6; residuals y - Rn = -0.2, -0.6, 0.8 -> Σ² 1.04;
#   Var(R) = 1.04 · 3 / (2 · 5²) = 0.0624.
# Treatment: (1, 1), (1, 1), (0, 2), (3, 4): m 4, Σy 5, Σn 8, R 0.625; residuals 0.375, 0.375, -1.25, 0.5
#   -> Σ² 2.09375; Var(R) = 2.09375 · 4 / (3 · 8²) = 0.0436198.
CONTROL = [(1, 2), (0, 1), (2, 2)]
TREATMENT = [(1, 1), (1, 1), (0, 2), (3, 4)]


def test_ratio_metric_by_hand():
    a, b = sums_of(CONTROL), sums_of(TREATMENT)
    assert ratio_metric_se(a) ** 2 == pytest.approx(0.0624, rel=1e-12)
    assert ratio_metric_se(b) ** 2 == pytest.approx(2.09375 * 4 / (3 * 64), rel=1e-12)
    # Same as the textbook form (s²_y - 2R s_yn + R² s²_n) / (m n̄²) with divisor m - 1.
    y, n = np.array([1, 0, 2.0]), np.array([2, 1, 2.0])
    cov = np.cov(y, n)
    assert ratio_metric_se(a) ** 2 == pytest.approx((cov[0, 0] - 1.2 * cov[0, 1] + 0.36 * cov[1, 1]) / (3 * (5 / 3) ** 2))
    r = ratio_metric_difference(a, b)
    se = math.sqrt(0.0624 + 2.09375 * 4 / 192)
    assert (r.ratio_a, r.ratio_b, r.diff) == pytest.approx((0.6, 0.625, 0.025))
    assert (r.diff_low, r.diff_high) == pytest.approx((0.025 - Z95 * se, 0.025 + Z95 * se), rel=1e-12)
    assert r.p_value == pytest.approx(2 * norm.sf(0.025 / se), rel=1e-12)
    log_sd = math.sqrt(0.0624 / 0.36 + (2.09375 * 4 / 192) / 0.625**2)
    rel_ratio = 0.625 / 0.6
    assert r.rel == pytest.approx(rel_ratio - 1)
    assert (r.rel_low, r.rel_high) == pytest.approx(
        (rel_ratio * math.exp(-Z95 * log_sd) - 1, rel_ratio * math.exp(Z95 * log_sd) - 1), rel=1e-12
    )
    assert (r.users_a, r.units_b) == (3, 8.0)
    assert r.ratio_a_low == pytest.approx(0.6 - Z95 * math.sqrt(0.0624))


def test_ratio_metric_edge_cases_and_errors():
    same = ratio_metric_difference(sums_of([(1, 1), (2, 2)]), sums_of([(3, 3), (1, 1)]))  # every cart converts
    assert (same.diff, same.diff_low, same.diff_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
    zero = ratio_metric_difference(sums_of([(0, 1), (0, 2)]), sums_of([(1, 2), (0, 1)]))
    assert math.isnan(zero.rel) and math.isnan(zero.rel_low)  # no relative change from 0
    with pytest.raises(ValueError, match="group a: a ratio metric's variance needs at least two users; got 1"):
        ratio_metric_difference(sums_of([(1, 2)]), sums_of(TREATMENT))
    with pytest.raises(ValueError, match="group b: the denominator sums to 0"):
        ratio_metric_difference(sums_of(CONTROL), sums_of([(0, 0), (0, 0)]))


@settings(max_examples=40, deadline=None)
@given(st.integers(1000, 5000), st.floats(0.1, 0.9), st.integers(1000, 5000), st.floats(0.1, 0.9))
def test_one_unit_per_user_gives_the_unclustered_interval(n1, p1, n2, p2):
    s1, s2 = round(n1 * p1), round(n2 * p2)
    # One cart per user: y_i = y_i² = y_i·n_i is 0 or 1 and n_i = n_i² = 1.
    r = ratio_metric_difference(ClusterSums(n1, s1, n1, s1, n1, s1), ClusterSums(n2, s2, n2, s2, n2, s2))
    q1, q2 = s1 / n1, s2 / n2
    wald = Z95 * math.sqrt(q1 * (1 - q1) / (n1 - 1) + q2 * (1 - q2) / (n2 - 1))  # divisor m - 1 of the variance
    assert (r.diff_low, r.diff_high) == pytest.approx((q2 - q1 - wald, q2 - q1 + wald), rel=1e-9, abs=1e-12)
    newcombe = two_proportions(s1, n1, s2, n2)
    assert r.diff_low == pytest.approx(newcombe.diff_low, abs=0.002)
    assert r.diff_high == pytest.approx(newcombe.diff_high, abs=0.002)


def simulated_clustered_sums(rng, reps: int, users: int) -> list[ClusterSums]:
    """Users with 1 + Poisson(2) carts and their own checkout propensity ~ Beta(0.6, 1.4) (mean 0.3).

    The propensity is independent of the number of carts, so the true ratio E[y] / E[n] is 0.3 in every group.
    """
    n = 1 + rng.poisson(2.0, (reps, users))
    y = rng.binomial(n, rng.beta(0.6, 1.4, (reps, users)))
    return [ClusterSums(users, *(float(x) for x in (yy.sum(), nn.sum(), (yy * yy).sum(), (nn * nn).sum(),
                                                    (yy * nn).sum()))) for yy, nn in zip(y, n)]


def test_clustered_interval_covers_and_the_cart_level_one_does_not():
    rng = np.random.default_rng(20260801)
    control = simulated_clustered_sums(rng, 400, 150)
    treatment = simulated_clustered_sums(rng, 400, 150)
    covered = naive_covered = 0
    for a, b in zip(control, treatment):
        r = ratio_metric_difference(a, b)
        covered += r.diff_low <= 0 <= r.diff_high  # both groups share the ratio 0.3: the true difference is 0
        naive = two_proportions(int(a.sum_y), int(a.sum_n), int(b.sum_y), int(b.sum_n))
        naive_covered += naive.diff_low <= 0 <= naive.diff_high
    assert 0.92 <= covered / 400 <= 0.975
    assert naive_covered / 400 < 0.90  # carts of one user are correlated: cart-level intervals are too narrow


def test_clustered_wilson_uses_the_effective_sample_size():
    # rate 0.3 with se 0.05: n_eff = 0.21 / 0.0025 = 84 -> Wilson of 25.2 in 84.
    assert clustered_wilson_ci(0.3, 0.05, 500) == pytest.approx(wilson_by_hand(25.2, 84), abs=1e-9)
    # A design effect below 1 is taken as 1: n_eff capped at the units.
    assert clustered_wilson_ci(0.3, 0.001, 100) == pytest.approx(wilson_by_hand(30, 100), abs=1e-9)
    low, high = clustered_wilson_ci(1.0, 0.0, 20)  # every unit a success: Wilson on the units, width kept
    assert high == 1.0 and low == pytest.approx(wilson_by_hand(20, 20)[0])


def test_users_needed_known_answer():
    # se 0.02 with 1,000 users, effect 0.03 at 5% / 80%: 1000 · 0.02² · (1.95996 + 0.84162)² / 0.03² = 3,488.4
    z = Z95 + norm.ppf(0.8)
    assert users_needed(0.02, 1000, 0.03) == pytest.approx(1000 * 0.0004 * z**2 / 0.0009)
    assert round(users_needed(0.02, 1000, 0.03)) == 3488
    assert users_needed(0.02, 1000, 0.0) == math.inf
    with pytest.raises(ValueError, match="power must be between 0 and 1"):
        users_needed(0.02, 1000, 0.03, power=1.5)
