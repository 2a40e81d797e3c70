"""The churn report's charts: calibration, drivers, survival curves, hazard ratios and the outreach by risk decile.

Each takes a small result frame of :mod:`uem_helpers.analyses.churn` and draws one picture
with its intervals; names come through :func:`~uem_helpers.core.i18n.label` and data text is
drawn literally (:func:`uem_helpers.present.plots.plain`).
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from uem_helpers.core.formats import number
from uem_helpers.core.i18n import N_, _, label
from uem_helpers.present import privacy
from uem_helpers.present.churn.vocabulary import hazard_name, reason
from uem_helpers.present.plots import ACCENT, MAIN, PALETTE, new_axes, percent_axis, plain

CALIBRATION_TITLE = N_("Predicted vs observed churn (validation users, 95% CI)")
DRIVERS_TITLE = N_("How many times as likely to churn (95% CI)")
SURVIVAL_TITLE = N_("Share of users still active, by days since their first visit")
HAZARD_TITLE = N_("How much faster users leave (hazard ratio, 95% CI)")
DECILES_TITLE = N_("Churn after the outreach, by risk decile (95% CI)")
#: Ratios a log axis may mark (those within the intervals' range are used).
_RATIO_TICKS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
#: The same on a narrow range (the ratios span less than four-fold).
_FINE_RATIO_TICKS = (0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5)
#: Drivers drawn in the drivers chart.
DRIVERS_SHOWN = 8


def calibration_chart(validation, ax=None):
    """Observed churn against the predicted risk per bin, with Wilson intervals; the diagonal is perfect calibration."""
    bins = validation.calibration
    ax = new_axes(ax, (6.5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label=_("Perfect calibration"))
    observed = bins["observed"].to_numpy(float)
    ax.errorbar(bins["predicted"], observed, yerr=np.vstack([observed - bins["low"], bins["high"] - observed]),
                fmt="o", color=MAIN, capsize=3, label=_("Users in a risk band"))
    top = float(max(bins["predicted"].max(), bins["high"].max(), 0.1)) * 1.1
    ax.set_xlim(0, min(1, top))
    ax.set_ylim(0, min(1, top))
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.set_xlabel(_("Predicted churn risk"))
    ax.set_ylabel(_("Observed churn"))
    ax.set_title(_(CALIBRATION_TITLE))
    ax.legend(loc="upper left", frameon=False)
    return ax


def drivers_chart(drivers: pd.DataFrame, top: int = DRIVERS_SHOWN, ax=None):
    """Relative risk of churn of users with each driver against the rest (log scale, 1 = no difference)."""
    rows = drivers.dropna(subset=["relative_risk"]).head(top).iloc[::-1]
    return _forest(rows["feature"].map(reason), rows["relative_risk"], rows["rr_low"], rows["rr_high"],
                   title=_(DRIVERS_TITLE), xlabel=_("Relative risk of churn (log scale)"), ax=ax)


def hazard_chart(hazards: pd.DataFrame, ax=None):
    """Cox hazard ratios with intervals (log scale, 1 = leaves as fast as the reference)."""
    rows = hazards.iloc[::-1]
    names = [hazard_name(r.covariate, r.level, r.reference) for r in rows.itertuples()]
    return _forest(names, rows["hazard_ratio"], rows["lower"], rows["upper"], title=_(HAZARD_TITLE),
                   xlabel=_("Hazard ratio (log scale)"), ax=ax)


def shown_groups(curves: pd.DataFrame, minimum: int) -> pd.DataFrame:
    """The curves of the groups that start with at least ``minimum`` users (smaller ones are not drawn)."""
    size = curves.groupby("group", sort=False)["at_risk"].transform("max")
    return curves[size >= minimum]


def survival_chart(curves: pd.DataFrame, by: str | None, ax=None):
    """Kaplan-Meier curves with 95% bands; groups under the privacy minimum are left out (and said in the legend)."""
    ax = new_axes(ax, (9, 5))
    shown = shown_groups(curves, privacy.active().min_cell_size)
    hidden = curves["group"].nunique() - shown["group"].nunique()
    for index, (group, curve) in enumerate(shown.groupby("group", sort=False)):
        colour = [MAIN, ACCENT, "#4f9d69", "#8c6bb1", "#e39b2f", "#6b7a8f"][index % 6]
        name = label(group) if by else _("All users")
        ax.step(curve["day"], curve["survival"], where="post", color=colour,
                label=plain(f"{name} ({number(curve['at_risk'].max(), 0)})"))
        ax.fill_between(curve["day"], curve["lower"], curve["upper"], step="post", color=colour, alpha=0.15, lw=0)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    ax.set_xlabel(_("Days since the first visit"))
    ax.set_ylabel(_("Still active"))
    ax.set_title(_(SURVIVAL_TITLE))
    legend = ax.legend(title=label(by) if by else None, frameon=False, loc="lower left")
    if hidden:
        legend.set_title(_("{title}; {n} small groups not shown").format(title=label(by), n=number(hidden, 0)))
    return ax


def deciles_chart(by_decile: pd.DataFrame, treatment: str, holdout: str, ax=None):
    """Churn of treated and holdout users per risk decile at the campaign date, with Wilson intervals."""
    ax = new_axes(ax, (9, 4.5))
    width = 0.38
    for offset, (variant, colour) in zip((-width / 2, width / 2), ((holdout, PALETTE["control"]),
                                                                   (treatment, PALETTE["treatment"]))):
        part = by_decile[by_decile["variant"] == variant]
        rate = part["churn"].to_numpy(float)
        ax.bar(part["decile"] + offset, rate, width=width, color=colour, label=plain(label(variant)))
        ax.errorbar(part["decile"] + offset, rate, yerr=np.vstack([rate - part["low"], part["high"] - rate]),
                    fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xticks(sorted(by_decile["decile"].unique()))
    percent_axis(ax.yaxis)
    ax.set_xlabel(_("Risk decile at the campaign date (10 = riskiest)"))
    ax.set_ylabel(_("Churned within the window"))
    ax.set_title(_(DECILES_TITLE))
    ax.legend(frameon=False)
    return ax


def _forest(names, value, low, high, *, title: str, xlabel: str, ax=None):
    """Points with intervals on a log axis, one row per name, a line at 1."""
    value, low, high = (np.asarray(v, dtype=float) for v in (value, low, high))
    ax = new_axes(ax, (9, 0.45 * len(value) + 1.6))
    y = np.arange(len(value))
    colours = [ACCENT if lo > 1 else MAIN if hi < 1 else "grey" for lo, hi in zip(low, high)]
    ax.errorbar(value, y, xerr=np.vstack([value - low, high - value]), fmt="none", ecolor="black", capsize=3, lw=1)
    ax.scatter(value, y, color=colours, zorder=3)
    ax.axvline(1, color="grey", lw=1, ls="--")
    ax.set_xscale("log")
    lo, hi = float(np.nanmin(low)), float(np.nanmax(high))
    candidates = _FINE_RATIO_TICKS if hi / lo < 4 else _RATIO_TICKS
    ticks = [t for t in candidates if lo / 1.3 <= t <= hi * 1.3] or [1.0]
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: f"{number(v, 2 if v < 1 else 1)}×"))
    ax.set_yticks(y, [plain(n) for n in names])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    return ax

