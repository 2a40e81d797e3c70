"""Incident watch, sustained shifts: a binomial CUSUM on each series' daily rate, and the alarm-event series.

A p-chart (:mod:`.incidents`) judges each day alone, so a step with five attempts a day can lose
half its conversions for weeks without any single day leaving the limits. The CUSUM adds the
days' evidence up (:func:`uem_helpers.stats.binomial_cusum`): against the series' in-control rate
it finds a run of days that together are too low (or, for alarm events, too high).

Definitions
-----------
- **series**: a journey step ``a → b`` of :func:`.incidents.step_conversion_daily` (watched for a
  drop), or an alarm event of :func:`alarm_events_daily` (watched for a rise);
- **in-control rate** ``p0``: the median of the series' weekly rates (calendar blocks of 7 days
  from its first day, :func:`uem_helpers.stats.block_median_rate`): an incident shorter than half
  the period does not pull it toward itself; clipped to ``[1/(2N), 1 − 1/(2N)]`` (``N`` all trials)
  so that a series that never fails (or never alarms) still has a defined likelihood ratio;
- **threshold** ``h``: calibrated by simulation on the series' own daily volumes for about one false
  alarm per year (:func:`uem_helpers.stats.cusum_threshold`), times the series' robust dispersion
  (:func:`uem_helpers.stats.robust_dispersion`: days that spread more than a binomial, e.g. by weekday,
  need more evidence);
- **run**: the days from the CUSUM's last zero before the alarm to its peak
  (:func:`uem_helpers.stats.cusum_runs`), with the run's pooled rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.sessions import Sessions
from uem_helpers.stats import binomial_cusum, block_median_rate, cusum_runs, cusum_threshold, robust_dispersion

#: Days of data the sustained-shift watch needs (two weekly blocks for its in-control rate).
MIN_DAYS_SUSTAINED = 14
#: Columns of :func:`sustained_shifts`.
SHIFT_COLUMNS = ["step", "direction", "first_date", "last_date", "alarm_date", "days", "trials", "successes",
                 "rate", "center", "threshold"]


def sustained_shifts(daily: pd.DataFrame, *, direction: str = "down") -> pd.DataFrame:
    """Runs of days whose rate shifted for a sustained stretch, per series (definitions in the module docstring).

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`.incidents.step_conversion_daily` or :func:`alarm_events_daily` (``date``, ``step``,
        ``trials``, ``successes``).
    direction : {"down", "up"}
        ``"down"`` watches conversion for drops, ``"up"`` alarm events for rises.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SHIFT_COLUMNS`, one row per run; ``center`` is the in-control rate ``p0``,
        ``threshold`` the series' ``h``; in series order, then by first date. Series with fewer than
        :data:`MIN_DAYS_SUSTAINED` calendar days give no run.
    """
    missing = [c for c in ("date", "step", "trials", "successes") if c not in daily.columns]
    if missing:
        raise ParameterError(f"sustained_shifts needs a daily frame of step_conversion_daily() or "
                             f"alarm_events_daily(); missing column(s): {', '.join(missing)}")
    if direction not in ("down", "up"):
        raise ParameterError(f"direction={direction!r} must be 'down' (conversion) or 'up' (alarm events)")
    rows = []
    for step, series in daily.groupby("step", sort=False):
        rows += _series_runs(str(step), series, direction)
    out = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    return out.astype({"first_date": "datetime64[ns]", "last_date": "datetime64[ns]",
                       "alarm_date": "datetime64[ns]", "days": "int64", "trials": "int64",
                       "successes": "int64", "rate": "float64", "center": "float64", "threshold": "float64"})


def _series_runs(step: str, series: pd.DataFrame, direction: str) -> list[tuple]:
    """The runs of one series, on its calendar days (a day without trials adds nothing to the CUSUM)."""
    by_day = series.assign(date=pd.to_datetime(series["date"]).dt.normalize()).groupby("date")[
        ["trials", "successes"]].sum()
    days = pd.date_range(by_day.index.min(), by_day.index.max(), freq="D")
    if len(days) < MIN_DAYS_SUSTAINED:
        return []
    by_day = by_day.reindex(days, fill_value=0)
    x, n = by_day["successes"].to_numpy(np.int64), by_day["trials"].to_numpy(np.int64)
    total = n.sum()
    p0 = float(np.clip(block_median_rate(x, n), 0.5 / total, 1 - 0.5 / total))
    h = cusum_threshold(n, p0, direction=direction) * robust_dispersion(x, n, p0)
    path = binomial_cusum(x, n, p0, direction=direction)
    rows = []
    for start, end, alarm in cusum_runs(path, h):
        s, t = int(x[start:end + 1].sum()), int(n[start:end + 1].sum())
        rows.append((step, direction, days[start], days[end], days[alarm], end - start + 1, t, s,
                     s / t if t else float("nan"), p0, h))
    return rows


def alarm_events_daily(sessions: Sessions, alarm_events: Sequence[str]) -> pd.DataFrame:
    """Per alarm event and day: sessions, and how many of them have the event at least once.

    The day of a session is the local date of its first event. Each alarm event is its own series
    (``step`` is the event name), so a report can say which one rose.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events.
    alarm_events : sequence of str
        Error-like event names (``journey.alarm_events``).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`.incidents.DAILY_COLUMNS`: ``trials`` = sessions that day, ``successes`` =
        those with the event, ``rate`` their share; one row per event and day with sessions (a day
        without the event has 0 successes), in the order of ``alarm_events`` and by date.
    """
    names = list(dict.fromkeys(alarm_events))
    if not names or any(not isinstance(e, str) or not e for e in names):
        raise ParameterError(f"alarm_events must be a non-empty list of event names; got {list(alarm_events)!r}")
    t = sessions.table
    flags = {f"_has_{i}": (t.event == name).cast("int64").max() for i, name in enumerate(names)}
    per_session = t.group_by("session").aggregate(date=t.timestamp.min().date(), **flags)
    daily = per_session.group_by("date").aggregate(
        trials=per_session.count(), **{c: per_session[c].sum() for c in flags}).execute()
    frames = [pd.DataFrame({"date": pd.to_datetime(daily["date"]), "step_index": i + 1, "step": name,
                            "trials": daily["trials"].astype("int64"),
                            "successes": daily[f"_has_{i}"].fillna(0).astype("int64")})
              for i, name in enumerate(names)]
    out = pd.concat(frames, ignore_index=True)
    out["step"] = out["step"].astype(object)
    out["step_index"] = out["step_index"].astype("int64")
    out["rate"] = out["successes"] / out["trials"]
    return out.sort_values(["step_index", "date"], kind="stable").reset_index(drop=True)
