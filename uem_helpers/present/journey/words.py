"""The journey report in words: overview, map, bottleneck, paths, loops, segments, incidents, key findings,
headline and next steps, generated from a :class:`~uem_helpers.stories.journey.JourneyAnalysis` (data text
through :func:`~uem_helpers.present.narrative.md_escape`).
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import duration, percent, percent_interval, signed_points
from uem_helpers.analyses.sessions import SESSION_END
from uem_helpers.present import privacy
from uem_helpers.present.narrative import md_escape
from uem_helpers.stories.journey import JourneyAnalysis


def _dwell(seconds: float) -> str:
    """A dwell time as the journey report prints it: seconds up to two minutes, then minutes, hours, days."""
    return duration(seconds, minutes_from=120)


def _period(a: JourneyAnalysis) -> str:
    return f"{md_escape(a.period_start or 'the first day of data')} and {md_escape(a.period_end or 'the last')}"


def _name(text: object) -> str:
    return f"**{md_escape(text)}**"


def no_events(a: JourneyAnalysis) -> str:
    """The sentence shown in every section when the period has no event."""
    return (f"**No data:** no event falls between {_period(a)}, so this section has nothing to show. "
            "Check the period and the events source.")


def note(a: JourneyAnalysis, section: str) -> str:
    """Why a section is empty (or an empty string)."""
    return no_events(a) if not a.has_data else md_escape(a.notes.get(section, ""))


def overview_finding(a: JourneyAnalysis) -> str:
    """Events, sessions and users in the period."""
    if not a.has_data:
        return no_events(a)
    return (f"Between {_period(a)}, **{a.users:,}** users made **{a.sessions:,}** sessions with **{a.events:,}** "
            "events.")


def map_finding(a: JourneyAnalysis) -> str:
    """Which touchpoint each stage loses most users at, and what the map could not link."""
    if a.journey is None:
        return note(a, "map")
    t = a.journey.table[a.journey.table["events"] > 0]
    parts = []
    for stage, rows in t.groupby("stage", sort=False):
        worst = rows.loc[rows["exit_rate"].idxmax()]
        parts.append(f"in {_name(stage)} most visits end at {_name(worst['touchpoint'])} "
                     f"({percent(worst['exit_rate'])} of its visits are the session's last event)")
    text = "Across the journey, " + "; ".join(parts) + "." if parts else "No touchpoint had events in the period."
    if a.journey.notes:
        text += " " + " ".join(md_escape(n) for n in a.journey.notes)
    return text


def bottleneck_finding(a: JourneyAnalysis) -> str:
    """The top-ranked bottleneck, with its exit rate and dwell and their intervals."""
    if a.bottlenecks is None or a.bottlenecks.empty:
        return note(a, "map") or "No touchpoint has enough events to rank bottlenecks."
    top = a.bottlenecks.iloc[0]
    text = (f"The bottleneck is {_name(top['touchpoint'])}: {percent(top['exit_rate'], 1)} of its visits end the session "
            f"({percent_interval(top['exit_low'], top['exit_high'], 1)}) and users stay {_dwell(top['mean_dwell_seconds'])} "
            f"on average (95% CI {_dwell(top['dwell_low'])} to {_dwell(top['dwell_high'])}); "
            f"{int(top['users_lost']):,} users left there and {duration(3600 * top['hours_spent'])} were spent there "
            "in all.")
    if len(a.bottlenecks) > 1:
        nxt = a.bottlenecks.iloc[1]
        text += f" Next: {_name(nxt['touchpoint'])} ({percent(nxt['exit_rate'])} exits, {_dwell(nxt['mean_dwell_seconds'])})."
    return text


def paths_finding(a: JourneyAnalysis) -> str:
    """The most common path from the start event, and how many sessions end within the first steps."""
    if a.paths is None:
        return note(a, "paths")
    top = a.paths.iloc[0]
    ended = a.sankey.loc[a.sankey["target"] == SESSION_END, "sessions"].sum()
    started = a.sankey.loc[a.sankey["step"] == 1, "sessions"].sum()
    return (f"The most common path from {_name(a.start_event)} is {_name(top['path'])} "
            f"({percent(top['share'], 1)} of sessions, {percent_interval(top['share_low'], top['share_high'], 1)}). "
            f"{percent(ended / started if started else float('nan'))} of sessions end within the first "
            f"{a.max_steps} steps.")


def loops_finding(a: JourneyAnalysis) -> str:
    """The loop that catches most users, and whether sessions with it convert less."""
    if a.loops is None or a.loops.empty:
        return note(a, "loops")
    top = a.loops.iloc[0]
    text = f"The most common loop is {_name(top['loop'])}, made by **{int(top['users']):,}** users."
    if a.conversion_event and top["session_conversion"] == top["session_conversion"]:
        verdict = ("converts less than" if top["session_conversion_high"] < top["baseline_low"]
                   else "converts more than" if top["session_conversion_low"] > top["baseline_high"]
                   else "converts about as often as")
        text += (f" A session with it {verdict} sessions that reached {_name(top['loop'].split(' → ')[0])} without "
                 f"any loop: {percent(top['session_conversion'], 1)} ({percent_interval(top['session_conversion_low'], top['session_conversion_high'], 1)}) "
                 f"against {percent(top['baseline_conversion'], 1)} ({percent_interval(top['baseline_low'], top['baseline_high'], 1)}) "
                 f"reach {_name(a.conversion_event)}.")
    return text


def segment_finding(a: JourneyAnalysis) -> str:
    """How many transitions differ significantly between the two segments, and the largest ones."""
    if a.segment_diff is None:
        return note(a, "segments")
    sig = a.segment_diff[a.segment_diff["significant"]]
    label = f"{_name(a.segment_a)} vs {_name(a.segment_b)} ({md_escape(a.segment_by)})"
    if sig.empty:
        return f"No transition differs significantly between {label} (Benjamini-Hochberg, 5% false discoveries)."
    top = sig.reindex(sig["difference"].abs().sort_values(ascending=False).index).head(3)
    items = "; ".join(
        f"{md_escape(r.source)} → {md_escape(r.target)}: {percent(r.share_a, 1)} vs {percent(r.share_b, 1)} "
        f"({signed_points(r.difference)}, 95% CI {signed_points(r.ci_low)} to {signed_points(r.ci_high)})"
        for r in top.itertuples())
    return f"**{len(sig)}** transitions differ significantly between {label}. The largest: {items}."


def incident_finding(a: JourneyAnalysis) -> str:
    """Days whose step conversion fell below the control limits: possible incidents."""
    if a.incidents is None:
        return note(a, "incidents")
    below = a.incidents[a.incidents["outside"] == "below"]
    if below.empty:
        return "No step's daily conversion fell below its control limits: no incident to report."
    below = _by_conversions_lost(below)
    items = "; ".join(
        f"{md_escape(r.step)} on {_days(r.first_date, r.last_date)}: {percent(r.rate)} against a usual {percent(r.center)} "
        f"({int(r.trials):,} attempts, about {r.lost:,.0f} conversions lost)"
        for r in below.itertuples())
    return (f"**{len(below)}** possible incident(s), days below the control limits, largest loss first: {items}. "
            "A single day just below the limits can be chance (the limits let about 1 day in 700 through); "
            "several days in a row, or a deep drop, rarely are.")


def _by_conversions_lost(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents with ``lost`` = (usual rate − rate) × attempts, largest first."""
    out = incidents.assign(lost=(incidents["center"] - incidents["rate"]) * incidents["trials"])
    return out.sort_values("lost", ascending=False, kind="stable")


def _days(first, last) -> str:
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def key_findings(a: JourneyAnalysis) -> str:
    """The report's opening: the findings in a few bullet points."""
    if not a.has_data:
        return no_events(a)
    points = [overview_finding(a), bottleneck_finding(a), loops_finding(a), incident_finding(a)]
    if a.segment_diff is not None:
        points.append(segment_finding(a))
    return "\n".join(f"- {p}" for p in points if p)


def headline(a: JourneyAnalysis) -> str:
    """Plain-text headline numbers (stable across runs of the same data, for regression checks)."""
    lines = [f"events: {a.events}", f"sessions: {a.sessions}", f"users: {a.users}"]
    if a.bottlenecks is not None and not a.bottlenecks.empty:
        top = a.bottlenecks.iloc[0]
        lines.append(f"bottleneck: {privacy.active().mask_text(top['touchpoint'])} exit rate {top['exit_rate']:.4f} "
                     f"mean dwell {top['mean_dwell_seconds']:.1f} s")
    if a.loops is not None and not a.loops.empty:
        lines.append(f"top loop: {privacy.active().mask_text(a.loops.iloc[0]['loop'])}")
    if a.incidents is not None and (a.incidents["outside"] == "below").any():
        worst = _by_conversions_lost(a.incidents[a.incidents["outside"] == "below"]).iloc[0]
        lines.append(f"largest incident: {worst['step']} {_days(worst['first_date'], worst['last_date'])}")
    return "\n".join(lines)


def next_steps(a: JourneyAnalysis) -> str:
    """What to fix or test next, chosen from the results."""
    if not a.has_data:
        return no_events(a)
    steps = []
    if a.bottlenecks is not None and not a.bottlenecks.empty:
        touchpoint = a.bottlenecks.iloc[0]["touchpoint"]
        steps.append(f"Fix {_name(touchpoint)} first: it loses the largest share of its visits and holds users "
                     f"longest (the top bottleneck). {_tagged_feedback(a, touchpoint)} a change on a share of users.")
    if a.loops is not None and not a.loops.empty:
        top = a.loops.iloc[0]
        steps.append(f"Find out why users go round {_name(top['loop'])}: missing information on the page usually "
                     "sends users back and forth.")
    if a.incidents is not None and (a.incidents["outside"] == "below").any():
        steps.append("Check the incident days against releases and the status page; add an alert on the step "
                     "conversion so the next one is caught the same day.")
    return "\n".join(f"- {s}" for s in steps) or "- Nothing stands out; re-run this report next month."


def _tagged_feedback(a: JourneyAnalysis, touchpoint: str) -> str:
    """"Read the N feedback items tagged with it, then test" when the feedback table has such items, else "Test"."""
    table = a.journey.table if a.journey is not None else None
    if table is None or "feedback_items" not in table.columns:
        return "Test"
    items = table.loc[table["touchpoint"] == touchpoint, "feedback_items"].sum(min_count=1)
    return f"Read the {int(items):,} feedback items tagged with it, then test" if items == items and items > 0 else "Test"
