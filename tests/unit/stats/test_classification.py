"""Classification statistics (uem_helpers.stats._classification): AUC and its bootstraps, top decile, calibration, RR."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tests.unit.stats.by_hand import Z95, wilson_by_hand
from uem_helpers.stats import (
    auc_difference,
    calibration_bins,
    relative_risk,
    roc_auc,
    roc_auc_ci,
    top_share,
)


def test_roc_auc_by_hand_with_a_tie():
    # Positives score 0.9, 0.4; negatives 0.1, 0.4, 0.8. Pairs (pos, neg):
    # 0.9 beats all three (3); 0.4 beats 0.1 (1), ties 0.4 (1/2), loses to 0.8 -> 4.5 of 6 pairs.
    y = [1, 1, 0, 0, 0]
    s = [0.9, 0.4, 0.1, 0.4, 0.8]
    assert roc_auc(y, s) == pytest.approx(4.5 / 6)
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_on_random_scores_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    s = rng.integers(0, 20, 500) + y * rng.integers(0, 5, 500)  # integers: many ties
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_roc_auc_needs_both_classes_and_0_1_outcomes():
    with pytest.raises(ValueError, match="both outcomes; got 3 positive"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="only 0 and 1"):
        roc_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="score has 2 value"):
        roc_auc([0, 1, 1], [0.1, 0.2])


def test_bootstrap_auc_interval_covers_the_truth_and_is_seeded():
    # Normal scores, positives shifted by d = 1: the true AUC is Phi(d / sqrt(2)) = 0.760.
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(300), np.zeros(700)]
    s = rng.normal(size=1000) + y
    r = roc_auc_ci(y, s, n_resamples=800, seed=5)
    truth = 0.5 * (1 + math.erf(1 / 2))  # Phi(1/sqrt 2) = (1 + erf(1/2)) / 2
    assert r.low < truth < r.high
    assert r.low < r.auc < r.high
    assert (r.positives, r.negatives, r.n_resamples) == (300, 700, 800)
    # Width: the Hanley-McNeil standard error of an AUC of 0.76 with 300/700 is about 0.017 -> width ~0.066.
    assert 0.04 < r.high - r.low < 0.10
    again = roc_auc_ci(y, s, n_resamples=800, seed=5)
    assert (again.low, again.high) == (r.low, r.high)
    assert (roc_auc_ci(y, s, n_resamples=800, seed=6).low) != r.low


def test_stratified_bootstrap_auc_equals_a_loop_over_resamples():
    # The vectorised resample (multinomial counts) against resampling each class by index, one resample.
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(7), np.zeros(9)]
    s = rng.integers(0, 5, 16).astype(float)
    from uem_helpers.stats._classification import _stratified_aucs

    boot = _stratified_aucs(y, [s], 1, seed=11)[0, 0]
    rng = np.random.default_rng(11)
    v = rng.multinomial(7, np.full(7, 1 / 7))
    w = rng.multinomial(9, np.full(9, 1 / 9))
    pos, neg = np.repeat(s[:7], v), np.repeat(s[7:], w)
    assert boot == pytest.approx(roc_auc_score(np.r_[np.ones(7), np.zeros(9)], np.r_[pos, neg]))


def test_paired_auc_difference_sees_a_small_gain_that_separate_intervals_miss():
    rng = np.random.default_rng(4)
    y = (rng.random(2000) < 0.3).astype(int)
    base = rng.normal(size=2000) + 0.8 * y
    better = base + 0.1 * y + 0.05 * rng.normal(size=2000)  # the same score with a little more signal
    d = auc_difference(y, base, better, n_resamples=600, seed=1)
    assert d.auc_a == pytest.approx(roc_auc_score(y, base))
    assert d.auc_b == pytest.approx(roc_auc_score(y, better))
    assert d.diff == pytest.approx(d.auc_b - d.auc_a)
    assert 0 < d.diff_low < d.diff < d.diff_high
    a, b = roc_auc_ci(y, base, n_resamples=600, seed=1), roc_auc_ci(y, better, n_resamples=600, seed=1)
    assert a.high > b.low  # the separate intervals overlap; the paired one is above 0
    same = auc_difference(y, base, base, n_resamples=200)
    assert (same.diff, same.diff_low, same.diff_high) == (0.0, 0.0, 0.0)


def test_top_decile_precision_and_lift_by_hand():
    # 20 units, top decile = the 2 highest scores: both positive. Base rate 5/20 = 0.25 -> lift 4.
    y = np.r_[[1, 1], [1, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]]
    s = np.r_[[0.99, 0.98], np.linspace(0.9, 0.5, 8), np.linspace(0.4, 0.1, 10)]
    t = top_share(y, s, n_resamples=400)
    assert (t.users, t.positives, t.precision, t.base_rate, t.lift) == (2.0, 2.0, 1.0, 0.25, 4.0)
    low, high = wilson_by_hand(2, 2)
    assert (t.precision_low, t.precision_high) == (pytest.approx(low), 1.0)
    assert t.lift_low <= 4.0 <= t.lift_high


def test_top_decile_shares_tied_units_in_proportion():
    # 10 units -> 1 at the top; three tie at the highest score, one of them positive: 1/3 of a positive.
    y = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    s = [5, 5, 5, 1, 1, 1, 1, 1, 1, 1]
    t = top_share(y, s, n_resamples=100)
    assert t.users == pytest.approx(1.0)
    assert t.precision == pytest.approx(1 / 3)
    assert t.lift == pytest.approx((1 / 3) / 0.2)
    assert top_share(y[::-1], s[::-1], n_resamples=100).precision == pytest.approx(1 / 3)  # order does not matter


def test_top_share_lift_interval_covers_the_planted_lift():
    # Top 10% by score have churn 0.5, the rest 0.1: base 0.14, lift 0.5 / 0.14 = 3.57.
    rng = np.random.default_rng(8)
    n = 5000
    s = rng.random(n)
    top = s >= np.quantile(s, 0.9)
    y = (rng.random(n) < np.where(top, 0.5, 0.1)).astype(int)
    t = top_share(y, s, n_resamples=800, seed=2)
    assert t.precision_low < 0.5 < t.precision_high
    assert t.lift_low < 0.5 / 0.14 < t.lift_high
    assert t.lift_high - t.lift_low < 1.2


def test_calibration_bins_by_hand():
    y = [0, 0, 1, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]
    c = calibration_bins(y, p, bins=3)
    assert c["bin"].tolist() == [1, 2, 3]
    assert c["users"].tolist() == [2, 2, 2]
    assert c["predicted"].tolist() == pytest.approx([0.15, 0.45, 0.8])
    assert c["observed"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    low, high = wilson_by_hand(1, 2)
    assert (c["low"][1], c["high"][1]) == (pytest.approx(low), pytest.approx(high))
    assert (c["low"][0], c["high"][2]) == (0.0, 1.0)


def test_calibration_of_a_calibrated_score_crosses_the_diagonal():
    rng = np.random.default_rng(9)
    p = rng.beta(2, 5, 20000)
    y = (rng.random(20000) < p).astype(int)
    c = calibration_bins(y, p, bins=10)
    assert (c["users"] == 2000).all()
    inside = (c["low"] <= c["predicted"]) & (c["predicted"] <= c["high"])
    assert inside.sum() >= 9  # 95% intervals: 10 of 10 expected, 9 allowed
    with pytest.raises(ValueError, match="probabilities"):
        calibration_bins([0, 1], [0.2, 1.2])


def test_relative_risk_katz_by_hand():
    # 30 of 100 exposed against 10 of 100 unexposed: RR 3, se = sqrt(1/30 - 1/100 + 1/10 - 1/100).
    rr, low, high = relative_risk(30, 100, 10, 100)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 10 - 1 / 100)
    assert rr == pytest.approx(3.0)
    assert (low, high) == (pytest.approx(3 * math.exp(-Z95 * se)), pytest.approx(3 * math.exp(Z95 * se)))


def test_relative_risk_zero_cell_and_vectors():
    rr, low, high = relative_risk([0, 30], [50, 100], [10, 0], [100, 0])
    # 0 of 50 against 10 of 100: 0.5 added -> (0.5 / 51) / (10.5 / 101).
    assert rr[0] == pytest.approx((0.5 / 51) / (10.5 / 101))
    assert 0 < low[0] < rr[0] < high[0]
    assert np.isnan(rr[1]) and np.isnan(low[1])  # no unexposed units
    with pytest.raises(ValueError, match="events <= units"):
        relative_risk(5, 4, 1, 10)
