"""The Sankey of the first steps from the start event, as an offline plotly figure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from uem_helpers.present.journey._style import GREY, OTHER, PLOTLY_FONT, _ENDS, _require, plotly_text
from uem_helpers.core.i18n import _, label
from uem_helpers.present.plots import ACCENT, MAIN


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
        :func:`uem_helpers.analyses.journey.sankey_links` output (``step``, ``source``, ``target``, ``sessions``).
    title : str, optional
        Title; by default the share of sessions that end within the steps shown.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(links, ["step", "source", "target", "sessions"], "sankey links", "uem_helpers.analyses.journey.sankey_links")
    links = links[pd.to_numeric(links["sessions"], errors="coerce").fillna(0) > 0]
    if links.empty:
        fig = go.Figure()
        fig.add_annotation(text=_("No sessions start with the start event in the period."), showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 14})
        fig.update_layout(title={"text": plotly_text(title or _("First steps of sessions"))}, height=300,
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
            "label": [_("step {k}: {event}").format(k=k, event=plotly_text(label(event))) for k, event in nodes],
            "color": [_node_color(event) for _step, event in nodes],
            "align": "left", "pad": 14, "thickness": 16, "line": {"width": 0},
            "hovertemplate": _("{node}<br>{sessions} sessions").format(node="%{label}", sessions="%{value:,}")
            + "<extra></extra>",
        },
        link={
            "source": [index[n] for n in sources],
            "target": [index[n] for n in targets],
            "value": sessions,
            "customdata": sessions / out_of,
            "color": [_link_color(event) for _step, event in targets],
            "hovertemplate": _("{source} → {target}<br>{sessions} sessions ({share} of the sessions at the source)").format(
                source="%{source.label}", target="%{target.label}", sessions="%{value:,}", share="%{customdata:.0%}")
            + "<extra></extra>",
        },
    ))
    if title is None:
        start = links[links["step"] == links["step"].min()].groupby("source")["sessions"].sum().idxmax()
        started = float(links.loc[links["step"] == links["step"].min(), "sessions"].sum())
        ended = float(links.loc[links["target"].isin(_ENDS), "sessions"].sum())
        title = _("The first {steps} steps from '{start}': {share} of sessions end within them (red)").format(
            steps=int(steps.max()) + 1, start=label(start), share=f"{ended / started:.0%}")
    most = max(pd.Series([k for k, _event in nodes]).value_counts().max(), 1)
    fig.update_layout(
        title={"text": plotly_text(title), "x": 0.01, "xanchor": "left"},
        font={"family": PLOTLY_FONT, "size": 12},
        height=int(min(max(160 + 44 * most, 420), 900)),
        margin={"l": 10, "r": 10, "t": 60, "b": 20},
    )
    return fig


def _node_order(node: tuple[int, str]) -> tuple[int, int, str]:
    step, event = node
    return step, (event in _ENDS) * 2 + (event == OTHER), event


def _node_color(event: str) -> str:
    return ACCENT if event in _ENDS else GREY if event == OTHER else MAIN


def _link_color(target: str) -> str:
    return "rgba(209,73,91,0.35)" if target in _ENDS else "rgba(154,165,177,0.35)" if target == OTHER \
        else "rgba(42,122,176,0.25)"
