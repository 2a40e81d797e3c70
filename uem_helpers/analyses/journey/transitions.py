"""Transitions: where users go next, how often, and how long they stay before they do.

Takes the period's :class:`~uem_helpers.analyses.sessions.Sessions`, prepared once by the
story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`), builds one Ibis expression
on it, executes it once and returns a small pandas frame.

Definitions
-----------
- A **transition** is an event and the next event of the same session
  (``within="session"``) or of the same user in the period (``within="user"``).
  The last event of a session has the target :data:`SESSION_END` (an **exit**),
  except in a **cut-off** session (still open when the data stops, see
  :mod:`uem_helpers.analyses.sessions`), whose last event has the target
  :data:`CUT_OFF`: the log does not say whether the user left there, so it is a
  target of its own, not an exit, and the shares of a source still sum to 1.
  The user's last event in the period has the target :data:`USER_END`. Events
  stamped in the same instant are taken in event-name order (as in
  :mod:`uem_helpers.analyses.sessions`), so the result never depends on row order.
- **Share** of a transition = its count / every transition out of its source,
  exits and cut-offs included (so the shares of a source sum to 1), with a Wilson interval.
- **Dwell** of a transition = seconds from the source event to the target event
  (none for an exit).
"""

from __future__ import annotations

from typing import Literal

import ibis
import pandas as pd

from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import N_
from uem_helpers.analyses.sessions import CUT_OFF, SESSION_END, Sessions, epoch_seconds
from uem_helpers.stats import wilson_ci

#: Target of the "transition" out of a user's last event in the period (``within="user"``).
USER_END = N_("(last event)")

Within = Literal["session", "user"]

_TRANSITION_COLUMNS = [
    "source", "target", "transitions", "share", "share_low", "share_high", "users",
    "median_dwell_seconds", "p90_dwell_seconds",
]


def transitions(
    sessions: Sessions,
    *,
    within: Within = "session",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Event -> next event counts, with the share of the source's exits and the dwell in between.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    within : {"session", "user"}
        Follow each session (exits go to :data:`SESSION_END`, the last events of cut-off sessions
        to :data:`CUT_OFF`) or each user across sessions
        (the last event in the period goes to :data:`USER_END`).
    alpha : float
        1 - confidence level of the Wilson intervals of the share.

    Returns
    -------
    pandas.DataFrame
        One row per (source, target): ``source``, ``target``, ``transitions`` (count),
        ``share`` (of every transition out of the source, exits included) with Wilson
        ``share_low`` / ``share_high``, ``users`` (distinct users who made it), and
        ``median_dwell_seconds`` / ``p90_dwell_seconds`` (seconds from source to target,
        linear interpolation; NaN for exits). Most frequent first.
    """
    seq = _sequence(sessions, within)
    if within == "session":
        end = ibis.ifelse(seq.cut_off, ibis.literal(CUT_OFF), ibis.literal(SESSION_END))
    else:
        end = ibis.literal(USER_END)
    seq = seq.mutate(target=seq.next_event.fill_null(end))
    agg = seq.group_by(source=seq.event, target=seq.target).aggregate(
        transitions=seq.count(),
        users=seq.user_id.nunique(),
        median_dwell_seconds=seq.dwell_seconds.quantile(0.5),
        p90_dwell_seconds=seq.dwell_seconds.quantile(0.9),
    )
    agg = agg.mutate(outgoing=agg.transitions.sum().over(group_by=agg.source))
    df = agg.order_by([ibis.desc("transitions"), "source", "target"]).execute()
    for column in ("transitions", "users", "outgoing"):
        df[column] = df[column].astype("int64")
    for column in ("median_dwell_seconds", "p90_dwell_seconds"):
        df[column] = df[column].astype("float64")
    df["share"] = df["transitions"] / df["outgoing"]
    df["share_low"], df["share_high"] = wilson_ci(df["transitions"], df["outgoing"], alpha=alpha)
    return df[_TRANSITION_COLUMNS].reset_index(drop=True)


def _sequence(sessions: Sessions, within: str) -> ibis.Table:
    """Each event with ``user_id``, its ``next_event`` and ``dwell_seconds`` within a session or a user."""
    if within == "session":
        return sessions.table
    if within != "user":
        raise ParameterError(f"within={within!r}: use 'session' (next event in the session) or 'user' "
                             "(next event of the user in the period)")
    t = sessions.table.select("user_id", "timestamp", "event")
    w = ibis.window(group_by=t.user_id, order_by=[t.timestamp, t.event])
    t = t.mutate(next_event=t.event.lead().over(w), next_timestamp=t.timestamp.lead().over(w))
    return t.mutate(dwell_seconds=epoch_seconds(t.next_timestamp) - epoch_seconds(t.timestamp))
