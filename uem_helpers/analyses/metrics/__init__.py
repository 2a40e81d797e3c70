"""The metrics system: NPS, DAU/MAU stickiness, bounce, task completion, first success, retention.

Every function builds one Ibis expression, executes it once and returns a small
pandas frame. Periods follow :mod:`uem_helpers.core.period` (both ends inclusive);
``by="month"`` breaks a metric down by calendar month of the local (naive,
config time zone) timestamp, ``by=None`` gives one row for the whole period.
A period without data gives a frame with the usual columns and no rows.

Common columns of the monthly frames
------------------------------------
Every metric frame carries ``value`` (the metric), ``low`` and ``high`` (its
``1 - alpha`` interval) and, with ``by="month"``, ``month`` (``"YYYY-MM"``).
Rates also carry ``successes`` and ``trials``, so two months compare with
Newcombe's interval (:func:`month_change`); NPS and stickiness carry ``se``,
so two months compare with a normal interval.

Definitions (DESIGN.md, "Metric definitions")
---------------------------------------------
NPS
    % promoters (score 9-10) minus % detractors (0-6), in points (-100..100),
    by the answer's time. See :func:`nps`.
Stickiness
    Mean DAU over the month's days / MAU. See :func:`stickiness`.
Bounce rate
    Single-event sessions / sessions. See :func:`bounce_rate`.
Task completion
    Completed tasks / started tasks (retries inside an open task are not new
    tasks). See :func:`task_completion`.
First-success rate
    New users doing the key action within N days of signup / new users whose
    N days are observed. See :func:`first_success`.
Retention
    Share of a weekly cohort active in each later week. See :func:`retention`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from uem_helpers.core.config import parse_duration
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.core.period import in_period
from uem_helpers.analyses.sessions import DEFAULT_GAP, sessionize
from uem_helpers.stats import wilson_ci

#: Score bounds of the NPS groups (inclusive).
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
#: Kinds of :func:`row_change`: rates compare counts, the others a value and its standard error.
CHANGE_KINDS = ("rate", "nps", "stickiness", "normal")
_WEEK_SECONDS = 7 * 86400


# --- NPS ---------------------------------------------------------------------------------


def nps(
    nps: ibis.Table,
    *,
    by: str | None = None,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Net Promoter Score with its standard error and interval, and the promoter/passive/detractor split.

    Definition: each answer (``score`` 0-10) is a **promoter** (9-10), a
    **passive** (7-8) or a **detractor** (0-6). With ``n`` answers and the shares
    ``pP`` of promoters and ``pD`` of detractors,
    ``NPS = 100 · (pP - pD)`` points (-100 to 100). Its standard error is that
    of a difference of two shares of one multinomial sample,
    ``SE = 100 · sqrt((pP + pD - (pP - pD)²) / n)``, and the interval is the
    normal one, ``NPS ± z · SE``, clipped to [-100, 100]. Answers are placed by
    ``answered_at``.

    Parameters
    ----------
    nps : ibis.Table
        Canonical NPS answers (response_id, user_id, answered_at, score, optional touchpoint).
    by : {None, "month", "touchpoint"}
        One row for the whole period, one per calendar month, or one per touchpoint tag.
    segment_by : str, optional
        A column of the NPS table to break down by as well.
    period_start, period_end : date-like, optional
        Answers in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the interval (0.05 gives 95%).

    Returns
    -------
    pandas.DataFrame
        [``month`` | ``touchpoint``], [segment], ``responses``, ``promoters``,
        ``passives``, ``detractors``, ``promoter_share``, ``passive_share``,
        ``detractor_share``, ``nps`` (points), ``se``, ``low``, ``high``, ``value``
        (= ``nps``). Groups without answers are absent.
    """
    _check_alpha(alpha)
    _check_by(by, ("month", "touchpoint"), "nps")
    if by == "touchpoint":
        _check_column(nps, "touchpoint", "nps", "by='touchpoint'")
    t = nps.filter(in_period(nps.answered_at, period_start, period_end))
    keys = _keys(t, t.answered_at, by, segment_by, "nps")
    aggs = {
        "responses": t.count(),
        "promoters": t.count(where=t.score >= PROMOTER_MIN),
        "detractors": t.count(where=t.score <= DETRACTOR_MAX),
    }
    df = _finish_keys(_aggregate(t, keys, aggs).execute(), by)
    df = df[df["responses"] > 0].reset_index(drop=True)
    n = df["responses"].astype(float)
    df["passives"] = df["responses"] - df["promoters"] - df["detractors"]
    df["promoter_share"] = df["promoters"] / n
    df["passive_share"] = df["passives"] / n
    df["detractor_share"] = df["detractors"] / n
    df["nps"], df["se"] = nps_score(df["promoters"], df["detractors"], df["responses"])
    z = _z(alpha)
    df["low"] = (df["nps"] - z * df["se"]).clip(-100, 100)
    df["high"] = (df["nps"] + z * df["se"]).clip(-100, 100)
    df["value"] = df["nps"]
    front = _front(by, segment_by)
    return df[front + ["responses", "promoters", "passives", "detractors", "promoter_share", "passive_share",
                       "detractor_share", "nps", "se", "low", "high", "value"]]


def nps_score(promoters, detractors, responses):
    """NPS in points and its standard error from counts (vectorised).

    ``NPS = 100 · (pP - pD)``, ``SE = 100 · sqrt((pP + pD - (pP - pD)²) / n)``
    with ``pP = promoters / n`` and ``pD = detractors / n``; NaN when ``n`` is 0.

    Parameters
    ----------
    promoters, detractors, responses : int or array-like
        Counts of answers scoring 9-10, 0-6, and all answers.

    Returns
    -------
    tuple
        ``(nps, se)``, floats or arrays/Series like the input.
    """
    n = np.asarray(responses, dtype=float) if not isinstance(responses, pd.Series) else responses.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_p, p_d = promoters / n, detractors / n
        score = 100 * (p_p - p_d)
        se = 100 * np.sqrt(np.maximum(p_p + p_d - (p_p - p_d) ** 2, 0) / n)
    if np.ndim(score) == 0:
        return float(score), float(se)
    return score, se


# --- activity: DAU, stickiness -----------------------------------------------------------


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
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    t = t.mutate(_day=t.timestamp.date())
    month_keys = _keys(t, t.timestamp, by, None, "events")
    keys = _keys(t, t.timestamp, by, segment_by, "events")
    daily = _aggregate(t, {**keys, "_day": t._day}, {"dau": t.user_id.nunique()})
    per = _aggregate(
        daily, {k: daily[k] for k in keys},
        {"sum_dau": daily.dau.sum(), "sum_sq": (daily.dau * daily.dau).sum()},
    )
    days = _aggregate(t, month_keys, {"days": t._day.nunique()})
    mau = _aggregate(t, keys, {"mau": t.user_id.nunique()})
    joined = _join(_join(mau, per, list(keys)), days, list(month_keys))
    df = _finish_keys(joined.execute(), by)
    df = df[df["mau"] > 0].reset_index(drop=True)
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
    return df[_front(by, segment_by) + ["days", "mean_dau", "mau", "stickiness", "se", "low", "high", "value"]]


# --- sessions: bounce ------------------------------------------------------------------


def bounce_rate(
    events: ibis.Table,
    *,
    gap: str | int | timedelta = DEFAULT_GAP,
    by: str | None = None,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Bounce rate: sessions with a single event / sessions, with a Wilson interval.

    Sessions are those of :func:`uem_helpers.analyses.sessions.sessionize`: the source's
    ``session_id`` when present, else a ``gap`` of inactivity; only events in
    the period are used (a session running over a period end is cut there). A
    session is placed in the month of its first event; ``segment_by`` is read
    from that first event's row.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    gap : str, int or timedelta
        Inactivity that starts a new session (events without ``session_id``).
    by : {None, "month"}
        One row for the whole period or one per calendar month.
    segment_by : str, optional
        An events column to break down by.
    period_start, period_end : date-like, optional
        Events in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        [``month``], [segment], ``sessions``, ``bounces``, ``rate``, ``low``,
        ``high``, ``successes`` (= bounces), ``trials`` (= sessions), ``value`` (= rate).
    """
    _check_alpha(alpha)
    _check_by(by, ("month",), "bounce_rate")
    if segment_by:
        _check_column(events, segment_by, "events", "segment_by")
    columns = ["user_id", "timestamp", "event"] + [c for c in ("session_id", segment_by) if c and c in events.columns]
    s = sessionize(events.select(*dict.fromkeys(columns)), gap=gap, period_start=period_start, period_end=period_end)
    first = s.filter(s.position == 1)  # one row per session; is_exit there means a single-event session
    keys = _keys(first, first.timestamp, by, segment_by, "events")
    df = _aggregate(first, keys, {"sessions": first.count(), "bounces": first.count(where=first.is_exit)}).execute()
    df = _finish_keys(df, by)
    df = df[df["sessions"] > 0].reset_index(drop=True)
    df = _rate_columns(df, "bounces", "sessions", alpha)
    return df[_front(by, segment_by) + ["sessions", "bounces", "rate", "low", "high", "successes", "trials", "value"]]


# --- tasks -------------------------------------------------------------------------------


def task_completion(
    events: ibis.Table,
    start_event: str,
    success_event: str,
    *,
    window: str | int | timedelta = "1h",
    by: str | None = None,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Task completion: completed tasks / started tasks, with a Wilson interval.

    Definition, per user, on their ``start_event`` and ``success_event`` events
    in time order (at one instant a start comes before a success):

    - A start **begins a task** unless it is a **retry**: a start is a retry
      when the user's previous start was at most ``window`` earlier and no
      success came at or after that previous start and before this one. A
      retry belongs to the open task and restarts its clock, so a task is open
      from its first start until ``window`` after its last retry, or until its
      success.
    - A task is **completed** when the user has a success event at or after
      its first start and at most ``window`` after its last start (inclusive).
      A success at the same instant as a start counts for that start's task.
      A success closes the task: the next start begins a new one.
    - A task is counted in the period (and month) of its first start. Events
      outside the period still complete or extend a task that began inside it.
      A task started less than ``window`` before the end of the data may not
      have had its full window yet and then counts as not completed.

    Why the clock restarts: "the previous task is still open" would otherwise
    depend on which earlier starts were themselves tasks, a chain no engine
    query can follow without recursion; restarting the clock is what a user
    who tries again experiences, and it keeps one rule for every backend.

    Example (``window = 1h``): starts at 0:00, 0:50 and 1:20, success at 1:30
    -> one task (0:50 and 1:20 are retries), completed. Starts at 0:00 and 2:00
    without a success -> two tasks, none completed.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    start_event, success_event : str
        Event names that start and complete a task (different names).
    window : str, int or timedelta
        Time allowed from a task's last start to its success, e.g. ``"1h"``.
    by : {None, "month"}
        One row for the whole period or one per calendar month of the task's first start.
    segment_by : str, optional
        An events column to break down by, read from the task's first start.
    period_start, period_end : date-like, optional
        Tasks whose first start is in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        [``month``], [segment], ``started`` (tasks), ``completed``, ``retries``
        (starts that were retries), ``rate``, ``low``, ``high``, ``successes``
        (= completed), ``trials`` (= started), ``value`` (= rate).
    """
    _check_alpha(alpha)
    _check_by(by, ("month",), "task_completion")
    if start_event == success_event:
        raise ParameterError(
            f"start_event and success_event are both {start_event!r}; a task needs two different events"
        )
    seconds = _window_seconds(window)
    if segment_by:
        _check_column(events, segment_by, "events", "segment_by")
    win = ibis.interval(seconds=seconds)
    ev = events.filter(events.event.isin([start_event, success_event]))
    ev = ev.select(
        "user_id", "timestamp", *([segment_by] if segment_by else []),
        _success=(ev.event == success_event).cast("int64"),
    )
    success_ts = ibis.ifelse(ev._success == 1, ev.timestamp, ibis.null("timestamp"))
    order = [ev.timestamp, ev._success]
    ev = ev.mutate(
        _last_success=success_ts.max().over(ibis.window(group_by="user_id", order_by=order, rows=(None, 0))),
        _next_success=success_ts.min().over(ibis.window(group_by="user_id", order_by=order, rows=(0, None))),
    )
    starts = ev.filter(ev._success == 0)
    previous = starts.timestamp.lag().over(ibis.window(group_by="user_id", order_by=starts.timestamp))
    after_success = (starts._last_success >= previous).fill_null(False)
    begins = previous.isnull() | (starts.timestamp > previous + win) | after_success
    starts = starts.mutate(_begins=begins.cast("int64"))
    starts = starts.mutate(_task=starts._begins.sum().over(
        ibis.window(group_by="user_id", order_by=[starts.timestamp, starts._begins.desc()], rows=(None, 0))))
    task_aggs = {
        "first_start": starts.timestamp.min(),
        "last_start": starts.timestamp.max(),
        "n_starts": starts.count(),
        "next_success": starts._next_success.min(),
    }
    if segment_by:
        task_aggs[segment_by] = starts[segment_by].argmin(starts.timestamp)
    tasks = starts.group_by("user_id", "_task").aggregate(**task_aggs)
    tasks = tasks.filter(in_period(tasks.first_start, period_start, period_end))
    done = tasks.next_success.notnull() & (tasks.next_success <= tasks.last_start + win)
    keys = _keys(tasks, tasks.first_start, by, segment_by, "events")
    df = _aggregate(tasks, keys, {
        "started": tasks.count(), "completed": tasks.count(where=done), "retries": (tasks.n_starts - 1).sum(),
    }).execute()
    df = _finish_keys(df, by)
    df = df[df["started"] > 0].reset_index(drop=True)
    df["retries"] = df["retries"].fillna(0).astype("int64")
    df = _rate_columns(df, "completed", "started", alpha)
    return df[_front(by, segment_by) + ["started", "completed", "retries", "rate", "low", "high",
                                         "successes", "trials", "value"]]


# --- new users: first success ----------------------------------------------------------


def first_success(
    users: ibis.Table,
    events: ibis.Table,
    key_event: str,
    *,
    days: int = 7,
    by: str | None = "month",
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """First-success rate: new users doing the key action within N days of signup.

    Definition: the **new users** of a month are the users whose ``signup_at``
    falls in it (and in the period). A new user **succeeds** when they have a
    ``key_event`` at or after ``signup_at`` and at most ``days`` days after it
    (inclusive); events after the period count, so a late-month signup gets
    its full N days. Only users whose N-day window lies inside the data's
    observed range are counted: ``signup_at`` on or after the day of the first
    event of ``events`` and ``signup_at + days`` at or before its last event.
    The others are **left out** (counted in ``left_out``): they have not had
    their N days yet, or signed up before the event log begins.
    ``rate = successes / new_users``, with a Wilson interval.

    Parameters
    ----------
    users : ibis.Table
        Canonical users (user_id, signup_at, ...).
    events : ibis.Table
        Canonical events.
    key_event : str
        The event that counts as the first success, e.g. ``"order_success"``.
    days : int
        Days after signup allowed for the key action.
    by : {"month", None}
        One row per calendar month of signup, or one for the whole period.
    segment_by : str, optional
        A users column to break down by.
    period_start, period_end : date-like, optional
        Signups in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        [``month``], [segment], ``new_users`` (with a complete window),
        ``left_out`` (signed up in the period, window not complete),
        ``successes``, ``rate``, ``low``, ``high``, ``trials`` (= new_users),
        ``value`` (= rate). Months whose every signup was left out have
        ``new_users`` 0 and NaN rate.
    """
    _check_alpha(alpha)
    _check_by(by, ("month",), "first_success")
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days <= 0:
        raise ParameterError(f"days={days!r}: give a whole number of days of 1 or more, e.g. 7")
    if segment_by:
        _check_column(users, segment_by, "users", "segment_by")
    u = users.filter(in_period(users.signup_at, period_start, period_end))
    u = u.select("user_id", "signup_at", *([segment_by] if segment_by else []))
    horizon = u.signup_at + ibis.interval(days=int(days))
    observed = (u.signup_at >= events.timestamp.min().truncate("D")) & (horizon <= events.timestamp.max())
    u = u.mutate(_horizon=horizon, _complete=observed)
    key = events.filter(events.event == key_event).select(_k_user=events.user_id, _k_ts=events.timestamp)
    j = u.left_join(key, [u.user_id == key._k_user, key._k_ts >= u.signup_at, key._k_ts <= u._horizon])
    per_user = j.group_by([c for c in u.columns]).aggregate(_hits=j._k_ts.count())
    keys = _keys(per_user, per_user.signup_at, by, segment_by, "users")
    ok = per_user._complete.fill_null(False)
    df = _aggregate(per_user, keys, {
        "new_users": per_user.count(where=ok),
        "left_out": per_user.count(where=~ok),
        "successes": per_user.count(where=ok & (per_user._hits > 0)),
    }).execute()
    df = _finish_keys(df, by)
    df = df[(df["new_users"] + df["left_out"]) > 0].reset_index(drop=True)
    df = _rate_columns(df, "successes", "new_users", alpha)
    return df[_front(by, segment_by) + ["new_users", "left_out", "successes", "rate", "low", "high",
                                         "trials", "value"]]


# --- retention ---------------------------------------------------------------------------


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
      the triangle never shows an incomplete week.

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
        ``cohort_users``, ``active_users``, ``retention``, ``low``, ``high``;
        one row per cohort and complete week, with 0 for weeks without activity.
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
    columns = ["cohort_week", *seg, "week", "cohort_users", "active_users", "retention", "low", "high"]
    if df.empty:
        return pd.DataFrame(columns=columns)
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
    out = out[week_end <= data_end].sort_values(["cohort_week", *seg, "week"]).reset_index(drop=True)
    out["retention"] = out["active_users"] / out["cohort_users"]
    out["low"], out["high"] = wilson_ci(out["active_users"], out["cohort_users"], alpha=alpha)
    return out[columns]


# --- comparing two months ------------------------------------------------------------------


def month_change(
    frame: pd.DataFrame,
    this_month: object,
    last_month: object,
    *,
    kind: str | None = None,
    alpha: float = 0.05,
) -> pd.Series:
    """The change of a monthly metric from ``last_month`` to ``this_month``, with its interval.

    See :func:`row_change` for the methods. ``frame`` is a monthly frame of this
    module (one row per month: filter segments first).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``month``, ``value`` and ``successes``/``trials`` (rates) or ``se``.
    this_month, last_month : str, date or pandas.Timestamp
        The months, e.g. ``"2026-10"`` and ``"2026-09"``.
    kind : {"rate", "nps", "stickiness", "normal"}, optional
        How to compare; inferred from the columns when omitted.
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    pandas.Series
        As :func:`row_change`; NaN values when a month has no row.

    Raises
    ------
    ParameterError
        No ``month`` column, or a month has more than one row.
    """
    if "month" not in frame.columns:
        raise ParameterError(
            f"month_change needs a 'month' column (a frame made with by='month'); got {list(frame.columns)}"
        )
    rows = []
    for m in (last_month, this_month):
        label = month_label(m)
        sel = frame[frame["month"] == label]
        if len(sel) > 1:
            raise ParameterError(
                f"month {label} has {len(sel)} rows (segments?); pick one row per month before comparing months"
            )
        rows.append(sel.iloc[0] if len(sel) else None)
    return row_change(rows[0], rows[1], kind=kind, alpha=alpha)


def row_change(
    last: Mapping | None, this: Mapping | None, *, kind: str | None = None, alpha: float = 0.05
) -> pd.Series:
    """The change ``this - last`` of a metric between two independent samples, with its interval.

    Methods:

    - ``"rate"`` (rows with ``successes`` and ``trials``): the difference of two
      proportions with Newcombe's hybrid score interval and the pooled z-test
      (:func:`uem_helpers.analyses.experiment.compare_rates`).
    - ``"nps"``, ``"stickiness"``, ``"normal"`` (rows with ``value`` and ``se``):
      ``change ± z · sqrt(se_last² + se_this²)`` and the two-sided normal test,
      for independent samples (two months' answers, two months' days).

    Parameters
    ----------
    last, this : mapping or pandas.Series, or None
        Rows of a metric frame (``value`` and ``successes``/``trials`` or ``se``); None when missing.
    kind : str, optional
        One of :data:`CHANGE_KINDS`; inferred from the rows when omitted (rate when both have trials).
    alpha : float
        Two-sided level.

    Returns
    -------
    pandas.Series
        ``last_value``, ``this_value``, ``change``, ``change_low``, ``change_high``,
        ``p_value``, ``kind``; NaN where a row is missing or holds no data.
    """
    _check_alpha(alpha)
    if kind is not None and kind not in CHANGE_KINDS:
        raise ParameterError(f"kind={kind!r} is not a kind of change; use one of: {', '.join(CHANGE_KINDS)}")
    nan = float("nan")
    last_value = _get(last, "value")
    this_value = _get(this, "value")
    if kind is None:
        kind = "rate" if not (math.isnan(_get(last, "trials")) or math.isnan(_get(this, "trials"))) else "normal"
    out = {"last_value": last_value, "this_value": this_value, "change": this_value - last_value,
           "change_low": nan, "change_high": nan, "p_value": nan, "kind": kind}
    if kind == "rate":
        s_a, n_a, s_b, n_b = (_get(r, k) for r in (last, this) for k in ("successes", "trials"))
        if all(not math.isnan(x) for x in (s_a, n_a, s_b, n_b)) and n_a > 0 and n_b > 0:
            r = compare_rates(int(s_a), int(n_a), int(s_b), int(n_b), metric="rate", alpha=alpha)
            out.update(change=r.abs_effect, change_low=r.ci_low, change_high=r.ci_high, p_value=r.p_value)
    else:
        se = math.hypot(_get(last, "se"), _get(this, "se"))
        if not math.isnan(out["change"]) and not math.isnan(se):
            z = _z(alpha)
            out.update(change_low=out["change"] - z * se, change_high=out["change"] + z * se)
            out["p_value"] = (1.0 if out["change"] == 0 else 0.0) if se == 0 else float(
                2 * sps.norm.sf(abs(out["change"]) / se))
    return pd.Series(out)


def nps_change(last: Mapping, this: Mapping, *, alpha: float = 0.05) -> pd.Series:
    """Change of NPS between two independent samples (rows of :func:`nps`): points, normal interval.

    ``change = NPS_this - NPS_last``, ``SE = sqrt(SE_last² + SE_this²)``,
    interval ``change ± z · SE``; see :func:`row_change`.
    """
    return row_change(last, this, kind="nps", alpha=alpha)


def month_label(value: object) -> str:
    """A month as ``"YYYY-MM"`` from ``"2026-10"``, a date, a datetime or a pandas Timestamp."""
    if isinstance(value, str):
        text = value.strip()
        try:
            datetime.strptime(text[:7], "%Y-%m")
        except ValueError:
            raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10") from None
        if len(text) not in (7, 10):
            raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        return text[:7]
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return f"{value:%Y-%m}"
    raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10")


# --- internals ---------------------------------------------------------------------------


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}: give a number between 0 and 1, e.g. 0.05 for 95% intervals")


def _check_by(by: str | None, allowed: tuple[str, ...], function: str) -> None:
    if by is not None and by not in allowed:
        choices = ", ".join(repr(a) for a in (None, *allowed))
        raise ParameterError(f"{function}: by={by!r} is not a breakdown; use one of: {choices}")


def _check_column(table: ibis.Table, column: str, table_name: str, what: str) -> None:
    if column not in table.columns:
        raise ParameterError(
            f"{what}: table '{table_name}' has no column '{column}'; its columns are: {', '.join(table.columns)}"
        )


def _window_seconds(window: str | int | timedelta) -> int:
    try:
        return int(parse_duration(window).total_seconds())
    except ValueError as exc:
        raise ParameterError(f"window={window!r}: give {exc}") from None


def _keys(table: ibis.Table, ts: ibis.Value, by: str | None, segment_by: str | None, table_name: str) -> dict:
    """Grouping expressions: the month key (year * 100 + month), the touchpoint and the segment."""
    keys = {}
    if by == "month":
        keys["month"] = ts.year() * 100 + ts.month()
    elif by == "touchpoint":
        keys["touchpoint"] = table.touchpoint
    if segment_by:
        _check_column(table, segment_by, table_name, "segment_by")
        keys[segment_by] = table[segment_by]
    return keys


def _aggregate(table: ibis.Table, keys: dict, aggs: dict) -> ibis.Table:
    return table.group_by(**keys).aggregate(**aggs) if keys else table.aggregate(**aggs)


def _join(a: ibis.Table, b: ibis.Table, keys: list[str]) -> ibis.Table:
    return a.join(b, keys) if keys else a.cross_join(b)


def _finish_keys(df: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The month key as ``"YYYY-MM"``, rows sorted by their keys, counts as integers."""
    if by == "month" and "month" in df.columns:
        key = df["month"].astype("int64")
        df["month"] = [f"{k // 100:04d}-{k % 100:02d}" for k in key]
    sort = [c for c in ("month", "touchpoint") if c in df.columns]
    if sort:
        df = df.sort_values(sort, kind="stable")
    for c in ("responses", "promoters", "detractors", "sessions", "bounces", "started", "completed",
              "new_users", "left_out", "successes", "mau", "days"):
        if c in df.columns:
            df[c] = df[c].fillna(0).astype("int64")
    return df.reset_index(drop=True)


def _front(by: str | None, segment_by: str | None) -> list[str]:
    return ([by] if by else []) + ([segment_by] if segment_by else [])


def _rate_columns(df: pd.DataFrame, successes: str, trials: str, alpha: float) -> pd.DataFrame:
    """``rate``, Wilson ``low``/``high``, ``successes``, ``trials`` and ``value`` from two count columns."""
    s, n = df[successes].astype("int64"), df[trials].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        df["rate"] = s / n.where(n > 0)
    df["low"], df["high"] = wilson_ci(s, n, alpha=alpha) if len(df) else (pd.Series(dtype=float),) * 2
    df["successes"], df["trials"] = s, n
    df["value"] = df["rate"]
    return df


def _z(alpha: float) -> float:
    return float(sps.norm.ppf(1 - alpha / 2))


def _get(row: Mapping | None, key: str) -> float:
    if row is None:
        return float("nan")
    try:
        value = row[key]
    except (KeyError, IndexError):
        return float("nan")
    return float("nan") if value is None or pd.isna(value) else float(value)


__all__ = [
    "bounce_rate", "dau", "first_success", "month_change", "month_label", "nps", "nps_change", "nps_score",
    "retention", "row_change", "stickiness", "task_completion",
]
