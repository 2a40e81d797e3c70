"""The churn report's charts with their captions: one sentence under each saying what to see, from the result."""

from __future__ import annotations

import numpy as np

from uem_helpers.core.formats import number, percent, percent_interval
from uem_helpers.core.i18n import _, label
from uem_helpers.present import privacy
from uem_helpers.present.captions import Captioned
from uem_helpers.present.churn import charts
from uem_helpers.present.churn.vocabulary import hazard_name, ratio_with_interval, who
from uem_helpers.stories.churn import ChurnAnalysis


def calibration_caption(a: ChurnAnalysis) -> str:
    """The riskiest band's predicted and observed churn, and how many bands' intervals hold their prediction."""
    bins = a.model.validation.calibration
    top = bins.iloc[-1]
    held = int(((bins["low"] <= bins["predicted"]) & (bins["predicted"] <= bins["high"])).sum())
    return _("The riskiest band was predicted to churn at {predicted} and {observed} of its users did "
             "({interval}); {held} of {bands} bands' intervals include their prediction.").format(
        predicted=percent(top["predicted"]), observed=percent(top["observed"]),
        interval=percent_interval(top["low"], top["high"]), held=number(held, 0), bands=number(len(bins), 0))


def calibration_figure(a: ChurnAnalysis) -> Captioned:
    """Predicted vs observed churn of the validation users, with its caption."""
    return Captioned(charts.calibration_chart(a.model.validation), calibration_caption(a))


def drivers_caption(a: ChurnAnalysis) -> str:
    """The driver furthest from 1 among those drawn, with its interval."""
    rows = a.drivers.dropna(subset=["relative_risk"]).head(charts.DRIVERS_SHOWN)
    far = rows.loc[rows["relative_risk"].map(lambda x: abs(np.log(x)) if x > 0 else 0.0).idxmax()]
    shown = ratio_with_interval(far["relative_risk"], far["rr_low"], far["rr_high"])
    return _("Points right of the dashed line churn more than the rest: {who} stand out at {ratio}× "
             "({interval}).").format(who=who(far["feature"], far["condition"], far["threshold"], a.rule),
                                     ratio=shown[0], interval=shown[1])


def drivers_figure(a: ChurnAnalysis) -> Captioned:
    """Relative risks of the top drivers, with their caption."""
    return Captioned(charts.drivers_chart(a.drivers), drivers_caption(a))


def survival_caption(a: ChurnAnalysis) -> str:
    """Which shown group has the fewest users still active at the latest day every shown group reaches."""
    shown = charts.shown_groups(a.curves, privacy.active().min_cell_size)
    if shown.empty:
        return _("No group is large enough to draw under the privacy minimum.")
    common = shown.groupby("group")["day"].max().min()
    at = shown[shown["day"] <= common].groupby("group").last()
    if len(at) == 1:
        row = at.iloc[0]
        return _("{share} of users are still active {days} days after their first visit ({interval}).").format(
            share=percent(row["survival"]), days=number(common, 0),
            interval=percent_interval(row["lower"], row["upper"]))
    low, high = at["survival"].idxmin(), at["survival"].idxmax()
    if at.loc[low, "upper"] >= at.loc[high, "lower"]:
        return _("The curves' bands overlap at {days} days ({low_share} to {high_share} still active): no group "
                 "leaves clearly faster.").format(days=number(common, 0), low_share=percent(at.loc[low, "survival"]),
                                                  high_share=percent(at.loc[high, "survival"]))
    return _("'{fast}' leaves fastest: {fast_share} are still active after {days} days ({interval}), against "
             "{slow_share} of '{slow}'.").format(
        fast=label(low), fast_share=percent(at.loc[low, "survival"]), days=number(common, 0),
        interval=percent_interval(at.loc[low, "lower"], at.loc[low, "upper"]), slow_share=percent(
            at.loc[high, "survival"]), slow=label(high))


def survival_figure(a: ChurnAnalysis) -> Captioned:
    """Kaplan-Meier curves by segment, with their caption."""
    return Captioned(charts.survival_chart(a.curves, a.survival_by), survival_caption(a))


def hazard_caption(a: ChurnAnalysis) -> str:
    """The hazard ratio furthest from 1 whose interval excludes 1, or that none does."""
    h = a.hazards
    clear = h[(h["lower"] > 1) | (h["upper"] < 1)]
    if clear.empty:
        return _("Every interval crosses the dashed line: no group leaves clearly faster or slower than its "
                 "reference.")
    far = clear.loc[clear["hazard_ratio"].map(lambda x: abs(np.log(x))).idxmax()]
    shown = ratio_with_interval(far["hazard_ratio"], far["lower"], far["upper"])
    return _("'{who}' stands out: users leave {ratio}× as fast ({interval}); intervals crossing the dashed line "
             "are no clear difference.").format(who=hazard_name(far["covariate"], far["level"], far["reference"]),
                                                ratio=shown[0], interval=shown[1])


def hazard_figure(a: ChurnAnalysis) -> Captioned:
    """Cox hazard ratios, with their caption."""
    return Captioned(charts.hazard_chart(a.hazards), hazard_caption(a))


def deciles_caption(a: ChurnAnalysis, treatment: str, holdout: str) -> str:
    """Churn of reached and held-out users in the riskiest and the least risky decile."""
    table = a.outreach.by_decile
    top, bottom = table["decile"].max(), table["decile"].min()

    def rate(decile: int, variant: str) -> str:
        row = table[(table["decile"] == decile) & (table["variant"] == variant)]
        return percent(row["churn"].iloc[0]) if len(row) else _("no users")

    return _("In the riskiest decile {treated_top} of users reached out to ('{treatment}') churned against "
             "{held_top} of the holdout ('{holdout}'); in the least risky, {treated_bottom} against "
             "{held_bottom}.").format(
        treated_top=rate(top, treatment), held_top=rate(top, holdout), treated_bottom=rate(bottom, treatment),
        held_bottom=rate(bottom, holdout), treatment=label(treatment), holdout=label(holdout))


def deciles_figure(a: ChurnAnalysis, treatment: str, holdout: str) -> Captioned:
    """The outreach by risk decile, with its caption."""
    return Captioned(charts.deciles_chart(a.outreach.by_decile, treatment, holdout),
                     deciles_caption(a, treatment, holdout))

