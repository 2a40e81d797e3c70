"""The customer journey: where users go, where they leave, where they loop, and when a step breaks.

The package owns the journey analyses. The log is sessionized once
(:func:`~uem_helpers.analyses.sessions.prepare_sessions`, held as
:class:`~uem_helpers.analyses.sessions.Sessions`) and every analysis takes those sessions;
none derives sessions itself.

Modules: :mod:`.transitions` (event -> next event, shares and dwell), :mod:`.paths` (top
paths from a start event and the Sankey links of their first steps), :mod:`.loops`
(cycles of two to four steps ranked by the conversions they cost, and
where and when they concentrate), :mod:`.segments` (the transitions of two
segments compared, user-clustered intervals and Benjamini-Hochberg), :mod:`.map`
(touchpoints, the journey map with satisfaction, bottlenecks), :mod:`.incidents` (daily step
conversion on a p-chart), :mod:`.shifts` (sustained shifts: a CUSUM per step and alarm event),
:mod:`.watch` (both methods merged into dated incidents). Callers import from here.

May import :mod:`uem_helpers.core`, :mod:`uem_helpers.data`, :mod:`uem_helpers.stats` and the
lower tiers of the analyses (:mod:`~uem_helpers.analyses.metrics`, :mod:`~uem_helpers.analyses.sessions`,
:mod:`~uem_helpers.analyses.experiment`); never kpis or plan, another domain, stories, present,
pipeline or widgets.
"""

from __future__ import annotations

from uem_helpers.analyses.journey._common import ARROW
from uem_helpers.analyses.journey.transitions import USER_END, transitions
from uem_helpers.analyses.journey.paths import OTHER, OTHER_PATHS, paths, sankey_links
from uem_helpers.analyses.journey.loops import cycle_name, loops
from uem_helpers.analyses.journey.segments import segment_diff
from uem_helpers.analyses.journey.map import (
    BOTTLENECK_COLUMNS,
    MAP_COLUMNS,
    SATISFACTION_COLUMNS,
    TOUCHPOINT_COLUMNS,
    JourneyMap,
    bottlenecks,
    journey_map,
    touchpoints,
)
from uem_helpers.analyses.journey.incidents import (
    CHART_COLUMNS,
    DAILY_COLUMNS,
    INCIDENT_COLUMNS,
    p_chart,
    possible_incidents,
    step_conversion_daily,
)
from uem_helpers.analyses.journey.shifts import (
    MIN_DAYS_SUSTAINED,
    SHIFT_COLUMNS,
    alarm_events_daily,
    sustained_shifts,
)
from uem_helpers.analyses.journey.watch import (
    MIN_DAYS_SHARP,
    SHARP,
    SUSTAINED,
    WATCH_COLUMNS,
    IncidentWatch,
    watch_incidents,
)

__all__ = [
    "ARROW",
    "cycle_name",
    "MIN_DAYS_SHARP",
    "MIN_DAYS_SUSTAINED",
    "SHIFT_COLUMNS",
    "WATCH_COLUMNS",
    "IncidentWatch",
    "alarm_events_daily",
    "sustained_shifts",
    "watch_incidents",
    "BOTTLENECK_COLUMNS",
    "CHART_COLUMNS",
    "DAILY_COLUMNS",
    "INCIDENT_COLUMNS",
    "MAP_COLUMNS",
    "OTHER",
    "OTHER_PATHS",
    "SATISFACTION_COLUMNS",
    "SHARP",
    "SUSTAINED",
    "TOUCHPOINT_COLUMNS",
    "USER_END",
    "JourneyMap",
    "bottlenecks",
    "journey_map",
    "loops",
    "p_chart",
    "paths",
    "possible_incidents",
    "sankey_links",
    "segment_diff",
    "step_conversion_daily",
    "touchpoints",
    "transitions",
]
