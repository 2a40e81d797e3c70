"""Bounce rate: single-event sessions / sessions."""

from __future__ import annotations

from datetime import timedelta

import ibis
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
)
from uem_helpers.analyses.sessions import DEFAULT_GAP, session_starts


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

    Sessions are those of :func:`uem_helpers.analyses.sessions.sessionize` (counted at their first events,
    :func:`uem_helpers.analyses.sessions.session_starts`): the source's
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
    first = session_starts(events.select(*dict.fromkeys(columns)), gap=gap, period_start=period_start,
                           period_end=period_end)  # one row per session, at its first event
    keys = _keys(first, first.timestamp, by, segment_by, "events")
    df = _aggregate(first, keys, {"sessions": first.count(), "bounces": first.count(where=first.single)}).execute()
    df = _finish_keys(df, by)
    df = df[df["sessions"] > 0].reset_index(drop=True)
    df = _rate_columns(df, "bounces", "sessions", alpha)
    return df[_front(by, segment_by) + ["sessions", "bounces", "rate", "low", "high", "successes", "trials", "value"]]
