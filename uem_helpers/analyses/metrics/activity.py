"""Activity: daily active users, and stickiness = mean DAU over the month's days / MAU."""

from __future__ import annotations


import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from uem_helpers.analyses.metrics._common import (
    _aggregate,
    _check_alpha,
    _check_by,
    _check_column,
    _finish_keys,
    _front,
    _join,
    _keys,
)
from uem_helpers.core.period import in_period


def dau(
    events: ibis.Table,
    *,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
) -> pd.DataFrame:
    """Daily active users: distinct users with at least one event on each local calendar day.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    segment_by : str, optional
        An events column to break down by.
    period_start, period_end : date-like, optional
        Days in this period (both ends inclusive).

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime64, midnight), [segment], ``dau``; days without events are absent.
    """
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    keys = {"date": t.timestamp.date()}
    if segment_by:
        _check_column(t, segment_by, "events", "segment_by")
        keys[segment_by] = t[segment_by]
    df = t.group_by(**keys).aggregate(dau=t.user_id.nunique()).execute()
    df["date"] = pd.to_datetime(df["date"])
    df["dau"] = df["dau"].astype("int64")
    return df.sort_values(list(keys)).reset_index(drop=True)[list(keys) + ["dau"]]


def stickiness(
    events: ibis.Table,
    *,
    by: str | None = "month",
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Stickiness: mean DAU over the month's days divided by MAU.

    Definitions, per calendar month (or the whole period with ``by=None``):

    - **DAU** of a day: distinct users with an event that local calendar day.
    - **days**: the days of the month (inside the period) with at least one
      event of anyone. A day without any event is taken as not observed (a
      logging gap), not as a day with DAU 0. A segment's DAU is 0 on an observed
      day without its users.
    - **mean DAU**: the sum of the daily DAU over those days / ``days``.
    - **MAU**: distinct users with an event in the month (inside the period).
      With ``by=None`` it is the users active in the whole period.
    - **stickiness** = mean DAU / MAU (between 0 and 1).
    - Interval: the Student-t interval of the mean DAU over the days
      (``mean ± t(days - 1) · sd / sqrt(days)``), divided by MAU, clipped to
      [0, 1]. MAU is taken as fixed (it is a count of the same month, not an
      estimate), so the interval only reflects day-to-day variation of DAU.
      ``se = sd / sqrt(days) / MAU``. One observed day gives no interval.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    by : {"month", None}
        One row per calendar month, or one for the whole period.
    segment_by : str, optional
        An events column to break down by (a user counts in each segment they were active in).
    period_start, period_end : date-like, optional
        Events in this period (both ends inclusive).
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        [``month``], [segment], ``days``, ``mean_dau``, ``mau``, ``stickiness``,
        ``se``, ``low``, ``high``, ``value`` (= ``stickiness``).
    """
    _check_alpha(alpha)
    _check_by(by, ("month",), "stickiness")
    df = _finish_keys(_stickiness_counts(events, by, segment_by, period_start, period_end).execute(), by)
    df = _stickiness_columns(df[df["mau"] > 0].reset_index(drop=True), alpha)
    return df[_front(by, segment_by) + ["days", "mean_dau", "mau", "stickiness", "se", "low", "high", "value"]]


def _stickiness_counts(
    events: ibis.Table, by: str | None, segment_by: str | None, period_start: object, period_end: object
) -> ibis.Table:
    """Per month [and segment]: ``mau``, ``sum_dau``, ``sum_sq`` (of the daily DAU) and the observed ``days``.

    Everything comes from one distinct projection of the events to (user, day, [segment]): the DAU of a
    day is its number of users there, MAU the distinct users of the month there, and the observed days
    are counted from the daily rows (a day with only user-less events is a daily row with DAU 0). The
    event log is grouped once, so the engine holds one hash table of it, not one per count.
    """
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    segment = {}
    if segment_by:
        _check_column(t, segment_by, "events", "segment_by")
        segment = {segment_by: t[segment_by]}
    pairs = t.select(user_id=t.user_id, _day=t.timestamp.date(), **segment).distinct()
    month_keys = _keys(pairs, pairs._day, by, None, "events")
    keys = _keys(pairs, pairs._day, by, segment_by, "events")
    daily = _aggregate(pairs, {**keys, "_day": pairs._day}, {"dau": pairs.user_id.count()})
    per = _aggregate(
        daily, {k: daily[k] for k in keys},
        {"sum_dau": daily.dau.sum(), "sum_sq": (daily.dau * daily.dau).sum()},
    )
    days = _aggregate(daily, {k: daily[k] for k in month_keys}, {"days": daily._day.nunique()})
    mau = _aggregate(pairs, keys, {"mau": pairs.user_id.nunique()})
    return _join(_join(mau, per, list(keys)), days, list(month_keys))


def _stickiness_columns(df: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``mean_dau``, ``stickiness``, its ``se`` and the t interval ``low``/``high`` from the monthly counts."""
    d = df["days"].astype(float)
    mean = df["sum_dau"].astype(float) / d
    with np.errstate(divide="ignore", invalid="ignore"):
        var = ((df["sum_sq"].astype(float) - d * mean**2) / (d - 1)).clip(lower=0)
        se_mean = np.sqrt(var / d).where(d > 1)
    half = se_mean * sps.t.ppf(1 - alpha / 2, (d - 1).clip(lower=1))
    mau_f = df["mau"].astype(float)
    df["mean_dau"] = mean
    df["stickiness"] = mean / mau_f
    df["se"] = se_mean / mau_f
    df["low"] = ((mean - half) / mau_f).clip(0, 1)
    df["high"] = ((mean + half) / mau_f).clip(0, 1)
    df["value"] = df["stickiness"]
    df["days"] = df["days"].astype("int64")
    df["mau"] = df["mau"].astype("int64")
    return df
