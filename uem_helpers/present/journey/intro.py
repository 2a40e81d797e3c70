"""The journey report's title heading and introduction, written from the config and the run's parameters.

Kept apart from :mod:`.words` (the findings): nothing here reads a result, so the introduction
can open the report before any analysis runs, and it names only what the config and the
parameters name (no sample's story).
"""

from __future__ import annotations

from uem_helpers.present.narrative import framing, md_escape, period_words


def introduction(config, *, period_start: object = None, period_end: object = None, start_event: str = "",
                 segment_by: str = "", segment_a: str = "", segment_b: str = "") -> str:
    """The report's title heading and introduction.

    Parameters
    ----------
    config : UEMConfig
        The loaded config: ``journey.stages``, ``journey.start_event``, ``journey.goal_events`` (when the
        config has them) and the tables configured.
    period_start, period_end : str, optional
        The report's period.
    start_event : str
        Where paths start; ``""`` for the config's ``journey.start_event``.
    segment_by, segment_a, segment_b : str
        The two segments compared; ``""`` for no comparison.

    Returns
    -------
    str
        Markdown: ``# <title>`` and one paragraph.
    """
    journey = config.journey
    start = start_event or journey.start_event
    parts = []
    if journey.stages:
        names = ", ".join(md_escape(s) for s in journey.stages)
        parts.append(f"draws the journey map of the config's {len(journey.stages)} stages ({names})")
    origin = f"from '{md_escape(start)}' " if start else ""
    parts.append(f"follows sessions {origin}{period_words(period_start, period_end)}")
    goals = list(getattr(journey, "goal_events", None) or [])
    goal = f" on the way to {', '.join(md_escape(g) for g in goals)}" if goals else ""
    parts.append(f"finds back-and-forth loops{goal} and the touchpoints that lose users and hold them longest")
    if segment_by and segment_a and segment_b:
        parts.append(f"compares {md_escape(segment_a)} with {md_escape(segment_b)} ({md_escape(segment_by)})")
    if config.funnels:
        parts.append("watches the daily conversion of each step of the configured funnels for incidents")
    body = (f"For user-engineering leads and product managers. The report {', '.join(parts[:-1])}, and {parts[-1]}. "
            "Every rate comes with its 95% confidence interval.")
    return framing("The customer journey: where users stall, loop or leave", body)
