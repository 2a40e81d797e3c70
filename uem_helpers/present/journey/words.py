"""The journey report in words: overview, map, bottleneck, paths, loops, segments, incidents, key findings,
headline and next steps, generated from a :class:`~uem_helpers.stories.journey.JourneyAnalysis` (data text
through :func:`~uem_helpers.present.narrative.md_escape`).
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import day, duration, month, number, percent, percent_interval, signed_points
from uem_helpers.core.i18n import _, clauses, label, ngettext, sentences
from uem_helpers.analyses.journey import cycle_name
from uem_helpers.analyses.sessions import SESSION_END
from uem_helpers.present import privacy
from uem_helpers.present.journey._style import chain
from uem_helpers.present.narrative import md_escape
from uem_helpers.stories.journey import LOOP_SEGMENT, JourneyAnalysis


def _dwell(seconds: float) -> str:
    """A dwell time as the journey report prints it: seconds up to two minutes, then minutes, hours, days."""
    return duration(seconds, minutes_from=120)


def _count(n: float) -> str:
    """A count with thousands separated: ``"1,234"``."""
    return number(float(n), 0)


def _ends(a: JourneyAnalysis) -> dict[str, str]:
    """The period's first and last day, as the sentences' ``start`` and ``end`` fields."""
    return {"start": md_escape(day(a.period_start)) if a.period_start else _("the first day of data"),
            "end": md_escape(day(a.period_end)) if a.period_end else _("the last day of data")}


def _name(text: object) -> str:
    """An event, touchpoint, stage, path or loop in bold, by its display name."""
    return f"**{md_escape(chain(text))}**"




def no_events(a: JourneyAnalysis) -> str:
    """The sentence shown in every section when the period has no event."""
    return _("**No data:** no event falls between {start} and {end}, so this section has nothing to show. "
             "Check the period and the events source.").format(**_ends(a))


def note(a: JourneyAnalysis, section: str) -> str:
    """Why a section is empty (or an empty string)."""
    return no_events(a) if not a.has_data else md_escape(a.notes.get(section, ""))


def overview_finding(a: JourneyAnalysis) -> str:
    """Events, sessions and users in the period."""
    if not a.has_data:
        return no_events(a)
    return _("Between {start} and {end}, **{users}** users made **{sessions}** sessions with **{events}** "
             "events.").format(users=_count(a.users), sessions=_count(a.sessions), events=_count(a.events), **_ends(a))


def map_finding(a: JourneyAnalysis) -> str:
    """Which touchpoint each stage loses most users at, and what the map could not link."""
    if a.journey is None:
        return note(a, "map")
    t = a.journey.table[a.journey.table["events"] > 0]
    parts = []
    for stage, rows in t.groupby("stage", sort=False):
        worst = rows.loc[rows["exit_rate"].idxmax()]
        parts.append(_("in {stage} most visits end at {touchpoint} ({share} of its visits are the session's last "
                       "event)").format(stage=_name(stage), touchpoint=_name(worst["touchpoint"]),
                                        share=percent(worst["exit_rate"])))
    text = (_("Across the journey, {stages}.").format(stages=clauses(parts)) if parts
            else _("No touchpoint had events in the period."))
    return sentences(text, *(md_escape(n) for n in a.journey.notes))


def bottleneck_finding(a: JourneyAnalysis) -> str:
    """The top-ranked bottleneck, with its exit rate and dwell and their intervals."""
    if a.bottlenecks is None or a.bottlenecks.empty:
        return note(a, "map") or _("No touchpoint has enough events to rank bottlenecks.")
    top = a.bottlenecks.iloc[0]
    text = _("The bottleneck is {touchpoint}: {exit_rate} of its visits end the session ({exit_interval}) and users "
             "stay {dwell} on average (95% CI {dwell_low} to {dwell_high}); {users_lost} users left there and "
             "{hours} were spent there in all.").format(
        touchpoint=_name(top["touchpoint"]), exit_rate=percent(top["exit_rate"], 1),
        exit_interval=percent_interval(top["exit_low"], top["exit_high"], 1), dwell=_dwell(top["mean_dwell_seconds"]),
        dwell_low=_dwell(top["dwell_low"]), dwell_high=_dwell(top["dwell_high"]), users_lost=_count(int(top["users_lost"])),
        hours=duration(3600 * top["hours_spent"]))
    if len(a.bottlenecks) > 1:
        nxt = a.bottlenecks.iloc[1]
        text = sentences(text, _("Next: {touchpoint} ({exit_rate} exits, {dwell}).").format(
            touchpoint=_name(nxt["touchpoint"]), exit_rate=percent(nxt["exit_rate"]),
            dwell=_dwell(nxt["mean_dwell_seconds"])))
    return text


def paths_finding(a: JourneyAnalysis) -> str:
    """The most common path from the start event, and how many sessions end within the first steps."""
    if a.paths is None:
        return note(a, "paths")
    top = a.paths.iloc[0]
    ended = a.sankey.loc[a.sankey["target"] == SESSION_END, "sessions"].sum()
    started = a.sankey.loc[a.sankey["step"] == 1, "sessions"].sum()
    common = _("The most common path from {start} is {path} ({share} of sessions, {interval}).").format(
        start=_name(a.start_event), path=_name(top["path"]), share=percent(top["share"], 1),
        interval=percent_interval(top["share_low"], top["share_high"], 1))
    ending = ngettext("{share} of sessions end within the first {steps} step.",
                      "{share} of sessions end within the first {steps} steps.", a.max_steps).format(
        share=percent(ended / started if started else float("nan")), steps=a.max_steps)
    return sentences(common, ending)


#: The level at which a loop's concentration (q-value) is called significant, as in the analysis' default.
LOOP_ALPHA = 0.05


def distinct_loops(a: JourneyAnalysis) -> pd.DataFrame:
    """The loops in rank order, each back-and-forth once (rotations of a higher-ranked cycle left out)."""
    if a.loops is None:
        return pd.DataFrame()
    return a.loops[a.loops["same_cycle_as"].isna()] if "same_cycle_as" in a.loops else a.loops


def loop_period(row) -> str:
    """The month or week a loop concentrates in, as the reader writes it ("2025-03", "2025年3月")."""
    return month(row["worst_period"]) if row["period_unit"] == "month" else day(row["worst_period"])


def loop_where(row, *, short: bool = False) -> str:
    """Where and when a loop concentrates, in words ("on android (…) and in 2025-03 (…)"), or an empty string.

    Only significant cells are named (q-value below :data:`LOOP_ALPHA`, Benjamini-Hochberg over every cell
    tested); ``short`` leaves the rates out.
    """
    parts = []
    if row["segment_q"] < LOOP_ALPHA:
        segment = _name(row["worst_segment"])
        parts.append(_("on {segment}").format(segment=segment) if short else
                     _("on {segment} (made by {rate} of the sessions there that reached {start}, against {rest} "
                       "elsewhere)").format(segment=segment, rate=percent(row["segment_rate"], 1),
                                            start=_name(row["start"]), rest=percent(row["segment_rest_rate"], 1)))
    if row["period_q"] < LOOP_ALPHA:
        when, monthly = _name(loop_period(row)), row["period_unit"] == "month"
        rates = {"rate": percent(row["period_rate"], 1), "rest": percent(row["period_rest_rate"], 1)}
        if short:
            parts.append((_("in {month}") if monthly else _("in the week of {day}")).format(month=when, day=when))
        elif monthly:
            parts.append(_("in {month} ({rate} against {rest} in the other months)").format(month=when, **rates))
        else:
            parts.append(_("in the week of {day} ({rate} against {rest} in the other weeks)").format(day=when, **rates))
    return _("{first} and {second}").format(first=parts[0], second=parts[1]) if len(parts) == 2 else "".join(parts)


def _loop_gap(a: JourneyAnalysis, row) -> str:
    """A loop's sessions against comparable ones: both rates, the gap and its interval."""
    fields = dict(
        rate=percent(row["session_conversion"], 1), goal=_name(a.conversion_event),
        interval=percent_interval(row["session_conversion_low"], row["session_conversion_high"], 1),
        baseline=percent(row["baseline_conversion"], 1), start=_name(row["start"]),
        baseline_interval=percent_interval(row["baseline_low"], row["baseline_high"], 1),
        gap=signed_points(row["difference"]), low=signed_points(row["difference_low"]),
        high=signed_points(row["difference_high"]), segment=md_escape(LOOP_SEGMENT))
    if "mix" in str(row.get("interval")):
        return _("{rate} of its sessions reach {goal} ({interval}) against {baseline} of sessions that reached {start} "
                 "without any loop, weighted to the loop's {segment} mix ({baseline_interval}): {gap} (95% CI {low} "
                 "to {high}, clustered by user)").format(**fields)
    return _("{rate} of its sessions reach {goal} ({interval}) against {baseline} of sessions that reached {start} "
             "without any loop ({baseline_interval}): {gap} (95% CI {low} to {high}, clustered by user)").format(**fields)


def loops_finding(a: JourneyAnalysis) -> str:
    """The loop that costs most conversions: where and when it concentrates, the gap with its interval, users."""
    rows = distinct_loops(a)
    if rows.empty:
        return note(a, "loops")
    top = rows.iloc[0]
    who = _("**{users}** users in {sessions} sessions").format(users=_count(int(top["users"])),
                                                               sessions=_count(int(top["sessions"])))
    where = loop_where(top)
    where = _(", concentrated {where}").format(where=where) if where else ""
    loop = _name(top["loop"])
    if not a.conversion_event or top["difference"] != top["difference"]:
        lead = (_("The loop that stands out is {loop}, made by {who}{where}.") if where
                else _("The most common loop is {loop}, made by {who}{where}."))
        return lead.format(loop=loop, who=who, where=where)
    if top["harmful"]:
        return _("The loop that costs most is {loop}: {who}{where}. {gap}; about **{lost}** conversions lost.").format(
            loop=loop, who=who, where=where, gap=_loop_gap(a, top), lost=_count(top["conversions_lost"]))
    if top["difference"] < 0:
        return _("No loop costs conversions beyond chance. The largest gap is {loop} ({who}{where}): {gap}, an interval "
                 "that includes no difference.").format(loop=loop, who=who, where=where, gap=_loop_gap(a, top))
    common = rows.sort_values("users", ascending=False, kind="stable").iloc[0]
    return _("No loop's sessions convert less than comparable sessions. The most common loop, {loop} (**{users}** "
             "users): {gap}.").format(loop=_name(common["loop"]), users=_count(int(common["users"])),
                                      gap=_loop_gap(a, common))


def segment_finding(a: JourneyAnalysis) -> str:
    """How many transitions differ significantly between the two segments, and the largest ones."""
    if a.segment_diff is None:
        return note(a, "segments")
    sig = a.segment_diff[a.segment_diff["significant"]]
    pair = _("{a} vs {b} ({segment_by})").format(a=_name(a.segment_a), b=_name(a.segment_b),
                                                  segment_by=md_escape(a.segment_by))
    if sig.empty:
        return _("No transition differs significantly between {pair} (Benjamini-Hochberg, {rate} false "
                 "discoveries).").format(pair=pair, rate=percent(0.05))
    top = sig.reindex(sig["difference"].abs().sort_values(ascending=False).index).head(3)
    items = clauses(
        _("{source} → {target}: {share_a} vs {share_b} ({difference}, 95% CI {low} to {high})").format(
            source=md_escape(label(r.source)), target=md_escape(label(r.target)), share_a=percent(r.share_a, 1),
            share_b=percent(r.share_b, 1), difference=signed_points(r.difference), low=signed_points(r.ci_low),
            high=signed_points(r.ci_high))
        for r in top.itertuples())
    return ngettext("**{n}** transition differs significantly between {pair}. The largest: {items}.",
                    "**{n}** transitions differ significantly between {pair}. The largest: {items}.",
                    len(sig)).format(n=len(sig), pair=pair, items=items)


#: Incidents (and alarm events) named in the incident finding; the incidents table lists every one.
LISTED = 3


def method(text: object) -> str:
    """How the incident watch found an incident ("sharp day + sustained shift"), in the reader's language."""
    return " + ".join(_(part) for part in str(text).split(" + "))


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
        parts.append(_("No step's conversion dropped, on a single day or over a sustained run: no incident to report."))
    else:
        items = clauses(
            _("{step} {when}: {rate} against a usual {usual} ({difference}; {attempts} attempts, about {lost} "
              "conversions lost; {method})").format(
                step=md_escape(chain(r.step)), when=_when(r.first_date, r.last_date), rate=percent(r.rate),
                usual=percent(r.center), difference=_difference(r), attempts=_count(int(r.trials)),
                lost=_count(r.lost), method=method(r.method)) for r in steps.head(LISTED).itertuples())
        parts.append(_("**{n}** possible incident(s), largest loss first: {items}{more}. A sharp day is a day below "
                       "the control limits (about 1 healthy day in 700 falls there); a sustained shift is a run of "
                       "days that together convert less than usual (about one false alarm a year per step).").format(
            n=len(steps), items=items, more=_more(len(steps))))
    if len(alarms):
        items = clauses(
            _("sessions with {event} {when}: {rate} against a usual {usual} ({difference}; {method})").format(
                event=_name(r.step), when=_when(r.first_date, r.last_date), rate=percent(r.rate, 1),
                usual=percent(r.center, 1), difference=_difference(r), method=method(r.method))
            for r in alarms.head(LISTED).itertuples())
        parts.append(_("Alarm events rose: {items}{more}.").format(items=items, more=_more(len(alarms))))
    if a.notes.get("incidents"):
        parts.append(md_escape(a.notes["incidents"]))
    return sentences(*parts)


def _more(found: int) -> str:
    """What follows the first :data:`LISTED` items of a list in a sentence: how many more the table below holds."""
    if found <= LISTED:
        return ""
    return ngettext(", and {n} more in the incidents table", ", and {n} more in the incidents table",
                    found - LISTED).format(n=found - LISTED)


def _difference(r) -> str:
    return _("{difference}, 95% CI {low} to {high}").format(
        difference=signed_points(r.diff), low=signed_points(r.diff_low), high=signed_points(r.diff_high))


def _by_conversions_lost(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents with ``lost`` = (usual rate − rate) × attempts, largest first."""
    out = incidents.assign(lost=(incidents["center"] - incidents["rate"]) * incidents["trials"])
    return out.sort_values("lost", ascending=False, kind="stable")


def _days(first, last) -> str:
    """A day or a run of days as plain ISO dates, for the machine-read headline: "2025-02-03 to 2025-02-23"."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _when(first, last) -> str:
    """"on 2025-02-03" for one day, "from 2025-02-03 to 2025-02-23" for a run (dates in the reader's language)."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if first == last:
        return _("on {day}").format(day=day(first))
    return _("from {first} to {last}").format(first=day(first), last=day(last))


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
        # The cycle, from its alphabetically first rotation: which rotation ranks first is the data's, not the cycle's.
        lines.append(f"top loop cycle: {privacy.active().mask_text(cycle_name(a.loops.iloc[0]['loop']))}")
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
        items = _tagged_feedback(a, touchpoint)
        fix = (_("Fix {touchpoint} first: it loses the largest share of its visits and holds users longest (the top "
                 "bottleneck). Read the {items} feedback items tagged with it, then test a change on a share of "
                 "users.") if items else
               _("Fix {touchpoint} first: it loses the largest share of its visits and holds users longest (the top "
                 "bottleneck). Test a change on a share of users."))
        steps.append(fix.format(touchpoint=_name(touchpoint), items=_count(items)))
    harmful = distinct_loops(a)
    harmful = harmful[harmful["harmful"]] if "harmful" in harmful else harmful.iloc[:0]
    if a.conversion_event and not harmful.empty:
        top = harmful.iloc[0]
        where = loop_where(top, short=True)
        why = (_("Find out why users go round {loop} {where}: replay a few of those sessions and check what the page "
                 "asks for or fails to show.") if where else
               _("Find out why users go round {loop}: replay a few of those sessions and check what the page asks "
                 "for or fails to show."))
        rests = _("It rests on the loops finding: its sessions convert {difference} against comparable sessions (95% "
                  "CI {low} to {high}), about {lost} conversions lost.").format(
            difference=signed_points(top["difference"]), low=signed_points(top["difference_low"]),
            high=signed_points(top["difference_high"]), lost=_count(top["conversions_lost"]))
        steps.append(sentences(why.format(loop=_name(top["loop"]), where=where), rests))
    if a.incidents is not None and not a.incidents.empty:
        steps.append(_("Check the incident dates against releases and the status page; add an alert on the step "
                       "conversion (and the alarm events) so the next one is caught the same day."))
    return "\n".join(f"- {s}" for s in steps) or "- " + _("Nothing stands out; re-run this report next month.")


def _tagged_feedback(a: JourneyAnalysis, touchpoint: str) -> int:
    """How many feedback items are tagged with ``touchpoint`` (0 without a feedback table or such items)."""
    table = a.journey.table if a.journey is not None else None
    if table is None or "feedback_items" not in table.columns:
        return 0
    items = table.loc[table["touchpoint"] == touchpoint, "feedback_items"].sum(min_count=1)
    return int(items) if items == items and items > 0 else 0
