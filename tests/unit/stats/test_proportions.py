"""Wilson intervals and two proportions compared (uem_helpers.stats._proportions): known answers and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from uem_helpers.stats import two_proportions, wilson_ci

from tests.unit.stats.by_hand import Z95, wilson_by_hand


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
