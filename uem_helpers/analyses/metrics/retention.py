"""Retention: the share of a weekly signup cohort active in each later week."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.metrics._common import _check_alpha, _check_column
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.period import in_period
from uem_helpers.stats import wilson_ci


_WEEK_SECONDS = 7 * 86400


def retention(
    events: ibis.Table,
    *,
    weeks: int = 8,
    users: ibis.Table | None = None,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Weekly cohort retention: the share of a cohort active in each week after it started.

    Definitions (weeks are calendar weeks starting on Monday, local time):

    - A user's **start** is their first event in the period; with ``users``
      given, their ``signup_at`` instead (only users who signed up in the period).
    - Their **cohort week** is the week of their start.
    - They are **active in week k** (k = 0 .. ``weeks``) when they have an event
      at or after their start in the calendar week ``k`` weeks after their cohort
      week (events after the period count). Week 0 is 100% for first-event
      cohorts by construction; for signup cohorts it is the share active in the
      signup week after signing up.
    - ``retention = active_users / cohort_users``, with a Wilson interval.
    - Only fully observed weeks are shown: a cohort whose week began before
      the day of the data's first event is left out (its week 0 is not fully
      observed; for first-event cohorts it would also mix in everyone already
      active), and so is a week that had not ended by the data's last event, so
      the triangle never shows an incomplete week and no rate counts one.
    - A cohort is **complete** (``complete_cohort``) when its whole follow-up
      window, weeks 0 .. ``weeks``, ended by the data's last event; an
      incomplete cohort shows only its complete weeks (none, when even its week 0
      runs past the data). The data's last event is in ``.attrs["data_end"]``,
      so a report can say how much follow-up is missing.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    weeks : int
        Last week after the cohort week to report.
    users : ibis.Table, optional
        Canonical users: cohorts by signup week instead of first-event week.
    segment_by : str, optional
        Column to break down by: from ``users`` when given, else from the events
        row of the user's first event in the period.
    period_start, period_end : date-like, optional
        Starts (first events or signups) in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``cohort_week`` (datetime64, the Monday), [segment], ``week`` (0..weeks),
        ``cohort_users``, ``active_users``, ``retention``, ``low``, ``high``, ``complete_cohort``;
        one row per cohort and complete week, with 0 for weeks without activity;
        ``.attrs["data_end"]`` (the data's last event, a Timestamp; None when empty) and
        ``.attrs["incomplete_cohorts"]`` (cohorts whose window passes it, all weeks left out included),
        ``.attrs["cohorts"]`` (all cohorts) and ``.attrs["first_incomplete"]`` (the first incomplete
        cohort's week, or None).
    """
    _check_alpha(alpha)
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)) or weeks < 0:
        raise ParameterError(f"weeks={weeks!r}: give a whole number of weeks of 0 or more, e.g. 8")
    seg = [segment_by] if segment_by else []
    if users is None:
        if segment_by:
            _check_column(events, segment_by, "events", "segment_by")
        t = events.filter(in_period(events.timestamp, period_start, period_end))
        aggs = {"_start": t.timestamp.min()}
        if segment_by:
            aggs[segment_by] = t[segment_by].argmin(t.timestamp)
        cohorts = t.group_by("user_id").aggregate(**aggs)
    else:
        if segment_by:
            _check_column(users, segment_by, "users", "segment_by")
        u = users.filter(in_period(users.signup_at, period_start, period_end))
        cohorts = u.select("user_id", *seg, _start=u.signup_at)
    cohorts = cohorts.mutate(_cohort_week=cohorts._start.truncate("W"))
    cohorts = cohorts.mutate(
        _cohort_users=cohorts.user_id.count().over(ibis.window(group_by=[cohorts._cohort_week, *seg]))
    )
    weekly = events.group_by(
        _a_user=events.user_id, _week_start=events.timestamp.truncate("W")
    ).aggregate(_last_ts=events.timestamp.max())
    j = cohorts.left_join(weekly, [
        cohorts.user_id == weekly._a_user,
        weekly._last_ts >= cohorts._start,
        weekly._week_start <= cohorts._cohort_week + ibis.interval(days=7 * int(weeks)),
    ])
    week = ((j._week_start.epoch_seconds() - j._cohort_week.epoch_seconds()) / _WEEK_SECONDS).round().cast("int64")
    grid = j.group_by(cohort_week=j._cohort_week, **{s: j[s] for s in seg}, week=week).aggregate(
        active_users=j._a_user.nunique(), cohort_users=j._cohort_users.max()
    ).mutate(_data_start=events.timestamp.min(), _data_end=events.timestamp.max())
    df = grid.execute()
    return _retention_frame(df, weeks, seg, alpha)


def _retention_frame(df: pd.DataFrame, weeks: int, seg: list[str], alpha: float) -> pd.DataFrame:
    """The tidy triangle: every cohort x complete week, 0 where nobody was active."""
    columns = ["cohort_week", *seg, "week", "cohort_users", "active_users", "retention", "low", "high",
               "complete_cohort"]
    if df.empty:
        empty = pd.DataFrame(columns=columns)
        empty.attrs.update(data_end=None, incomplete_cohorts=0, cohorts=0, first_incomplete=None)
        return empty
    data_start = pd.Timestamp(df["_data_start"].iloc[0]).normalize()
    data_end = pd.Timestamp(df["_data_end"].iloc[0])
    df["cohort_week"] = pd.to_datetime(df["cohort_week"])
    df = df[df["cohort_week"] >= data_start]
    cohorts = df.groupby(["cohort_week", *seg], dropna=False)["cohort_users"].max().reset_index()
    grid = cohorts.merge(pd.DataFrame({"week": np.arange(weeks + 1, dtype="int64")}), how="cross")
    active = df.dropna(subset=["week"]).astype({"week": "int64"})[["cohort_week", *seg, "week", "active_users"]]
    out = grid.merge(active, on=["cohort_week", *seg, "week"], how="left")
    out["active_users"] = out["active_users"].fillna(0).astype("int64")
    out["cohort_users"] = out["cohort_users"].astype("int64")
    week_end = out["cohort_week"] + pd.to_timedelta(7 * (out["week"] + 1), unit="D")
    out["complete_cohort"] = out["cohort_week"] + pd.Timedelta(days=7 * (weeks + 1)) <= data_end
    cohort_rows = out.drop_duplicates(["cohort_week", *seg])
    incomplete = int((~cohort_rows["complete_cohort"]).sum())
    first_incomplete = cohort_rows.loc[~cohort_rows["complete_cohort"], "cohort_week"].min() if incomplete else None
    out = out[week_end <= data_end].sort_values(["cohort_week", *seg, "week"]).reset_index(drop=True)
    out["retention"] = out["active_users"] / out["cohort_users"]
    out["low"], out["high"] = wilson_ci(out["active_users"], out["cohort_users"], alpha=alpha)
    out = out[columns]
    out.attrs.update(data_end=data_end, incomplete_cohorts=incomplete, cohorts=len(cohort_rows),
                     first_incomplete=first_incomplete)
    return out
