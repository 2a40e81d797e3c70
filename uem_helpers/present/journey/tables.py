"""The journey report's tables: display strings with readable column names and masked labels."""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import percent, rate_with_interval, signed_points
from uem_helpers.present import privacy
from uem_helpers.present.journey.words import LOOP_ALPHA, _by_conversions_lost, _days, _dwell, distinct_loops
from uem_helpers.stories.journey import JourneyAnalysis


def map_table(a: JourneyAnalysis) -> pd.DataFrame:
    """The journey map's data: per stage and touchpoint, reach, exits, dwell and satisfaction.

    Satisfaction cells show "n/a" where no NPS answer or feedback item is tagged with the touchpoint;
    an NPS of fewer answers than the privacy minimum is not shown.
    """
    mask, minimum = privacy.active().mask_text, privacy.active().min_cell_size
    t = a.journey.table

    def nps(row) -> str:
        if not row.nps_responses or row.nps_responses != row.nps_responses:
            return "n/a"
        if row.nps_responses < minimum:
            return f"< {minimum} answers"
        return f"{row.nps:.0f} ({row.nps_low:.0f} to {row.nps_high:.0f}), {int(row.nps_responses)} answers"

    return pd.DataFrame({
        "Stage": [mask(x) for x in t["stage"]], "Touchpoint": [mask(x) for x in t["touchpoint"]],
        "Users": [f"{int(x):,}" for x in t["users"]],
        "Share of the stage's users": [percent(x) for x in t["stage_share"]],
        "Exit rate (95% CI)": [rate_with_interval(r, lo, hi, sep="–")
                               for r, lo, hi in zip(t["exit_rate"], t["exit_low"], t["exit_high"])],
        "Median dwell": [_dwell(x) for x in t["median_dwell_seconds"]],
        "NPS (95% CI)": [nps(r) for r in t.itertuples()],
        "Feedback items": [f"{int(x):,}" if x == x else "n/a" for x in t["feedback_items"]],
    }).set_index(["Stage", "Touchpoint"])


def bottleneck_table(a: JourneyAnalysis, *, top: int = 5) -> pd.DataFrame:
    """The top bottlenecks with exit rate, dwell, users lost and hours, each interval in words."""
    mask = privacy.active().mask_text
    rows = a.bottlenecks.head(top)
    return pd.DataFrame({
        "Rank": rows["rank"].astype(int).to_numpy(),
        "Touchpoint": [mask(t) for t in rows["touchpoint"]],
        "Exit rate": [f"{r:.1%} ({lo:.1%}–{hi:.1%})" for r, lo, hi in
                      zip(rows["exit_rate"], rows["exit_low"], rows["exit_high"])],
        "Mean dwell": [f"{_dwell(m)} ({_dwell(lo)}–{_dwell(hi)})" for m, lo, hi in
                       zip(rows["mean_dwell_seconds"], rows["dwell_low"], rows["dwell_high"])],
        "Users lost": [f"{int(x):,}" for x in rows["users_lost"]],
        "Hours spent": [f"{x:,.0f}" for x in rows["hours_spent"]],
    }).set_index("Rank")


def loops_table(a: JourneyAnalysis, *, top: int = 8) -> pd.DataFrame:
    """The top loops in rank order (costliest first): users, sessions, conversion with and without, gap, where."""
    mask = privacy.active().mask_text
    rows = distinct_loops(a).head(top)
    table = pd.DataFrame({"Loop": [mask(x) for x in rows["loop"]], "Users": [f"{int(x):,}" for x in rows["users"]],
                          "Sessions": [f"{int(x):,}" for x in rows["sessions"]]})
    if a.conversion_event:
        table["Sessions converting (95% CI)"] = [rate_with_interval(c, lo, hi, sep="–") for c, lo, hi in zip(
            rows["session_conversion"], rows["session_conversion_low"], rows["session_conversion_high"])]
        table["Comparable, without a loop"] = [rate_with_interval(c, lo, hi, sep="–") for c, lo, hi in zip(
            rows["baseline_conversion"], rows["baseline_low"], rows["baseline_high"])]
        table["Gap (95% CI)"] = [
            f"{signed_points(d)} ({signed_points(lo, unit='')} to {signed_points(hi, unit='')})" if d == d else "n/a"
            for d, lo, hi in zip(rows["difference"], rows["difference_low"], rows["difference_high"])]
        table["Conversions lost"] = [f"{x:,.0f}" if x > 0 else "" for x in rows["conversions_lost"].fillna(0)]
    table["Concentrated"] = [_where(r) for _, r in rows.iterrows()]
    return table.set_index("Loop")


def _where(row) -> str:
    """Where and when a loop concentrates, for a table cell: "android; 2025-03"."""
    mask = privacy.active().mask_text
    parts = [mask(row["worst_segment"])] if row.get("segment_q", float("nan")) < LOOP_ALPHA else []
    if row.get("period_q", float("nan")) < LOOP_ALPHA:
        parts.append(row["worst_period"] if row["period_unit"] == "month" else f"week of {row['worst_period']}")
    return "; ".join(parts)


def incidents_table(a: JourneyAnalysis) -> pd.DataFrame:
    """The incident list: steps by conversions lost, then alarm events; date range, rates, difference, method."""
    rows = pd.concat([_by_conversions_lost(a.incidents[a.incidents["kind"] == "step"]),
                      a.incidents[a.incidents["kind"] != "step"].assign(lost=float("nan"))])
    return pd.DataFrame({
        "Step or alarm event": rows["step"].astype(str).map(privacy.active().mask_text).to_numpy(),
        "Days": [_days(f, t) for f, t in zip(rows["first_date"], rows["last_date"])],
        "Found as": rows["method"].to_numpy(),
        "Attempts or sessions": [f"{int(x):,}" for x in rows["trials"]],
        "Rate": [percent(x, 1) for x in rows["rate"]],
        "Usual": [percent(x, 1) for x in rows["center"]],
        "Difference (95% CI)": [f"{signed_points(d)} ({signed_points(lo)} to {signed_points(hi)})"
                                for d, lo, hi in zip(rows["diff"], rows["diff_low"], rows["diff_high"])],
        "Conversions lost": [f"{x:,.0f}" if x == x and x > 0 else "" for x in rows["lost"]],
    })
