"""Loops: back-and-forth patterns within sessions, the users caught in them, and what they cost.

Takes the period's :class:`~uem_helpers.analyses.sessions.Sessions`, prepared once by the
story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`), builds one Ibis expression
on it, executes it once and returns a small pandas frame.

Definition
----------
A **loop** of length ``L`` (2 to ``max_length``) is ``L + 1`` consecutive events
of a session that come back to where they started, ``A → B → A`` or
``A → B → C → A``, with the events in between different from ``A`` and from
each other (a repeat ``A → A`` is not a loop).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.journey._common import ARROW, _check_event, _check_int
from uem_helpers.analyses.sessions import Sessions
from uem_helpers.stats import wilson_ci

_LOOP_COLUMNS = [
    "loop", "length", "users", "sessions", "occurrences", "converted_users", "conversion", "conversion_low",
    "conversion_high", "converted_sessions", "session_conversion", "session_conversion_low", "session_conversion_high",
    "baseline_sessions", "baseline_converted", "baseline_conversion", "baseline_low", "baseline_high",
]


def loops(
    sessions: Sessions,
    *,
    max_length: int = 3,
    conversion_event: str | None = None,
    min_users: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Back-and-forth patterns (``A → B → A``, ``A → B → C → A``) ranked by the users caught in them.

    Conversion, with ``conversion_event`` (e.g. ``"order_success"``):

    - ``conversion``: of the users who made the loop, the share who then converted in the
      same session (a ``conversion_event`` at or after the end of the loop).
    - ``session_conversion``: of the sessions with the loop, the share with a
      ``conversion_event`` (anywhere in the session).
    - ``baseline_conversion``: the same share for the sessions that reached the loop's first
      event ``A`` but made no loop of any kind up to ``max_length``. A ``session_conversion``
      well below its baseline is the loop's cost. Users are not compared with users who never
      loop: those are mostly light users, and conversion over a whole period grows with
      activity, which would make any loop look good. It is an association, not a proof.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    max_length : int
        Longest loop: 2 finds ``A → B → A``, 3 also ``A → B → C → A``, and so on.
    conversion_event : str, optional
        Event that counts as converting; without it the conversion columns are NA.
    min_users : int
        Loops made by fewer users are left out.
    alpha : float
        1 - confidence level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        ``loop`` ("A → B → A"), ``length`` (2 for A → B → A), ``users``, ``sessions`` and
        ``occurrences`` (overlapping occurrences count: A → B → A → B → A holds A → B → A
        twice), ``converted_users``, ``conversion`` with Wilson ``conversion_low`` /
        ``conversion_high``, ``converted_sessions``, ``session_conversion`` (+ ``_low`` /
        ``_high``), ``baseline_sessions``, ``baseline_converted``, ``baseline_conversion``,
        ``baseline_low``, ``baseline_high``. Most users first (ties by loop).
    """
    _check_int(max_length, "max_length", 2)
    _check_int(min_users, "min_users", 1)
    if conversion_event is not None:
        _check_event(conversion_event, "conversion_event")
    s = sessions.table
    w = ibis.window(group_by=s.session, order_by=s.position)
    ahead = {f"e_{i}": s.event.lead(i).over(w) for i in range(1, max_length + 1)}
    ahead.update({f"t_{i}": s.timestamp.lead(i).over(w) for i in range(2, max_length + 1)})
    s = s.mutate(e_0=s.event, **ahead)
    found = []
    for length in range(2, max_length + 1):
        inner = [s[f"e_{i}"] for i in range(1, length)]
        keep = s[f"e_{length}"] == s.e_0
        for i, e in enumerate(inner):
            keep &= e != s.e_0
            for other in inner[i + 1:]:
                keep &= e != other
        name = s.e_0
        for i in range(1, length + 1):
            name = name.concat(ARROW, s[f"e_{i}"])
        hits = s.filter(keep)
        found.append(hits.select("user_id", "session", loop=name, length=ibis.literal(length, "int64"),
                                 start=hits.e_0, end_at=hits[f"t_{length}"]))
    occurrences = ibis.union(*found) if len(found) > 1 else found[0]
    if conversion_event is not None:
        conv = s.filter(s.event == conversion_event)
        conv = conv.group_by("session").aggregate(last_conversion=conv.timestamp.max())
        occurrences = occurrences.left_join(conv, "session").drop("session_right")
    metrics = {"occurrences": occurrences.count(), "sessions": occurrences.session.nunique()}
    if conversion_event is not None:
        metrics["converted"] = (occurrences.last_conversion >= occurrences.end_at).fill_null(False).max()
        metrics["converted_sessions"] = occurrences.session.nunique(where=occurrences.last_conversion.notnull())
    per_user = occurrences.group_by(["loop", "length", "start", "user_id"]).aggregate(**metrics)
    totals = {"users": per_user.count(), "sessions": per_user.sessions.sum(), "occurrences": per_user.occurrences.sum()}
    if conversion_event is not None:
        totals["converted_users"] = per_user.converted.cast("int64").sum()
        totals["converted_sessions"] = per_user.converted_sessions.sum()
    out = per_user.group_by(["loop", "length", "start"]).aggregate(**totals)
    out = out.filter(out.users >= min_users)
    if conversion_event is not None:
        # Sessions that reached each event and made no loop: the baseline of loops starting there.
        clean = s.select("session", "event").distinct().anti_join(occurrences.select("session"), "session")
        clean = clean.left_join(conv, "session").drop("session_right")
        base = clean.group_by("event").aggregate(
            baseline_sessions=clean.count(), baseline_converted=clean.last_conversion.count()
        )
        out = out.left_join(base, out.start == base.event).drop("event")
    df = out.order_by([ibis.desc("users"), "loop"]).execute()
    for column in ("length", "users", "sessions", "occurrences"):
        df[column] = df[column].astype("int64")
    if conversion_event is None:
        for column in ("converted_users", "converted_sessions", "baseline_sessions", "baseline_converted"):
            df[column] = pd.array([pd.NA] * len(df), dtype="Int64")
        for column in _LOOP_COLUMNS:
            if column not in df.columns:
                df[column] = np.nan
        return df[_LOOP_COLUMNS].reset_index(drop=True)
    for column in ("converted_users", "converted_sessions", "baseline_sessions", "baseline_converted"):
        df[column] = df[column].fillna(0).astype("int64")
    for rate, k, n, prefix in (("conversion", "converted_users", "users", "conversion"),
                               ("session_conversion", "converted_sessions", "sessions", "session_conversion"),
                               ("baseline_conversion", "baseline_converted", "baseline_sessions", "baseline")):
        df[rate] = df[k] / df[n].where(df[n] > 0)
        df[f"{prefix}_low"], df[f"{prefix}_high"] = wilson_ci(df[k], df[n], alpha=alpha)
    return df[_LOOP_COLUMNS].reset_index(drop=True)
