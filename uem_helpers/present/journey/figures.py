"""The journey report's charts: each takes the analysis, draws one picture with the chart functions
of this package and returns it with its caption (:mod:`.captions`) as a
:class:`~uem_helpers.present.captions.Captioned`, shown together in a notebook cell (``.chart`` is the
Axes or plotly figure).
"""

from __future__ import annotations

from uem_helpers.core.i18n import _, label
from uem_helpers.present.captions import Captioned
from uem_helpers.present.journey import captions
from uem_helpers.present.journey._style import plotly_text
from uem_helpers.present.journey.bars import bottleneck_chart, loop_bars, segment_diff_chart
from uem_helpers.present.journey.heatmaps import journey_heatmap, transition_heatmap
from uem_helpers.present.journey.pchart import p_chart
from uem_helpers.present.journey.sankey import sankey
from uem_helpers.stories.journey import JourneyAnalysis


def map_heatmap(a: JourneyAnalysis, value: str = "exit_rate", *, ax=None):
    """The journey map as a stage x touchpoint heatmap (:func:`~uem_helpers.present.journey.heatmaps.journey_heatmap`)."""
    return Captioned(journey_heatmap(a.journey.table, value, ax=ax), captions.map_caption(a))


def sankey_figure(a: JourneyAnalysis):
    """The Sankey of the first steps from the start event (a plotly figure)."""
    figure = sankey(a.sankey, title=_("Where sessions go from {start}, first {steps} steps (red: session ends)").format(
        start=plotly_text(label(a.start_event)), steps=a.max_steps))
    return Captioned(figure, captions.sankey_caption(a))


def transitions_chart(a: JourneyAnalysis, *, ax=None):
    """Share of each event's next step, exits included."""
    return Captioned(transition_heatmap(a.transitions, ax=ax), captions.transitions_caption(a))


def loops_chart(a: JourneyAnalysis, *, ax=None):
    """The loops in rank order (costliest first) and their conversion against comparable sessions."""
    return Captioned(loop_bars(a.loops, ax=ax), captions.loops_caption(a))


def bottlenecks_chart(a: JourneyAnalysis, *, ax=None):
    """Ranked bottlenecks: exit rate and dwell with intervals."""
    return Captioned(bottleneck_chart(a.bottlenecks, ax=ax), captions.bottlenecks_caption(a))


def segments_chart(a: JourneyAnalysis, *, ax=None):
    """Transitions whose share differs between the segments."""
    chart = segment_diff_chart(a.segment_diff, labels=(label(a.segment_a), label(a.segment_b)), ax=ax)
    return Captioned(chart, captions.segments_caption(a))


def incident_step(a: JourneyAnalysis) -> str | None:
    """The step the incident chart shows: the step of the largest incident, else the one with the most days below
    its limits, else the last step."""
    if a.p_chart is None or a.p_chart.empty:
        return None
    if a.incidents is not None and (a.incidents["kind"] == "step").any():
        steps = a.incidents[a.incidents["kind"] == "step"]
        return str(steps.loc[((steps["center"] - steps["rate"]) * steps["trials"]).idxmax(), "step"])
    below = a.p_chart[a.p_chart["outside"] == "below"].groupby("step").size()
    return str(below.idxmax()) if not below.empty else str(a.p_chart["step"].iloc[-1])


def incident_chart(a: JourneyAnalysis, *, ax=None):
    """The p-chart of :func:`incident_step`, its sustained shifts shaded."""
    step = incident_step(a)
    return Captioned(p_chart(a.p_chart, step, shifts=a.shifts, ax=ax), captions.incident_caption(a, step))
