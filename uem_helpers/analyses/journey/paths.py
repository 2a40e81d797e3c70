"""Paths: where sessions go from a start event, as the top paths and as the links of a Sankey diagram.

Both take the period's :class:`~uem_helpers.analyses.sessions.Sessions`, prepared once by
the story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`), build one Ibis
expression on it, execute it once and return a small pandas frame.

Definitions
-----------
- A **path** is a session's events from its first ``start_event`` on, at most
  ``max_steps`` of them, followed by :data:`SESSION_END` when the session ends
  within those steps, or by :data:`~uem_helpers.analyses.sessions.CUT_OFF` when it was
  still open when the data stops (it did not end there: the export did).
- The **Sankey links** join step ``k`` of those events to step ``k + 1``; a step's
  events outside its top events are one node, :data:`OTHER`.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.journey._common import ARROW, _check_event, _check_int
from uem_helpers.analyses.sessions import CUT_OFF, SESSION_END, Sessions
from uem_helpers.core.i18n import N_
from uem_helpers.stats import wilson_ci

#: Path label of the sessions outside the top paths (:func:`paths`).
OTHER_PATHS = N_("(other paths)")
#: Node label of the events outside a step's top events (:func:`sankey_links`).
OTHER = N_("(other)")

_PATH_COLUMNS = ["path", "steps", "sessions", "users", "share", "share_low", "share_high"]


def paths(
    sessions: Sessions,
    start_event: str,
    *,
    max_steps: int = 5,
    top_n: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The most common paths of sessions from their first ``start_event``, the rest grouped.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    start_event : str
        Event a path starts at (the session's first one); sessions without it are not counted.
    max_steps : int
        Events shown per path, the start event included (at least 2).
    top_n : int
        Paths shown one by one; the others are one row, :data:`OTHER_PATHS`.
    alpha : float
        1 - confidence level of the Wilson intervals of the share.

    Returns
    -------
    pandas.DataFrame
        ``path`` (events joined by " → ", ending with :data:`SESSION_END` when the session
        ended within ``max_steps`` events), ``steps`` (events in the path, end marker not
        counted; NA for the grouped row), ``sessions``, ``users`` (distinct), ``share`` of the
        sessions containing ``start_event`` with Wilson ``share_low`` / ``share_high``. Most
        common first (ties by path), :data:`OTHER_PATHS` last when any session is in it.
    """
    _check_event(start_event, "start_event")
    _check_int(max_steps, "max_steps", 2)
    _check_int(top_n, "top_n", 1)
    window = _from_start(sessions, start_event, max_steps)
    step = {
        f"e_{i}": window.event.max(where=window.k == i) for i in range(1, max_steps + 1)
    }
    per_session = window.group_by(["session", "user_id"]).aggregate(
        steps=window.count(), ended=window.ends.max(), cut=(window.is_exit & window.cut_off).max(), **step
    )
    path = per_session.e_1
    for i in range(2, max_steps + 1):
        path = path.concat(ibis.coalesce(ibis.literal(ARROW).concat(per_session[f"e_{i}"]), ""))
    path = path.concat(ibis.ifelse(per_session.ended, ARROW + SESSION_END,
                                   ibis.ifelse(per_session.cut, ARROW + CUT_OFF, "")))
    per_session = per_session.select("user_id", "steps", path=path)
    per_session = per_session.mutate(n=per_session.count().over(group_by=per_session.path))
    rank = ibis.dense_rank().over(order_by=[ibis.desc(per_session.n), per_session.path])
    top = rank < top_n
    per_session = per_session.mutate(
        label=ibis.ifelse(top, per_session.path, OTHER_PATHS),
        order=ibis.ifelse(top, rank, top_n),
        steps=ibis.ifelse(top, per_session.steps, ibis.null("int64")),
    )
    out = per_session.group_by("label").aggregate(
        order=per_session.order.min(), steps=per_session.steps.max(), sessions=per_session.count(),
        users=per_session.user_id.nunique(),
    )
    df = out.order_by(["order", "label"]).execute().rename(columns={"label": "path"})
    total = int(df["sessions"].sum()) if len(df) else 0
    df["steps"] = df["steps"].astype("Int64")
    df["sessions"] = df["sessions"].astype("int64")
    df["users"] = df["users"].astype("int64")
    df["share"] = df["sessions"] / total if total else np.nan
    df["share_low"], df["share_high"] = wilson_ci(df["sessions"], pd.Series(total, index=df.index), alpha=alpha)
    return df[_PATH_COLUMNS].reset_index(drop=True)


def sankey_links(
    sessions: Sessions,
    start_event: str,
    *,
    max_steps: int = 4,
    top_n: int = 8,
) -> pd.DataFrame:
    """Links of a Sankey diagram of the first steps of sessions from their first ``start_event``.

    Step 1 is the session's first ``start_event``; step ``k`` is the ``k``-th event from there,
    or :data:`SESSION_END` right after the session's last event (:data:`CUT_OFF` when the
    session was still open when the data stops). At each step, events outside that step's
    ``top_n`` (by sessions) are one node, :data:`OTHER`; the two end nodes are always their
    own and have no links out.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    start_event : str
        Event the diagram starts at.
    max_steps : int
        Columns of the diagram (at least 2): links go from step 1 to step ``max_steps``.
    top_n : int
        Events shown one by one per step.

    Returns
    -------
    pandas.DataFrame
        ``step`` (1 .. max_steps - 1: the link goes from step ``step`` to ``step + 1``),
        ``source``, ``target``, ``sessions``. Ordered by step, then most sessions first.
        The sessions out of a node at a step never exceed the sessions into it.
    """
    _check_event(start_event, "start_event")
    _check_int(max_steps, "max_steps", 2)
    _check_int(top_n, "top_n", 1)
    window = _from_start(sessions, start_event, max_steps)
    nodes = window.select("session", "k", node=window.event)
    ends = window.filter(window.is_exit & (window.k < max_steps))
    nodes = nodes.union(ends.select("session", k=ends.k + 1,
                                    node=ibis.ifelse(ends.cut_off, ibis.literal(CUT_OFF), ibis.literal(SESSION_END))))
    nodes = nodes.mutate(n=nodes.count().over(group_by=[nodes.k, nodes.node]))
    is_end = nodes.node.isin([SESSION_END, CUT_OFF])
    rank = ibis.dense_rank().over(group_by=nodes.k, order_by=[is_end, ibis.desc(nodes.n), nodes.node])
    nodes = nodes.mutate(label=ibis.ifelse(is_end | (rank < top_n), nodes.node, OTHER))
    nodes = nodes.mutate(target=nodes.label.lead().over(group_by=nodes.session, order_by=nodes.k))
    links = nodes.filter(nodes.target.notnull())
    out = links.group_by(step=links.k, source=links.label, target=links.target).aggregate(sessions=links.count())
    df = out.order_by(["step", ibis.desc("sessions"), "source", "target"]).execute()
    df["step"] = df["step"].astype("int64")
    df["sessions"] = df["sessions"].astype("int64")
    return df[["step", "source", "target", "sessions"]].reset_index(drop=True)


def _from_start(sessions: Sessions, start_event: str, max_steps: int) -> ibis.Table:
    """Sessions' events from their first ``start_event``, numbered ``k`` = 1 .. ``max_steps``.

    Only the columns paths and links read go through the window: DuckDB carries every column of the
    sessions through it otherwise, which at 120M events does not fit in a 14 GB limit.
    """
    s = sessions.table.select("user_id", "session", "position", "event", "is_exit", "cut_off", "ends")
    first = ibis.ifelse(s.event == start_event, s.position, ibis.null("int64")).min().over(group_by=s.session)
    s = s.mutate(k=s.position - first + 1)
    return s.filter(s.k.notnull() & (s.k >= 1) & (s.k <= max_steps))
