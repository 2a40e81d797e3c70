"""The one sentence under each chart of the journey report, saying what to see in it.

Each function takes a :class:`~uem_helpers.stories.journey.JourneyAnalysis` whose section has data
(the notebook draws the chart only then) and returns plain text: names by their display names
(:func:`~uem_helpers.present.journey._style.chain`), numbers through :mod:`uem_helpers.core.formats`.
:mod:`.figures` puts each under its chart.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import day, duration, number, percent, signed_points
from uem_helpers.core.i18n import _, label, ngettext
from uem_helpers.present import privacy
from uem_helpers.present.journey._style import _ENDS, SESSION_END, chain
from uem_helpers.present.journey.words import distinct_loops
from uem_helpers.stories.journey import JourneyAnalysis


def map_caption(a: JourneyAnalysis) -> str:
    """The touchpoint whose visits most often end the session (the map's darkest cell)."""
    t = a.journey.table[(a.journey.table["events"] > 0) & a.journey.table["exit_rate"].notna()]
    if t.empty:
        return _("No touchpoint had events in the period, so the map is empty.")
    worst = t.loc[t["exit_rate"].idxmax()]
    return _("The darkest cell is {touchpoint} in {stage}: {share} of its visits are the session's last "
             "event.").format(touchpoint=chain(worst["touchpoint"]), stage=chain(worst["stage"]),
                              share=percent(worst["exit_rate"]))


def sankey_caption(a: JourneyAnalysis) -> str:
    """The widest band from the start event, and the share of sessions that end within the steps shown."""
    first = a.sankey[a.sankey["step"] == 1]
    started = first["sessions"].sum()
    if not started:
        return _("No session starts at {start} in the period.").format(start=chain(a.start_event))
    top = first.loc[first["sessions"].idxmax()]
    ended = a.sankey.loc[a.sankey["target"] == SESSION_END, "sessions"].sum()
    return ngettext("The widest band from {start} goes to {target} ({share} of sessions), and the red bands show "
                    "that {ended} of sessions end within the first {steps} step.",
                    "The widest band from {start} goes to {target} ({share} of sessions), and the red bands show "
                    "that {ended} of sessions end within the first {steps} steps.", a.max_steps).format(
        start=chain(a.start_event), target=chain(top["target"]), share=percent(top["sessions"] / started),
        ended=percent(ended / started), steps=a.max_steps)


def transitions_caption(a: JourneyAnalysis) -> str:
    """Where sessions go after the busiest event (the chart's first row), and the event they end after most often."""
    frame = a.transitions[a.transitions["transitions"] > 0]
    if frame.empty:
        return _("No transitions in the period.")
    volume = frame.groupby("source", sort=False)["transitions"].sum().sort_values(ascending=False, kind="stable")
    busiest = frame[frame["source"] == volume.index[0]]
    moves = busiest[~busiest["target"].isin(_ENDS)]
    exits = frame[frame["source"].isin(volume.index[:15]) & (frame["target"] == SESSION_END)]
    if moves.empty:
        return _("After {source}, the busiest event, every session ends.").format(source=chain(volume.index[0]))
    top = moves.loc[moves["share"].idxmax()]
    fields = dict(source=chain(volume.index[0]), target=chain(top["target"]), share=percent(top["share"]))
    if exits.empty:
        return _("After {source}, the busiest event, sessions go on most often to {target} ({share}).").format(**fields)
    last = exits.loc[exits["share"].idxmax()]
    return _("After {source}, the busiest event, sessions go on most often to {target} ({share}); in the red column, "
             "sessions end most often after {exit_source} ({exit_share}).").format(
        exit_source=chain(last["source"]), exit_share=percent(last["share"]), **fields)


def loops_caption(a: JourneyAnalysis) -> str:
    """The first loop of the chart against its comparable sessions (or the most common loop without a goal)."""
    minimum = privacy.active().min_cell_size
    rows = distinct_loops(a)
    rows = rows[pd.to_numeric(rows["users"], errors="coerce").fillna(0) >= minimum]
    if rows.empty:
        return _("No loop was made by at least {minimum} users in the period.").format(minimum=minimum)
    top = rows.iloc[0]
    if not a.conversion_event or top["difference"] != top["difference"]:
        return _("The top bar is {loop}, made by {users} users.").format(loop=chain(top["loop"]),
                                                                         users=number(top["users"], 0))
    text = (_("Sessions with {loop} convert at {rate} against {baseline} for comparable sessions without a loop "
              "({gap}): the bar left of its diamond is what the loop costs.") if top["difference"] < 0 else
            _("Sessions with {loop} convert at {rate} against {baseline} for comparable sessions without a loop "
              "({gap}): this loop costs no conversions."))
    return text.format(loop=chain(top["loop"]), rate=percent(top["session_conversion"], 1),
                       baseline=percent(top["baseline_conversion"], 1), gap=signed_points(top["difference"]))


def bottlenecks_caption(a: JourneyAnalysis) -> str:
    """The top-ranked bottleneck with its exit rate and dwell."""
    top = a.bottlenecks.iloc[0]
    return _("{touchpoint} ranks first: {exit_rate} of its visits end the session and users stay {dwell} there on "
             "average.").format(touchpoint=chain(top["touchpoint"]), exit_rate=percent(top["exit_rate"]),
                                dwell=duration(top["mean_dwell_seconds"], minutes_from=120))


def segments_caption(a: JourneyAnalysis) -> str:
    """The transition whose share differs most between the two segments (significant ones only)."""
    sig = a.segment_diff[a.segment_diff["significant"]]
    top = sig.loc[sig["difference"].abs().idxmax()]
    return _("{source} → {target} differs most between the segments: {share_a} for {a} against {share_b} for {b} "
             "({difference}).").format(source=chain(top["source"]), target=chain(top["target"]),
                                       share_a=percent(top["share_a"], 1), a=label(a.segment_a),
                                       share_b=percent(top["share_b"], 1), b=label(a.segment_b),
                                       difference=signed_points(top["difference"]))


def incident_caption(a: JourneyAnalysis, step: str) -> str:
    """How many days the chart's step fell below its control limits, and the lowest of them."""
    rows = a.p_chart[a.p_chart["step"].astype(str) == str(step)]
    below = rows[rows["outside"] == "below"]
    if below.empty:
        return _("{step} stayed within its control limits every day: no sharp drop in the period.").format(
            step=chain(step))
    worst = below.loc[below["rate"].idxmin()]
    return ngettext("{step} fell below its control limits on {n} day, lowest on {day} at {rate} against a usual "
                    "{usual}.",
                    "{step} fell below its control limits on {n} days, lowest on {day} at {rate} against a usual "
                    "{usual}.", len(below)).format(step=chain(step), n=number(len(below), 0),
                                                   day=day(pd.Timestamp(worst["date"])), rate=percent(worst["rate"]),
                                                   usual=percent(worst["center"]))
