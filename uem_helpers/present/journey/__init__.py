"""The journey report: its words, charts and tables, and the journey chart functions.

A notebook imports this package as ``report``
(``from uem_helpers.present import journey as report``) and calls the names below on a
:class:`~uem_helpers.stories.journey.JourneyAnalysis`: :mod:`.intro` (the title and introduction, from the
config), :mod:`.words` (findings, headline, next steps), :mod:`.figures` (one picture per section), :mod:`.tables`. The chart functions they use
take small frames and are public too, for explorers and other reports: :mod:`.heatmaps` (journey
map, transitions), :mod:`.sankey` (offline plotly), :mod:`.bars` (loops, bottlenecks, segment
differences), :mod:`.pchart` (incident watch); :mod:`._style` holds their shared vocabulary
(end markers, colours, :func:`plotly_text`, which makes data text inert for plotly).
"""

from __future__ import annotations

from uem_helpers.present.journey.intro import introduction
from uem_helpers.present.journey.words import (
    bottleneck_finding,
    headline,
    incident_finding,
    key_findings,
    loops_finding,
    map_finding,
    next_steps,
    no_events,
    note,
    overview_finding,
    paths_finding,
    segment_finding,
)
from uem_helpers.present.journey.figures import (
    bottlenecks_chart,
    incident_chart,
    incident_step,
    loops_chart,
    map_heatmap,
    sankey_figure,
    segments_chart,
    transitions_chart,
)
from uem_helpers.present.journey.tables import bottleneck_table, incidents_table, loops_table, map_table
from uem_helpers.present.journey.heatmaps import journey_heatmap, transition_heatmap
from uem_helpers.present.journey.sankey import sankey
from uem_helpers.present.journey.bars import bottleneck_chart, loop_bars, segment_diff_chart
from uem_helpers.present.journey.pchart import p_chart
from uem_helpers.present.journey._style import GREY, OTHER, PLOTLY_FONT, SESSION_END, USER_END, plotly_text

__all__ = [
    "GREY",
    "OTHER",
    "PLOTLY_FONT",
    "SESSION_END",
    "USER_END",
    "bottleneck_chart",
    "bottleneck_finding",
    "bottleneck_table",
    "bottlenecks_chart",
    "headline",
    "incident_chart",
    "incident_finding",
    "incident_step",
    "incidents_table",
    "introduction",
    "journey_heatmap",
    "key_findings",
    "loop_bars",
    "loops_chart",
    "loops_finding",
    "loops_table",
    "map_finding",
    "map_heatmap",
    "map_table",
    "next_steps",
    "no_events",
    "note",
    "overview_finding",
    "p_chart",
    "paths_finding",
    "plotly_text",
    "sankey",
    "sankey_figure",
    "segment_diff_chart",
    "segment_finding",
    "segments_chart",
    "transition_heatmap",
    "transitions_chart",
]
