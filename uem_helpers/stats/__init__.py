"""Statistics on small numbers: confidence intervals, two-group tests, ratio metrics, sample-ratio checks.

Thin, vectorised wrappers over :mod:`statsmodels` and :mod:`scipy.stats` that
return the workbench's readout types. Nothing here is estimated by hand where
those libraries have the method; each wrapper names the method it uses and why.

This module is pure: it takes counts and arrays, imports nothing of the
workbench, and raises plain :class:`ValueError` for impossible inputs (the
analysis layer turns them into the workbench's errors).

Conventions
-----------
- Group 1 / ``a`` is the baseline (before, control); group 2 / ``b`` is the
  comparison (after, treatment). Differences are always ``2 - 1`` (``b - a``)
  and relative changes ``2 / 1 - 1``.
- ``alpha`` is the two-sided level: intervals have coverage ``1 - alpha``.
- Undefined quantities are ``NaN``, never an exception: a proportion of a
  group with no members, a relative change against a zero baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

#: Method of the CI of a difference of two proportions (see :func:`two_proportions`).
DIFF_CI_METHOD = "newcomb"
#: Method of the CI of a ratio of two proportions (see :func:`two_proportions`).
RATIO_CI_METHOD = "log-adjusted"
#: Default number of bootstrap resamples in :func:`median_difference`.
N_RESAMPLES = 2000
#: Usual p-value threshold of a sample-ratio-mismatch alarm (see :func:`sample_ratio_mismatch`).
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class ProportionComparison:
    """Two independent proportions compared: group 2 against group 1 (the baseline).

    Attributes
    ----------
    p1, p2 : float
        The proportions ``s1 / n1`` and ``s2 / n2``.
    n1, n2 : int
        Group sizes.
    diff : float
        ``p2 - p1`` in proportion units (0.05 is 5 percentage points).
    diff_low, diff_high : float
        Newcombe hybrid-score (Wilson) CI of ``diff``.
    rel : float
        Relative change ``p2 / p1 - 1``; NaN when ``p1 == 0``.
    rel_low, rel_high : float
        CI of ``rel`` from the log-adjusted CI of the ratio ``p2 / p1``; NaN when
        ``p1 == 0`` or both groups are all successes.
    p_value : float
        Two-sided pooled two-proportion z-test (score test) of ``p1 == p2``.
    alpha : float
        Two-sided level of the intervals.
    """

    p1: float
    p2: float
    n1: int
    n2: int
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    p_value: float
    alpha: float


@dataclass(frozen=True)
class MedianComparison:
    """Medians of two independent samples compared: ``b`` against ``a`` (the baseline).

    Attributes
    ----------
    median_a, median_b : float
        Sample medians.
    n_a, n_b : int
        Sample sizes.
    diff : float
        ``median_b - median_a``.
    diff_low, diff_high : float
        Percentile bootstrap CI of ``diff``.
    rel : float
        ``median_b / median_a - 1``; NaN when ``median_a == 0``.
    rel_low, rel_high : float
        Percentile bootstrap CI of ``rel`` (same resamples as ``diff``); NaN when ``median_a == 0``.
    p_value : float
        Two-sided Mann-Whitney U test p-value.
    alpha : float
        Two-sided level of the intervals.
    n_resamples : int
        Bootstrap resamples drawn.
    """

    median_a: float
    median_b: float
    n_a: int
    n_b: int
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    p_value: float
    alpha: float
    n_resamples: int


@dataclass(frozen=True)
class MeanComparison:
    """Means of two independent samples compared: ``b`` against ``a`` (the baseline).

    Attributes
    ----------
    mean_a, mean_b : float
        Sample means.
    mean_a_low, mean_a_high, mean_b_low, mean_b_high : float
        Student-t CI of each mean.
    n_a, n_b : int
        Sample sizes.
    diff : float
        ``mean_b - mean_a``.
    diff_low, diff_high : float
        Welch CI of ``diff`` (unequal variances).
    rel : float
        ``mean_b / mean_a - 1``; NaN when ``mean_a == 0``.
    rel_low, rel_high : float
        CI of ``rel`` from :func:`ratio_of_means_ci`, minus 1; NaN when a mean is not
        positive or neither sample varies.
    p_value : float
        Two-sided Welch t-test p-value.
    alpha : float
        Two-sided level of the intervals.
    """

    mean_a: float
    mean_b: float
    mean_a_low: float
    mean_a_high: float
    mean_b_low: float
    mean_b_high: float
    n_a: int
    n_b: int
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    p_value: float
    alpha: float


@dataclass(frozen=True)
class SRMResult:
    """A sample-ratio-mismatch check: did the groups get the sizes the design promised?

    Attributes
    ----------
    observed : dict of str to int
        Units (users) counted in each group.
    expected_shares : dict of str to float
        The design's share of each group (summing to 1).
    expected : dict of str to float
        ``expected_shares * total``.
    statistic : float
        Pearson chi-square statistic.
    p_value : float
        Chi-square goodness-of-fit p-value (``k - 1`` degrees of freedom).
    alpha : float
        Alarm threshold.
    mismatch : bool
        True when ``p_value < alpha``: the split is broken and the comparison
        of those groups is not to be trusted until the cause is found.
    """

    observed: dict[str, int]
    expected_shares: dict[str, float]
    expected: dict[str, float]
    statistic: float
    p_value: float
    alpha: float
    mismatch: bool

    def sentence(self) -> str:
        """One sentence for a report: the observed and expected split, and the verdict."""
        total = sum(self.observed.values())
        split = " / ".join(
            f"{name} {n:,} ({n / total:.1%} vs {self.expected_shares[name]:.1%} expected)"
            for name, n in self.observed.items()
        )
        p = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.2g}"
        if self.mismatch:
            return f"Sample ratio mismatch: {split}; {p}. Do not trust this comparison until the cause is found."
        return f"No sample ratio mismatch: {split}; {p}."


def wilson_ci(successes, totals, alpha: float = 0.05):
    """Wilson score interval of a proportion, vectorised.

    The Wilson interval inverts the score test: for ``k`` successes of ``n``,
    ``p = k / n`` and ``z = Φ⁻¹(1 - alpha / 2)``, the bounds are
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. Unlike the Wald
    interval it stays inside [0, 1] and has width at ``p = 0`` or ``p = 1``.
    Computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Parameters
    ----------
    successes : int, array-like or pandas.Series
        Number of successes per group.
    totals : int, array-like or pandas.Series
        Number of trials per group; a total of 0 gives a NaN interval.
    alpha : float
        Two-sided level; the coverage is ``1 - alpha``.

    Returns
    -------
    tuple
        ``(low, high)``: floats for scalar input, arrays for arrays, Series
        (with the input's index) for Series.

    Raises
    ------
    ValueError
        A count is negative or successes exceed totals.
    """
    _check_alpha(alpha)
    s_arr, n_arr = np.asarray(successes, dtype=float), np.asarray(totals, dtype=float)
    if np.any(s_arr < 0) or np.any(n_arr < 0):
        raise ValueError(f"successes and totals must be non-negative; got {successes!r} of {totals!r}")
    if np.any(s_arr > n_arr):
        raise ValueError(f"successes exceed totals: {successes!r} of {totals!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(s_arr, n_arr, alpha=alpha, method="wilson")
    # The bounds are exactly 0 at k = 0 and 1 at k = n; keep rounding from moving them inside.
    low = np.where((s_arr == 0) & (n_arr > 0), 0.0, low)
    high = np.where((s_arr == n_arr) & (n_arr > 0), 1.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    index = next((x.index for x in (successes, totals) if isinstance(x, pd.Series)), None)
    if index is not None:
        return pd.Series(low, index=index), pd.Series(high, index=index)
    return low, high


def two_proportions(s1: int, n1: int, s2: int, n2: int, alpha: float = 0.05) -> ProportionComparison:
    """Compare two independent proportions: difference, relative change, their CIs and a p-value.

    Definitions (group 1 is the baseline):

    - ``p1 = s1 / n1``, ``p2 = s2 / n2``, ``diff = p2 - p1``,
      ``rel = p2 / p1 - 1``.
    - CI of ``diff``: Newcombe's hybrid score interval (Newcombe 1998,
      method 10), ``statsmodels ... confint_proportions_2indep(method="newcomb")``.
      It combines the two Wilson intervals, so it keeps its coverage near 0%
      and 100% and on small groups, where the Wald interval collapses to zero
      width (Fagerland, Lydersen & Laake 2015 recommend it); and it is closed
      form, so a reader can check it from the two Wilson intervals.
    - CI of ``rel``: the log interval of the risk ratio ``p2 / p1`` with 0.5
      added to each count and size (``compare="ratio", method="log-adjusted"``),
      minus 1; it stays finite when a count is 0. Both ``rel`` and its CI are
      NaN when ``p1 == 0`` (no relative change from nothing); the CI is NaN
      when both groups are all successes (the log interval degenerates to a
      point there).
    - p-value: the two-sided pooled two-proportion z-test (the score test,
      ``test_proportions_2indep(method="score", correction=False)``; equal to
      ``proportions_ztest`` and to Pearson's chi-square on the 2x2 table).
      When both groups are all failures or all successes the groups are
      identical and the p-value is 1.

    Parameters
    ----------
    s1, n1 : int
        Successes and size of group 1 (baseline: before, control).
    s2, n2 : int
        Successes and size of group 2 (after, treatment).
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    ProportionComparison

    Raises
    ------
    ValueError
        A group is empty, a count is negative, or successes exceed the group size.
    """
    _check_alpha(alpha)
    for name, s, n in (("group 1", s1, n1), ("group 2", s2, n2)):
        if n <= 0:
            raise ValueError(f"{name} has no members (n = {n}); a proportion needs at least one")
        if s < 0 or s > n:
            raise ValueError(f"{name}: successes must be between 0 and n = {n}; got {s}")
    p1, p2 = s1 / n1, s2 / n2
    # statsmodels compares its first group against its second: pass (2, 1) to get p2 - p1 and p2 / p1.
    # statsmodels also computes p1/p2 and odds ratios it does not return; 0/0 there is harmless.
    with np.errstate(divide="ignore", invalid="ignore"):
        diff_low, diff_high = confint_proportions_2indep(s2, n2, s1, n1, method=DIFF_CI_METHOD, alpha=alpha)
        if s1 == 0:
            rel = rel_low = rel_high = float("nan")
        elif s1 == n1 and s2 == n2:
            # Both groups all successes: the log interval has zero variance, a point claiming certainty.
            rel, rel_low, rel_high = 0.0, float("nan"), float("nan")
        else:
            ratio_low, ratio_high = confint_proportions_2indep(
                s2, n2, s1, n1, method=RATIO_CI_METHOD, compare="ratio", alpha=alpha
            )
            rel, rel_low, rel_high = p2 / p1 - 1, ratio_low - 1, ratio_high - 1
        if s1 + s2 in (0, n1 + n2):
            p_value = 1.0
        else:
            p_value = test_proportions_2indep(s2, n2, s1, n1, method="score", correction=False).pvalue
    return ProportionComparison(
        p1=p1,
        p2=p2,
        n1=int(n1),
        n2=int(n2),
        diff=p2 - p1,
        diff_low=float(diff_low),
        diff_high=float(diff_high),
        rel=float(rel),
        rel_low=float(rel_low),
        rel_high=float(rel_high),
        p_value=float(p_value),
        alpha=alpha,
    )


def median_difference(
    a, b, alpha: float = 0.05, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> MedianComparison:
    """Compare the medians of two independent samples with a bootstrap CI and a Mann-Whitney p-value.

    Definitions (``a`` is the baseline):

    - ``diff = median(b) - median(a)``, ``rel = median(b) / median(a) - 1``.
    - CIs: ``scipy.stats.bootstrap`` on the two samples, each resampled
      independently (not paired), ``n_resamples`` times; the same resamples
      give the CI of ``diff`` and of ``rel``. The percentile method is used:
      BCa's acceleration comes from a jackknife, which is unreliable for a
      median (a non-smooth statistic that barely moves when one value is
      left out). ``seed`` fixes the resamples, so a report is reproducible.
    - p-value: two-sided Mann-Whitney U test (:func:`mann_whitney`). It tests
      whether one sample tends to be larger than the other, which for
      durations shifted by a change is the question the median answers.

    Parameters
    ----------
    a, b : array-like
        The two samples (e.g. durations before and after), at least two values
        each (a bootstrap needs them); NaN is not allowed.
    alpha : float
        Two-sided level of the intervals.
    n_resamples : int
        Bootstrap resamples; the Monte Carlo error of the bounds shrinks with more.
    seed : int
        Seed of the resampling.

    Returns
    -------
    MedianComparison

    Raises
    ------
    ValueError
        A sample has fewer than two values or holds NaN.
    """
    _check_alpha(alpha)
    a, b = _sample(a, "a", minimum=2), _sample(b, "b", minimum=2)
    median_a, median_b = float(np.median(a)), float(np.median(b))

    def statistic(x, y, axis=-1):
        mx, my = np.median(x, axis=axis), np.median(y, axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.stack([my - mx, my / mx - 1])

    with np.errstate(divide="ignore", invalid="ignore"):  # rel is NaN/inf when median_a is 0
        result = sps.bootstrap(
            (a, b),
            statistic,
            n_resamples=n_resamples,
            confidence_level=1 - alpha,
            method="percentile",
            vectorized=True,
            paired=False,
            batch=max(1, 4_000_000 // (len(a) + len(b))),  # bounds memory to ~32 MB per batch
            rng=np.random.default_rng(seed),
        )
    low, high = result.confidence_interval
    _, p_value = mann_whitney(a, b)
    zero_base = median_a == 0
    nan = float("nan")
    return MedianComparison(
        median_a=median_a,
        median_b=median_b,
        n_a=len(a),
        n_b=len(b),
        diff=median_b - median_a,
        diff_low=float(low[0]),
        diff_high=float(high[0]),
        rel=nan if zero_base else median_b / median_a - 1,
        rel_low=nan if zero_base else float(low[1]),
        rel_high=nan if zero_base else float(high[1]),
        p_value=p_value,
        alpha=alpha,
        n_resamples=n_resamples,
    )


def mean_difference(a, b, alpha: float = 0.05, *, counts_a=None, counts_b=None) -> MeanComparison:
    """Compare the means of two independent samples: Welch's interval, and the interval of their ratio.

    Definitions (``a`` is the baseline), every sample given as values and, optionally, how many
    times each value occurs (``counts_*``, frequency weights: a value with count 3 is three
    observations; the result is the same as for the values repeated, so an engine can send
    ``(value, count)`` pairs instead of every row):

    - ``mean = Σ count·value / Σ count``; ``diff = mean(b) - mean(a)`` with Welch's interval
      (unequal variances, Welch-Satterthwaite degrees of freedom) and two-sided p-value,
      ``statsmodels.stats.weightstats.CompareMeans(b, a)``: ``tconfint_diff`` and ``ttest_ind``
      with ``usevar="unequal"`` (the numbers of ``scipy.stats.ttest_ind(b, a, equal_var=False)``).
    - Each mean's Student-t interval: ``DescrStatsW.tconfint_mean``.
    - ``rel = mean(b) / mean(a) - 1`` with the interval of :func:`ratio_of_means_ci` minus 1.

    Parameters
    ----------
    a, b : array-like
        The values of the two samples, no NaN; at least two observations each.
    alpha : float
        Two-sided level of the intervals.
    counts_a, counts_b : array-like of int, optional
        Occurrences of each value (non-negative whole numbers, same length as the values);
        1 each when omitted.

    Returns
    -------
    MeanComparison
        ``n_a``, ``n_b`` count observations (the sums of the counts).

    Raises
    ------
    ValueError
        A sample has fewer than two observations or holds NaN, or its counts are invalid.
    """
    _check_alpha(alpha)
    (a, w_a), (b, w_b) = _weighted(a, counts_a, "a", minimum=2), _weighted(b, counts_b, "b", minimum=2)
    d_a, d_b = DescrStatsW(a, weights=w_a), DescrStatsW(b, weights=w_b)
    welch = CompareMeans(d_b, d_a)
    with np.errstate(divide="ignore", invalid="ignore"):  # no spread in either sample: NaN interval and p
        diff_low, diff_high = welch.tconfint_diff(alpha=alpha, usevar="unequal")
        p_value = welch.ttest_ind(usevar="unequal")[1]
    low_a, high_a = d_a.tconfint_mean(alpha=alpha)
    low_b, high_b = d_b.tconfint_mean(alpha=alpha)
    ratio_low, ratio_high = ratio_of_means_ci(a, b, alpha=alpha, counts_a=w_a, counts_b=w_b)
    mean_a, mean_b = float(d_a.mean), float(d_b.mean)
    return MeanComparison(
        mean_a=mean_a,
        mean_b=mean_b,
        mean_a_low=float(low_a),
        mean_a_high=float(high_a),
        mean_b_low=float(low_b),
        mean_b_high=float(high_b),
        n_a=int(w_a.sum()),
        n_b=int(w_b.sum()),
        diff=mean_b - mean_a,
        diff_low=float(diff_low),
        diff_high=float(diff_high),
        rel=float("nan") if mean_a == 0 else mean_b / mean_a - 1,
        rel_low=ratio_low - 1,
        rel_high=ratio_high - 1,
        p_value=float(p_value),
        alpha=alpha,
    )


def ratio_of_means_ci(a, b, alpha: float = 0.05, *, counts_a=None, counts_b=None) -> tuple[float, float]:
    """Confidence interval of ``mean(b) / mean(a)`` for two independent samples.

    Fitted as a GLM (``statsmodels``, Gaussian family, log link) of the values on a group
    indicator, with the counts as frequency weights (``freq_weights``): the indicator's
    coefficient is ``log(mean(b) / mean(a))``; its Wald interval with the
    heteroscedasticity-robust sandwich covariance (``cov_type="HC0"``: each group keeps its
    own variance; statsmodels applies no small-sample factor to a GLM's sandwich, so its
    ``"HC1"`` gives the same numbers) is exponentiated. This is the delta-method interval of
    the log ratio, ``log(m_b / m_a) ± z·sqrt(s²_a / (n_a m_a²) + s²_b / (n_b m_b²))`` with
    ``s²`` the variance with divisor ``n``, so it stays positive and is asymmetric like the
    ratio itself. Frequency weights give exactly the fit of the values repeated.

    Parameters
    ----------
    a, b : array-like
        Values of the baseline and the comparison sample (at least two observations each).
    alpha : float
        Two-sided level.
    counts_a, counts_b : array-like of int, optional
        Occurrences of each value, as in :func:`mean_difference`.

    Returns
    -------
    tuple of float
        ``(low, high)`` of the ratio; NaN when a mean is not positive or neither sample varies.

    Raises
    ------
    ValueError
        A sample has fewer than two observations or holds NaN, or its counts are invalid.
    """
    _check_alpha(alpha)
    (a, w_a), (b, w_b) = _weighted(a, counts_a, "a", minimum=2), _weighted(b, counts_b, "b", minimum=2)
    mean_a, mean_b = np.average(a, weights=w_a), np.average(b, weights=w_b)
    if mean_a <= 0 or mean_b <= 0 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return float("nan"), float("nan")  # no ratio, or no spread to estimate its uncertainty from
    y = np.concatenate([a, b])
    x = sm.add_constant(np.concatenate([np.zeros(len(a)), np.ones(len(b))]))
    model = sm.GLM(y, x, family=sm.families.Gaussian(link=sm.families.links.Log()),
                   freq_weights=np.concatenate([w_a, w_b]))
    fit = model.fit(start_params=np.log([mean_a, mean_b / mean_a]), cov_type="HC0")
    low, high = np.asarray(fit.conf_int(alpha=alpha))[1]
    return float(np.exp(low)), float(np.exp(high))


@dataclass(frozen=True)
class ClusterSums:
    """Sufficient statistics of a ratio metric in one group of randomised users (clusters).

    User ``i`` contributes a numerator ``y_i`` (e.g. checked-out carts, money paid) and a
    denominator ``n_i`` (e.g. carts), both summed over that user's units. Users with no unit
    count, with ``y_i = n_i = 0``.

    Attributes
    ----------
    users : int
        ``m``, users in the group.
    sum_y, sum_n : float
        ``Σ y_i`` and ``Σ n_i`` over users.
    sum_yy, sum_nn, sum_yn : float
        ``Σ y_i²``, ``Σ n_i²`` and ``Σ y_i n_i`` over users.
    """

    users: int
    sum_y: float
    sum_n: float
    sum_yy: float
    sum_nn: float
    sum_yn: float

    @property
    def ratio(self) -> float:
        """``Σ y / Σ n``; NaN when ``Σ n == 0``."""
        return self.sum_y / self.sum_n if self.sum_n else float("nan")


@dataclass(frozen=True)
class RatioComparison:
    """A ratio metric ``Σ y / Σ n`` of users randomised into two groups, ``b`` against ``a`` (the baseline).

    Attributes
    ----------
    ratio_a, ratio_b : float
        ``R = Σ y / Σ n`` of each group (a rate when ``y`` counts successes among ``n`` units).
    se_a, se_b : float
        Delta-method standard error of each ratio, clustered by user.
    ratio_a_low, ratio_a_high, ratio_b_low, ratio_b_high : float
        Wald interval of each ratio, ``R ± z·se``.
    users_a, users_b : int
        Users (clusters) in each group.
    units_a, units_b : float
        ``Σ n`` of each group (e.g. carts).
    diff : float
        ``ratio_b - ratio_a``.
    diff_low, diff_high : float
        Wald interval of ``diff``, ``diff ± z·sqrt(se_a² + se_b²)``.
    rel : float
        ``ratio_b / ratio_a - 1``; NaN when ``ratio_a == 0``.
    rel_low, rel_high : float
        Delta-method interval of the log ratio, exponentiated, minus 1; NaN when a ratio is not positive.
    p_value : float
        Two-sided z-test of ``diff == 0``.
    alpha : float
        Two-sided level of the intervals.
    """

    ratio_a: float
    ratio_b: float
    se_a: float
    se_b: float
    ratio_a_low: float
    ratio_a_high: float
    ratio_b_low: float
    ratio_b_high: float
    users_a: int
    users_b: int
    units_a: float
    units_b: float
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    p_value: float
    alpha: float

    @property
    def diff_se(self) -> float:
        """Standard error of ``diff``."""
        return float(np.hypot(self.se_a, self.se_b))


def ratio_metric_se(sums: ClusterSums) -> float:
    """Delta-method standard error of a ratio metric ``R = Σ y / Σ n`` over ``m`` independent users.

    With ``ȳ = Σ y / m`` and ``n̄ = Σ n / m``, the first-order (delta-method) variance of
    ``R = ȳ / n̄`` is ``(s²_y - 2 R s_yn + R² s²_n) / (m n̄²)``, with the sample variances and
    covariance (divisor ``m - 1``) of the users' ``y_i`` and ``n_i`` (Deng, Knoblich & Lu 2018,
    section 3). Because ``Σ (y_i - R n_i) = 0``, this is the variance of the users' residuals
    ``y_i - R n_i``, computed from the sums as

        ``Var(R) = (Σ y² - 2 R Σ yn + R² Σ n²) · m / ((m - 1) · (Σ n)²)``.

    Parameters
    ----------
    sums : ClusterSums
        The group's sufficient statistics; at least two users and ``Σ n > 0``.

    Returns
    -------
    float
        The standard error (0 when every user's residual is 0).

    Raises
    ------
    ValueError
        Fewer than two users, ``Σ n`` not positive, or negative sums of squares.
    """
    m = sums.users
    if m < 2:
        raise ValueError(f"a ratio metric's variance needs at least two users; got {m}")
    if not sums.sum_n > 0:
        raise ValueError(f"the denominator sums to {sums.sum_n:g}; a ratio needs a positive denominator")
    if sums.sum_yy < 0 or sums.sum_nn < 0:
        raise ValueError(f"sums of squares must be non-negative; got Σy² = {sums.sum_yy:g}, Σn² = {sums.sum_nn:g}")
    r = sums.sum_y / sums.sum_n
    residual = sums.sum_yy - 2 * r * sums.sum_yn + r * r * sums.sum_nn
    # Rounding can leave a tiny negative residual sum where every residual is 0.
    scale = sums.sum_yy + r * r * sums.sum_nn
    residual = 0.0 if residual < 1e-12 * scale else residual
    return float(np.sqrt(residual * m / ((m - 1) * sums.sum_n**2)))


def ratio_metric_difference(a: ClusterSums, b: ClusterSums, alpha: float = 0.05) -> RatioComparison:
    """Compare a ratio metric between two groups of randomised users, with intervals clustered by user.

    When users are randomised but the metric counts smaller units (cart conversion =
    checked-out carts / carts; average order value = money paid / orders), the units of one
    user are correlated and a unit-level binomial or t interval is too narrow. The delta method
    treats the metric as the ratio of two per-user means, ``R = ȳ / n̄``, and needs only each
    group's sums over users (:class:`ClusterSums`; Deng, Knoblich & Lu, "Applying the Delta
    Method in Metric Analytics: A Practical Guide with Novel Ideas", KDD 2018):

    - ``Var(R)`` per group from :func:`ratio_metric_se`;
    - ``diff = R_b - R_a`` with the Wald interval ``diff ± z·sqrt(Var(R_a) + Var(R_b))`` and the
      two-sided z-test p-value (groups are independent);
    - ``rel = R_b / R_a - 1`` from the delta method on the log ratio:
      ``Var(log R_b - log R_a) = Var(R_a) / R_a² + Var(R_b) / R_b²``, the interval
      ``exp(log(R_b / R_a) ± z·sd) - 1``, asymmetric and above -1 like the ratio itself.

    With one unit per user the interval of ``diff`` is the Wald interval of two proportions
    (up to the factor ``m / (m - 1)``); with several correlated units per user it widens by
    the design effect. Needs enough users for the normal approximation (tens per group).

    Parameters
    ----------
    a, b : ClusterSums
        Sums of the baseline (control) and the comparison (treatment) group.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    RatioComparison

    Raises
    ------
    ValueError
        A group has fewer than two users or no denominator (see :func:`ratio_metric_se`).
    """
    _check_alpha(alpha)
    z = float(sps.norm.isf(alpha / 2))
    try:
        se_a = ratio_metric_se(a)
    except ValueError as exc:
        raise ValueError(f"group a: {exc}") from None
    try:
        se_b = ratio_metric_se(b)
    except ValueError as exc:
        raise ValueError(f"group b: {exc}") from None
    r_a, r_b = a.ratio, b.ratio
    diff, se = r_b - r_a, float(np.hypot(se_a, se_b))
    if se > 0:
        p_value = float(2 * sps.norm.sf(abs(diff) / se))
    else:
        p_value = 1.0 if diff == 0 else 0.0
    nan = float("nan")
    rel = r_b / r_a - 1 if r_a != 0 else nan
    rel_low = rel_high = nan
    if r_a > 0 and r_b > 0:
        log_sd = float(np.sqrt((se_a / r_a) ** 2 + (se_b / r_b) ** 2))
        rel_low = float(np.exp(np.log(r_b / r_a) - z * log_sd) - 1)
        rel_high = float(np.exp(np.log(r_b / r_a) + z * log_sd) - 1)
    return RatioComparison(
        ratio_a=float(r_a),
        ratio_b=float(r_b),
        se_a=se_a,
        se_b=se_b,
        ratio_a_low=float(r_a - z * se_a),
        ratio_a_high=float(r_a + z * se_a),
        ratio_b_low=float(r_b - z * se_b),
        ratio_b_high=float(r_b + z * se_b),
        users_a=int(a.users),
        users_b=int(b.users),
        units_a=float(a.sum_n),
        units_b=float(b.sum_n),
        diff=float(diff),
        diff_low=float(diff - z * se),
        diff_high=float(diff + z * se),
        rel=float(rel),
        rel_low=rel_low,
        rel_high=rel_high,
        p_value=p_value,
        alpha=alpha,
    )


def clustered_wilson_ci(rate: float, se: float, units: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson interval of a rate whose units are clustered, on its effective sample size.

    The effective sample size is the number of independent units that would give the rate
    its clustered standard error, ``n_eff = rate · (1 - rate) / se²``, capped at the actual
    ``units`` (a design effect below 1 is taken as 1); the Wilson interval of ``rate · n_eff``
    successes in ``n_eff`` trials then stays inside [0, 1] and keeps width at 0% and 100%
    (Korn & Graubard 1998, "Confidence intervals for proportions with small expected number
    of positive counts estimated from survey data").

    Parameters
    ----------
    rate : float
        The rate, between 0 and 1.
    se : float
        Its clustered standard error (:func:`ratio_metric_se`).
    units : float
        Units behind the rate (e.g. carts), more than 0.
    alpha : float
        Two-sided level.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1], a negative ``se`` or no units.
    """
    _check_alpha(alpha)
    if not 0 <= rate <= 1 or se < 0 or not units > 0:
        raise ValueError(f"need 0 <= rate <= 1, se >= 0 and units > 0; got {rate!r}, {se!r}, {units!r}")
    n_eff = float(units) if se == 0 else min(float(units), rate * (1 - rate) / se**2)
    if n_eff <= 0:  # rate 0 or 1 with a positive se cannot happen; keep the interval defined anyway
        n_eff = float(units)
    return wilson_ci(rate * n_eff, n_eff, alpha=alpha)


def users_needed(diff_se: float, users: int, effect: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Total users a two-group comparison needs to detect ``effect`` with the given power, at the same split.

    The standard error of a difference between two groups shrinks as ``1 / sqrt(users)`` when
    the users keep the same split, so from the current ``diff_se`` at ``users`` users:
    ``needed = users · diff_se² · (z_{1-alpha/2} + z_{power})² / effect²`` (the normal
    approximation of a two-sided z-test; e.g. ``(1.96 + 0.84)² = 7.85`` at 5% and 80%).

    Parameters
    ----------
    diff_se : float
        Standard error of the difference now.
    users : int
        Users (both groups) behind it.
    effect : float
        The absolute difference to detect (the observed one, or the smallest worth detecting).
    alpha : float
        Two-sided level of the test.
    power : float
        Wanted chance of a significant result when the true difference is ``effect``.

    Returns
    -------
    float
        Users needed in total (both groups); ``inf`` when ``effect`` is 0, NaN when it is NaN.

    Raises
    ------
    ValueError
        ``power`` not between 0 and 1, a negative ``diff_se`` or no users.
    """
    _check_alpha(alpha)
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1 (e.g. 0.8); got {power!r}")
    if diff_se < 0 or users <= 0:
        raise ValueError(f"need diff_se >= 0 and users > 0; got {diff_se!r}, {users!r}")
    if np.isnan(effect):
        return float("nan")
    if effect == 0:
        return float("inf")
    z = sps.norm.isf(alpha / 2) + sps.norm.ppf(power)
    return float(users * diff_se**2 * z**2 / effect**2)


def median_ci(values, alpha: float = 0.05) -> tuple[float, float]:
    """Distribution-free CI of one sample's median (``scipy.stats.quantile_test``, order statistics).

    Parameters
    ----------
    values : array-like
        The sample (at least one value, no NaN).
    alpha : float
        Two-sided level.

    Returns
    -------
    (low, high) : tuple of float
        May be infinite for very small samples, where no finite interval reaches the level.
    """
    _check_alpha(alpha)
    x = _sample(values, "values", minimum=1)
    ci = sps.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(confidence_level=1 - alpha)
    return float(ci.low), float(ci.high)


def mann_whitney(a, b) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test (``scipy.stats.mannwhitneyu``).

    ``U`` counts the pairs ``(x in a, y in b)`` with ``x > y``, ties counting
    one half; under "no difference" it is ``len(a) * len(b) / 2`` on average.
    scipy uses the exact distribution for small samples without ties and the
    normal approximation (with tie and continuity corrections) otherwise.

    Parameters
    ----------
    a, b : array-like
        The two samples; NaN is not allowed.

    Returns
    -------
    tuple of float
        ``(U of a, p_value)``.

    Raises
    ------
    ValueError
        A sample is empty or holds NaN.
    """
    a, b = _sample(a, "a"), _sample(b, "b")
    result = sps.mannwhitneyu(a, b, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def sample_ratio_mismatch(observed_counts, expected_shares, alpha: float = SRM_ALPHA) -> SRMResult:
    """Chi-square check that group sizes match the designed split (sample ratio mismatch, SRM).

    ``statistic = Σ (observed - expected)² / expected`` with
    ``expected = share * total``, compared to chi-square with ``k - 1``
    degrees of freedom (``scipy.stats.chisquare``). A mismatch is flagged
    when ``p < alpha``.

    Why ``alpha = 0.001``: an SRM means the assignment or logging is broken
    (a redirect that loses users, a crash in one arm, bots in one bucket),
    not a small effect, and real SRMs give p-values far below 0.001. The
    check runs on every experiment and every refresh, on large samples where
    the test is very sensitive, so a strict threshold keeps false alarms to
    one in a thousand healthy checks (Kohavi, Tang & Xu, *Trustworthy Online
    Controlled Experiments*, 2020; Fabijan et al., *Diagnosing Sample Ratio
    Mismatch*, KDD 2019).

    Parameters
    ----------
    observed_counts : mapping of str to int, or sequence of int
        Units counted per group, e.g. ``{"control": 9_440, "treatment": 560}``.
    expected_shares : mapping of str to float, or sequence of float
        Designed share per group, same keys (or same order), summing to 1,
        e.g. ``{"control": 0.95, "treatment": 0.05}``.
    alpha : float
        Alarm threshold.

    Returns
    -------
    SRMResult

    Raises
    ------
    ValueError
        Groups differ between the two arguments, fewer than two groups, a
        negative count, no units at all, or shares that are not positive or
        do not sum to 1.
    """
    _check_alpha(alpha)
    observed, shares = _labelled(observed_counts), _labelled(expected_shares)
    if set(observed) != set(shares):
        raise ValueError(
            f"observed groups {sorted(observed)} differ from the groups with an expected share {sorted(shares)}"
        )
    if len(observed) < 2:
        raise ValueError(f"a sample ratio check needs at least two groups; got {sorted(observed)}")
    names = list(observed)
    counts = np.array([observed[k] for k in names], dtype=float)
    share = np.array([shares[k] for k in names], dtype=float)
    if np.any(counts < 0):
        raise ValueError(f"observed counts must be non-negative; got {observed}")
    if counts.sum() == 0:
        raise ValueError("no units were observed in any group")
    if np.any(share <= 0) or not np.isclose(share.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"expected shares must be positive and sum to 1; got {shares} (sum {share.sum():g})")
    expected = share / share.sum() * counts.sum()
    result = sps.chisquare(counts, f_exp=expected)
    p_value = float(result.pvalue)
    return SRMResult(
        observed={k: int(observed[k]) for k in names},
        expected_shares={k: float(shares[k]) for k in names},
        expected=dict(zip(names, expected.tolist())),
        statistic=float(result.statistic),
        p_value=p_value,
        alpha=alpha,
        mismatch=p_value < alpha,
    )


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")


def _sample(values, name: str, minimum: int = 1) -> np.ndarray:
    """A 1-d float array of one sample, refusing samples smaller than ``minimum`` and NaN."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size < minimum:
        raise ValueError(f"sample {name} has {arr.size} value(s); at least {minimum} are needed")
    if np.isnan(arr).any():
        raise ValueError(f"sample {name} holds {int(np.isnan(arr).sum())} NaN value(s); drop them first")
    return arr


def _weighted(values, counts, name: str, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and their counts (1 each when ``counts`` is None) as float arrays; values counted 0 times are dropped."""
    arr = _sample(values, name, minimum=0)
    if counts is None:
        w = np.ones_like(arr)
    else:
        w = np.asarray(counts, dtype=float).ravel()
        if w.shape != arr.shape or np.any(~np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
            raise ValueError(
                f"counts of sample {name} must be {arr.size} whole numbers of 0 or more, one per value; got {counts!r}"
            )
        arr, w = arr[w > 0], w[w > 0]
    if w.sum() < minimum:
        raise ValueError(f"sample {name} has {int(w.sum())} value(s); at least {minimum} are needed")
    return arr, w


def _labelled(values) -> dict[str, float]:
    """Group name -> value from a mapping, a Series, or a sequence (names "0", "1", ...)."""
    if isinstance(values, pd.Series):
        values = values.to_dict()
    if isinstance(values, Mapping):
        return {str(k): v for k, v in values.items()}
    if isinstance(values, Sequence | np.ndarray) and not isinstance(values, str):
        return {str(i): v for i, v in enumerate(values)}
    raise ValueError(f"expected a mapping of group -> number or a sequence of numbers; got {values!r}")
