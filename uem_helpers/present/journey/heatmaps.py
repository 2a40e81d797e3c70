"""Heatmaps: the journey map (stage x touchpoint) and the transition matrix (share of each next step)."""

from __future__ import annotations

import warnings

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from uem_helpers.core.errors import ParameterError
from uem_helpers.present.journey._style import (
    _ENDS,
    _colorbar_format,
    _empty,
    _format_value,
    _positive_int,
    _require,
    _value_kind,
    value_name,
)
from uem_helpers.core.i18n import _, label
from uem_helpers.present.plots import ACCENT, new_axes, plain


def journey_heatmap(map_table, value: str = "exit_rate", *, title: str | None = None, ax=None):
    """Touchpoint x stage heatmap of one journey-map column, each cell annotated.

    Rows are touchpoints and columns stages, both in journey order, so the
    filled cells run down the diagonal from the first stage to the last;
    blank cells are touchpoints outside a stage. Rates and shares are shown
    as percentages, seconds as minutes, NPS on a red-to-green scale around 0.

    Parameters
    ----------
    map_table : pandas.DataFrame or JourneyMap
        :func:`uem_helpers.analyses.journey.map.journey_map` result or its ``table``
        (``stage``, ``touchpoint`` and ``value``).
    value : str
        Numeric column to show, e.g. ``"exit_rate"``, ``"stage_share"``,
        ``"median_dwell_seconds"``, ``"nps"``, ``"users"``.
    title : str, optional
        Chart title; by default it names the touchpoint that stands out.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    table = getattr(map_table, "table", map_table)
    _require(table, ["stage", "touchpoint"], "journey map table", "uem_helpers.analyses.journey.map.journey_map(...).table")
    if value in ("stage", "touchpoint") or value not in table.columns:
        options = [c for c in table.columns if c not in ("stage", "touchpoint")]
        raise ParameterError(f"value={value!r} is not a column of the journey map; use one of: {', '.join(options)}")
    rows = table[["stage", "touchpoint", value]].copy()
    rows[value] = pd.to_numeric(rows[value], errors="coerce").astype("float64")
    stages = list(dict.fromkeys(rows["stage"]))
    points = list(dict.fromkeys(rows["touchpoint"]))
    ax = new_axes(ax, (2.6 + 1.35 * max(len(stages), 1), 1.4 + 0.42 * max(len(points), 1)))
    name = value_name(value)
    if rows[value].notna().sum() == 0:
        return _empty(ax, _("No {name} to show: the journey map has no values for it.").format(name=name),
                      title or _("{name} by stage").format(name=name))
    grid = rows.pivot_table(index="touchpoint", columns="stage", values=value, aggfunc="first", dropna=False)
    grid = grid.reindex(index=points, columns=stages)
    kind = _value_kind(value)
    cmap, center, vmin, vmax = {
        "share": ("Reds" if "exit" in value else "Blues", None, 0, max(float(np.nanmax(grid.to_numpy())), 0.01)),
        "nps": ("RdYlGn", 0, -100, 100),
        "seconds": ("Oranges", None, 0, None),
        "count": ("Blues", None, 0, None),
    }[kind]
    labels = grid.map(lambda v: _format_value(v, kind))
    if kind == "seconds":
        grid = grid / 60  # coloured and scaled in minutes
    # seaborn draws the index and columns as tick labels (and measures them) before they are replaced
    grid.index, grid.columns = [plain(label(p)) for p in grid.index], [plain(label(s)) for s in grid.columns]
    with warnings.catch_warnings():  # seaborn 0.13.2 calls a colormap method matplotlib 3.11 deprecates
        warnings.filterwarnings("ignore", "The set_bad function", PendingDeprecationWarning)
        sns.heatmap(grid, ax=ax, cmap=cmap, center=center, vmin=vmin, vmax=vmax, annot=labels.to_numpy(), fmt="",
                    linewidths=0.6, linecolor="white", annot_kws={"fontsize": 9},
                    cbar_kws={"label": name, "shrink": 0.8, "format": _colorbar_format(kind)})
    ax.set_yticks(np.arange(len(points)) + 0.5, [plain(label(p)) for p in points], rotation=0)
    ax.set_xticks(np.arange(len(stages)) + 0.5, [plain(label(s)) for s in stages], rotation=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    ax.grid(False)
    if title is None:
        worst = rows.dropna(subset=[value]).sort_values(value, ascending=(kind == "nps")).iloc[0]
        words = (_("{name} by stage and touchpoint: lowest at '{touchpoint}' ({value})") if kind == "nps" else
                 _("{name} by stage and touchpoint: highest at '{touchpoint}' ({value})"))
        title = words.format(name=name[0].upper() + name[1:], touchpoint=label(worst["touchpoint"]),
                             value=_format_value(worst[value], kind))
    ax.set_title(plain(title), pad=28)
    return ax


def transition_heatmap(transitions: pd.DataFrame, top_n: int = 15, *, title: str | None = None, ax=None):
    """Share of each event's next step: rows the current event, columns the next event and the exit.

    The ``top_n`` events with the most outgoing transitions are the rows; the
    columns are the ``top_n`` most frequent next events among them, then the
    session end (exit) last, set off by a line. A cell is the share of the row
    event's outgoing transitions (exits included) that go to the column, so a
    row sums to 100% only when every target is shown.

    Parameters
    ----------
    transitions : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.transitions` output (``source``, ``target``, ``transitions``, ``share``).
    top_n : int
        Most rows and (besides the exit) columns shown.
    title : str, optional
        Chart title; by default it names the event after which sessions end most often.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(transitions, ["source", "target", "transitions", "share"], "transitions",
             "uem_helpers.analyses.journey.transitions")
    _positive_int(top_n, "top_n")
    frame = transitions[transitions["transitions"] > 0]
    if frame.empty:
        return _empty(new_axes(ax), _("No transitions in the period."), title or _("Next step after each event"))
    ends = [e for e in _ENDS if e in set(frame["target"])]
    volume = frame.groupby("source", sort=False)["transitions"].sum().sort_values(ascending=False, kind="stable")
    rows = list(volume.index[:top_n])
    shown = frame[frame["source"].isin(rows)]
    incoming = shown[~shown["target"].isin(_ENDS)].groupby("target", sort=False)["transitions"].sum()
    chosen = set(incoming.sort_values(ascending=False, kind="stable").index[:top_n])
    columns = [r for r in rows if r in chosen] + [t for t in incoming.index if t in chosen and t not in rows] + ends
    grid = shown.pivot_table(index="source", columns="target", values="share", aggfunc="sum")
    grid = grid.reindex(index=rows, columns=columns).fillna(0.0).astype("float64")
    ax = new_axes(ax, (3.2 + 0.62 * len(columns), 1.8 + 0.42 * len(rows)))
    labels = grid.map(lambda v: f"{v:.0%}" if v >= 0.005 else "")
    grid.index, grid.columns = [plain(label(r)) for r in grid.index], [plain(label(c)) for c in grid.columns]  # as above
    sns.heatmap(grid, ax=ax, cmap="Blues", vmin=0, vmax=max(float(grid.to_numpy().max()), 0.01),
                annot=labels.to_numpy(), fmt="", annot_kws={"fontsize": 8}, linewidths=0.5, linecolor="white",
                cbar_kws={"label": _("Share of the row event's next steps"), "shrink": 0.8,
                          "format": mticker.PercentFormatter(xmax=1, decimals=0)})
    ax.set_yticks(np.arange(len(rows)) + 0.5, [plain(label(r)) for r in rows], rotation=0)
    ax.set_xticks(np.arange(len(columns)) + 0.5, [plain(label(c)) for c in columns], rotation=40, ha="right",
                  rotation_mode="anchor")
    for tick, column in zip(ax.get_xticklabels(), columns):
        if column in _ENDS:
            tick.set_color(ACCENT)
    if ends:
        ax.axvline(len(columns) - len(ends), color=ACCENT, lw=2)
    ax.set_ylabel(_("Current event"))
    ax.set_xlabel(_("Next event (session end in red)"))
    ax.tick_params(length=0)
    ax.grid(False)
    if title is None:
        exits = grid[plain(label(ends[0]))] if ends else pd.Series(dtype=float)
        if len(exits) and exits.max() > 0:
            title = _("Next step after each event: sessions end most often after '{event}' ({share} of its next "
                      "steps)").format(event=exits.idxmax(), share=f"{exits.max():.0%}")
        else:
            title = _("Next step after each event (share of its next steps)")
    ax.set_title(plain(title))
    return ax
