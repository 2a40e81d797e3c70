"""Means: Welch comparison of two means and the interval of their ratio, from values or from each sample's moments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

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


@dataclass(frozen=True)
class SampleMoments:
    """What a comparison of means needs of one sample: its size, mean and variance.

    Attributes
    ----------
    n : int
        Observations (at least two).
    mean : float
        ``Σ x / n``.
    var : float
        The sample variance, ``Σ (x - mean)² / (n - 1)`` (an engine's ``var_samp``).
    """

    n: int
    mean: float
    var: float

    @classmethod
    def of(cls, values, counts=None, name: str = "a") -> SampleMoments:
        """The moments of ``values``, each counted ``counts`` times (frequency weights; 1 each when omitted).

        Raises
        ------
        ValueError
            Fewer than two observations, NaN, or invalid counts.
        """
        x, w = _weighted(values, counts, name, minimum=2)
        n = w.sum()
        mean = float(np.sum(w * x) / n)
        return cls(int(n), mean, float(np.sum(w * (x - mean) ** 2) / (n - 1)))

    def checked(self, name: str) -> SampleMoments:
        """These moments, refused (ValueError naming the sample) when they cannot describe a sample."""
        if not (self.n >= 2 and np.isfinite(self.mean) and np.isfinite(self.var) and self.var >= 0):
            raise ValueError(f"sample {name} has {self.n} value(s), mean {self.mean!r} and variance {self.var!r}; "
                             "at least 2 values, a finite mean and a variance of 0 or more are needed")
        return self


def mean_difference(a, b, alpha: float = 0.05, *, counts_a=None, counts_b=None) -> MeanComparison:
    """Compare the means of two independent samples: Welch's interval, and the interval of their ratio.

    The samples are given as values and, optionally, how many times each value occurs
    (``counts_*``, frequency weights: a value with count 3 is three observations; the result is
    the same as for the values repeated, so an engine can send ``(value, count)`` pairs instead
    of every row). The definitions are those of :func:`mean_difference_of` on the samples'
    :class:`SampleMoments`.

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
    return mean_difference_of(SampleMoments.of(a, counts_a, "a"), SampleMoments.of(b, counts_b, "b"), alpha)


def mean_difference_of(a: SampleMoments, b: SampleMoments, alpha: float = 0.05) -> MeanComparison:
    """Compare two means from each sample's size, mean and variance (``a`` is the baseline).

    So an engine can send three numbers per sample instead of its rows. Definitions, with
    ``v`` the sample variance (divisor ``n - 1``) and ``se² = v_a / n_a + v_b / n_b``:

    - ``diff = mean(b) - mean(a)`` with Welch's interval ``diff ± t(1 - alpha/2, df) · se``,
      ``df`` by Welch-Satterthwaite, and the two-sided p-value of ``t = diff / se`` (the numbers
      of ``scipy.stats.ttest_ind(b, a, equal_var=False)``); NaN when neither sample varies.
    - Each mean's Student-t interval ``mean ± t(1 - alpha/2, n - 1) · sqrt(v / n)``.
    - ``rel = mean(b) / mean(a) - 1`` with the interval of :func:`ratio_of_means_ci` minus 1.

    Raises
    ------
    ValueError
        Moments that cannot describe a sample (fewer than two values, a negative variance, NaN).
    """
    _check_alpha(alpha)
    a, b = a.checked("a"), b.checked("b")
    q_a, q_b = a.var / a.n, b.var / b.n
    se = np.sqrt(q_a + q_b)
    diff = b.mean - a.mean
    if se > 0:
        df = (q_a + q_b) ** 2 / (q_a**2 / (a.n - 1) + q_b**2 / (b.n - 1))
        half = stats.t.ppf(1 - alpha / 2, df) * se
        diff_low, diff_high = diff - half, diff + half
        p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    else:  # no spread in either sample: no interval rather than a point claiming certainty
        diff_low = diff_high = p_value = float("nan")
    (low_a, high_a), (low_b, high_b) = _mean_interval(a, alpha), _mean_interval(b, alpha)
    ratio_low, ratio_high = _ratio_interval(a, b, alpha)
    return MeanComparison(
        mean_a=a.mean,
        mean_b=b.mean,
        mean_a_low=low_a,
        mean_a_high=high_a,
        mean_b_low=low_b,
        mean_b_high=high_b,
        n_a=a.n,
        n_b=b.n,
        diff=diff,
        diff_low=float(diff_low),
        diff_high=float(diff_high),
        rel=float("nan") if a.mean == 0 else b.mean / a.mean - 1,
        rel_low=ratio_low - 1,
        rel_high=ratio_high - 1,
        p_value=p_value,
        alpha=alpha,
    )


def _mean_interval(m: SampleMoments, alpha: float) -> tuple[float, float]:
    """Student-t interval of one mean."""
    half = stats.t.ppf(1 - alpha / 2, m.n - 1) * np.sqrt(m.var / m.n)
    return float(m.mean - half), float(m.mean + half)


def ratio_of_means_ci(a, b, alpha: float = 0.05, *, counts_a=None, counts_b=None) -> tuple[float, float]:
    """Confidence interval of ``mean(b) / mean(a)`` for two independent samples.

    The interval of a GLM (Gaussian family, log link) of the values on a group indicator,
    whose coefficient is ``log(mean(b) / mean(a))``, with the heteroscedasticity-robust
    sandwich covariance (``HC0``: each group keeps its own variance; statsmodels applies no
    small-sample factor to a GLM's sandwich, so ``HC1`` gives the same numbers), exponentiated.
    That fit has a closed form, which is what is computed: the delta-method interval of the log
    ratio, ``log(m_b / m_a) ± z·sqrt(s²_a / (n_a m_a²) + s²_b / (n_b m_b²))`` with ``s²`` the
    variance with divisor ``n``, so it stays positive and is asymmetric like the ratio itself
    (the tests check it against the fit on every row).

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
    return _ratio_interval(SampleMoments.of(a, counts_a, "a"), SampleMoments.of(b, counts_b, "b"), alpha)


def _ratio_interval(a: SampleMoments, b: SampleMoments, alpha: float) -> tuple[float, float]:
    """:func:`ratio_of_means_ci` from the samples' moments."""
    # a variance from counted moments (sums of squares) is rounding, not spread, below ~1e-12 of the mean squared
    if a.mean <= 0 or b.mean <= 0 or (a.var <= 1e-12 * a.mean**2 and b.var <= 1e-12 * b.mean**2):
        return float("nan"), float("nan")  # no ratio, or no spread to estimate its uncertainty from
    spread = (a.var * (a.n - 1) / a.n) / (a.n * a.mean**2) + (b.var * (b.n - 1) / b.n) / (b.n * b.mean**2)
    half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(spread)
    log_ratio = np.log(b.mean / a.mean)
    return float(np.exp(log_ratio - half)), float(np.exp(log_ratio + half))
