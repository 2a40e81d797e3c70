"""Small-cell suppression: no table, chart or sentence describes fewer users than the minimum.

Two ways, for two kinds of result:

- **fold** (:func:`fold_small_groups`, :func:`fold_funnel_segments`): a
  breakdown by segment or category folds every group of fewer than
  ``min_size`` users into one ``"other"`` group. If the folded groups
  together still hold fewer than ``min_size`` users (for example one group
  of 3), the next smallest groups are folded in too until they do
  (complementary suppression), so no small group can be recovered by
  subtracting the groups shown from the total shown beside them.
- **suppress** (:func:`suppress_small_cells`): in a table of counts, a cell
  counting ``0 < n < min_size`` users is shown as ``"< 10"``. In every line
  (column, and row when ``lines="both"``) where that leaves exactly one
  hidden cell, the next smallest cell of the line is hidden too (shown as
  ``"suppressed"``), repeated until no line has exactly one, so a hidden
  count cannot be recovered from a line total. Percentages or rates derived
  from a count (``linked``) are hidden with it. A count of 0 describes
  nobody and stays shown.

Both work on small result frames only (they never see the engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from uem_helpers.core.i18n import N_, _
from uem_helpers.stats import wilson_ci

#: Label of the group small groups are folded into: the value in result frames (English, as data);
#: :func:`group_label` shows it in the reader's language.
OTHER = N_("other")
#: Shown in place of a count cell hidden because another cell of its line is small (in the reader's language).
SUPPRESSED = N_("suppressed")


def group_label(group: object) -> str:
    """A group as a reader sees it: the fold of small groups (:data:`OTHER`) in the reader's language,
    any other group as it is."""
    return _(OTHER) if group == OTHER else str(group)


def small_label(min_size: int) -> str:
    """What a count below the minimum shows instead: ``"< 10"`` for ``min_size=10``."""
    return f"< {min_size}"


def groups_to_fold(sizes: Mapping[object, int], min_size: int) -> list:
    """The groups to fold into "other": the small ones, plus the next smallest until the fold is large enough.

    Parameters
    ----------
    sizes : mapping of group to int
        Users per group.
    min_size : int
        Fewest users a group shown on its own may have.

    Returns
    -------
    list
        Groups to fold, smallest first (ties by label); empty when every group is large enough.
        A group already called "other" is folded whenever anything is, so only one "other" is shown.
    """
    order = sorted(sizes, key=lambda g: (int(sizes[g]), str(g)))
    fold = [g for g in order if 0 < int(sizes[g]) < min_size]
    if not fold:
        return []
    rest = [g for g in order if g not in fold]
    while sum(int(sizes[g]) for g in fold) < min_size and rest:
        fold.append(rest.pop(0))
    if OTHER in rest:
        fold.append(OTHER)
    return fold


def fold_small_groups(
    frame: pd.DataFrame,
    group: str,
    min_size: int,
    *,
    size: str,
    sums: Sequence[str] = (),
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Fold the groups of fewer than ``min_size`` users into one "other" group (see :func:`groups_to_fold`).

    Parameters
    ----------
    frame : pandas.DataFrame
        A breakdown: one row per group, or per group and ``keys``.
    group : str
        Column naming the group (segment, category).
    min_size : int
        Fewest users a group shown on its own may have.
    size : str
        Column holding the group's number of users (the same in every row of a group).
    sums : sequence of str
        Other count columns, added up for "other" (``size`` is always added up).
    keys : sequence of str
        Columns that split a group into rows (e.g. ``step_index``); "other" gets one row per key.

    Returns
    -------
    pandas.DataFrame
        The groups shown on their own (in their order), then "other". Columns that are not
        counts hold, for "other", the folded rows' common value, or NaN where they differ.
    """
    sizes = frame.groupby(group, sort=False)[size].max().to_dict()
    fold = groups_to_fold(sizes, min_size)
    if not fold:
        return frame.reset_index(drop=True)
    folded = frame[frame[group].isin(fold)]
    counts = [size, *[c for c in sums if c != size]]
    rows = []
    for key, part in folded.groupby(list(keys), sort=True) if keys else [((), folded)]:
        row = {c: (part[c].iloc[0] if part[c].nunique(dropna=False) == 1 else np.nan) for c in frame.columns}
        row.update({c: part[c].sum() for c in counts})
        row[group] = OTHER
        rows.append(row)
    other = pd.DataFrame(rows, columns=frame.columns).astype({c: frame[c].dtype for c in counts})
    return pd.concat([frame[~frame[group].isin(fold)], other], ignore_index=True)


def fold_funnel_segments(readout: pd.DataFrame, segment_by: str, min_size: int, alpha: float = 0.05) -> pd.DataFrame:
    """A funnel breakdown by segment with segments of fewer than ``min_size`` starters folded into "other".

    "other" adds up the folded segments' starters (``entered``), ``reached``
    and ``lost`` per step, and recomputes step conversion (reached / reached at
    the step before), conversion (reached / entered) and their Wilson 95%
    intervals from those counts. Its step times (medians, percentiles) cannot
    be combined from the segments' and are NaN.

    Parameters
    ----------
    readout : pandas.DataFrame
        :func:`uem_helpers.analyses.funnel.funnel` output with ``segment_by``.
    segment_by : str
        The segment column.
    min_size : int
        Fewest starters a segment shown on its own may have.
    alpha : float
        Two-sided level of the recomputed intervals.

    Returns
    -------
    pandas.DataFrame
        Same columns as ``readout``.
    """
    out = fold_small_groups(readout, segment_by, min_size, size="entered", sums=["reached", "lost"],
                            keys=["step_index"])
    other = out[segment_by] == OTHER
    if not other.any():
        return out
    part = out[other]
    previous = part["reached"] + part["lost"]
    out.loc[other, "step"] = readout.drop_duplicates("step_index").set_index("step_index")["step"].reindex(
        part["step_index"]).to_numpy()
    out.loc[other, "step_conversion"] = part["reached"] / previous.where(previous > 0)
    low, high = wilson_ci(part["reached"].to_numpy(), previous.to_numpy(), alpha=alpha)
    out.loc[other, "step_conversion_low"], out.loc[other, "step_conversion_high"] = low, high
    out.loc[other, "conversion"] = part["reached"] / part["entered"].where(part["entered"] > 0)
    low, high = wilson_ci(part["reached"].to_numpy(), part["entered"].to_numpy(), alpha=alpha)
    out.loc[other, "conversion_low"], out.loc[other, "conversion_high"] = low, high
    out.loc[other, ["median_seconds", "p75_seconds", "p90_seconds"]] = np.nan
    return out


def suppress_small_cells(
    table: pd.DataFrame,
    min_size: int,
    *,
    columns: Sequence[str] | None = None,
    linked: Mapping[str, str] | None = None,
    lines: str = "columns",
) -> pd.DataFrame:
    """A table of counts for display, with counts of fewer than ``min_size`` users hidden.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts of users per cell (e.g. a cross-tab), plus any other columns.
    min_size : int
        Fewest users a count shown may describe.
    columns : sequence of str, optional
        The count columns; every integer column when None.
    linked : mapping of str to str, optional
        Derived column -> the count column it is computed from (e.g. ``{"share": "users"}``);
        a derived cell is hidden with its count.
    lines : {"columns", "both"}
        Which lines have a total a reader could subtract from: each column (default), or
        each column and each row (a cross-tab whose row totals are shown or known).

    Returns
    -------
    pandas.DataFrame
        Same shape, object dtype: hidden primary cells read ``"< 10"``, complementary ones
        ``"suppressed"`` (in the reader's language), everything else as it was.

    Raises
    ------
    ValueError
        ``lines`` is not "columns" or "both", or a column named is missing.
    """
    if lines not in ("columns", "both"):
        raise ValueError(f"lines must be 'columns' or 'both', got {lines!r}")
    cols = list(columns) if columns is not None else [
        c for c in table.columns if pd.api.types.is_integer_dtype(table[c])
    ]
    linked = dict(linked or {})
    missing = [c for c in [*cols, *linked, *linked.values()] if c not in table.columns]
    if missing:
        raise ValueError(f"suppress_small_cells: no column(s) {', '.join(map(repr, missing))} in the table; "
                         f"columns are: {', '.join(map(str, table.columns))}")
    counts = table[cols].to_numpy(dtype=float)
    primary = (counts > 0) & (counts < min_size)
    hidden = primary.copy()
    changed = True
    while changed:
        changed = False
        line_sets = [hidden.T] + ([hidden] if lines == "both" and len(cols) > 1 else [])
        for axis, view in enumerate(line_sets):
            for i, line in enumerate(view):
                if line.sum() != 1:
                    continue
                values = counts[:, i] if axis == 0 else counts[i, :]
                candidates = [j for j in np.argsort(values, kind="stable") if values[j] > 0 and not line[j]]
                if candidates:
                    j = candidates[0]
                    r, c = (j, i) if axis == 0 else (i, j)
                    hidden[r, c] = True
                    changed = True
    out = table.astype(object).copy()
    for c_index, c in enumerate(cols):
        for r_index in np.flatnonzero(hidden[:, c_index]):
            out.iat[r_index, out.columns.get_loc(c)] = small_label(min_size) if primary[r_index, c_index] else _(SUPPRESSED)
    for derived, source in linked.items():
        rows = np.flatnonzero(hidden[:, cols.index(source)]) if source in cols else []
        for r_index in rows:
            out.iat[r_index, out.columns.get_loc(derived)] = SUPPRESSED
    return out
