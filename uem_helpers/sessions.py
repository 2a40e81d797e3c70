"""Sessions: a user's visit, from the source's session ids or from an inactivity gap.

Definition (DESIGN.md, "sessions")
----------------------------------
A **session** is the source's ``session_id`` when the events carry one;
otherwise (and for events whose ``session_id`` is missing) a user's events
are cut into sessions wherever more than ``gap`` (30 minutes by default)
passes between two consecutive events. A gap of exactly ``gap`` stays in the
session.

Within a session, events are ordered by time, and events stamped at the same
instant by event name, so the order never depends on the order of the rows.
An event's **next event** is the one after it in its session; the last event
of a session has none: the user **exits** there. The **dwell** of an event is
the time until its next event, in seconds (none for the exit event: a log
cannot tell how long the user looked at the last screen).

Only events inside the period are used, so a session running over a period
boundary is cut there.
"""

from __future__ import annotations

from datetime import timedelta

import ibis

from .config import parse_duration
from .period import in_period

#: Target name of the "transition" out of a session's last event.
SESSION_END = "(session end)"
DEFAULT_GAP = timedelta(minutes=30)


def sessionize(
    events: ibis.Table,
    *,
    gap: str | int | timedelta = DEFAULT_GAP,
    period_start: object = None,
    period_end: object = None,
) -> ibis.Table:
    """Events with their session, position in it, next event and dwell (an Ibis expression, not executed).

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, optional session_id, ...).
    gap : str, int or timedelta
        Inactivity that starts a new session when the events have no ``session_id``
        (``"30min"``, ``"1h"`` or seconds).
    period_start, period_end : date-like, optional
        Keep only events in the period (both ends inclusive, see :func:`uem_helpers.period.period_bounds`).

    Returns
    -------
    ibis.Table
        Every column of ``events`` plus ``session`` (a string key unique across users),
        ``position`` (1 for the session's first event), ``next_event`` and
        ``next_timestamp`` (null at the session's last event), ``dwell_seconds``
        (float, null at the last event) and ``is_exit`` (the session's last event).
    """
    gap_seconds = parse_duration(gap).total_seconds()
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    has_ids = "session_id" in t.columns
    given = t.session_id.cast("string") if has_ids else ibis.null("string")
    by_user = ibis.window(group_by=[t.user_id, given.isnull()], order_by=[t.timestamp, t.event])
    previous = t.timestamp.lag().over(by_user)
    starts = previous.isnull() | (t.timestamp.epoch_seconds() - previous.epoch_seconds() > gap_seconds)
    t = t.mutate(_starts=starts.cast("int64"), _given=given)
    t = t.mutate(_number=t._starts.sum().over(
        ibis.window(group_by=[t.user_id, t._given.isnull()], order_by=[t.timestamp, t.event], rows=(None, 0))))
    t = t.mutate(
        session=t.user_id.cast("string").concat(
            "|", ibis.coalesce(t._given.concat("|s"), t._number.cast("string").concat("|g"))
        )
    )
    in_session = ibis.window(group_by=t.session, order_by=[t.timestamp, t.event])
    t = t.mutate(
        position=ibis.row_number().over(in_session) + 1,
        next_event=t.event.lead().over(in_session),
        next_timestamp=t.timestamp.lead().over(in_session),
    )
    t = t.mutate(
        dwell_seconds=(t.next_timestamp.epoch_seconds() - t.timestamp.epoch_seconds()).cast("float64"),
        is_exit=t.next_timestamp.isnull(),
    )
    return t.drop("_starts", "_given", "_number")
