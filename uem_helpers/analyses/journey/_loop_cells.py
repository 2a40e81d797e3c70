"""Where and when a loop concentrates: its rate per sub-period and per segment, each cell against the rest.

Internal to :mod:`uem_helpers.analyses.journey.loops`, which hands over small per-day,
per-segment session counts already brought back from the engine.

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


def concentration(cells: pd.DataFrame, cycles: pd.DataFrame, *, alpha: float = 0.05,
                  by_segment: bool = True) -> pd.DataFrame:
    """Per cycle, the sub-period and the segment where its rate is highest against the rest, with q-values.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``loop`` (null on rows of sessions reaching ``start``), ``start``, ``day``, ``segment``,
        ``sessions``.
    cycles : pandas.DataFrame
        ``loop`` and ``start`` of the cycles to test.
    alpha : float
        False discovery rate of the Benjamini-Hochberg adjustment.
    by_segment : bool
        Also test segments (False when the sessions have no segment column).

    Returns
    -------
    pandas.DataFrame
        ``loop`` and :data:`CELL_COLUMNS`, one row per cycle (NaN / None where nothing rises).
    """
    cells = cells.assign(day=pd.to_datetime(cells["day"]), segment=cells["segment"].fillna(NO_SEGMENT).astype(str))
    months = cells["day"].dt.to_period("M")
    unit = "month" if months.nunique() > 1 else "week"
    if unit == "month":
        cells["period"] = months.astype(str)
    else:
        monday = cells["day"] - pd.to_timedelta(cells["day"].dt.day_of_week, unit="D")
        cells["period"] = monday.clip(lower=cells["day"].min()).dt.strftime("%Y-%m-%d")
    kinds = [("period", "period")] + ([("segment", "segment")] if by_segment else [])
    tested = pd.concat([_tests(cells, cycles, column, kind) for kind, column in kinds], ignore_index=True)
    if not tested.empty:
        tested["q"] = multipletests(tested["p"], alpha=alpha, method="fdr_bh")[1]
    out = cycles[["loop"]].drop_duplicates().assign(period_unit=unit)
    for kind, _ in kinds:
        out = out.merge(_worst(tested, kind, alpha), on="loop", how="left")
    for column in CELL_COLUMNS:
        if column not in out.columns:
            out[column] = None if column.startswith("worst") else np.nan
    return out[["loop", *CELL_COLUMNS]]


def _tests(cells: pd.DataFrame, cycles: pd.DataFrame, column: str, kind: str) -> pd.DataFrame:
    """Every (cycle, cell) with sessions in the cell and in the rest: counts, rates and the test's p-value."""
    reach = cells[cells["loop"].isna()].groupby(["start", column], as_index=False)["sessions"].sum()
    made = cells[cells["loop"].notna()].groupby(["loop", column], as_index=False)["sessions"].sum()
    t = cycles[["loop", "start"]].merge(reach.rename(columns={"sessions": "n"}), on="start")
    t = t.merge(made.rename(columns={"sessions": "k"}), on=["loop", column], how="left").fillna({"k": 0})
    t["rest_k"] = t.groupby("loop")["k"].transform("sum") - t["k"]
    t["rest_n"] = t.groupby("loop")["n"].transform("sum") - t["n"]
    t = t[(t["n"] > 0) & (t["rest_n"] > 0)].copy()
    t["p"] = [two_proportions(int(rk), int(rn), int(k), int(n)).p_value
              for k, n, rk, rn in zip(t["k"], t["n"], t["rest_k"], t["rest_n"])]
    t["rate"], t["rest_rate"] = t["k"] / t["n"], t["rest_k"] / t["rest_n"]
    return t.rename(columns={column: "cell"})[["loop", "cell", "rate", "rest_rate", "p"]].assign(kind=kind)


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
