"""Ratio metrics clustered by user, delta method (uem_helpers.stats._clusters): by hand, edge cases, coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from uem_helpers.stats import ClusterSums, clustered_wilson_ci, ratio_metric_difference, ratio_metric_se, two_proportions

from tests.unit.stats.by_hand import Z95, wilson_by_hand


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
