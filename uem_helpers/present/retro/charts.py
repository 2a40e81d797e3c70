"""The retro's charts: KPI small multiples against target, NPS by month, the retention heatmap, feedback
volume by category and the loop by channel.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from babel.dates import format_skeleton
from matplotlib.ticker import PercentFormatter

from uem_helpers.analyses.feedback import volume
from uem_helpers.analyses.kpis import KPIS
from uem_helpers.core.formats import day, month, whole
from uem_helpers.core.i18n import N_, _, babel_locale, label
from uem_helpers.present.plots import ACCENT, MAIN, new_axes, percent_axis, plain
from uem_helpers.present.retro._vocabulary import KPI_LABELS, STATUS_COLOURS, _label, _status, _theme
from uem_helpers.present.retro.words import spiked_theme
from uem_helpers.stories.retro import RetroAnalysis


def _month_name(value: object, skeleton: str) -> str:
    """A month as the reader's calendar names it on an axis: ``"Oct"``, ``"Oct 2026"`` (Chinese: ``"10月"``)."""
    return format_skeleton(skeleton, pd.Timestamp(str(value)[:7] + "-01").date(), locale=babel_locale())


def kpi_small_multiples(a: RetroAnalysis):
    """One panel per KPI: monthly value with its 95% interval, baseline (dotted) and target (dashed).

    A panel's title is coloured by the goal's status (green on track, orange at risk, red off
    track, grey no goal or no data).
    """
    metrics_shown = [m for m in KPIS if not a.kpi(m).empty]
    cols = 4
    rows = max(1, math.ceil(len(metrics_shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.3 * rows), squeeze=False)
    goals = a.scorecard.set_index("metric") if a.scorecard is not None else pd.DataFrame()
    for ax, metric in zip(axes.flat, metrics_shown):
        s = a.kpi(metric)
        x = np.arange(len(s))
        rate = KPI_LABELS.get(metric, ("", False))[1]
        ax.fill_between(x, s["low"], s["high"], color=MAIN, alpha=0.18, lw=0)
        ax.plot(x, s["value"], marker="o", color=MAIN)
        status = "no data"
        if metric in goals.index:
            goal = goals.loc[metric]
            ax.axhline(goal["target"], color="#333", ls="--", lw=1.2, label=_("target"))
            ax.axhline(goal["baseline"], color="#999", ls=":", lw=1.2, label=_("baseline"))
            status = goal["status"]
        ax.set_xticks(x, [_month_name(m, "MMM") for m in s["month"]], fontsize=10)
        ax.tick_params(axis="y", labelsize=10)
        if rate:
            ax.yaxis.set_major_formatter(PercentFormatter(1, decimals=None))
        ax.set_title(_("{kpi}: {status}").format(kpi=_label(metric), status=_status(status)),
                     color=STATUS_COLOURS.get(status, "#333"), fontsize=12, fontweight="bold")
    for ax in list(axes.flat)[len(metrics_shown):]:
        ax.set_visible(False)
    handles, labels = next((h for h in (ax.get_legend_handles_labels() for ax in axes.flat) if h[0]), ([], []))
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=11)
    fig.suptitle(_("KPIs by month, {first} to {last}, against the plan (band: 95% CI; title colour: status in "
                   "{month})").format(first=_month_name(a.kpis.values["month"].min(), "yMMM"),
                                      last=_month_name(a.month, "yMMM"), month=month(a.month)), fontsize=14)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return axes


def nps_chart(a: RetroAnalysis):
    """NPS by month with its 95% interval, over the promoter/passive/detractor split of each month."""
    s = a.nps_monthly
    fig, (top, split) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = np.arange(len(s))
    top.errorbar(x, s["nps"], yerr=[s["nps"] - s["low"], s["high"] - s["nps"]], fmt="o-", color=MAIN, capsize=4)
    for xi, v in zip(x, s["nps"]):
        top.annotate(whole(v), (xi, v), xytext=(8, 0), textcoords="offset points", va="center")
    top.axhline(0, color="#999", lw=1)
    top.set_ylabel(_("NPS (95% CI)"))
    top.set_title(_("NPS by month: {nps} in {month}").format(nps=whole(s["nps"].iloc[-1]),
                                                             month=month(s["month"].iloc[-1])))
    bottom = np.zeros(len(x))
    for name, colour, words in (("detractor_share", ACCENT, N_("detractors (0-6)")),
                                ("passive_share", "#bbbbbb", N_("passives (7-8)")),
                                ("promoter_share", "#2ca02c", N_("promoters (9-10)"))):
        split.bar(x, s[name], bottom=bottom, color=colour, label=_(words), width=0.6)
        bottom += s[name].to_numpy()
    percent_axis(split.yaxis)
    split.set_ylabel(_("Share of answers"))
    split.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    split.set_xticks(x, [month(m) for m in s["month"]])
    fig.tight_layout()
    return top


def retention_heatmap(a: RetroAnalysis, *, ax=None):
    """Weekly cohort retention: rows cohorts (week of first event), columns weeks since."""
    import seaborn as sns

    r = a.retention
    grid = r.pivot(index="cohort_week", columns="week", values="retention")
    grid.index = [day(pd.Timestamp(i)) for i in grid.index]
    ax = new_axes(ax, (10, 0.42 * len(grid) + 1.8))
    sns.heatmap(grid, ax=ax, cmap="Blues", vmin=0, vmax=1, annot=grid.map(lambda v: "" if v != v else f"{v:.0%}"),
                fmt="", annot_kws={"fontsize": 8},
                cbar_kws={"label": _("Share of the cohort active"), "format": "{x:.0%}"})
    ax.set_xlabel(_("Weeks since the cohort's first week"))
    ax.set_ylabel(_("Cohort (week of first event)"))
    ax.set_title(_("Weekly cohort retention (only fully observed weeks)"))
    return ax


def feedback_volume_chart(a: RetroAnalysis, *, ax=None):
    """Feedback items by month and theme (stacked): a theme that jumps is a spike."""


    v = volume(a.classified, by=("month", "category"))
    grid = v.pivot(index="month", columns="category", values="items").fillna(0)
    grid = grid[grid.sum().sort_values(ascending=False).index]
    ax = new_axes(ax, (11, 5))
    bottom = np.zeros(len(grid))
    colours = plt.get_cmap("tab10").colors
    for i, theme in enumerate(grid.columns):
        ax.bar(range(len(grid)), grid[theme], bottom=bottom, color=colours[i % 10], label=plain(_theme(theme)),
               width=0.65)
        bottom += grid[theme].to_numpy()
    ax.set_xticks(range(len(grid)), [month(m) for m in grid.index])
    ax.set_ylabel(_("Feedback items"))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    spike = spiked_theme(a)
    title = (_("Feedback by month and theme") if spike is None else
             _("Feedback by month and theme: '{theme}' spiked in {month}").format(
                 theme=_theme(spike["category"]), month=month(spike["month"])))
    ax.set_title(plain(title))
    return ax


def channel_chart(a: RetroAnalysis, *, ax=None):
    """This month's feedback by channel, with 95% intervals on each channel's share."""
    from uem_helpers.present.plots import rate_bars

    v = a.volume_by_channel.sort_values("items", ascending=False)
    notes = [f"{s:.0%} ({int(n):,})" for s, n in zip(v["share"], v["items"])]
    return rate_bars([label(c) for c in v["channel"].astype(str)], v["share"], v["share_low"], v["share_high"], notes,
                     xlabel=_("Share of the month's feedback items (95% CI)"),
                     title=_("Feedback by channel in {month}").format(month=month(a.month)), ax=ax)
