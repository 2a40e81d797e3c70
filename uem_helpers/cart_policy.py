"""A shipping policy judged on carts: bunching at a free-shipping threshold, and before/after impact.

Carts are placed before or after the launch by ``created_at`` (windows of
:func:`uem_helpers.experiment.split_before_after`); the definitions of
checked out, AOV and revenue per cart are those of :mod:`uem_helpers.cart`.

Bunching
--------
Under "free shipping over T" customers whose cart falls a little short of T
add items to pass it, so after the launch there are more carts just above T
and fewer just below. The **excess mass** is the share of carts with a value
in the band ``[T, T + band)`` after the launch minus that share before it,
with Newcombe's interval on the difference (:func:`uem_helpers.experiment.compare_rates`).
The before-launch distribution is the counterfactual: this is the simplest
estimate a reader can check by hand, and it needs no model of the density;
it also counts any general growth of baskets after the launch into the band,
so it is an upper estimate of the top-ups when baskets grow. The **topped-up
share** is the excess carts over the carts within reach of the threshold
after the launch: ``excess / (carts in [T - reach, T) after + excess)``, the
share of carts that were short of T by less than ``reach`` and were topped up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm

from .cart import cart_table
from .errors import ParameterError
from .experiment import Readout, before_after_rate, compare_means, compare_rates, split_before_after


@dataclass(frozen=True)
class Bunching:
    """Cart values around a free-shipping threshold, before vs after the launch.

    Attributes
    ----------
    threshold, band, reach : float
        The threshold ``T``, the band ``[T, T + band)`` above it and the reach ``[T - reach, T)`` below it.
    histogram : pandas.DataFrame
        ``group`` (before/after), ``bin_low`` (left edge), ``carts`` and ``share`` (of the group's
        carts) per value bin around the threshold.
    excess : Readout
        Share of carts in the band, after vs before; ``abs_effect`` is the excess mass.
    topped_up_share : float
        Estimated share of carts within reach of the threshold that were topped up (NaN when undefined).
    """

    threshold: float
    band: float
    reach: float
    histogram: pd.DataFrame
    excess: Readout
    topped_up_share: float

    def sentence(self) -> str:
        """The excess mass with its interval, and the topped-up share."""
        r = self.excess
        level = f"{100 * (1 - r.alpha):g}%"

        def pts(x: float) -> str:
            return f"{100 * x:+.1f}".replace("-", "\u2212")

        topped = (f" About {self.topped_up_share:.0%} of the carts that came within {self.reach:g} of the "
                  "threshold were topped up to pass it." if np.isfinite(self.topped_up_share) else "")
        return (
            f"Carts valued {self.threshold:g} to {self.threshold + self.band:g} made up {r.value_b:.1%} of carts after "
            f"the launch vs {r.value_a:.1%} before: an excess of {pts(r.abs_effect)} pts ({level} CI "
            f"{pts(r.ci_low)} to {pts(r.ci_high)}).{topped}"
        )


def threshold_bunching(
    carts: ibis.Table,
    threshold: float,
    launch_date: object,
    *,
    band: float = 10.0,
    reach: float = 19.0,
    bin_width: float = 2.0,
    span: float = 60.0,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> Bunching:
    """Bunching of cart values just above a free-shipping threshold (see the module docstring).

    Parameters
    ----------
    carts : ibis.Table
        Canonical carts.
    threshold : float
        Free shipping from this cart value on.
    launch_date : date-like
        When the policy went live.
    band : float
        Width of the band above the threshold whose share is compared.
    reach : float
        How far below the threshold a cart counts as within reach of it.
    bin_width, span : float
        The histogram covers ``[threshold - span, threshold + span)`` in bins of ``bin_width``.
    period_start, period_end, alpha
        Period of cart creation and the level of the interval.

    Returns
    -------
    Bunching

    Raises
    ------
    ParameterError
        A non-positive width, or no cart before or after the launch.
    """
    if min(band, reach, bin_width, span) <= 0:
        raise ParameterError(f"band, reach, bin_width and span must be positive; got {band}, {reach}, {bin_width}, {span}")
    t = cart_table(carts)
    before, after = split_before_after(t, "created_at", launch_date, period_start=period_start, period_end=period_end)
    t = before.mutate(group=ibis.literal("before")).union(after.mutate(group=ibis.literal("after")))
    value = t.cart_value.cast("float64")
    in_band = ((value >= threshold) & (value < threshold + band)).cast("int64")
    in_reach = ((value >= threshold - reach) & (value < threshold)).cast("int64")
    low = threshold - span
    t = t.mutate(_bin=((value - low) / bin_width).floor().cast("int64"), _band=in_band, _reach=in_reach)
    groups = t.group_by("group").aggregate(n=t.count(), band=t._band.sum(), reach=t._reach.sum()).execute()
    shown = t.filter((t._bin >= 0) & (value < threshold + span))
    hist = shown.group_by(["group", "_bin"]).aggregate(carts=shown.count()).execute()
    g = {row.group: row for row in groups.itertuples()}
    for side in ("before", "after"):
        if side not in g or int(g[side].n) == 0:
            raise ParameterError(f"threshold bunching: no cart was created {side} the launch date {launch_date}")
    n_a, n_b = int(g["before"].n), int(g["after"].n)
    excess = compare_rates(int(g["before"].band), n_a, int(g["after"].band), n_b,
                           metric=f"share of carts valued {threshold:g} to {threshold + band:g}", alpha=alpha)
    extra = excess.abs_effect * n_b
    within = int(g["after"].reach) + extra
    topped = extra / within if extra > 0 and within > 0 else float("nan")
    n_bins = int(np.ceil(2 * span / bin_width))
    grid = pd.MultiIndex.from_product([["before", "after"], range(n_bins)], names=["group", "_bin"])
    hist = hist.set_index(["group", "_bin"])["carts"].reindex(grid, fill_value=0).reset_index()
    hist["carts"] = hist["carts"].astype("int64")
    hist["share"] = hist["carts"] / hist["group"].map({"before": n_a, "after": n_b})
    hist["bin_low"] = low + hist["_bin"] * bin_width
    return Bunching(float(threshold), float(band), float(reach), hist[["group", "bin_low", "carts", "share"]],
                    excess, float(topped))


@dataclass(frozen=True)
class PolicyImpact:
    """Cart conversion, average order value and revenue per cart, before vs after a launch."""

    conversion: Readout
    aov: Readout
    revenue_per_cart: Readout

    def readouts(self) -> list[Readout]:
        """The three readouts in reading order."""
        return [self.conversion, self.aov, self.revenue_per_cart]


def policy_impact(
    carts: ibis.Table,
    launch_date: object,
    *,
    unit: str = "¥",
    guard_days: int = 0,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> PolicyImpact:
    """Before/after the launch: cart conversion, AOV and revenue per cart, each with absolute and relative CIs.

    - conversion = checked-out carts / carts (:func:`uem_helpers.experiment.before_after_rate`);
    - AOV = mean order value of checked-out carts; revenue per cart = mean over all carts of the
      order value, 0 when abandoned. Both use :func:`uem_helpers.experiment.compare_means`
      (Welch's interval on the difference), plus the interval of the relative change from
      :func:`ratio_of_means_ci`.

    Returns
    -------
    PolicyImpact

    Raises
    ------
    ParameterError
        A window has no cart, or fewer than two checked-out carts for the AOV.
    """
    t = cart_table(carts)
    windows = dict(guard_days=guard_days, period_start=period_start, period_end=period_end)
    conversion = before_after_rate(t, "created_at", "checked_out", launch_date, metric="cart conversion",
                                   higher_is_better=True, alpha=alpha, **windows)
    before, after = split_before_after(t, "created_at", launch_date, **windows)
    rows = before.select("paid", "checked_out", group=ibis.literal("before")).union(
        after.select("paid", "checked_out", group=ibis.literal("after"))).execute()
    means = {}
    for metric, rows_used in (("average order value", rows[rows["checked_out"]]), ("revenue per cart", rows)):
        a = np.sort(rows_used.loc[rows_used["group"] == "before", "paid"].to_numpy(float))
        b = np.sort(rows_used.loc[rows_used["group"] == "after", "paid"].to_numpy(float))
        readout = compare_means(a, b, metric=metric, unit=unit, higher_is_better=True, alpha=alpha)
        low, high = ratio_of_means_ci(a, b, alpha=alpha)
        means[metric] = dataclasses.replace(readout, rel_ci_low=low - 1, rel_ci_high=high - 1)
    return PolicyImpact(conversion, means["average order value"], means["revenue per cart"])


def ratio_of_means_ci(a, b, alpha: float = 0.05) -> tuple[float, float]:
    """Confidence interval of ``mean(b) / mean(a)`` for two independent samples.

    Fitted as a GLM (``statsmodels``, Gaussian family, log link) of the values on a group
    indicator: the indicator's coefficient is ``log(mean(b) / mean(a))``; its Wald interval with
    the heteroscedasticity-robust HC1 sandwich covariance (each group keeps its own variance) is
    exponentiated. This is the delta-method interval of the log ratio, so it stays positive and
    is asymmetric like the ratio itself.

    Parameters
    ----------
    a, b : array-like
        Baseline and comparison samples (at least two values each, positive means).
    alpha : float
        Two-sided level.

    Returns
    -------
    tuple of float
        ``(low, high)`` of the ratio; NaN when a mean is not positive or both samples are constant.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.mean() <= 0 or b.mean() <= 0 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return float("nan"), float("nan")  # no ratio, or no spread to estimate its uncertainty from
    y = np.concatenate([a, b])
    x = sm.add_constant(np.concatenate([np.zeros(len(a)), np.ones(len(b))]))
    model = sm.GLM(y, x, family=sm.families.Gaussian(link=sm.families.links.Log()))
    fit = model.fit(start_params=np.log([a.mean(), b.mean() / a.mean()]), cov_type="HC1")
    low, high = np.asarray(fit.conf_int(alpha=alpha))[1]
    return float(np.exp(low)), float(np.exp(high))
