"""Journey flow: where users go next, which paths they take, where they loop, and how segments differ.

Every helper takes the period's :class:`~uem_helpers.analyses.sessions.Sessions`,
prepared once by the story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`: the
source's ``session_id``, else an inactivity ``gap``), builds one Ibis expression on it,
executes it once and returns a small pandas frame.

Definitions
-----------
- A **transition** is an event and the next event of the same session
  (``within="session"``) or of the same user in the period (``within="user"``).
  The last event of a session has the target :data:`SESSION_END` (an **exit**);
  the user's last event in the period has the target :data:`USER_END`. Events
  stamped in the same instant are taken in event-name order (as in
  :mod:`uem_helpers.analyses.sessions`), so the result never depends on row order.
- **Share** of a transition = its count / every transition out of its source,
  exits included (so the shares of a source sum to 1), with a Wilson interval.
- **Dwell** of a transition = seconds from the source event to the target event
  (none for an exit).
- A **path** is a session's events from its first ``start_event`` on, at most
  ``max_steps`` of them, followed by :data:`SESSION_END` when the session ends
  within those steps.
- A **loop** of length ``L`` (2 to ``max_length``) is ``L + 1`` consecutive events
  of a session that come back to where they started, ``A → B → A`` or
  ``A → B → C → A``, with the events in between different from ``A`` and from
  each other (a repeat ``A → A`` is not a loop).
"""

from __future__ import annotations

from typing import Literal

import ibis
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.sessions import SESSION_END, Sessions, epoch_seconds
from uem_helpers.stats import ClusterSums, ratio_metric_difference, wilson_ci

#: Target of the "transition" out of a user's last event in the period (``within="user"``).
USER_END = "(last event)"
#: Path label of the sessions outside the top paths (:func:`paths`).
OTHER_PATHS = "(other paths)"
#: Node label of the events outside a step's top events (:func:`sankey_links`).
OTHER = "(other)"
#: Separator of the events of a path or loop.
ARROW = " → "

Within = Literal["session", "user"]

_TRANSITION_COLUMNS = [
    "source", "target", "transitions", "share", "share_low", "share_high", "users",
    "median_dwell_seconds", "p90_dwell_seconds",
]
_PATH_COLUMNS = ["path", "steps", "sessions", "users", "share", "share_low", "share_high"]
_LOOP_COLUMNS = [
    "loop", "length", "users", "sessions", "occurrences", "converted_users", "conversion", "conversion_low",
    "conversion_high", "converted_sessions", "session_conversion", "session_conversion_low", "session_conversion_high",
    "baseline_sessions", "baseline_converted", "baseline_conversion", "baseline_low", "baseline_high",
]
_DIFF_COLUMNS = [
    "source", "target", "transitions_a", "outgoing_a", "share_a", "transitions_b", "outgoing_b", "share_b",
    "difference", "ci_low", "ci_high", "p_value", "q_value", "significant",
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
        Follow each session (exits go to :data:`SESSION_END`) or each user across sessions
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
    end = SESSION_END if within == "session" else USER_END
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
        steps=window.count(), ended=window.is_exit.max(), **step
    )
    path = per_session.e_1
    for i in range(2, max_steps + 1):
        path = path.concat(ibis.coalesce(ibis.literal(ARROW).concat(per_session[f"e_{i}"]), ""))
    path = path.concat(ibis.ifelse(per_session.ended, ARROW + SESSION_END, ""))
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
    or :data:`SESSION_END` right after the session's last event. At each step, events outside
    that step's ``top_n`` (by sessions) are one node, :data:`OTHER`; :data:`SESSION_END` is
    always its own node and has no links out.

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
    nodes = nodes.union(ends.select("session", k=ends.k + 1, node=ibis.literal(SESSION_END)))
    nodes = nodes.mutate(n=nodes.count().over(group_by=[nodes.k, nodes.node]))
    is_end = nodes.node == SESSION_END
    rank = ibis.dense_rank().over(group_by=nodes.k, order_by=[is_end, ibis.desc(nodes.n), nodes.node])
    nodes = nodes.mutate(label=ibis.ifelse(is_end | (rank < top_n), nodes.node, OTHER))
    nodes = nodes.mutate(target=nodes.label.lead().over(group_by=nodes.session, order_by=nodes.k))
    links = nodes.filter(nodes.target.notnull())
    out = links.group_by(step=links.k, source=links.label, target=links.target).aggregate(sessions=links.count())
    df = out.order_by(["step", ibis.desc("sessions"), "source", "target"]).execute()
    df["step"] = df["step"].astype("int64")
    df["sessions"] = df["sessions"].astype("int64")
    return df[["step", "source", "target", "sessions"]].reset_index(drop=True)


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


def segment_diff(
    sessions: Sessions,
    segment_by: str,
    segment_a: object,
    segment_b: object,
    *,
    users: ibis.Table | None = None,
    min_transitions: int = 30,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The same transitions in two segments, and which shares differ beyond chance.

    Per (source, target) and segment, the share is the segment's transitions / its
    transitions out of the source (exits included), as in :func:`transitions`. One user
    makes many transitions, and they are not independent, so the difference
    ``share_b - share_a`` gets a delta-method interval and z-test clustered by user
    (:func:`uem_helpers.stats.ratio_metric_difference`: share = Σ per-user transitions /
    Σ per-user transitions out of the source, over the users with any). P-values are adjusted
    for the many pairs tested with Benjamini-Hochberg (``q_value``); a pair is
    ``significant`` when ``q_value < alpha``.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    segment_by : str
        Column of the events (read on the transition's source event, e.g. ``platform``) or,
        when the events do not have it, of ``users`` (joined on ``user_id``).
    segment_a, segment_b : object
        The two values compared (``a`` is the baseline); compared as text.
    users : ibis.Table, optional
        Canonical users table, for ``segment_by`` columns that live there.
    min_transitions : int
        Pairs with fewer transitions in the two segments together are left out.
    alpha : float
        Level of the intervals and of the false discovery rate.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``target``, ``transitions_a``, ``outgoing_a`` (transitions out of the source
        in segment a), ``share_a``, the same for b, ``difference`` (``share_b - share_a``),
        ``ci_low``, ``ci_high``, ``p_value``, ``q_value``, ``significant``. Largest absolute
        difference among the significant pairs first, then the others. A pair whose source has
        fewer than two users in a segment gets NaN statistics and is not significant.

    Raises
    ------
    ParameterError
        ``segment_by`` is not a column, the two segments are the same, or a segment has no
        events in the period (the message lists the values present).
    """
    _check_int(min_transitions, "min_transitions", 1)
    a, b = str(segment_a), str(segment_b)
    if a == b:
        raise ParameterError(f"segment_a and segment_b are both {a!r}; compare two different values of {segment_by!r}")
    s = sessions.table
    if segment_by in s.columns:
        segment_table = None
    elif users is not None and segment_by in users.columns:
        segment_table = users.select("user_id", _segment=users[segment_by].cast("string"))
    else:
        present = sorted(set(s.columns) | set(users.columns if users is not None else []))
        raise ParameterError(
            f"segment_by={segment_by!r} is not a column of the events or users table; columns are: {', '.join(present)}"
        )
    if segment_table is None:
        s = s.mutate(_segment=s[segment_by].cast("string"))
    else:
        s = s.left_join(segment_table, "user_id").drop("user_id_right")
    s = s.filter(s._segment.isin([a, b]))
    s = s.mutate(target=s.next_event.fill_null(SESSION_END))
    # Per user: y = transitions source -> target, n = transitions out of the source.
    per_user = s.group_by(segment=s._segment, user_id=s.user_id, source=s.event, target=s.target).aggregate(
        y=s.count()
    )
    per_user = per_user.mutate(
        n=per_user.y.sum().over(group_by=[per_user.segment, per_user.user_id, per_user.source]),
        first=ibis.row_number().over(
            group_by=[per_user.segment, per_user.user_id, per_user.source], order_by=per_user.target
        ) == 0,
    )
    pair = per_user.group_by(["segment", "source", "target"]).aggregate(
        sum_y=per_user.y.sum(), sum_yy=(per_user.y * per_user.y).sum(), sum_yn=(per_user.y * per_user.n).sum()
    )
    src = per_user.filter(per_user.first)
    source = src.group_by(["segment", "source"]).aggregate(
        m=src.count(), sum_n=src.n.sum(), sum_nn=(src.n * src.n).sum()
    )
    joined = pair.join(source, ["segment", "source"])
    df = joined.select("segment", "source", "target", "sum_y", "sum_yy", "sum_yn", "m", "sum_n", "sum_nn").execute()
    seen = set(df["segment"])
    for value in (a, b):
        if value not in seen:
            raise ParameterError(_empty_segment_message(sessions, segment_table, segment_by, value))
    return _diff_table(df, a, b, min_transitions, alpha)


# --- building blocks --------------------------------------------------------------------


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


def _from_start(sessions: Sessions, start_event: str, max_steps: int) -> ibis.Table:
    """Sessions' events from their first ``start_event``, numbered ``k`` = 1 .. ``max_steps``."""
    s = sessions.table
    first = ibis.ifelse(s.event == start_event, s.position, ibis.null("int64")).min().over(group_by=s.session)
    s = s.mutate(k=s.position - first + 1)
    return s.filter(s.k.notnull() & (s.k >= 1) & (s.k <= max_steps))


def _diff_table(df: pd.DataFrame, a: str, b: str, min_transitions: int, alpha: float) -> pd.DataFrame:
    """Per pair: both segments' shares and the clustered comparison, with Benjamini-Hochberg q-values."""
    sums = ["sum_y", "sum_yy", "sum_yn", "m", "sum_n", "sum_nn"]
    wide = df.pivot_table(index=["source", "target"], columns="segment", values=sums, aggfunc="first")
    sources = df.drop_duplicates(["segment", "source"]).set_index(["segment", "source"])[["m", "sum_n", "sum_nn"]]
    rows = []
    for (source, target), row in wide.iterrows():
        groups = {}
        for seg in (a, b):
            side = sources.loc[(seg, source)] if (seg, source) in sources.index else None
            y = row.get(("sum_y", seg), np.nan)
            y = 0.0 if pd.isna(y) else float(y)
            yy = 0.0 if pd.isna(row.get(("sum_yy", seg), np.nan)) else float(row[("sum_yy", seg)])
            yn = 0.0 if pd.isna(row.get(("sum_yn", seg), np.nan)) else float(row[("sum_yn", seg)])
            if side is None:
                groups[seg] = ClusterSums(0, y, 0.0, yy, 0.0, yn)
            else:
                groups[seg] = ClusterSums(int(side["m"]), y, float(side["sum_n"]), yy, float(side["sum_nn"]), yn)
        ga, gb = groups[a], groups[b]
        if ga.sum_y + gb.sum_y < min_transitions:
            continue
        lo = hi = p = float("nan")
        if ga.users >= 2 and gb.users >= 2:
            r = ratio_metric_difference(ga, gb, alpha=alpha)
            lo, hi, p = r.diff_low, r.diff_high, r.p_value
        rows.append({
            "source": source, "target": target,
            "transitions_a": int(ga.sum_y), "outgoing_a": int(ga.sum_n), "share_a": ga.ratio,
            "transitions_b": int(gb.sum_y), "outgoing_b": int(gb.sum_n), "share_b": gb.ratio,
            "difference": gb.ratio - ga.ratio,
            "ci_low": lo, "ci_high": hi, "p_value": p,
        })
    out = pd.DataFrame(rows, columns=_DIFF_COLUMNS[:-2])
    out["q_value"] = np.nan
    tested = out["p_value"].notna()
    if tested.any():
        out.loc[tested, "q_value"] = multipletests(out.loc[tested, "p_value"], alpha=alpha, method="fdr_bh")[1]
    out["significant"] = (out["q_value"] < alpha).fillna(False).astype(bool)
    out["_size"] = out["difference"].abs()
    out = out.sort_values(["significant", "_size", "source", "target"], ascending=[False, False, True, True],
                          kind="stable")
    return out[_DIFF_COLUMNS].reset_index(drop=True)


def _empty_segment_message(sessions: Sessions, segment_table: ibis.Table | None, segment_by: str, value: str) -> str:
    """Why a segment is empty, with the values that do occur (one small extra query, on the error path only)."""
    s = sessions.table
    if segment_table is None:
        values = s.select(v=s[segment_by].cast("string")).distinct().limit(20).execute()["v"]
    else:
        joined = s.select("user_id").distinct().join(segment_table, "user_id")
        values = joined.select(v=joined._segment).distinct().limit(20).execute()["v"]
    shown = ", ".join(sorted(repr(v) for v in values if v is not None)) or "none"
    return (f"segment {segment_by}={value!r} has no events in the period, so there is nothing to compare; "
            f"values with events: {shown}")


def _check_event(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{name}={value!r}: give an event name, e.g. 'app_open'")


def _check_int(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name}={value!r}: expected a whole number of at least {minimum}")


__all__ = ["transitions", "paths", "sankey_links", "loops", "segment_diff", "USER_END",
                          "OTHER_PATHS", "OTHER", "SESSION_END"]
