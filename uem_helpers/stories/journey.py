"""The journey story: the customer journey map from the event log, its loops, bottlenecks and incidents.

:func:`analyse_journey` composes the journey family of :mod:`uem_helpers.analyses.journey`
(transitions, paths, Sankey links, loops, segment diff; touchpoints, journey map, bottlenecks;
the incident watch: sharp days on a p-chart, sustained shifts by CUSUM, alarm events) into one
result that the ``journey_analysis`` notebook shows section by section.

It runs on any company's log through the config alone:

- **sessions**: the log's ``session_id`` when it has one, else ``sessions.gap``;
  events stamped in the same second are taken in the configured journey order
  (:class:`uem_helpers.analyses.sessions.SessionRule`). The log is sessionized
  **once** (:func:`~uem_helpers.analyses.sessions.prepare_sessions`, materialised in
  the backend) and every analysis below reads those sessions;
- **stages**: ``journey.stages``; without them every event is a touchpoint of
  one stage, "journey";
- **conversion** (for loops) and the **incident watch** steps: the first
  configured funnel whose steps are all journey touchpoints (the sample's
  ``checkout``); its last step is the conversion event. Without such a funnel,
  loops are ranked without conversion and the incident watch is skipped;
- **alarm events** (``journey.alarm_events``): their daily share of sessions is watched for
  rises beside the steps' conversion;
- **goal events** (left out of the bottleneck ranking: leaving after success is
  not a loss; and of the loops: a cycle through the purchase is not one users are
  stuck in): ``journey.goal_events``, else the last step of every configured funnel;
- **loops** are ranked by the conversions they cost and checked for concentration
  by month (or week) and by ``platform`` when the events have that column;
- **satisfaction**: NPS answers and feedback tagged with a touchpoint, when
  those tables exist.

A section whose input is missing holds None and a sentence saying why in
``notes``, so the report shows the sentence instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import _, label
from uem_helpers.analyses.journey import (
    JourneyMap,
    bottlenecks,
    journey_map,
    loops,
    alarm_events_daily,
    paths,
    sankey_links,
    segment_diff,
    step_conversion_daily,
    transitions,
    watch_incidents,
)
from uem_helpers.core.period import in_period
from uem_helpers.analyses.sessions import CUT_OFF, SESSION_END, SessionRule, prepare_sessions
from uem_helpers.data.sources import DEFAULT_SEGMENT, Dataset

#: Stage name when the config defines no stages.
ALL_EVENTS_STAGE = "journey"

#: Column whose values loops are checked for concentration in, when the events have it (the default segment).
LOOP_SEGMENT = DEFAULT_SEGMENT


@dataclass(frozen=True)
class JourneyAnalysis:
    """Everything the journey report shows. Sections that cannot be computed hold None and a reason in ``notes``."""

    period_start: str | None
    period_end: str | None
    start_event: str | None
    max_steps: int
    segment_by: str | None
    segment_a: str | None
    segment_b: str | None
    conversion_event: str | None
    incident_steps: list[str] | None
    events: int
    sessions: int
    users: int
    journey: JourneyMap | None
    bottlenecks: pd.DataFrame | None
    transitions: pd.DataFrame | None
    paths: pd.DataFrame | None
    sankey: pd.DataFrame | None
    loops: pd.DataFrame | None
    segment_diff: pd.DataFrame | None
    p_chart: pd.DataFrame | None
    """Daily conversion of each incident step against its p-chart limits (``analyses.journey.p_chart``)."""
    incidents: pd.DataFrame | None
    """The incident list (``analyses.journey.WATCH_COLUMNS``): sharp days and sustained shifts merged, dated."""
    shifts: pd.DataFrame | None = None
    """Sustained runs of the CUSUM (``analyses.journey.SHIFT_COLUMNS``), steps and alarm events."""
    alarm_chart: pd.DataFrame | None = None
    """Daily share of sessions with each alarm event (``journey.alarm_events``) against its p-chart limits."""
    notes: dict[str, str] = field(default_factory=dict)
    """Why a section is empty, by section name (``map``, ``paths``, ``loops``, ``segments``, ``incidents``)."""

    @property
    def has_data(self) -> bool:
        """False when the period has no event."""
        return self.events > 0


def analyse_journey(
    data: Dataset,
    config: UEMConfig,
    *,
    start_event: str | None = None,
    max_steps: int = 4,
    segment_by: str | None = None,
    segment_a: str | None = None,
    segment_b: str | None = None,
    period_start: object = None,
    period_end: object = None,
    min_users: int = 10,
    top_n: int = 8,
) -> JourneyAnalysis:
    """Run the journey analyses on a dataset.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``events`` is needed, ``users`` for user segments, ``nps`` and ``feedback``
        for satisfaction.
    config : UEMConfig
        Journey stages, session gap and funnels.
    start_event : str, optional
        Where paths and the Sankey start; ``journey.start_event`` of the config when omitted.
    max_steps : int
        Steps shown in the Sankey (and the longest path).
    segment_by, segment_a, segment_b : str, optional
        Column of the events or users table, and the two values to compare; no segment diff without them.
    period_start, period_end : date-like, optional
        Events in this period, both ends inclusive.
    min_users : int
        Fewest users behind a loop; pass the privacy minimum (``config.privacy.min_cell_size``).
    top_n : int
        Paths listed, and events per Sankey step before the rest are grouped.

    Returns
    -------
    JourneyAnalysis
    """
    events = data.require("events", "the journey analysis")
    window = dict(period_start=period_start, period_end=period_end)
    notes: dict[str, str] = {}
    in_window = events.filter(in_period(events.timestamp, period_start, period_end))
    counts = in_window.aggregate(events=in_window.count(), users=in_window.user_id.nunique()).execute().iloc[0]
    stages = dict(config.journey.stages)
    if not stages:
        names = in_window.select("event").distinct().order_by("event").execute()["event"].tolist()
        stages = {ALL_EVENTS_STAGE: names}
        notes["stages"] = _("The config defines no journey stages (journey.stages), so every event is a touchpoint "
                            "of one stage.")
    rule = SessionRule.from_stages(config.sessions.gap, stages)
    start_event = start_event or config.journey.start_event
    conversion, steps = _conversion_funnel(config, stages)
    if segment_by and not (segment_a and segment_b):
        raise ParameterError(f"segment_by={segment_by!r} needs both segment_a and segment_b (the two values to compare)")
    base = dict(period_start=_text(period_start), period_end=_text(period_end), start_event=start_event,
                max_steps=int(max_steps), segment_by=segment_by or None, segment_a=_text(segment_a),
                segment_b=_text(segment_b), conversion_event=conversion, incident_steps=steps,
                events=int(counts["events"]), users=int(counts["users"]))
    if int(counts["events"]) == 0:
        reason = _("No event falls in the period, so there is no journey to show.")
        return JourneyAnalysis(**base, sessions=0, journey=None, bottlenecks=None, transitions=None, paths=None,
                               sankey=None, loops=None, segment_diff=None, p_chart=None, incidents=None,
                               notes=dict.fromkeys(("map", "paths", "loops", "segments", "incidents"), reason))

    # Derive once, hand down: one window over the log, materialised, shared by every analysis below.
    segment_in_events = bool(segment_by) and segment_by in events.columns
    loop_segment = LOOP_SEGMENT if LOOP_SEGMENT in events.columns else None
    keep = [c for c in (segment_by if segment_in_events else None, loop_segment) if c]
    sessions = prepare_sessions(events, gap=rule, keep=keep, cache=True, **window)
    journey = journey_map(sessions, stages, nps=data.tables.get("nps"), feedback=data.tables.get("feedback"))
    goals = config.journey.goals(config.funnels)
    ranked = bottlenecks(journey.table, candidates=config.journey.bottleneck_candidates or None, exclude=goals)
    moves = transitions(sessions)
    # one exit (or cut-off end) per session
    session_count = int(moves.loc[moves["target"].isin([SESSION_END, CUT_OFF]), "transitions"].sum())

    flow = sankey = None
    if not start_event:
        notes["paths"] = _("No start event was given (journey.start_event or the start_event parameter).")
    else:
        flow = paths(sessions, start_event, max_steps=max_steps + 1, top_n=top_n)
        sankey = sankey_links(sessions, start_event, max_steps=max_steps, top_n=top_n)
        if sankey.empty:
            notes["paths"] = _("No session in the period has the start event '{event}'.").format(event=label(start_event))
            flow = sankey = None

    found_loops = loops(sessions, conversion_event=conversion, goal_events=goals, segment_by=loop_segment,
                        min_users=min_users)
    if found_loops.empty:
        notes["loops"] = _("No cycle (A → … → A, up to four steps, not through a goal) was made by at least "
                           "{minimum} users.").format(minimum=min_users)
    if conversion is None:
        notes["conversion"] = _("No configured funnel runs through the journey's touchpoints, so loops are shown "
                                "without conversion and there is no incident watch.")

    diff = None
    if not segment_by:
        notes["segments"] = _("No segments were chosen (set segment_by, segment_a and segment_b).")
    else:
        try:
            diff = segment_diff(sessions, segment_by, segment_a, segment_b, users=data.tables.get("users"))
        except ParameterError as exc:
            notes["segments"] = _("The segment comparison is skipped: {reason}").format(reason=exc)

    alarms = config.journey.alarm_events
    watch = None
    if steps is None and not alarms:
        notes["incidents"] = notes.get("conversion", "")
    else:
        watch = watch_incidents(step_conversion_daily(sessions, steps) if steps else None,
                                alarm_events_daily(sessions, alarms) if alarms else None)
        if watch.notes:
            notes["incidents"] = " ".join(watch.notes)
    return JourneyAnalysis(**base, sessions=session_count, journey=journey, bottlenecks=ranked, transitions=moves,
                           paths=flow, sankey=sankey, loops=found_loops, segment_diff=diff,
                           p_chart=watch.chart if watch else None, incidents=watch.incidents if watch else None,
                           shifts=watch.shifts if watch else None, alarm_chart=watch.alarm_chart if watch else None,
                           notes=notes)


def _conversion_funnel(config: UEMConfig, stages: dict[str, list[str]]) -> tuple[str | None, list[str] | None]:
    """The conversion event and incident-watch steps: the first funnel whose steps are all touchpoints."""
    touchpoints = {e for events in stages.values() for e in events}
    for funnel in config.funnels.values():
        if set(funnel.steps) <= touchpoints:
            return funnel.steps[-1], list(funnel.steps)
    return None, None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)
