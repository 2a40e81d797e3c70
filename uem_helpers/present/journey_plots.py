"""Journey charts: one function per picture of issue #7's analyses.

Each function takes a small result frame of :mod:`uem_helpers.analyses.journey.flow`,
:mod:`uem_helpers.analyses.journey.map` or :mod:`uem_helpers.analyses.journey.incidents` and returns
what it drew: a matplotlib Axes (``ax=`` to draw on one of yours) or, for
the Sankey, a plotly Figure. Titles state what the reader should see,
computed from the data; rates are on percent axes.

Text from the data is made safe the same way as in :mod:`uem_helpers.present.plots`:
in matplotlib charts through :func:`~uem_helpers.present.plots.plain` (personal data
masked, ``$`` drawn literally); in plotly figures through
:func:`plotly_text` (masked, then ``&``, ``<`` and ``>`` escaped: plotly
reads a subset of HTML inside its labels and hover text), with every
hover template set here, so no data string is ever read as markup. The
report exporter then escapes every figure string again
(:func:`uem_helpers.pipeline.export.plotly_inert`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import seaborn as sns

from uem_helpers.present import privacy
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.present.plots import ACCENT, MAIN, new_axes, percent_axis, plain, rate_bars

#: Target of a session's last event (:data:`uem_helpers.analyses.sessions.SESSION_END`).
SESSION_END = "(session end)"
#: Target of a user's last event in the period (:data:`uem_helpers.analyses.journey.flow.USER_END`).
USER_END = "(last event)"
#: Name of the grouped rest in :func:`uem_helpers.analyses.journey.flow.sankey_links`.
OTHER = "(other)"
GREY = "#9aa5b1"
#: Fonts plotly asks the reader's browser for, Chinese-capable ones included.
PLOTLY_FONT = ("Open Sans, verdana, arial, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', "
               "'WenQuanYi Micro Hei', sans-serif")
_ENDS = (SESSION_END, USER_END)


def plotly_text(text: object) -> str:
    """Data text for a plotly label, title or hover text: personal data masked, ``&``, ``<``, ``>`` escaped.

    Plotly shows ``&amp;``, ``&lt;`` and ``&gt;`` as the characters, so the reader sees the text
    as it is, while nothing in it can become a tag (``<a href>``, ``<span style>``, ``<br>``).

    Parameters
    ----------
    text : object
        The text (None and NaN become an empty string).

    Returns
    -------
    str
    """
    masked = privacy.active().mask_text("" if _missing(text) else text)
    return masked.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- journey map


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
    name = _VALUE_NAMES.get(value, value.replace("_", " "))
    if rows[value].notna().sum() == 0:
        return _empty(ax, f"No {name} to show: the journey map has no values for it.", title or f"{name} by stage")
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
    grid.index, grid.columns = [plain(p) for p in grid.index], [plain(s) for s in grid.columns]
    with warnings.catch_warnings():  # seaborn 0.13.2 calls a colormap method matplotlib 3.11 deprecates
        warnings.filterwarnings("ignore", "The set_bad function", PendingDeprecationWarning)
        sns.heatmap(grid, ax=ax, cmap=cmap, center=center, vmin=vmin, vmax=vmax, annot=labels.to_numpy(), fmt="",
                    linewidths=0.6, linecolor="white", annot_kws={"fontsize": 9},
                    cbar_kws={"label": name, "shrink": 0.8, "format": _colorbar_format(kind)})
    ax.set_yticks(np.arange(len(points)) + 0.5, [plain(p) for p in points], rotation=0)
    ax.set_xticks(np.arange(len(stages)) + 0.5, [plain(s) for s in stages], rotation=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    ax.grid(False)
    if title is None:
        worst = rows.dropna(subset=[value]).sort_values(value, ascending=(kind == "nps")).iloc[0]
        word = "lowest" if kind == "nps" else "highest"
        title = f"{name[0].upper() + name[1:]} by stage and touchpoint: {word} at '{worst['touchpoint']}' " \
                f"({_format_value(worst[value], kind)})"
    ax.set_title(plain(title), pad=28)
    return ax


# --------------------------------------------------------------------------- flows


def sankey(links: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Sankey diagram of the first steps of sessions, exits in red.

    Nodes are "step k: event" (k = the event's position in the session, step 1
    being the start event); a session that ends after step k flows into the red
    node "step k+1: (session end)"; "(other)" (grey) groups the events outside
    a step's top list. Hovering a band shows its sessions and their share of
    the sessions at its source node. Every label is masked and escaped
    (:func:`plotly_text`).

    Parameters
    ----------
    links : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.flow.sankey_links` output (``step``, ``source``, ``target``, ``sessions``).
    title : str, optional
        Title; by default the share of sessions that end within the steps shown.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(links, ["step", "source", "target", "sessions"], "sankey links", "uem_helpers.analyses.journey.flow.sankey_links")
    links = links[pd.to_numeric(links["sessions"], errors="coerce").fillna(0) > 0]
    if links.empty:
        fig = go.Figure()
        fig.add_annotation(text="No sessions start with the start event in the period.", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
        fig.update_layout(title={"text": plotly_text(title or "First steps of sessions")}, height=300,
                          xaxis={"visible": False}, yaxis={"visible": False}, font={"family": PLOTLY_FONT})
        return fig
    steps = links["step"].astype(int).to_numpy()
    sources = list(zip(steps, links["source"].astype(str)))
    targets = list(zip(steps + 1, links["target"].astype(str)))
    nodes = list(dict.fromkeys(sorted(set(sources) | set(targets), key=_node_order)))
    index = {node: i for i, node in enumerate(nodes)}
    sessions = links["sessions"].to_numpy(dtype=float)
    out_of = pd.Series(sessions).groupby(pd.Series(sources).map(index).to_numpy()).transform("sum").to_numpy()
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={
            "label": [f"step {k}: {plotly_text(event)}" for k, event in nodes],
            "color": [_node_color(event) for _, event in nodes],
            "align": "left", "pad": 14, "thickness": 16, "line": {"width": 0},
            "hovertemplate": "%{label}<br>%{value:,} sessions<extra></extra>",
        },
        link={
            "source": [index[n] for n in sources],
            "target": [index[n] for n in targets],
            "value": sessions,
            "customdata": sessions / out_of,
            "color": [_link_color(event) for _, event in targets],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,} sessions "
                             "(%{customdata:.0%} of the sessions at the source)<extra></extra>",
        },
    ))
    if title is None:
        start = links[links["step"] == links["step"].min()].groupby("source")["sessions"].sum().idxmax()
        started = float(links.loc[links["step"] == links["step"].min(), "sessions"].sum())
        ended = float(links.loc[links["target"].isin(_ENDS), "sessions"].sum())
        title = (f"The first {int(steps.max()) + 1} steps from '{start}': {ended / started:.0%} of sessions "
                 "end within them (red)")
    most = max(pd.Series([k for k, _ in nodes]).value_counts().max(), 1)
    fig.update_layout(
        title={"text": plotly_text(title), "x": 0.01, "xanchor": "left"},
        font={"family": PLOTLY_FONT, "size": 12},
        height=int(min(max(160 + 44 * most, 420), 900)),
        margin={"l": 10, "r": 10, "t": 60, "b": 20},
    )
    return fig


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
        :func:`uem_helpers.analyses.journey.flow.transitions` output (``source``, ``target``, ``transitions``, ``share``).
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
             "uem_helpers.analyses.journey.flow.transitions")
    _positive_int(top_n, "top_n")
    frame = transitions[transitions["transitions"] > 0]
    if frame.empty:
        return _empty(new_axes(ax), "No transitions in the period.", title or "Next step after each event")
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
    grid.index, grid.columns = [plain(r) for r in grid.index], [plain(c) for c in grid.columns]  # as above
    sns.heatmap(grid, ax=ax, cmap="Blues", vmin=0, vmax=max(float(grid.to_numpy().max()), 0.01),
                annot=labels.to_numpy(), fmt="", annot_kws={"fontsize": 8}, linewidths=0.5, linecolor="white",
                cbar_kws={"label": "Share of the row event's next steps", "shrink": 0.8,
                          "format": mticker.PercentFormatter(xmax=1, decimals=0)})
    ax.set_yticks(np.arange(len(rows)) + 0.5, [plain(r) for r in rows], rotation=0)
    ax.set_xticks(np.arange(len(columns)) + 0.5, [plain(c) for c in columns], rotation=40, ha="right",
                  rotation_mode="anchor")
    for tick, column in zip(ax.get_xticklabels(), columns):
        if column in _ENDS:
            tick.set_color(ACCENT)
    if ends:
        ax.axvline(len(columns) - len(ends), color=ACCENT, lw=2)
    ax.set_ylabel("Current event")
    ax.set_xlabel("Next event (session end in red)")
    ax.tick_params(length=0)
    ax.grid(False)
    if title is None:
        exits = grid[ends[0]] if ends else pd.Series(dtype=float)
        if len(exits) and exits.max() > 0:
            title = f"Next step after each event: sessions end most often after '{exits.idxmax()}' " \
                    f"({exits.max():.0%} of its next steps)"
        else:
            title = "Next step after each event (share of its next steps)"
    ax.set_title(plain(title))
    return ax


def loop_bars(loops: pd.DataFrame, *, top_n: int = 10, title: str | None = None, ax=None):
    """The most common loops: how often sessions with each loop convert, against the same sessions without one.

    One bar per loop (most users first): the conversion of sessions that made the loop, with
    its Wilson 95% interval; an orange diamond (with its interval) marks the loop's own
    baseline, sessions that reached the loop's first event but made no loop at all
    (:func:`uem_helpers.analyses.journey.flow.loops`). A bar left of its diamond is what the loop costs.
    Without a conversion event the bars count users instead. Loops of fewer users than the
    privacy minimum are not shown.

    Parameters
    ----------
    loops : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.flow.loops` output (``loop``, ``users``, ``sessions``,
        ``session_conversion`` with ``_low``/``_high``, ``baseline_conversion``,
        ``baseline_low``, ``baseline_high``).
    top_n : int
        Most loops shown.
    title : str, optional
        Chart title; by default the top loop's conversion against its baseline.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(loops, ["loop", "users"], "loops", "uem_helpers.analyses.journey.flow.loops")
    _positive_int(top_n, "top_n")
    minimum = privacy.active().min_cell_size
    large = pd.to_numeric(loops["users"], errors="coerce").fillna(0) >= minimum
    shown = loops[large].sort_values("users", ascending=False, kind="stable").head(top_n)
    note = "" if large.all() else f" (loops of fewer than {minimum} users not shown)"
    if shown.empty:
        return _empty(new_axes(ax), f"No loop made by at least {minimum} users in the period.",
                      title or "Loops in the journey")
    rate = pd.to_numeric(shown.get("session_conversion", pd.Series(np.nan, index=shown.index)), errors="coerce")
    top = shown.iloc[0]
    if rate.isna().all():
        ax = new_axes(ax, (9, 0.55 * len(shown) + 1.6))
        y = np.arange(len(shown))
        ax.barh(y, shown["users"].astype(float), color=MAIN, height=0.6)
        for yi, n in zip(y, shown["users"]):
            ax.text(float(n), yi, f"  {int(n):,}", va="center", fontsize=10)
        ax.set_yticks(y, [plain(loop) for loop in shown["loop"]])
        ax.invert_yaxis()
        ax.margins(x=0.15)
        ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel("Users who made the loop" + note)
        ax.grid(axis="y", visible=False)
        ax.set_title(plain(title or f"Most common loop: '{top['loop']}' ({int(top['users']):,} users)"))
        return ax
    base = pd.to_numeric(shown["baseline_conversion"], errors="coerce").to_numpy(dtype=float)
    notes = [f"{c:.0%} of {int(n):,} sessions (no loop: {b:.0%})" for c, n, b in zip(rate, shown["sessions"], base)]
    ax = rate_bars(shown["loop"].astype(str), rate, shown["session_conversion_low"],
                   shown["session_conversion_high"], notes,
                   xlabel="Sessions converting: with the loop (bars) and without any loop (diamonds), 95% CI" + note,
                   title="", ax=ax)
    y = np.arange(len(shown))
    low = base - pd.to_numeric(shown["baseline_low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(shown["baseline_high"], errors="coerce").to_numpy(dtype=float) - base
    ax.errorbar(base, y, xerr=[low, high], fmt="D", color=ACCENT, markersize=6, capsize=3, lw=1.2, zorder=4)
    title = title or (f"Sessions with '{top['loop']}' convert at {rate.iloc[0]:.0%} vs {base[0]:.0%} "
                      "without a loop")
    ax.set_title(plain(title), pad=12)
    return ax


# --------------------------------------------------------------------------- bottlenecks and segments


def bottleneck_chart(bottlenecks: pd.DataFrame, *, top_n: int = 10, title: str | None = None, ax=None):
    """Ranked bottlenecks: exit rate (bars, 95% CI) and mean dwell (dots, 95% CI, right panel).

    Touchpoints keep their rank order top to bottom; beside each exit-rate bar
    the users lost there. The dwell panel is drawn to the right of ``ax``
    (sharing its rows) and is reachable as ``ax.dwell_axes``.

    Parameters
    ----------
    bottlenecks : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.map.bottlenecks` output (``rank``, ``touchpoint``, ``exit_rate``,
        ``exit_low``, ``exit_high``, ``mean_dwell_seconds``, ``dwell_low``, ``dwell_high``, ``users_lost``).
    top_n : int
        Most touchpoints shown.
    title : str, optional
        Chart title; by default it names the first-ranked touchpoint with its exit rate and dwell.
    ax : matplotlib Axes, optional
        Axes of the exit-rate panel.

    Returns
    -------
    matplotlib Axes
        The exit-rate panel.
    """
    needed = ["touchpoint", "exit_rate", "exit_low", "exit_high", "mean_dwell_seconds", "dwell_low", "dwell_high"]
    _require(bottlenecks, needed, "bottlenecks", "uem_helpers.analyses.journey.map.bottlenecks")
    _positive_int(top_n, "top_n")
    rows = bottlenecks.sort_values("rank", kind="stable") if "rank" in bottlenecks.columns else bottlenecks
    rows = rows.head(top_n)
    if rows.empty:
        return _empty(new_axes(ax), "No touchpoint to rank in the period.", title or "Bottlenecks")
    lost = rows["users_lost"] if "users_lost" in rows.columns else pd.Series(np.nan, index=rows.index)
    notes = [f"{r:.0%}" + (f"  ({int(n):,} users lost)" if pd.notna(n) else "")
             for r, n in zip(rows["exit_rate"], lost)]
    ax = new_axes(ax, (11, 0.55 * len(rows) + 1.8))
    rate_bars(rows["touchpoint"].astype(str), rows["exit_rate"], rows["exit_low"], rows["exit_high"], notes,
              xlabel="Exit rate: share of its events that end the session (95% CI)", title="", ax=ax)
    dwell = ax.inset_axes([1.04, 0, 0.55, 1], sharey=ax)
    minutes = rows[["mean_dwell_seconds", "dwell_low", "dwell_high"]].astype(float).to_numpy() / 60
    y = np.arange(len(rows))
    dwell.errorbar(minutes[:, 0], y, xerr=np.vstack([minutes[:, 0] - minutes[:, 1], minutes[:, 2] - minutes[:, 0]]),
                   fmt="D", color=ACCENT, ecolor=ACCENT, capsize=4, lw=1.2, ms=6)
    for yi, m in zip(y, minutes[:, 2]):
        if np.isfinite(m):
            dwell.text(m, yi, f"  {_minutes(minutes[yi, 0])}", va="center", fontsize=9, color=ACCENT)
    dwell.set_xlim(0, np.nanmax(np.append(minutes[:, 2], 0.1)) * 1.35)
    dwell.tick_params(axis="y", labelleft=False, length=0)
    dwell.set_xlabel("Mean dwell, minutes (95% CI)")
    dwell.grid(axis="y", visible=False)
    ax.dwell_axes = dwell
    if title is None:
        first = rows.iloc[0]
        title = (f"Bottleneck #1: '{first['touchpoint']}', {first['exit_rate']:.0%} of its events end the session, "
                 f"mean dwell {_minutes(first['mean_dwell_seconds'] / 60)}")
    ax.set_title(plain(title), loc="left")
    return ax


def segment_diff_chart(diff: pd.DataFrame, *, labels: Sequence[str] = ("A", "B"), top_n: int = 15,
                       title: str | None = None, ax=None):
    """Transitions whose share differs between two segments: difference (B − A) with its 95% CI.

    The significant differences (after the Benjamini-Hochberg correction) are
    drawn in colour and listed first, largest first; the others in grey. Beside
    each row: the share of the source's next steps in A and in B.

    Parameters
    ----------
    diff : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.flow.segment_diff` output (``source``, ``target``, ``share_a``,
        ``share_b``, ``difference`` = ``share_b - share_a``, ``ci_low``, ``ci_high``, ``significant``).
    labels : pair of str
        Names of segments a and b, as the reader knows them.
    top_n : int
        Most transitions shown.
    title : str, optional
        Chart title; by default how many transitions differ significantly.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(diff, ["source", "target", "share_a", "share_b", "difference", "ci_low", "ci_high", "significant"],
             "segment diff", "uem_helpers.analyses.journey.flow.segment_diff")
    _positive_int(top_n, "top_n")
    if len(labels) != 2:
        raise ParameterError(f"labels must name the two segments (a, b); got {list(labels)!r}")
    a, b = (str(x) for x in labels)
    if diff.empty:
        return _empty(new_axes(ax), f"No transition made often enough in both {a} and {b} to compare.",
                      title or f"{a} vs {b}")
    rows = diff.assign(_sig=diff["significant"].fillna(False).astype(bool), _size=diff["difference"].abs())
    rows = rows.sort_values(["_sig", "_size"], ascending=[False, False], kind="stable").head(top_n)
    ax = new_axes(ax, (11, 0.5 * len(rows) + 1.8))
    y = np.arange(len(rows))
    d = rows["difference"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    sig = rows["_sig"].to_numpy()
    for mask, color, label in ((sig, ACCENT, "significant (BH-corrected)"), (~sig, GREY, "not significant")):
        if mask.any():
            ax.errorbar(d[mask], y[mask], xerr=np.vstack([d[mask] - low[mask], high[mask] - d[mask]]), fmt="o",
                        color=color, ecolor=color, capsize=4, lw=1.3, ms=6, label=label)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(y, [f"{plain(s)} → {plain(t)}" for s, t in zip(rows["source"], rows["target"])])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    reach = max(float(np.nanmax(np.abs(np.concatenate([low, high])))), 0.01)
    ax.set_xlim(-reach * 1.1, reach * 1.1)
    shares = ax.twinx()  # the two shares, as labels on the right
    shares.set_ylim(ax.get_ylim())
    shares.set_yticks(y, [plain(f"{a} {sa:.0%} · {b} {sb:.0%}") for sa, sb in zip(rows["share_a"], rows["share_b"])],
                      fontsize=9)
    shares.tick_params(length=0)
    shares.grid(False)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v * 100:+.0f} pp" if round(v * 100) else "0"))
    ax.set_xlabel(plain(f"Difference in the share of the source's next steps, {b} − {a} "
                        "(percentage points, 95% CI)"))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=9, frameon=False)
    if title is None:
        k = int(diff["significant"].fillna(False).astype(bool).sum())
        title = f"{k} of {len(diff)} transitions differ significantly between {a} and {b}"
        if k:
            top = rows.iloc[0]
            title += f"; largest: {top['source']} → {top['target']} ({top['difference'] * 100:+.0f} pp)"
    ax.set_title(plain(title))
    return ax


# --------------------------------------------------------------------------- incident watch


def p_chart(chart: pd.DataFrame, step: str | None = None, *, title: str | None = None, ax=None):
    """Incident watch: one step's daily conversion against its p-chart control limits.

    The daily rate (line and dots), the pooled center line and the band between
    the day's lower and upper control limits; days outside the limits are red
    (below) or orange (above), and a run of days below is labelled with its dates.

    Parameters
    ----------
    chart : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.incidents.p_chart` output (``date``, ``step``, ``rate``, ``center``, ``lcl``,
        ``ucl``, ``outside``).
    step : str, optional
        The step to draw (e.g. ``"payment → order_success"``); may be omitted when the chart has one step.
    title : str, optional
        Chart title; by default the number of days below the limits and when.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(chart, ["date", "step", "rate", "center", "lcl", "ucl", "outside"], "p-chart",
             "uem_helpers.analyses.journey.incidents.p_chart")
    steps = list(dict.fromkeys(chart["step"].astype(str)))
    if step is None:
        if len(steps) > 1:
            raise ParameterError(f"the chart has {len(steps)} steps; pass step= one of: {', '.join(steps)}")
        step = steps[0] if steps else ""
    elif str(step) not in steps:
        raise ParameterError(f"step={step!r} is not in the chart; its steps are: {', '.join(steps) or 'none'}")
    ax = new_axes(ax, (10, 4.5))
    rows = chart[chart["step"].astype(str) == str(step)].copy()
    if rows.empty:
        return _empty(ax, "No days with trials in the period.", title or "Daily conversion")
    rows["date"] = pd.to_datetime(rows["date"])
    rows = rows.sort_values("date")
    x = rows["date"]
    ax.fill_between(x, rows["lcl"].astype(float), rows["ucl"].astype(float), step="mid", color=MAIN, alpha=0.12,
                    lw=0, label="control limits (3σ)")
    ax.plot(x, rows["center"].astype(float), color=MAIN, ls="--", lw=1.2, label=f"center {rows['center'].iloc[0]:.0%}")
    ax.plot(x, rows["rate"].astype(float), color="#3d4852", lw=1, marker="o", ms=3, label="daily rate")
    below, above = rows[rows["outside"] == "below"], rows[rows["outside"] == "above"]
    if len(below):
        ax.scatter(below["date"], below["rate"], color=ACCENT, s=45, zorder=3, label="below the limits")
    if len(above):
        ax.scatter(above["date"], above["rate"], color="#e8a33d", s=45, zorder=3, label="above the limits")
    runs = _runs(below["date"])
    for first, last in runs:
        ax.annotate(_date_span(first, last), (first + (last - first) / 2, float(below["rate"].min())),
                    xytext=(0, -16), textcoords="offset points", ha="center", va="top", color=ACCENT, fontsize=9)
    top = float(np.nanmax(rows[["rate", "ucl"]].astype(float).to_numpy()))
    ax.set_ylim(max(0.0, float(np.nanmin(rows[["rate", "lcl"]].astype(float).to_numpy())) - 0.1), min(1.02, top + 0.08))
    percent_axis(ax.yaxis)
    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
        locator, offset_formats=["", "%Y", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M"]))
    ax.set_ylabel("Conversion that day")
    ax.set_xlabel("")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=5, fontsize=9, frameon=False)
    if title is None:
        if runs:
            spans = ", ".join(_date_span(f, s) for f, s in runs[:3])
            title = f"'{step}': {len(below)} day{'s' * (len(below) != 1)} below the control limits ({spans})"
        else:
            title = f"'{step}': no day below the control limits"
    ax.set_title(plain(title))
    return ax


# --------------------------------------------------------------------------- helpers

_VALUE_NAMES = {
    "exit_rate": "exit rate", "stage_share": "share of the stage's users", "median_dwell_seconds": "median dwell",
    "mean_dwell_seconds": "mean dwell", "p90_dwell_seconds": "90th percentile dwell", "nps": "NPS",
    "users": "users", "stage_users": "users in the stage", "feedback_items": "feedback items",
    "nps_responses": "NPS responses",
}


def _value_kind(value: str) -> str:
    if value in ("nps", "nps_low", "nps_high"):
        return "nps"
    if value.endswith(("_rate", "_share", "_low", "_high")) or value in ("share", "conversion"):
        return "share"
    if value.endswith("_seconds"):
        return "seconds"
    return "count"


def _format_value(v: float, kind: str) -> str:
    if pd.isna(v):
        return ""
    if kind == "share":
        return f"{v:.0%}"
    if kind == "nps":
        return f"{v:+.0f}"
    if kind == "seconds":
        return _minutes(v / 60)
    return f"{v:,.0f}"


def _colorbar_format(kind: str):
    if kind == "share":
        return mticker.PercentFormatter(xmax=1, decimals=0)
    if kind == "seconds":
        return mticker.FuncFormatter(lambda v, _: f"{v:g} min")
    return mticker.StrMethodFormatter("{x:,.0f}")


def _minutes(minutes: float) -> str:
    """``"45 s"``, ``"2.5 min"``, ``"1.2 h"``."""
    if pd.isna(minutes):
        return "n/a"
    if minutes < 1:
        return f"{minutes * 60:.0f} s"
    if minutes < 90:
        return f"{minutes:.1f} min"
    return f"{minutes / 60:.1f} h"


def _node_order(node: tuple[int, str]) -> tuple[int, int, str]:
    step, event = node
    return step, (event in _ENDS) * 2 + (event == OTHER), event


def _node_color(event: str) -> str:
    return ACCENT if event in _ENDS else GREY if event == OTHER else MAIN


def _link_color(target: str) -> str:
    return "rgba(209,73,91,0.35)" if target in _ENDS else "rgba(154,165,177,0.35)" if target == OTHER \
        else "rgba(42,122,176,0.25)"


def _runs(dates: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of consecutive days as (first, last) pairs."""
    days = sorted(pd.to_datetime(dates).dt.normalize().unique())
    runs: list[list[pd.Timestamp]] = []
    for day in days:
        if runs and day - runs[-1][1] == pd.Timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(pd.Timestamp(f), pd.Timestamp(s)) for f, s in runs]


def _date_span(first: pd.Timestamp, last: pd.Timestamp) -> str:
    if first == last:
        return f"{first:%Y-%m-%d}"
    return f"{first:%Y-%m-%d}–{last:%m-%d}" if first.year == last.year else f"{first:%Y-%m-%d}–{last:%Y-%m-%d}"


def _empty(ax, message: str, title: str):
    """An Axes that says there is nothing to draw."""
    ax.text(0.5, 0.5, plain(message), ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(plain(title))
    return ax


def _require(frame: object, columns: Sequence[str], what: str, source: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"the {what} must be a pandas DataFrame from {source}; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ContractError(what, missing[0], f"missing column(s) {', '.join(missing)}: pass the frame returned "
                            f"by {source}; columns given: {', '.join(map(str, frame.columns)) or 'none'}")


def _positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive whole number; got {value!r}")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


__all__ = ["bottleneck_chart", "journey_heatmap", "loop_bars", "p_chart", "plotly_text", "sankey",
           "segment_diff_chart", "transition_heatmap"]
