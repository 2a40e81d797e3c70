"""Where and when a loop concentrates: its rate per sub-period and per segment, each cell against the rest.

Internal to :mod:`uem_helpers.analyses.journey.loops`. :func:`cell_counts` counts the sessions
per cycle and cell in the engine (a few rows per cycle: one per month or week and per segment,
never one per day), and :func:`concentration` tests them.

Definition
----------
A cycle's **rate** in a cell is the share of the cell's sessions that reached the cycle's first
event ``A`` and made the cycle. The cells are the calendar months of the sessions' first days
(the ISO weeks, labelled by their Monday or the first day of data, when every session starts in
one month) and the
values of the segment column. Each cell is compared with the rest of the same cycle's sessions
(all other months, or all other segments) by the two-sided two-proportion score test
(:func:`uem_helpers.stats.two_proportions`); the p-values of every cell tested, of every cycle
and both kinds together, are adjusted with Benjamini-Hochberg, and a cell is **significant**
when its q-value is below ``alpha``. A cell is tested when both it and the rest have sessions
reaching ``A``. Per cycle and kind the **worst** cell is the significant one with the highest
rate above the rest's, else the rising cell with the lowest q-value (none when no cell rises).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from uem_helpers.stats import two_proportions
from uem_helpers.core.i18n import N_

#: The columns :func:`concentration` adds to each cycle.
CELL_COLUMNS = [
    "period_unit", "worst_period", "period_rate", "period_rest_rate", "period_q",
    "worst_segment", "segment_rate", "segment_rest_rate", "segment_q",
]

#: Label of the sessions whose segment value is missing.
NO_SEGMENT = N_("(missing)")


def cell_counts(cycle: ibis.Table, reach: ibis.Table, *, by_segment: bool = True) -> tuple[str, pd.DataFrame]:
    """Sessions per cell, counted in the engine: with each cycle, and reaching each cycle's start.

    The period cells are calendar months when the sessions' first days span more than one
    month, else weeks (each day's Monday, or the first day of data when that is later).

    Parameters
    ----------
    cycle : ibis.Table
        One row per cycle and session: ``loop``, ``start``, ``day``, ``segment``.
    reach : ibis.Table
        One row per session and event it reached: ``start``, ``day``, ``segment``.
    by_segment : bool
        Also count per segment.

    Returns
    -------
    tuple of str and pandas.DataFrame
        The period unit (``"month"`` or ``"week"``) and the cells: ``loop`` (null on rows of
        sessions reaching ``start``), ``start``, ``kind`` (``"period"`` or ``"segment"``),
        ``cell`` and ``sessions``.
    """
    with_cycle = cycle.group_by(["loop", "start", "day", "segment"]).aggregate(sessions=cycle.count())
    reached = reach.group_by(["start", "day", "segment"]).aggregate(sessions=reach.count())
    reached = reached.select(loop=ibis.literal(None, "string"), start=reached.start, day=reached.day,
                             segment=reached.segment, sessions=reached.sessions)
    days = ibis.union(with_cycle.select("loop", "start", "day", "segment", "sessions"), reached)
    whole = ibis.window()
    first, last = days.day.min().over(whole), days.day.max().over(whole)
    monthly = first.truncate("M") != last.truncate("M")
    days = days.mutate(
        monthly=monthly,
        period=ibis.ifelse(monthly, days.day.strftime("%Y-%m"),
                           ibis.greatest(days.day.truncate("W"), first).strftime("%Y-%m-%d")),
        segment=days.segment.fill_null(NO_SEGMENT),
    )
    kinds = [("period", days.period)] + ([("segment", days.segment)] if by_segment else [])
    counted = [days.group_by(["loop", "start", days.monthly, cell.name("cell")]).aggregate(
        kind=ibis.literal(kind), sessions=days.sessions.sum()) for kind, cell in kinds]
    cells = (ibis.union(*counted) if len(counted) > 1 else counted[0]).execute()
    unit = "month" if cells["monthly"].any() else "week"
    cells["sessions"] = cells["sessions"].astype("int64")
    return unit, cells[["loop", "start", "kind", "cell", "sessions"]]


def concentration(cells: pd.DataFrame, cycles: pd.DataFrame, *, unit: str, alpha: float = 0.05,
                  by_segment: bool = True) -> pd.DataFrame:
    """Per cycle, the sub-period and the segment where its rate is highest against the rest, with q-values.

    Parameters
    ----------
    cells : pandas.DataFrame
        The session counts of :func:`cell_counts`: ``loop`` (null on rows of sessions reaching
        ``start``), ``start``, ``kind``, ``cell``, ``sessions``.
    cycles : pandas.DataFrame
        ``loop`` and ``start`` of the cycles to test.
    unit : str
        The period cells' unit, ``"month"`` or ``"week"`` (from :func:`cell_counts`).
    alpha : float
        False discovery rate of the Benjamini-Hochberg adjustment.
    by_segment : bool
        Also test segments (False when the sessions have no segment column).

    Returns
    -------
    pandas.DataFrame
        ``loop`` and :data:`CELL_COLUMNS`, one row per cycle (NaN / None where nothing rises).
    """
    kinds = ["period"] + (["segment"] if by_segment else [])
    tested = pd.concat([_tests(cells[cells["kind"] == kind], cycles, kind) for kind in kinds], ignore_index=True)
    if not tested.empty:
        tested["q"] = multipletests(tested["p"], alpha=alpha, method="fdr_bh")[1]
    out = cycles[["loop"]].drop_duplicates().assign(period_unit=unit)
    for kind in kinds:
        out = out.merge(_worst(tested, kind, alpha), on="loop", how="left")
    for column in CELL_COLUMNS:
        if column not in out.columns:
            out[column] = None if column.startswith("worst") else np.nan
    return out[["loop", *CELL_COLUMNS]]


def _tests(cells: pd.DataFrame, cycles: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Every (cycle, cell) of one kind with sessions in the cell and in the rest: counts, rates and the test's
    p-value."""
    reach = cells[cells["loop"].isna()].groupby(["start", "cell"], as_index=False)["sessions"].sum()
    made = cells[cells["loop"].notna()].groupby(["loop", "cell"], as_index=False)["sessions"].sum()
    t = cycles[["loop", "start"]].merge(reach.rename(columns={"sessions": "n"}), on="start")
    t = t.merge(made.rename(columns={"sessions": "k"}), on=["loop", "cell"], how="left").fillna({"k": 0})
    t["rest_k"] = t.groupby("loop")["k"].transform("sum") - t["k"]
    t["rest_n"] = t.groupby("loop")["n"].transform("sum") - t["n"]
    t = t[(t["n"] > 0) & (t["rest_n"] > 0)].copy()
    t["p"] = [two_proportions(int(rk), int(rn), int(k), int(n)).p_value
              for k, n, rk, rn in zip(t["k"], t["n"], t["rest_k"], t["rest_n"])]
    t["rate"], t["rest_rate"] = t["k"] / t["n"], t["rest_k"] / t["rest_n"]
    return t[["loop", "cell", "rate", "rest_rate", "p"]].assign(kind=kind)


def _worst(tested: pd.DataFrame, kind: str, alpha: float) -> pd.DataFrame:
    """Per cycle, the rising cell of one kind: significant and highest first, else lowest q."""
    names = [f"worst_{kind}", f"{kind}_rate", f"{kind}_rest_rate", f"{kind}_q"]
    if tested.empty:
        return pd.DataFrame(columns=["loop", *names])
    t = tested[(tested["kind"] == kind) & (tested["rate"] > tested["rest_rate"])]
    sig = t["q"] < alpha
    t = t.assign(_sig=sig, _key=np.where(sig, -t["rate"], t["q"])).sort_values(
        ["loop", "_sig", "_key"], ascending=[True, False, True])
    t = t.drop_duplicates("loop")
    return pd.DataFrame({"loop": t["loop"], names[0]: t["cell"], names[1]: t["rate"], names[2]: t["rest_rate"],
                         names[3]: t["q"]})
