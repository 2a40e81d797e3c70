"""Medians: bootstrap comparison of two medians, the interval of one median, the rank test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from uem_helpers.stats._checks import _check_alpha, _sample


#: Default number of bootstrap resamples in :func:`median_difference`.
N_RESAMPLES = 2000


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
