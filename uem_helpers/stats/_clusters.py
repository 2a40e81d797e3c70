"""Ratio metrics clustered by user: per-user sums, delta-method standard errors and comparisons
(Deng et al. 2018), and Wilson intervals widened for clustering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from uem_helpers.stats._checks import _check_alpha
from uem_helpers.stats._proportions import wilson_ci


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
