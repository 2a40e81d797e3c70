"""Proportions: Wilson intervals and the comparison of two proportions (difference and ratio)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

from uem_helpers.stats._checks import _check_alpha


#: Method of the CI of a difference of two proportions (see :func:`two_proportions`).
DIFF_CI_METHOD = "newcomb"


#: Method of the CI of a ratio of two proportions (see :func:`two_proportions`).
RATIO_CI_METHOD = "log-adjusted"


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
