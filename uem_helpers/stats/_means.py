"""Means: Welch comparison of two means and the interval of their ratio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from uem_helpers.stats._checks import _check_alpha, _weighted


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
