"""The journey report's title heading and introduction, written from the config and the run's parameters.

Kept apart from :mod:`.words` (the findings): nothing here reads a result, so the introduction
can open the report before any analysis runs, and it names only what the config and the
parameters name (no sample's story).
"""

from __future__ import annotations

from uem_helpers.core.formats import percent
from uem_helpers.core.i18n import N_, _, label, ngettext
from uem_helpers.present.journey._style import joined
from uem_helpers.present.narrative import framing, md_escape, period_words


#: How the names of a list follow each other (``", "``; Chinese ``"、"``).
NAMES = N_("{names}, {name}"), ("names", "name")


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
        names = joined((md_escape(label(s)) for s in journey.stages), *NAMES)
        parts.append(ngettext("draws the journey map of the config's {n} stage ({names})",
                              "draws the journey map of the config's {n} stages ({names})",
                              len(journey.stages)).format(n=len(journey.stages), names=names))
    period = period_words(period_start, period_end)
    parts.append(_("follows sessions from '{start}' {period}").format(start=md_escape(label(start)), period=period)
                 if start else _("follows sessions {period}").format(period=period))
    goals = list(getattr(journey, "goal_events", None) or [])
    parts.append(_("finds back-and-forth loops on the way to {goals} and the touchpoints that lose users and hold "
                   "them longest").format(goals=joined((md_escape(label(g)) for g in goals), *NAMES))
                 if goals else
                 _("finds back-and-forth loops and the touchpoints that lose users and hold them longest"))
    if segment_by and segment_a and segment_b:
        parts.append(_("compares {a} with {b} ({segment_by})").format(
            a=md_escape(label(segment_a)), b=md_escape(label(segment_b)), segment_by=md_escape(segment_by)))
    if config.funnels:
        parts.append(_("watches the daily conversion of each step of the configured funnels for incidents"))
    body = _("For user-engineering leads and product managers. The report {clauses}, and {last}. Every rate comes "
             "with its {level} confidence interval.").format(
        clauses=joined(parts[:-1], N_("{clauses}, {clause}"), ("clauses", "clause")), last=parts[-1], level=percent(0.95))
    return framing(_("The customer journey: where users stall, loop or leave"), body)
