"""Segment diff: the same transitions in two segments, and which shares differ beyond chance.

Takes the period's :class:`~uem_helpers.analyses.sessions.Sessions`, prepared once by the
story (:func:`~uem_helpers.analyses.sessions.prepare_sessions`, carrying the segment column
when the events have it). Shares are those of :func:`~uem_helpers.analyses.journey.transitions`;
the intervals are clustered by user and the p-values adjusted with Benjamini-Hochberg.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.journey._common import _check_int
from uem_helpers.analyses.sessions import SESSION_END, Sessions
from uem_helpers.stats import ClusterSums, ratio_metric_difference

_DIFF_COLUMNS = [
    "source", "target", "transitions_a", "outgoing_a", "share_a", "transitions_b", "outgoing_b", "share_b",
    "difference", "ci_low", "ci_high", "p_value", "q_value", "significant",
]


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
    transitions out of the source (exits included), as in
    :func:`~uem_helpers.analyses.journey.transitions`. One user makes many transitions, and
    they are not independent, so the difference
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
