"""The incident watch's p-chart: a step's daily conversion against its control limits, incident runs shaded."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from uem_helpers.core.errors import ParameterError
from uem_helpers.core.formats import day
from uem_helpers.core.i18n import _, current_language, ngettext
from uem_helpers.present.journey._style import _empty, _require, chain
from uem_helpers.present.plots import ACCENT, MAIN, new_axes, percent_axis, plain


def p_chart(chart: pd.DataFrame, step: str | None = None, *, shifts: pd.DataFrame | None = None,
            title: str | None = None, ax=None):
    """Incident watch: one step's daily conversion against its p-chart control limits.

    The daily rate (line and dots), the pooled center line and the band between
    the day's lower and upper control limits; days outside the limits are red
    (below) or orange (above), and a run of days below is labelled with its dates. The sustained
    shifts the CUSUM found at the step (``shifts``) are shaded over their date range.

    Parameters
    ----------
    chart : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.incidents.p_chart` output (``date``, ``step``, ``rate``, ``center``, ``lcl``,
        ``ucl``, ``outside``).
    step : str, optional
        The step to draw (e.g. ``"payment → order_success"``); may be omitted when the chart has one step.
    shifts : pandas.DataFrame, optional
        :func:`uem_helpers.analyses.journey.sustained_shifts` output (``step``, ``first_date``, ``last_date``);
        its runs at ``step`` are shaded.
    title : str, optional
        Chart title; by default the number of days below the limits and when.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(chart, ["date", "step", "rate", "center", "lcl", "ucl", "outside"], "p-chart",
             "uem_helpers.analyses.journey.incidents.p_chart")
    steps = list(dict.fromkeys(chart["step"].astype(str)))
    if step is None:
        if len(steps) > 1:
            raise ParameterError(f"the chart has {len(steps)} steps; pass step= one of: {', '.join(steps)}")
        step = steps[0] if steps else ""
    elif str(step) not in steps:
        raise ParameterError(f"step={step!r} is not in the chart; its steps are: {', '.join(steps) or 'none'}")
    ax = new_axes(ax, (10, 4.5))
    rows = chart[chart["step"].astype(str) == str(step)].copy()
    if rows.empty:
        return _empty(ax, _("No days with trials in the period."), title or _("Daily conversion"))
    rows["date"] = pd.to_datetime(rows["date"])
    rows = rows.sort_values("date")
    x = rows["date"]
    ax.fill_between(x, rows["lcl"].astype(float), rows["ucl"].astype(float), step="mid", color=MAIN, alpha=0.12,
                    lw=0, label=_("control limits (3σ)"))
    ax.plot(x, rows["center"].astype(float), color=MAIN, ls="--", lw=1.2,
            label=_("center {rate}").format(rate=f"{rows['center'].iloc[0]:.0%}"))
    ax.plot(x, rows["rate"].astype(float), color="#3d4852", lw=1, marker="o", ms=3, label=_("daily rate"))
    sustained = _step_runs(shifts, step)
    for i, (first, last) in enumerate(sustained):
        ax.axvspan(first - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12), color=ACCENT, alpha=0.1, lw=0,
                   label=_("sustained shift") if i == 0 else None)
    below, above = rows[rows["outside"] == "below"], rows[rows["outside"] == "above"]
    if len(below):
        ax.scatter(below["date"], below["rate"], color=ACCENT, s=45, zorder=3, label=_("below the limits"))
    if len(above):
        ax.scatter(above["date"], above["rate"], color="#e8a33d", s=45, zorder=3, label=_("above the limits"))
    runs = _runs(below["date"])
    for first, last in runs:
        ax.annotate(_date_span(first, last), (first + (last - first) / 2, float(below["rate"].min())),
                    xytext=(0, -16), textcoords="offset points", ha="center", va="top", color=ACCENT, fontsize=9)
    top = float(np.nanmax(rows[["rate", "ucl"]].astype(float).to_numpy()))
    ax.set_ylim(max(0.0, float(np.nanmin(rows[["rate", "lcl"]].astype(float).to_numpy())) - 0.1), min(1.02, top + 0.08))
    percent_axis(ax.yaxis)
    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_date_formatter(locator))
    ax.set_ylabel(_("Conversion that day"))
    ax.set_xlabel("")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=5, fontsize=9, frameon=False)
    if title is None:
        title = _title(chain(step), sustained, runs, len(below))
    ax.set_title(plain(title))
    return ax


def _title(step: str, sustained, runs, below: int) -> str:
    """The chart's default title: the sustained drops, else the days below the control limits, and when."""
    if sustained:
        spans = ", ".join(_date_span(f, s) for f, s in sustained[:3])
        if runs:
            return ngettext("'{step}': sustained drop {spans}; {n} day below the control limits",
                            "'{step}': sustained drop {spans}; {n} days below the control limits",
                            below).format(step=step, spans=spans, n=below)
        return _("'{step}': sustained drop {spans}").format(step=step, spans=spans)
    if runs:
        spans = ", ".join(_date_span(f, s) for f, s in runs[:3])
        return ngettext("'{step}': {n} day below the control limits ({spans})",
                        "'{step}': {n} days below the control limits ({spans})", below).format(
            step=step, n=below, spans=spans)
    return _("'{step}': no day below the control limits").format(step=step)


def _date_formatter(locator) -> mdates.ConciseDateFormatter:
    """Dates on the axis as the reader writes them: "Feb 03" and "2025" in English, "2月3日" and "2025年" in Chinese."""
    if current_language() == "zh":
        return mdates.ConciseDateFormatter(
            locator, formats=["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"],
            zero_formats=["", "%Y年", "%-m月", "%-m月%-d日", "%H:%M", "%H:%M"],
            offset_formats=["", "%Y年", "%Y年", "%Y年", "%Y年%-m月%-d日", "%Y年%-m月%-d日 %H:%M"])
    return mdates.ConciseDateFormatter(locator, offset_formats=["", "%Y", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M"])


def _step_runs(shifts: pd.DataFrame | None, step: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The sustained runs of one step as (first, last) pairs."""
    if shifts is None or shifts.empty:
        return []
    rows = shifts[shifts["step"].astype(str) == str(step)]
    return [(pd.Timestamp(f), pd.Timestamp(t)) for f, t in zip(rows["first_date"], rows["last_date"])]


def _runs(dates: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of consecutive days as (first, last) pairs."""
    days = sorted(pd.to_datetime(dates).dt.normalize().unique())
    runs: list[list[pd.Timestamp]] = []
    for day in days:
        if runs and day - runs[-1][1] == pd.Timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(pd.Timestamp(f), pd.Timestamp(s)) for f, s in runs]


def _date_span(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """A day or a run of days, short: "2025-02-03", "2025-02-03–02-23" (Chinese: "2025年2月3日–2025年2月23日")."""
    if first == last:
        return day(first)
    if current_language() == "zh" or first.year != last.year:
        return f"{day(first)}–{day(last)}"
    return f"{first:%Y-%m-%d}–{last:%m-%d}"
