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
from uem_helpers.stories.journey import LOOP_SEGMENT, JourneyAnalysis


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


#: The level at which a loop's concentration (q-value) is called significant, as in the analysis' default.
LOOP_ALPHA = 0.05


def distinct_loops(a: JourneyAnalysis) -> pd.DataFrame:
    """The loops in rank order, each back-and-forth once (rotations of a higher-ranked cycle left out)."""
    if a.loops is None:
        return pd.DataFrame()
    return a.loops[a.loops["same_cycle_as"].isna()] if "same_cycle_as" in a.loops else a.loops


def loop_where(row, *, short: bool = False) -> str:
    """Where and when a loop concentrates, in words ("on android (…) and in 2025-03 (…)"), or an empty string.

    Only significant cells are named (q-value below :data:`LOOP_ALPHA`, Benjamini-Hochberg over every cell
    tested); ``short`` leaves the rates out.
    """
    parts = []
    if row["segment_q"] < LOOP_ALPHA:
        parts.append(f"on {_name(row['worst_segment'])}" + ("" if short else
                     f" (made by {percent(row['segment_rate'], 1)} of the sessions there that reached "
                     f"{_name(row['start'])}, against {percent(row['segment_rest_rate'], 1)} elsewhere)"))
    if row["period_q"] < LOOP_ALPHA:
        when = (f"in {_name(row['worst_period'])}" if row["period_unit"] == "month"
                else f"in the week of {_name(row['worst_period'])}")
        parts.append(when + ("" if short else f" ({percent(row['period_rate'], 1)} against "
                                              f"{percent(row['period_rest_rate'], 1)} in the other "
                                              f"{md_escape(row['period_unit'])}s)"))
    return " and ".join(parts)


def _loop_gap(a: JourneyAnalysis, row) -> str:
    """A loop's sessions against comparable ones: both rates, the gap and its interval."""
    start = _name(row["start"])
    mix = f", weighted to the loop's {md_escape(LOOP_SEGMENT)} mix" if "mix" in str(row.get("interval")) else ""
    return (f"{percent(row['session_conversion'], 1)} of its sessions reach {_name(a.conversion_event)} "
            f"({percent_interval(row['session_conversion_low'], row['session_conversion_high'], 1)}) against "
            f"{percent(row['baseline_conversion'], 1)} of sessions that reached {start} without any loop{mix} "
            f"({percent_interval(row['baseline_low'], row['baseline_high'], 1)}): "
            f"{signed_points(row['difference'])} (95% CI {signed_points(row['difference_low'])} to "
            f"{signed_points(row['difference_high'])}, clustered by user)")


def loops_finding(a: JourneyAnalysis) -> str:
    """The loop that costs most conversions: where and when it concentrates, the gap with its interval, users."""
    rows = distinct_loops(a)
    if rows.empty:
        return note(a, "loops")
    top = rows.iloc[0]
    who = f"**{int(top['users']):,}** users in {int(top['sessions']):,} sessions"
    where = loop_where(top)
    where = f", concentrated {where}" if where else ""
    if not a.conversion_event or top["difference"] != top["difference"]:
        lead = "The loop that stands out is" if where else "The most common loop is"
        return f"{lead} {_name(top['loop'])}, made by {who}{where}."
    if top["harmful"]:
        return (f"The loop that costs most is {_name(top['loop'])}: {who}{where}. {_loop_gap(a, top)}; about "
                f"**{top['conversions_lost']:,.0f}** conversions lost.")
    if top["difference"] < 0:
        return (f"No loop costs conversions beyond chance. The largest gap is {_name(top['loop'])} ({who}{where}): "
                f"{_loop_gap(a, top)}, an interval that includes no difference.")
    common = rows.sort_values("users", ascending=False, kind="stable").iloc[0]
    return (f"No loop's sessions convert less than comparable sessions. The most common loop, {_name(common['loop'])} "
            f"(**{int(common['users']):,}** users): {_loop_gap(a, common)}.")


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
    """The incident watch: steps whose conversion dropped and alarm events that rose, sharp days or sustained runs.

    Steps come first, largest loss of conversions first; each incident with its date range, its rate
    against the usual rate on the other days, the difference with its 95% interval (Newcombe) and the
    method that found it. A too-short period says what the watch needs instead of "no incident".
    """
    if a.incidents is None:
        return note(a, "incidents")
    steps = _by_conversions_lost(a.incidents[a.incidents["kind"] == "step"])
    alarms = a.incidents[a.incidents["kind"] != "step"]
    parts = []
    if steps.empty:
        parts.append("No step's conversion dropped, on a single day or over a sustained run: no incident to report.")
    else:
        items = "; ".join(
            f"{md_escape(r.step)} {_when(r.first_date, r.last_date)}: {percent(r.rate)} against a usual "
            f"{percent(r.center)} ({_difference(r)}; {int(r.trials):,} attempts, about {r.lost:,.0f} conversions "
            f"lost; {r.method})" for r in steps.itertuples())
        parts.append(f"**{len(steps)}** possible incident(s), largest loss first: {items}. A sharp day is a day below "
                     "the control limits (about 1 healthy day in 700 falls there); a sustained shift is a run of days "
                     "that together convert less than usual (about one false alarm a year per step).")
    if len(alarms):
        items = "; ".join(
            f"sessions with {_name(r.step)} {_when(r.first_date, r.last_date)}: {percent(r.rate, 1)} against a "
            f"usual {percent(r.center, 1)} ({_difference(r)}; {r.method})" for r in alarms.itertuples())
        parts.append(f"Alarm events rose: {items}.")
    if a.notes.get("incidents"):
        parts.append(md_escape(a.notes["incidents"]))
    return " ".join(parts)


def _difference(r) -> str:
    return f"{signed_points(r.diff)}, 95% CI {signed_points(r.diff_low)} to {signed_points(r.diff_high)}"


def _by_conversions_lost(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents with ``lost`` = (usual rate − rate) × attempts, largest first."""
    out = incidents.assign(lost=(incidents["center"] - incidents["rate"]) * incidents["trials"])
    return out.sort_values("lost", ascending=False, kind="stable")


def _days(first, last) -> str:
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _when(first, last) -> str:
    """"on 2025-02-03" for one day, "from 2025-02-03 to 2025-02-23" for a run."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return f"on {first:%Y-%m-%d}" if first == last else f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"


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
    harmful = distinct_loops(a)
    harmful = harmful[harmful["harmful"]] if "harmful" in harmful else harmful.iloc[:0]
    if a.conversion_event and not harmful.empty:
        top = harmful.iloc[0]
        where = loop_where(top, short=True)
        steps.append(f"Find out why users go round {_name(top['loop'])}{' ' + where if where else ''}: replay a few "
                     f"of those sessions and check what the page asks for or fails to show. It rests on the loops "
                     f"finding: its sessions convert {signed_points(top['difference'])} against comparable sessions "
                     f"(95% CI {signed_points(top['difference_low'])} to {signed_points(top['difference_high'])}), "
                     f"about {top['conversions_lost']:,.0f} conversions lost.")
    if a.incidents is not None and not a.incidents.empty:
        steps.append("Check the incident dates against releases and the status page; add an alert on the step "
                     "conversion (and the alarm events) so the next one is caught the same day.")
    return "\n".join(f"- {s}" for s in steps) or "- Nothing stands out; re-run this report next month."


def _tagged_feedback(a: JourneyAnalysis, touchpoint: str) -> str:
    """"Read the N feedback items tagged with it, then test" when the feedback table has such items, else "Test"."""
    table = a.journey.table if a.journey is not None else None
    if table is None or "feedback_items" not in table.columns:
        return "Test"
    items = table.loc[table["touchpoint"] == touchpoint, "feedback_items"].sum(min_count=1)
    return f"Read the {int(items):,} feedback items tagged with it, then test" if items == items and items > 0 else "Test"
