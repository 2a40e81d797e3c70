"""Tasks: task completion (completed / started tasks) and the first-success rate (new users doing the
key action within N days of signup).
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.metrics._common import (
    _aggregate,
    _check_alpha,
    _check_by,
    _check_column,
    _finish_keys,
    _front,
    _keys,
    _rate_columns,
    _window_seconds,
)
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.period import in_period


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
