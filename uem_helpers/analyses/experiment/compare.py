"""Two groups compared: rates, medians and means in, a :class:`~uem_helpers.analyses.experiment.readout.Readout` out."""

from __future__ import annotations

import numpy as np

from uem_helpers import stats
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import N_

#: The test behind a median comparison's p-value, as the readout's sentence names it (translated there).
MANN_WHITNEY = N_("Mann-Whitney rank test")


def compare_rates(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    *,
    metric: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Readout:
    """Compare two rates given as counts (see :func:`uem_helpers.stats.two_proportions`).

    ``rate = successes / n`` per group; the effect is ``rate_b - rate_a``
    with Newcombe's interval, the relative effect ``rate_b / rate_a - 1``
    with the log-adjusted risk-ratio interval, and the pooled z-test p-value.

    Parameters
    ----------
    successes_a, n_a : int
        Successes and units of the baseline group.
    successes_b, n_b : int
        Successes and units of the comparison group.
    metric : str
        Name of the rate for the sentence, e.g. ``"abandonment"``.
    group_a, group_b : str
        Group names for the sentence.
    higher_is_better : bool, optional
        Whether a higher rate is good news (feeds :attr:`Readout.verdict`).
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    Readout

    Raises
    ------
    ParameterError
        A group has no units, or its successes are negative or exceed its units.
    """
    for group, s, n in ((group_a, successes_a, n_a), (group_b, successes_b, n_b)):
        if n <= 0:
            raise ParameterError(f"{metric}: group '{group}' has no units (n = {n}); a rate needs at least one")
        if not 0 <= s <= n:
            raise ParameterError(f"{metric}: group '{group}' has {s} successes of {n} units; expected 0 to {n}")
    r = stats.two_proportions(successes_a, n_a, successes_b, n_b, alpha=alpha)
    (low_a, low_b), (high_a, high_b) = stats.wilson_ci(
        np.array([successes_a, successes_b]), np.array([n_a, n_b]), alpha=alpha
    )
    return _readout(
        r, metric=metric, kind="rate", unit="%", groups=(group_a, group_b), higher_is_better=higher_is_better,
        alpha=alpha, values=(r.p1, r.p2), ns=(r.n1, r.n2),
        intervals=((float(low_a), float(high_a)), (float(low_b), float(high_b))),
    )


def compare_medians(
    values_a,
    values_b,
    *,
    metric: str,
    unit: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    n_resamples: int = stats.N_RESAMPLES,
    seed: int = 0,
) -> Readout:
    """Compare the medians of two samples (see :func:`uem_helpers.stats.median_difference`).

    The effect is ``median(b) - median(a)`` and the relative effect
    ``median(b) / median(a) - 1``, both with percentile bootstrap intervals
    (seeded, so reproducible); the p-value is the two-sided Mann-Whitney U test. The verdict
    follows the bootstrap interval; the rank test, another method, is reported with its own
    verdict (``Readout.p_test``), so the sentence never pairs one method's interval with the
    other's p-value.

    Parameters
    ----------
    values_a, values_b : array-like
        Values of the baseline and the comparison group (at least two each, no NaN).
    metric : str
        Name for the sentence, e.g. ``"median opening time"``.
    unit : str
        Unit of the values, e.g. ``"min"``, ``"s"``, ``"¥"``.
    group_a, group_b : str
        Group names for the sentence.
    higher_is_better : bool, optional
        Whether a higher value is good news.
    alpha : float
        Two-sided level of the intervals.
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    Readout

    Raises
    ------
    ParameterError
        A group has fewer than two values, or holds NaN.
    """
    samples = _two_samples(metric, "median", {group_a: values_a, group_b: values_b})
    r = stats.median_difference(samples[group_a], samples[group_b], alpha=alpha, n_resamples=n_resamples, seed=seed)
    ci_a, ci_b = (stats.median_ci(samples[g], alpha=alpha) for g in (group_a, group_b))
    return _readout(
        r, metric=metric, kind="median", unit=unit, groups=(group_a, group_b), higher_is_better=higher_is_better,
        alpha=alpha, values=(r.median_a, r.median_b), ns=(r.n_a, r.n_b), intervals=(ci_a, ci_b),
        p_test=MANN_WHITNEY,
    )


def compare_means(
    values_a,
    values_b,
    *,
    metric: str,
    unit: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    counts_a=None,
    counts_b=None,
) -> Readout:
    """Compare the means of two samples (see :func:`uem_helpers.stats.mean_difference`).

    The effect is ``mean(b) - mean(a)`` with Welch's interval and p-value; the relative effect
    ``mean(b) / mean(a) - 1`` with the interval of the ratio of means
    (:func:`uem_helpers.stats.ratio_of_means_ci`: log-link GLM, robust covariance); each
    group's mean carries its Student-t interval.

    Parameters
    ----------
    values_a, values_b : array-like
        Values of the baseline and the comparison group (at least two observations each, no NaN).
    metric, unit, group_a, group_b, higher_is_better, alpha
        As in :func:`compare_medians`.
    counts_a, counts_b : array-like of int, optional
        How many times each value occurs (frequency weights), so an engine can send
        ``(value, count)`` pairs instead of every row; 1 each when omitted.

    Returns
    -------
    Readout
        ``n_a``, ``n_b`` count observations.

    Raises
    ------
    ParameterError
        A group has fewer than two observations, holds NaN, or has invalid counts.
    """
    try:
        a, b = stats.SampleMoments.of(values_a, counts_a, "a"), stats.SampleMoments.of(values_b, counts_b, "b")
    except ValueError as exc:
        raise ParameterError(f"{metric}: {_named(exc, group_a, group_b)}") from None
    return compare_moments(a, b, metric=metric, unit=unit, group_a=group_a, group_b=group_b,
                           higher_is_better=higher_is_better, alpha=alpha)


def compare_moments(
    a: stats.SampleMoments,
    b: stats.SampleMoments,
    *,
    metric: str,
    unit: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Readout:
    """:func:`compare_means` from each group's size, mean and sample variance (an engine's count, mean, var_samp).

    Parameters
    ----------
    a, b : SampleMoments
        The baseline and the comparison group.
    metric, unit, group_a, group_b, higher_is_better, alpha
        As in :func:`compare_means`.

    Raises
    ------
    ParameterError
        A group has fewer than two observations, or moments that no sample has.
    """
    try:
        r = stats.mean_difference_of(a, b, alpha=alpha)
    except ValueError as exc:
        raise ParameterError(f"{metric}: {_named(exc, group_a, group_b)}") from None
    return _readout(
        r, metric=metric, kind="mean", unit=unit, groups=(group_a, group_b), higher_is_better=higher_is_better,
        alpha=alpha, values=(r.mean_a, r.mean_b), ns=(r.n_a, r.n_b),
        intervals=((r.mean_a_low, r.mean_a_high), (r.mean_b_low, r.mean_b_high)),
    )


def _named(exc: ValueError, group_a: str, group_b: str) -> str:
    """A statistics error with the samples called by their groups' names."""
    return str(exc).replace("sample a", f"group '{group_a}'").replace("sample b", f"group '{group_b}'")


def _two_samples(metric: str, statistic: str, groups: dict[str, object]) -> dict[str, np.ndarray]:
    """Each group's values as a float array, refusing fewer than two values or NaN."""
    samples = {}
    for group, values in groups.items():
        arr = np.asarray(values, dtype=float).ravel()
        if arr.size < 2 or np.isnan(arr).any():
            raise ParameterError(
                f"{metric}: group '{group}' has {arr.size} value(s) ({int(np.isnan(arr).sum())} NaN); "
                f"a {statistic} comparison needs at least two values per group and no NaN"
            )
        samples[group] = arr
    return samples


def _readout(r, *, metric: str, kind: str, unit: str, groups: tuple[str, str], higher_is_better: bool | None,
             alpha: float, values: tuple, ns: tuple, intervals: tuple, p_test: str = "") -> Readout:
    """The Readout of a comparison from :mod:`uem_helpers.stats` (rates, medians, means, and the ratio metrics).

    The difference, relative change, their intervals and the p-value come from ``r``; each group's value, size
    and own interval are given as ``(a, b)`` pairs (``intervals`` as ``((low_a, high_a), (low_b, high_b))``).
    """
    (value_a, value_b), (n_a, n_b), ((low_a, high_a), (low_b, high_b)) = values, ns, intervals
    return Readout(
        metric=metric,
        kind=kind,
        group_a=groups[0],
        group_b=groups[1],
        value_a=value_a,
        value_b=value_b,
        n_a=n_a,
        n_b=n_b,
        abs_effect=r.diff,
        rel_effect=r.rel,
        ci_low=r.diff_low,
        ci_high=r.diff_high,
        rel_ci_low=r.rel_low,
        rel_ci_high=r.rel_high,
        p_value=r.p_value,
        alpha=alpha,
        unit=unit,
        higher_is_better=higher_is_better,
        value_a_low=low_a,
        value_a_high=high_a,
        value_b_low=low_b,
        value_b_high=high_b,
        p_test=p_test,
    )
