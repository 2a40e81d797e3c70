"""Incident watch, the list: sharp days (p-chart) and sustained shifts (CUSUM) merged into dated incidents.

An **incident** is a date range of one series (a journey step, or an alarm event) found by one or
both methods: ``"sharp day"`` (a run of days outside the p-chart limits, :func:`.incidents.p_chart`,
below for a step, above for an alarm event) and ``"sustained shift"`` (a CUSUM run,
:func:`.shifts.sustained_shifts`). Findings of the same series whose ranges overlap or touch merge
into one incident covering both ranges, and the method names both.

For each incident: ``trials``, ``successes`` and ``rate`` over its days; ``center``, the series'
rate on all its other days (outside every incident of the series), and ``diff`` = rate − center
with Newcombe's hybrid-score 95% interval (:func:`uem_helpers.stats.two_proportions`, the days
outside as the baseline); ``excess`` = |diff| × trials: conversions lost at a step, extra sessions
with the event for an alarm event. Incidents are listed steps first, then alarm events, each by
``excess``, largest first.

**Minimum span**: the p-chart needs :data:`MIN_DAYS_SHARP` days of data (a center line from fewer
days is mostly noise) and the sustained watch :data:`.shifts.MIN_DAYS_SUSTAINED`; with fewer, the
watch returns the sentence saying so instead of an empty list that would read as "no incident".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uem_helpers.analyses.journey.incidents import p_chart
from uem_helpers.analyses.journey.shifts import MIN_DAYS_SUSTAINED, sustained_shifts
from uem_helpers.core.i18n import N_, _
from uem_helpers.stats import two_proportions

#: Days of data the p-chart needs.
MIN_DAYS_SHARP = 7
#: The methods' names in the ``method`` column.
SHARP, SUSTAINED = N_("sharp day"), N_("sustained shift")
#: Columns of :attr:`IncidentWatch.incidents`.
WATCH_COLUMNS = ["kind", "step", "outside", "method", "first_date", "last_date", "days", "trials", "successes",
                 "rate", "center", "diff", "diff_low", "diff_high", "excess"]


@dataclass(frozen=True)
class IncidentWatch:
    """The incident watch of a period: the daily charts, the sustained runs and the merged incident list.

    Attributes
    ----------
    chart : pandas.DataFrame or None
        The p-chart of the steps (None below :data:`MIN_DAYS_SHARP` days).
    alarm_chart : pandas.DataFrame or None
        The p-chart of the alarm events' daily share of sessions (None without alarm events).
    shifts : pandas.DataFrame or None
        Sustained runs (:data:`.shifts.SHIFT_COLUMNS`) of steps and alarm events (None below
        :data:`.shifts.MIN_DAYS_SUSTAINED` days).
    incidents : pandas.DataFrame or None
        :data:`WATCH_COLUMNS`; None when the period is too short for any method.
    days : int
        Days of data (days with at least one trial at any step or one session).
    notes : list of str
        What a method could not do and why (the minimum span).
    """

    chart: pd.DataFrame | None
    alarm_chart: pd.DataFrame | None
    shifts: pd.DataFrame | None
    incidents: pd.DataFrame | None
    days: int
    notes: list[str] = field(default_factory=list)


def watch_incidents(daily: pd.DataFrame | None, alarm_daily: pd.DataFrame | None = None) -> IncidentWatch:
    """Run both methods on the steps' daily conversion (drops) and the alarm events' daily share (rises).

    Parameters
    ----------
    daily : pandas.DataFrame or None
        :func:`.incidents.step_conversion_daily` (None when there are no steps to watch).
    alarm_daily : pandas.DataFrame, optional
        :func:`.shifts.alarm_events_daily`.

    Returns
    -------
    IncidentWatch
    """
    frames = [f for f in (daily, alarm_daily) if f is not None]
    days = int(pd.concat([pd.to_datetime(f["date"]) for f in frames]).nunique()) if frames else 0
    if days < MIN_DAYS_SHARP:
        return IncidentWatch(None, None, None, None, days, [
            _("The incident watch needs at least {sustained} days of data, {sharp} for sharp days alone; "
              "this period has {days}.").format(sustained=MIN_DAYS_SUSTAINED, sharp=MIN_DAYS_SHARP, days=days)])
    notes = []
    chart = p_chart(daily) if daily is not None and not daily.empty else None
    alarm_chart = p_chart(alarm_daily) if alarm_daily is not None and not alarm_daily.empty else None
    shifts = None
    if days < MIN_DAYS_SUSTAINED:
        notes.append(_("The sustained-shift watch needs at least {sustained} days of data; this period has {days}, "
                       "so only sharp days were checked.").format(sustained=MIN_DAYS_SUSTAINED, days=days))
    else:
        parts = [sustained_shifts(f, direction=d) for f, d in ((daily, "down"), (alarm_daily, "up"))
                 if f is not None and not f.empty]
        shifts = pd.concat(parts, ignore_index=True) if parts else None
    found = []
    for kind, frame, sharp, side, direction in (("step", daily, chart, "below", "down"),
                                                ("alarm event", alarm_daily, alarm_chart, "above", "up")):
        if frame is None or frame.empty:
            continue
        sharp = sharp[sharp["outside"] == side]
        runs = shifts[shifts["direction"] == direction] if shifts is not None else None
        for step, series in frame.groupby("step", sort=False):
            found += _merged(kind, str(step), side, series, sharp[sharp["step"] == step],
                             runs[runs["step"] == step] if runs is not None else None)
    incidents = pd.DataFrame(found, columns=WATCH_COLUMNS)
    if not incidents.empty:
        incidents = incidents.assign(_k=incidents["kind"] != "step").sort_values(
            ["_k", "excess"], ascending=[True, False], kind="stable").drop(columns="_k").reset_index(drop=True)
    incidents = incidents.astype({"first_date": "datetime64[ns]", "last_date": "datetime64[ns]", "days": "int64",
                                  "trials": "int64", "successes": "int64"})
    return IncidentWatch(chart, alarm_chart, shifts, incidents, days, notes)


def _merged(kind: str, step: str, side: str, series: pd.DataFrame, sharp: pd.DataFrame,
            runs: pd.DataFrame | None) -> list[tuple]:
    """One series' findings merged into incidents (ranges that overlap or touch become one)."""
    spans = [(d, d, SHARP) for d in pd.to_datetime(sharp["date"])]
    if runs is not None:
        spans += [(f, t, SUSTAINED) for f, t in zip(runs["first_date"], runs["last_date"])]
    if not spans:
        return []
    spans.sort(key=lambda s: (s[0], s[1]))
    merged: list[list] = []
    for first, last, method in spans:
        if merged and first <= merged[-1][1] + pd.Timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
            merged[-1][2].add(method)
        else:
            merged.append([first, last, {method}])
    dates = pd.to_datetime(series["date"])
    inside_any = np.zeros(len(series), dtype=bool)
    for first, last, _methods in merged:
        inside_any |= ((dates >= first) & (dates <= last)).to_numpy()
    out_s, out_n = int(series["successes"][~inside_any].sum()), int(series["trials"][~inside_any].sum())
    rows = []
    for first, last, methods in merged:
        inside = ((dates >= first) & (dates <= last)).to_numpy()
        s, n = int(series["successes"][inside].sum()), int(series["trials"][inside].sum())
        if out_n > 0 and n > 0:
            cmp = two_proportions(out_s, out_n, s, n)
            center, diff, low, high = cmp.p1, cmp.diff, cmp.diff_low, cmp.diff_high
        else:
            center = diff = low = high = float("nan")
        rate = s / n if n else float("nan")
        method = " + ".join(m for m in (SHARP, SUSTAINED) if m in methods)
        rows.append((kind, step, side, method, first, last, int((last - first).days) + 1, n, s, rate, center,
                     diff, low, high, abs(diff) * n if diff == diff else float("nan")))
    return rows
