"""Controls the explorers share: the period, the segment column, events present, durations.

The choices come from the data, each in one small query run when the explorer
is built (distinct event names by frequency, the number of distinct values of
each candidate segment column), never from a scan per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import ibis
import ipywidgets as w

from uem_helpers.core.config import parse_duration
from uem_helpers.core.period import to_datetime

#: Columns that identify rows or hold times or free text: never offered as a segment.
NOT_SEGMENTS = frozenset({
    "user_id", "session_id", "cart_id", "feedback_id", "response_id", "event", "text", "comment",
    "timestamp", "signup_at", "created_at", "checked_out_at", "answered_at", "assigned_at",
})
#: A column with more distinct values than this is not offered as a segment (a chart could not show it).
MAX_SEGMENT_VALUES = 50
#: Conversion windows offered besides the funnel's own.
WINDOWS = ("5min", "15min", "30min", "1h", "2h", "6h", "12h", "1d", "3d", "7d", "14d", "30d")
STYLE = {"description_width": "initial"}


def as_date(value: object, name: str) -> date | None:
    """A notebook's period parameter (``"2026-05-01"``, a date, "" or None) as a date for a DatePicker."""
    if value in (None, ""):
        return None
    return to_datetime(value, name).date()


def period_controls(period_start: object, period_end: object) -> dict[str, w.DatePicker]:
    """``period_start`` and ``period_end`` date pickers (both ends inclusive; empty for no bound)."""
    return {
        "period_start": w.DatePicker(value=as_date(period_start, "period_start"), description="From", style=STYLE),
        "period_end": w.DatePicker(value=as_date(period_end, "period_end"), description="to", style=STYLE),
    }


def period_problem(period_start: str | None, period_end: str | None) -> str | None:
    """A sentence when the period's start is after its end, else None."""
    if period_start and period_end and period_start > period_end:
        return f"The period starts on {period_start}, after its end on {period_end}: pick a start before the end."
    return None


def period_text(period_start: str | None, period_end: str | None) -> str:
    """``"2026-05-01 and 2026-10-31"``, with open ends said in words."""
    return f"{period_start or 'the first day of data'} and {period_end or 'the last day of data'}"


def segment_options(tables: Mapping[str, ibis.Table | None], *, max_values: int = MAX_SEGMENT_VALUES) -> list[str]:
    """Columns worth breaking down by: text or boolean, not an id or time, 2 to ``max_values`` distinct values.

    One aggregate query per table counts the distinct values of every candidate column.

    Parameters
    ----------
    tables : mapping of str to ibis.Table
        Tables whose columns may be segments (a None table is skipped), in order of preference.
    max_values : int
        Most distinct values a segment column may have.

    Returns
    -------
    list of str
        Column names, each once, in table and column order.
    """
    found: list[str] = []
    for table in tables.values():
        if table is None:
            continue
        schema = table.schema()
        candidates = [c for c in table.columns if c not in NOT_SEGMENTS and c not in found
                      and (schema[c].is_string() or schema[c].is_boolean())]
        if not candidates:
            continue
        counts = table.aggregate(**{c: table[c].nunique() for c in candidates}).execute().iloc[0]
        found += [c for c in candidates if 2 <= int(counts[c]) <= max_values]
    return found


def segment_values(tables: Iterable[ibis.Table | None], column: str, *, limit: int = MAX_SEGMENT_VALUES) -> list[str]:
    """The values of a segment column as text, most frequent first (from the first table that has it)."""
    for table in tables:
        if table is not None and column in table.columns:
            values = table[column].cast("string").fill_null("(unknown)")
            counts = table.mutate(_v=values).group_by("_v").aggregate(n=ibis._.count()).order_by(
                [ibis.desc("n"), "_v"]).limit(limit).execute()
            return [str(v) for v in counts["_v"]]
    return []


def segment_dropdown(options: list[str], value: object, description: str = "Segment") -> w.Dropdown:
    """A segment column dropdown: "(none)" then ``options``; ``value`` "" or None selects "(none)"."""
    value = value or ""
    extra = [(value, value)] if value and value not in options else []
    choices = [("(none)", "")] + [(c, c) for c in options] + extra
    return w.Dropdown(options=choices, value=value, description=description, style=STYLE)


def event_options(events: ibis.Table) -> list[str]:
    """Event names present in the events table, most frequent first (one query)."""
    counts = events.group_by("event").aggregate(n=ibis._.count()).order_by([ibis.desc("n"), "event"]).execute()
    return [str(e) for e in counts["event"]]


def duration_text(value: object) -> str:
    """A duration as the shortest of ``"90s"``, ``"30min"``, ``"1h"``, ``"7d"`` that says it exactly."""
    seconds = int(parse_duration(value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def window_dropdown(default: object) -> w.Dropdown:
    """Conversion windows from 5 minutes to 30 days, plus ``default``, sorted by length; ``default`` selected."""
    own = duration_text(default)
    options = sorted(set(WINDOWS) | {own}, key=lambda text: parse_duration(text))
    return w.Dropdown(options=options, value=own, description="Window", style=STYLE)


def months_between(first: date, last: date) -> list[str]:
    """``"YYYY-MM"`` of every month from ``first``'s to ``last``'s, in order."""
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(f"{current:%Y-%m}")
        current = (current + timedelta(days=32)).replace(day=1)
    return months
