"""A shipping policy judged on carts: bunching at a free-shipping threshold, and its impact before/after or A/B.

Carts are placed before or after the launch by ``created_at`` (windows of
:func:`uem_helpers.analyses.experiment.split_before_after`), or, when the policy was
tested on a share of users, in the variant of their user's assignment
(:func:`policy_impact` with ``experiment``); the definitions of checked out,
AOV and revenue per cart are those of :mod:`uem_helpers.analyses.cart.table`.

Bunching
--------
Under "free shipping over T" customers whose cart falls a little short of T
add items to pass it, so after the launch there are more carts just above T
and fewer just below. The **excess mass** is the share of carts with a value
in the band ``[T, T + band)`` after the launch minus that share before it,
with Newcombe's interval on the difference (:func:`uem_helpers.analyses.experiment.compare_rates`).
The before-launch distribution is the counterfactual: this is the simplest
estimate a reader can check by hand, and it needs no model of the density;
it also counts any general growth of baskets after the launch into the band,
so it is an upper estimate of the top-ups when baskets grow. The **topped-up
share** is the excess carts over the carts within reach of the threshold
after the launch: ``excess / (carts in [T - reach, T) after + excess)``, the
share of carts that were short of T by less than ``reach`` and were topped up.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from uem_helpers.core.formats import percent, signed_points
from uem_helpers.core.i18n import N_, _, sentences
from uem_helpers.analyses.cart.table import Carts
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment import (
    RatioMetric, before_after_label, compare_moments, compare_rates, variant_ratios,
)
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.stats import SRM_ALPHA, SampleMoments, SRMResult


#: The policy's metrics, as a reader sees them (translated where shown).
CART_CONVERSION = N_("cart conversion")
AVERAGE_ORDER_VALUE = N_("average order value")
REVENUE_PER_CART = N_("revenue per cart")


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
        text = _("Carts valued {low} to {high} made up {after} of carts after the launch vs {before} before: an "
                 "excess of {excess} ({level} CI {ci_low} to {ci_high}).").format(
            low=f"{self.threshold:g}", high=f"{self.threshold + self.band:g}", after=percent(r.value_b, 1),
            before=percent(r.value_a, 1), excess=signed_points(r.abs_effect), level=f"{100 * (1 - r.alpha):g}%",
            ci_low=signed_points(r.ci_low, unit=""), ci_high=signed_points(r.ci_high, unit=""))
        if not np.isfinite(self.topped_up_share):
            return text
        topped = _("About {share} of the carts that came within {reach} of the threshold were topped up to pass "
                   "it.").format(share=percent(self.topped_up_share), reach=f"{self.reach:g}")
        return sentences(text, topped)


def threshold_bunching(
    carts: Carts,
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
    carts : Carts
        The typed carts (:func:`~uem_helpers.analyses.cart.table.prepare_carts`).
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
    t = carts.table
    t = t.mutate(group=before_after_label(t, "created_at", launch_date, period_start=period_start,
                                          period_end=period_end))
    t = t.filter(t.group.notnull())
    value = t.cart_value.cast("float64")
    low = threshold - span
    # Two small aggregates: per window (no hashing of 10M rows by bin), and the histogram of the carts in view.
    g = t.group_by("group").aggregate(
        carts=t.count(),
        band=t.count(where=(value >= threshold) & (value < threshold + band)),
        reach=t.count(where=(value >= threshold - reach) & (value < threshold)),
    ).execute().set_index("group")
    shown = t.filter((value >= low) & (value < threshold + span))
    shown = shown.mutate(_bin=((shown.cart_value.cast("float64") - low) / bin_width).floor().cast("int64"))
    hist = shown.group_by(["group", "_bin"]).aggregate(carts=shown.count()).execute()
    for side in ("before", "after"):
        if side not in g.index or int(g.loc[side, "carts"]) == 0:
            raise ParameterError(f"threshold bunching: no cart was created {side} the launch date {launch_date}")
    n_a, n_b = int(g.loc["before", "carts"]), int(g.loc["after", "carts"])
    excess = compare_rates(int(g.loc["before", "band"]), n_a, int(g.loc["after", "band"]), n_b,
                           metric=f"share of carts valued {threshold:g} to {threshold + band:g}", alpha=alpha)
    extra = excess.abs_effect * n_b
    within = int(g.loc["after", "reach"]) + extra
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
    """Cart conversion, average order value and revenue per cart: before vs after a launch, or control vs treatment.

    Attributes
    ----------
    conversion, aov, revenue_per_cart : Readout
        The three comparisons; ``group_a`` / ``group_b`` are ``"before"`` / ``"after"`` or the
        control and treatment variant names.
    srm : SRMResult or None
        The sample-ratio-mismatch check of the experiment in A/B mode; None before/after a launch.
    """

    conversion: Readout
    aov: Readout
    revenue_per_cart: Readout
    srm: SRMResult | None = None

    @property
    def is_experiment(self) -> bool:
        """True when the impact was read from an A/B test (``srm`` is set)."""
        return self.srm is not None

    def readouts(self) -> list[Readout]:
        """The three readouts in reading order."""
        return [self.conversion, self.aov, self.revenue_per_cart]


def policy_impact(
    carts: Carts,
    launch_date: object = None,
    *,
    assignments: ibis.Table | None = None,
    experiment: str | None = None,
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    unit: str = "¥",
    guard_days: int = 0,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
    srm_alpha: float = SRM_ALPHA,
) -> PolicyImpact:
    """Cart conversion, AOV and revenue per cart with absolute and relative CIs: before/after a launch, or A/B.

    Give exactly one of ``launch_date`` (before/after mode) and ``experiment`` (A/B mode).

    **Before/after** (carts created before the launch vs on or after it):

    - conversion = checked-out carts / carts, compared by :func:`uem_helpers.analyses.experiment.compare_rates`
      (Newcombe's interval on the difference, log-adjusted interval on the ratio);
    - AOV = mean order value of checked-out carts; revenue per cart = mean over all carts of the
      order value, 0 when abandoned. Both use :func:`uem_helpers.analyses.experiment.compare_moments`:
      Welch's interval on the difference and the log-link GLM interval on the ratio of means
      (:func:`uem_helpers.stats.ratio_of_means_ci`).

    The engine reads the carts once and returns, per window, the number of carts and the count,
    mean and sample variance of the amount paid over all carts and over the checked-out ones:
    a few numbers whatever the data's size, from which the intervals are exactly those of the
    individual carts (:func:`uem_helpers.analyses.experiment.compare_moments`).

    **A/B** (treatment vs control of ``experiment`` in ``assignments``): the carts each assigned
    user created at or after their assignment (and inside the period), per variant, through
    :func:`uem_helpers.analyses.experiment.variant_ratios` in one query. Users were randomised, not carts,
    so every interval is clustered by user (delta method,
    :func:`uem_helpers.stats.ratio_metric_difference`):

    - conversion = Σ checked-out carts / Σ carts;
    - AOV = Σ order value / Σ checked-out carts;
    - revenue per cart = Σ order value / Σ carts;

    and ``srm`` holds the sample-ratio-mismatch check of the assigned users.

    Parameters
    ----------
    carts : Carts
        The typed carts (:func:`~uem_helpers.analyses.cart.table.prepare_carts`).
    launch_date : date-like, optional
        When the policy went live; windows as in :func:`uem_helpers.analyses.experiment.split_before_after`.
    assignments : ibis.Table, optional
        Canonical assignments (A/B mode), on the same backend as ``carts``.
    experiment : str, optional
        The experiment in ``assignments`` that tested the policy (A/B mode).
    control, treatment : str
        Variant names of the baseline and the comparison group (A/B mode).
    expected_shares : dict of str to float, optional
        Designed share of each variant (A/B mode), e.g. ``{"control": 0.95, "treatment": 0.05}``;
        an even split when omitted.
    unit : str
        Currency of the order values, for the sentences.
    guard_days : int
        Days left out around the launch (before/after mode only).
    period_start, period_end : date-like, optional
        Carts created in this period count.
    alpha : float
        Two-sided level of the intervals.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm (A/B mode).

    Returns
    -------
    PolicyImpact

    Raises
    ------
    ParameterError
        Both or neither of ``launch_date`` and ``experiment``, A/B mode without ``assignments`` or
        with ``guard_days``; a window or variant has no cart, or (before/after) fewer than two
        checked-out carts for the AOV; see :func:`uem_helpers.analyses.experiment.variant_ratios` for the
        A/B errors.
    """
    if (launch_date is None) == (experiment is None):
        raise ParameterError(
            "policy impact: give exactly one of launch_date (before/after the launch) and experiment "
            f"(an A/B test in the assignments table); got launch_date={launch_date!r}, experiment={experiment!r}"
        )
    if experiment is not None:
        if assignments is None:
            raise ParameterError(f"policy impact: experiment '{experiment}' needs the assignments table")
        if guard_days:
            raise ParameterError(f"policy impact: guard_days applies before/after a launch, not to an A/B test; "
                                 f"got guard_days={guard_days!r} with experiment '{experiment}'")
        return _ab_impact(carts, assignments, experiment, control=control, treatment=treatment,
                          expected_shares=expected_shares, unit=unit, period_start=period_start,
                          period_end=period_end, alpha=alpha, srm_alpha=srm_alpha)
    t = carts.table
    t = t.mutate(group=before_after_label(t, "created_at", launch_date, guard_days=guard_days,
                                          period_start=period_start, period_end=period_end))
    t = t.filter(t.group.notnull())
    # Everything the statistics need, in one scan: per window, the carts and the moments of the amount paid,
    # over every cart and over the checked-out ones.
    paid, checked = t.paid.cast("float64"), t.checked_out
    found = t.group_by("group").aggregate(
        carts=t.count(), mean=paid.mean(), var=paid.var(how="sample"),
        checked=t.count(where=checked), checked_mean=paid.mean(where=checked),
        checked_var=paid.var(how="sample", where=checked),
    ).execute().set_index("group")
    for side in ("before", "after"):
        if side not in found.index:
            raise ParameterError(
                f"policy impact: no cart was created in the {side} window (launch_date {launch_date}, guard_days "
                f"{guard_days}, period_start {period_start or 'open'}, period_end {period_end or 'open'})"
            )
    before, after = found.loc["before"], found.loc["after"]
    conversion = compare_rates(int(before["checked"]), int(before["carts"]), int(after["checked"]), int(after["carts"]),
                               metric=CART_CONVERSION, higher_is_better=True, alpha=alpha)
    means = {}
    for metric, prefix, n in ((AVERAGE_ORDER_VALUE, "checked_", "checked"), (REVENUE_PER_CART, "", "carts")):
        a, b = (_moments(row, n, prefix) for row in (before, after))
        means[metric] = compare_moments(a, b, metric=metric, unit=unit, higher_is_better=True, alpha=alpha)
    return PolicyImpact(conversion, means[AVERAGE_ORDER_VALUE], means[REVENUE_PER_CART])


def _moments(row: pd.Series, n: str, prefix: str) -> SampleMoments:
    """One window's moments of the amount paid from the engine's row (a variance of fewer than two is NaN)."""
    var = row[f"{prefix}var"]
    return SampleMoments(int(row[n]), float(row[f"{prefix}mean"]), 0.0 if pd.isna(var) else max(float(var), 0.0))


def _ab_impact(carts: Carts, assignments: ibis.Table, experiment: str, *, control: str, treatment: str,
               expected_shares: dict[str, float] | None, unit: str, period_start: object, period_end: object,
               alpha: float, srm_alpha: float) -> PolicyImpact:
    """The A/B mode of :func:`policy_impact`: three ratio metrics of carts, clustered by user, and the SRM check."""
    metrics = [
        RatioMetric(CART_CONVERSION, outcome="checked_out", higher_is_better=True),
        RatioMetric(AVERAGE_ORDER_VALUE, numerator="paid", denominator="checked_out", unit=unit,
                    higher_is_better=True),
        RatioMetric(REVENUE_PER_CART, numerator="paid", unit=unit, higher_is_better=True),
    ]
    t = carts.window(period_start, period_end)
    readouts, srm = variant_ratios(t, assignments, experiment, metrics, time_col="created_at", control=control,
                                   treatment=treatment, expected_shares=expected_shares, alpha=alpha,
                                   srm_alpha=srm_alpha)
    return PolicyImpact(*readouts, srm=srm)
