"""Loops: cycles within sessions, what they cost in conversion, and where and when they concentrate.

Takes the period's :class:`~uem_helpers.analyses.sessions.Sessions`, prepared once by the
story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`), derives from that one table,
once per call, the cycles of each session (lead windows over each session) and the events each
session reached, with the sessions' facts, materialised as two temporary tables (released before
it returns); the per-cycle sums, the segment mix and the per-month or per-week and per-segment
cells of :mod:`._loop_cells` are aggregates of those two, and it returns a small pandas frame.

Definition
----------
A **cycle** (loop) of length ``L`` (2 to ``max_length``) is ``L + 1`` consecutive events of a
session that come back to where they started, ``A → B → A`` up to ``A → B → C → D → A``, with
the events in between different from ``A`` and from each other (a repeat ``A → A`` is not a
loop, nor is ``A → B → B → A``). Occurrences may overlap: ``A → B → A → B → A`` holds
``A → B → A`` twice and ``B → A → B`` once. A cycle that passes through a **goal** event (the
purchase itself, e.g. a repeat purchase ``payment_ok → payment_attempt → payment_ok``) is not
a loop a user is stuck in and is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.journey._common import ARROW, _check_event, _check_int
from uem_helpers.analyses.journey._loop_cells import CELL_COLUMNS, cell_counts, concentration
from uem_helpers.analyses.journey._loop_harm import CLUSTERED, HARM_COLUMNS, NEWCOMBE, harm
from uem_helpers.analyses.sessions import Sessions

#: Name of the boolean column of sessions still open when the data ends (left out of conversion comparisons).
CUT_OFF = "cut_off"

LOOP_COLUMNS = [
    "loop", "length", "start", "users", "sessions", "occurrences", *HARM_COLUMNS, "harmful", *CELL_COLUMNS,
    "flagged", "same_cycle_as",
]

__all__ = ["CLUSTERED", "CUT_OFF", "LOOP_COLUMNS", "NEWCOMBE", "loops"]


def loops(
    sessions: Sessions,
    *,
    max_length: int = 4,
    conversion_event: str | None = None,
    goal_events: Sequence[str] = (),
    segment_by: str | None = None,
    min_users: int = 10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cycles (``A → … → A``, two to four steps) ranked by the conversions they cost, flagged where they concentrate.

    **Harm** (with ``conversion_event``). A session converts when it has a ``conversion_event``
    anywhere. For each cycle starting at ``A``:

    - ``session_conversion``: the share of the sessions with the cycle that convert;
    - ``baseline_conversion``: the same share for the *comparable* sessions, those that reached
      ``A`` and made no cycle of any kind (so a session long enough to loop is not compared with
      every light visit, and no loop is compared with another). With ``segment_by`` the baseline
      is re-weighted to the cycle's segment mix (each segment's baseline rate weighted by the
      cycle's sessions there), so a cycle made only on android is compared with android sessions;
      ``baseline_sessions`` and ``baseline_converted`` stay the pooled counts;
    - ``difference = session_conversion - baseline_conversion`` with a ``1 - alpha`` interval
      clustered by user: one user's sessions are not independent, so each rate's Wilson interval
      is taken on its effective sample size (the delta method on per-user sums of converted and
      compared sessions, :func:`uem_helpers.stats.ratio_metric_se` and
      :func:`uem_helpers.stats.clustered_wilson_ci`) and the two are combined as in Newcombe's
      interval (square-and-add), which keeps its width at 0% and 100%. When a group has fewer
      than two users the interval is Newcombe's on sessions
      (:func:`uem_helpers.stats.two_proportions`); ``interval`` names the method used and
      ``p_value`` is the clustered z-test (the score test on sessions in the fallback); see
      :mod:`uem_helpers.analyses.journey._loop_harm`;
    - ``conversions_lost = max(0, -difference) × compared_sessions``: the conversions the
      cycle's sessions would have made at the baseline rate (each session is one chance to
      convert; ``users`` says how many people that is);
    - ``harmful``: the whole interval lies below 0. A cycle whose sessions convert as well or
      better is never harmful, however common.

    Sessions still open when the data ends (a true ``cut_off`` column in the sessions table)
    may yet convert: they count in ``users``, ``sessions`` and the concentration rates, but not
    in any conversion (``compared_sessions``, ``baseline_sessions``).

    **Concentration** (:func:`uem_helpers.analyses.journey._loop_cells.concentration`): the
    cycle's rate, the share of the sessions reaching ``A`` that make it, per calendar month of
    the period (per week when the sessions span a single month) and per value of
    ``segment_by``, each cell against the rest; a cell is significant when its two-proportion
    score test survives Benjamini-Hochberg at ``alpha`` over every cell tested, and ``flagged``
    means a significant cell where the rate is *higher*.

    **Ranking**: harmful and flagged cycles first (a defect that appeared in one month on one
    platform), then the other harmful ones, then cycles converting below their baseline without
    significance, each group by ``conversions_lost``; last the cycles that do not convert worse
    (or all, without a conversion event), flagged ones first, then by users. It is an
    association within the log, not a proof of cause.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    max_length : int
        Longest cycle: 2 finds ``A → B → A`` only, 4 (the default) up to ``A → B → C → D → A``.
    conversion_event : str, optional
        Event that counts as converting; without it the conversion columns are NA and
        cycles rank by concentration and users.
    goal_events : sequence of str
        Events a cycle may not pass through (``journey.goal_events``); the conversion event is
        always one.
    segment_by : str, optional
        Column of the sessions table (e.g. ``platform``) to look for concentration in; a
        session's segment is its smallest value there. Ignored when the column is absent.
    min_users : int
        Cycles made by fewer users are left out.
    alpha : float
        1 - confidence level of the intervals, and the false discovery rate of the flags.

    Returns
    -------
    pandas.DataFrame
        One row per cycle (columns :data:`LOOP_COLUMNS`): ``loop`` ("A → B → A"), ``length``
        (steps, 2 for A → B → A), ``start`` (``A``), ``users``, ``sessions``, ``occurrences``;
        ``compared_sessions`` (not cut off), ``converted_sessions``, ``session_conversion``
        (+ ``_low``/``_high``), ``baseline_sessions``, ``baseline_converted``,
        ``baseline_conversion`` (+ ``baseline_low``/``baseline_high``), ``difference``
        (+ ``_low``/``_high``), ``p_value``, ``interval``, ``conversions_lost``, ``harmful``; the
        concentration columns (``period_unit``, ``worst_period``, ``period_rate``,
        ``period_rest_rate``, ``period_q``, ``worst_segment``, ``segment_rate``,
        ``segment_rest_rate``, ``segment_q``) and ``flagged``; ``same_cycle_as``: the
        higher-ranked row this cycle is a rotation of (``B → A → B`` of ``A → B → A``: the same
        back-and-forth seen from another start), None on the first of each. Ranked as above.

    Raises
    ------
    ParameterError
        ``max_length`` or ``min_users`` is not a whole number of at least 2 / 1, or an event
        name is empty.
    """
    _check_int(max_length, "max_length", 2)
    _check_int(min_users, "min_users", 1)
    if conversion_event is not None:
        _check_event(conversion_event, "conversion_event")
    goals = list(dict.fromkeys([*goal_events, *([conversion_event] if conversion_event else [])]))
    for i, goal in enumerate(goals):
        _check_event(goal, f"goal_events[{i}]")
    s = sessions.table
    segment = segment_by if segment_by and segment_by in s.columns else None
    facts = _session_facts(s, conversion_event, segment)
    # The cycles per session and the events each session reached, with their session's facts, are
    # materialised once (temporary tables, released on leaving) and read by every query below.
    with _cycles(s, facts, max_length, goals).cache() as cycle, _reach(s, facts).cache() as reach:
        df, mix, kept_cycle = _cycle_sums(cycle, reach, min_users, segment, conversion_event)
        unit, cells = cell_counts(kept_cycle, reach, by_segment=segment is not None)
    df = pd.concat([df[["loop", "length", "start", "users", "sessions", "occurrences"]],
                    harm(df, has_conversion=conversion_event is not None, alpha=alpha, **mix)], axis=1)
    df = df.merge(concentration(cells, df[["loop", "start"]], unit=unit, alpha=alpha, by_segment=segment is not None),
                  on="loop", how="left")
    df["flagged"] = (df["period_q"] < alpha) | (df["segment_q"] < alpha)
    df = _rank(df)
    df["same_cycle_as"] = pd.Series(_rotations(df["loop"]), index=df.index, dtype=object)
    return df[LOOP_COLUMNS].reset_index(drop=True)


def _cycles(s: ibis.Table, facts: ibis.Table, max_length: int, goals: list[str]) -> ibis.Table:
    """One row per cycle and session it occurs in: ``loop``, ``length``, ``start``, ``session``, ``user_id``,
    ``occurrences`` and the session's ``converted``, ``compared``, ``day`` and ``segment``."""
    occurrences = _occurrences(s, max_length, goals)
    cycle = occurrences.group_by(["loop", "length", "start", "session", "user_id"]).aggregate(
        occurrences=occurrences.count())
    return cycle.join(facts, "session").select(cycle, facts.converted, facts.compared, facts.day, facts.segment)


def _reach(s: ibis.Table, facts: ibis.Table) -> ibis.Table:
    """One row per session and event it reached (``start``): ``session``, ``user_id`` and the session's facts."""
    reach = s.select("session", start=s.event).distinct()
    return reach.join(facts, "session").select(reach, facts.user_id, facts.converted, facts.compared, facts.day,
                                               facts.segment)


def _cycle_sums(cycle: ibis.Table, reach: ibis.Table, min_users: int, segment: str | None,
                conversion_event: str | None) -> tuple[pd.DataFrame, dict, ibis.Table]:
    """The per-cycle sums of the cycle and its baseline (executed), the segment mix's frames, and the kept cycles.

    Returns the cycles with at least ``min_users`` users and their cluster sums (``m, sy, ...`` and ``b_m, ...``),
    ``by_segment`` and ``cycle_mix`` for :func:`harm` (empty without a segment or conversion event), and
    ``cycle``'s rows of the kept cycles (rare cycles stay in the engine).
    """
    per_user = cycle.group_by(["loop", "length", "start", "user_id"]).aggregate(
        occurrences=cycle.occurrences.sum(), sessions=cycle.count(),
        y=(cycle.converted * cycle.compared).sum(), n=cycle.compared.sum())
    out = per_user.group_by(["loop", "length", "start"]).aggregate(
        users=per_user.count(), sessions=per_user.sessions.sum(), occurrences=per_user.occurrences.sum(),
        **_sums(per_user, ""))
    out = out.filter(out.users >= min_users)
    clean = reach.anti_join(cycle.select("session").distinct(), "session")  # sessions without any cycle
    base_user = clean.group_by(["start", "user_id"]).aggregate(
        y=(clean.converted * clean.compared).sum(), n=clean.compared.sum())
    base = base_user.group_by(base_user.start.name("base_start")).aggregate(**_sums(base_user, "b_"))
    df = out.left_join(base, out.start == base.base_start).drop("base_start").execute()
    for column in ("length", "users", "sessions", "occurrences"):
        df[column] = df[column].astype("int64")
    kept_cycle = cycle.filter(cycle.loop.isin(df["loop"].tolist() or [""]))
    mix = {}
    if segment and conversion_event and not df.empty:
        seg_user = clean.group_by(["start", "segment", "user_id"]).aggregate(
            y=(clean.converted * clean.compared).sum(), n=clean.compared.sum())
        mix["by_segment"] = seg_user.group_by(["start", "segment"]).aggregate(**_sums(seg_user, "")).execute()
        mix["cycle_mix"] = kept_cycle.group_by(["loop", "segment"]).aggregate(n=kept_cycle.compared.sum()).execute()
    return df, mix, kept_cycle


def _occurrences(s: ibis.Table, max_length: int, goals: list[str]) -> ibis.Table:
    """Every occurrence of a cycle: ``user_id``, ``session``, ``loop``, ``length``, ``start`` (one lead window pass)."""
    s = s.select("user_id", "session", "position", "event")
    w = ibis.window(group_by=s.session, order_by=s.position)
    s = s.mutate(e_0=s.event, **{f"e_{i}": s.event.lead(i).over(w) for i in range(1, max_length + 1)})
    found = []
    for length in range(2, max_length + 1):
        inner = [s[f"e_{i}"] for i in range(1, length)]
        keep = s[f"e_{length}"] == s.e_0
        for i, e in enumerate(inner):
            keep &= e != s.e_0
            for other in inner[i + 1:]:
                keep &= e != other
        if goals:
            for e in [s.e_0, *inner]:
                keep &= ~e.isin(goals)
        name = s.e_0
        for i in range(1, length + 1):
            name = name.concat(ARROW, s[f"e_{i}"])
        hits = s.filter(keep)
        found.append(hits.select("user_id", "session", loop=name, length=ibis.literal(length, "int64"),
                                 start=hits.e_0))
    return ibis.union(*found) if len(found) > 1 else found[0]


def _session_facts(s: ibis.Table, conversion_event: str | None, segment: str | None) -> ibis.Table:
    """Per session: ``user_id``, ``converted`` and ``compared`` (0/1: not cut off), first ``day``, ``segment``."""
    converted = (s.event == conversion_event).cast("int64").max() if conversion_event else ibis.literal(0, "int64")
    compared = (1 - s[CUT_OFF].fill_null(False).cast("int64").max()) if CUT_OFF in s.columns \
        else ibis.literal(1, "int64")
    seg = s[segment].cast("string").min() if segment else ibis.literal(None, "string")
    return s.group_by(["session", "user_id"]).aggregate(
        converted=converted, compared=compared, day=s.timestamp.min().cast("date"), segment=seg)


def _sums(t: ibis.Table, prefix: str) -> dict:
    """:class:`~uem_helpers.stats.ClusterSums` of per-user ``y`` (converted) and ``n`` (compared sessions)."""
    return {f"{prefix}m": (t.n > 0).cast("int64").sum(), f"{prefix}sy": t.y.sum(), f"{prefix}sn": t.n.sum(),
            f"{prefix}syy": (t.y * t.y).sum(), f"{prefix}snn": (t.n * t.n).sum(), f"{prefix}syn": (t.y * t.n).sum()}


def cycle_name(loop: str) -> str:
    """A loop named from the rotation that comes first alphabetically: the same for every rotation of one cycle.

    >>> cycle_name("size_guide → product_view → size_guide")
    'product_view → size_guide → product_view'
    """
    ring = loop.split(ARROW)[:-1]
    first = min(ring[i:] + ring[:i] for i in range(len(ring)))
    return ARROW.join([*first, first[0]])


def _rotations(names: pd.Series) -> list[str | None]:
    """Per cycle in rank order, the higher-ranked cycle it is a rotation of (``B → A → B`` of ``A → B → A``), else None."""
    first: dict[str, str] = {}
    out = []
    for name in names:
        key = cycle_name(name)
        out.append(first.get(key))
        first.setdefault(key, name)
    return out


def _rank(df: pd.DataFrame) -> pd.DataFrame:
    """Harmful and flagged first, then harmful, then worse without significance (by conversions lost), then the rest."""
    tier = np.select([df["harmful"] & df["flagged"], df["harmful"], df["difference"] < 0], [0, 1, 2], 3)
    key = df.assign(_tier=tier, _lost=df["conversions_lost"].fillna(0), _flag=df["flagged"].astype(int))
    return key.sort_values(["_tier", "_lost", "_flag", "users", "loop"], ascending=[True, False, False, False, True],
                           kind="stable")

