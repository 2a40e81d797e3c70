"""The journey report's tables: display strings with readable column names and masked labels.

The frames are built with English column names (what tests and callers index by) and their headers are
translated at the end, in the reader's language (:func:`_shown`).
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import between, day, missing, percent, rate_with_interval, signed_points
from uem_helpers.core.i18n import N_, _, ngettext
from uem_helpers.present import privacy
from uem_helpers.present.journey._style import chain
from uem_helpers.present.journey.words import LOOP_ALPHA, _by_conversions_lost, _dwell, distinct_loops, loop_period, method
from uem_helpers.stories.journey import JourneyAnalysis

#: The tables' column headers (translated where shown).
HEADERS = (
    N_("Stage"), N_("Touchpoint"), N_("Users"), N_("Share of the stage's users"), N_("Exit rate (95% CI)"),
    N_("Median dwell"), N_("NPS (95% CI)"), N_("Feedback items"), N_("Rank"), N_("Exit rate"), N_("Mean dwell"),
    N_("Users lost"), N_("Hours spent"), N_("Loop"), N_("Sessions"), N_("Sessions converting (95% CI)"),
    N_("Comparable, without a loop"), N_("Gap (95% CI)"), N_("Conversions lost"), N_("Concentrated"),
    N_("Step or alarm event"), N_("Days"), N_("Found as"), N_("Attempts or sessions"), N_("Rate"), N_("Usual"),
    N_("Difference (95% CI)"),
)


def _shown(table: pd.DataFrame, index: str | list[str] | None = None) -> pd.DataFrame:
    """``table`` with its headers in the reader's language, ``index`` (English names) as its index."""
    table = table.rename(columns=_)
    if index is None:
        return table
    return table.set_index([_(c) for c in index] if isinstance(index, list) else _(index))


def _masked(name: object) -> str:
    """An event, touchpoint, stage, path or loop by its display name, personal data masked."""
    return privacy.active().mask_text(chain(name))


def map_table(a: JourneyAnalysis) -> pd.DataFrame:
    """The journey map's data: per stage and touchpoint, reach, exits, dwell and satisfaction.

    Satisfaction cells show "n/a" where no NPS answer or feedback item is tagged with the touchpoint;
    an NPS of fewer answers than the privacy minimum is not shown.
    """
    minimum = privacy.active().min_cell_size
    t = a.journey.table

    def nps(row) -> str:
        if not row.nps_responses or row.nps_responses != row.nps_responses:
            return missing()
        if row.nps_responses < minimum:
            return ngettext("< {n} answer", "< {n} answers", minimum).format(n=minimum)
        n = int(row.nps_responses)
        return ngettext("{nps} ({low} to {high}), {n} answer", "{nps} ({low} to {high}), {n} answers", n).format(
            nps=f"{row.nps:.0f}", low=f"{row.nps_low:.0f}", high=f"{row.nps_high:.0f}", n=n)

    return _shown(pd.DataFrame({
        "Stage": [_masked(x) for x in t["stage"]], "Touchpoint": [_masked(x) for x in t["touchpoint"]],
        "Users": [f"{int(x):,}" for x in t["users"]],
        "Share of the stage's users": [percent(x) for x in t["stage_share"]],
        "Exit rate (95% CI)": [rate_with_interval(r, lo, hi, sep="–")
                               for r, lo, hi in zip(t["exit_rate"], t["exit_low"], t["exit_high"])],
        "Median dwell": [_dwell(x) for x in t["median_dwell_seconds"]],
        "NPS (95% CI)": [nps(r) for r in t.itertuples()],
        "Feedback items": [f"{int(x):,}" if x == x else missing() for x in t["feedback_items"]],
    }), ["Stage", "Touchpoint"])


def bottleneck_table(a: JourneyAnalysis, *, top: int = 5) -> pd.DataFrame:
    """The top bottlenecks with exit rate, dwell, users lost and hours, each interval in words."""
    rows = a.bottlenecks.head(top)
    return _shown(pd.DataFrame({
        "Rank": rows["rank"].astype(int).to_numpy(),
        "Touchpoint": [_masked(t) for t in rows["touchpoint"]],
        "Exit rate": [f"{r:.1%} ({lo:.1%}–{hi:.1%})" for r, lo, hi in
                      zip(rows["exit_rate"], rows["exit_low"], rows["exit_high"])],
        "Mean dwell": [f"{_dwell(m)} ({_dwell(lo)}–{_dwell(hi)})" for m, lo, hi in
                       zip(rows["mean_dwell_seconds"], rows["dwell_low"], rows["dwell_high"])],
        "Users lost": [f"{int(x):,}" for x in rows["users_lost"]],
        "Hours spent": [f"{x:,.0f}" for x in rows["hours_spent"]],
    }), "Rank")


def loops_table(a: JourneyAnalysis, *, top: int = 8) -> pd.DataFrame:
    """The top loops in rank order (costliest first): users, sessions, conversion with and without, gap, where."""
    rows = distinct_loops(a).head(top)
    table = pd.DataFrame({"Loop": [_masked(x) for x in rows["loop"]], "Users": [f"{int(x):,}" for x in rows["users"]],
                          "Sessions": [f"{int(x):,}" for x in rows["sessions"]]})
    if a.conversion_event:
        table["Sessions converting (95% CI)"] = [rate_with_interval(c, lo, hi, sep="–") for c, lo, hi in zip(
            rows["session_conversion"], rows["session_conversion_low"], rows["session_conversion_high"])]
        table["Comparable, without a loop"] = [rate_with_interval(c, lo, hi, sep="–") for c, lo, hi in zip(
            rows["baseline_conversion"], rows["baseline_low"], rows["baseline_high"])]
        table["Gap (95% CI)"] = [
            f"{signed_points(d)} ({between(signed_points(lo, unit=''), signed_points(hi, unit=''))})" if d == d
            else missing() for d, lo, hi in zip(rows["difference"], rows["difference_low"], rows["difference_high"])]
        table["Conversions lost"] = [f"{x:,.0f}" if x > 0 else "" for x in rows["conversions_lost"].fillna(0)]
    table["Concentrated"] = [_where(r) for _i, r in rows.iterrows()]
    return _shown(table, "Loop")


def _where(row) -> str:
    """Where and when a loop concentrates, for a table cell: "android; 2025-03"."""
    parts = [_masked(row["worst_segment"])] if row.get("segment_q", float("nan")) < LOOP_ALPHA else []
    if row.get("period_q", float("nan")) < LOOP_ALPHA:
        when = loop_period(row)
        parts.append(when if row["period_unit"] == "month" else _("week of {day}").format(day=when))
    return "; ".join(parts)


def _day_range(first, last) -> str:
    """A day or a run of days in the reader's language: "2025-02-03", "2025-02-03 to 2025-02-23"."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return day(first) if first == last else between(day(first), day(last))


def incidents_table(a: JourneyAnalysis) -> pd.DataFrame:
    """The incident list: steps by conversions lost, then alarm events; date range, rates, difference, method."""
    rows = pd.concat([_by_conversions_lost(a.incidents[a.incidents["kind"] == "step"]),
                      a.incidents[a.incidents["kind"] != "step"].assign(lost=float("nan"))])
    return _shown(pd.DataFrame({
        "Step or alarm event": [_masked(x) for x in rows["step"].astype(str)],
        "Days": [_day_range(f, t) for f, t in zip(rows["first_date"], rows["last_date"])],
        "Found as": [method(m) for m in rows["method"]],
        "Attempts or sessions": [f"{int(x):,}" for x in rows["trials"]],
        "Rate": [percent(x, 1) for x in rows["rate"]],
        "Usual": [percent(x, 1) for x in rows["center"]],
        "Difference (95% CI)": [f"{signed_points(d)} ({between(signed_points(lo), signed_points(hi))})"
                                for d, lo, hi in zip(rows["diff"], rows["diff_low"], rows["diff_high"])],
        "Conversions lost": [f"{x:,.0f}" if x == x and x > 0 else "" for x in rows["lost"]],
    }))
