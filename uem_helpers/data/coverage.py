"""Coverage: which part of the report's period the data actually holds.

A report names a period (``2025-01-01`` to ``2025-03-31``), but an export may
start late, stop early (mid-afternoon of the last day) or hold three hours of a
month. The **coverage** of a table is the first and last time of its time column
(:data:`uem_helpers.data.schema.TIME_COLUMN`: ``timestamp`` for events,
``created_at`` for carts ...) **within the period**. The coverage of the data is
that of the events table (the log every report reads), or, without one, the
earliest first and latest last of the other tables.

The data **covers the period** when it starts no more than :data:`TOLERANCE`
after the period's start and ends no more than :data:`TOLERANCE` before the
period's end (the end of its last day for a date; an open end is always
covered). Otherwise it **covers less**: ``short_of_start`` is the time from the
period's start to the first time, ``short_of_end`` the time from the last time to
the period's end, and :meth:`Coverage.sentence` says it precisely ("The events
cover 2025-01-01 00:02 to 2025-03-31 14:10, 9 h 50 min short of the period's
end."). Analyses that need a minimum span (a before/after comparison, a
retention window, the incident watch) read ``first``, ``last`` and ``days`` from
here instead of reporting "nothing found" on data too short to find anything.

Every table's first time, last time and row count in the period come from one
query in the engine (one aggregate per table, unioned).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import pandas as pd

from uem_helpers.core.formats import day, elapsed, instant, number
from uem_helpers.core.i18n import N_, _, ngettext
from uem_helpers.core.period import in_period, period_bounds
from uem_helpers.data.schema import TIME_COLUMN, engine_count

#: Data that starts or ends within this of the period's ends still covers it.
TOLERANCE = timedelta(hours=1)
#: Days of data a before/after comparison needs on each side of a launch (:func:`launch_span_note`).
MIN_SIDE_DAYS = 7

#: What :meth:`Coverage.sentence` says, by whose times (events or data) and how the data falls short
#: ({first}, {last}, {start}, {end} filled in; translated where shown).
SENTENCES = {
    ("events", "empty"): N_("No events fall in the period, so every number below is empty."),
    ("data", "empty"): N_("No data fall in the period, so every number below is empty."),
    ("events", "whole"): N_("The events cover {first} to {last}, the whole period."),
    ("data", "whole"): N_("The data cover {first} to {last}, the whole period."),
    ("events", "start"): N_("The events cover {first} to {last}, starting {start} after the period's start."),
    ("data", "start"): N_("The data cover {first} to {last}, starting {start} after the period's start."),
    ("events", "end"): N_("The events cover {first} to {last}, {end} short of the period's end."),
    ("data", "end"): N_("The data cover {first} to {last}, {end} short of the period's end."),
    ("events", "both"): N_("The events cover {first} to {last}, starting {start} after the period's start and "
                           "{end} short of the period's end."),
    ("data", "both"): N_("The data cover {first} to {last}, starting {start} after the period's start and "
                         "{end} short of the period's end."),
}


@dataclass(frozen=True)
class TableCoverage:
    """One table's first and last time in the period and its rows there."""

    table: str
    column: str
    first: datetime | None
    last: datetime | None
    rows: int


@dataclass(frozen=True)
class Coverage:
    """The data's coverage of a period (definitions in the module docstring).

    Attributes
    ----------
    first, last : datetime or None
        First and last time of the events in the period (of every table, without an events table);
        None when nothing falls in the period.
    start, stop : datetime or None
        The period as a half-open interval ``[start, stop)`` (None: open).
    table : str
        Whose times ``first`` and ``last`` are (``"events"`` usually).
    tables : list of TableCoverage
        Every table with a time column, in load order.
    tolerance : timedelta
        How far from the period's ends the data may start or stop and still cover it.
    """

    first: datetime | None
    last: datetime | None
    start: datetime | None
    stop: datetime | None
    table: str = "events"
    tables: list[TableCoverage] = field(default_factory=list)
    tolerance: timedelta = TOLERANCE

    @property
    def empty(self) -> bool:
        """No time of the data falls in the period."""
        return self.first is None

    @property
    def days(self) -> float:
        """Days from the first to the last time (0 when empty): how much time the data spans."""
        return 0.0 if self.empty else (self.last - self.first).total_seconds() / 86400

    @property
    def short_of_start(self) -> timedelta:
        """Time from the period's start to the data's first time (the whole period when empty; 0 when open)."""
        if self.start is None:
            return timedelta(0)
        if self.empty:
            return (self.stop - self.start) if self.stop is not None else timedelta(0)
        return max(self.first - self.start, timedelta(0))

    @property
    def short_of_end(self) -> timedelta:
        """Time from the data's last time to the period's end (0 when the period is open-ended or empty data)."""
        if self.stop is None or self.empty:
            return timedelta(0)
        return max(self.stop - self.last, timedelta(0))

    @property
    def short_by(self) -> timedelta:
        """Part of the period the data does not reach: ``short_of_start + short_of_end``."""
        return self.short_of_start + self.short_of_end

    @property
    def covers_period(self) -> bool:
        """The data reaches both ends of the period, within :attr:`tolerance`."""
        if self.empty:
            return False
        return self.short_of_start <= self.tolerance and self.short_of_end <= self.tolerance

    def days_between(self, since: datetime | None = None, until: datetime | None = None) -> float:
        """Days of data from ``since`` (default: the first time) to ``until`` (default: the last time), >= 0.

        E.g. the days of data after a launch: ``coverage.days_between(since=launch)``.
        """
        if self.empty:
            return 0.0
        lo = self.first if since is None else max(self.first, since)
        hi = self.last if until is None else min(self.last, until)
        return max((hi - lo).total_seconds() / 86400, 0.0)

    def sentence(self) -> str:
        """What the data covers, and by how much it falls short of the period (plain text).

        "The events cover 2025-01-01 00:02 to 2025-03-31 14:10, 9 h 50 min short of the period's end."
        """
        noun = "events" if self.table == "events" else "data"
        if self.empty:
            return _(SENTENCES[noun, "empty"])
        late, early = self.short_of_start > self.tolerance, self.short_of_end > self.tolerance
        case = "whole" if self.covers_period else "both" if late and early else "start" if late else "end"
        return _(SENTENCES[noun, case]).format(first=instant(self.first), last=instant(self.last),
                                               start=elapsed(self.short_of_start.total_seconds()),
                                               end=elapsed(self.short_of_end.total_seconds()))

    def frame(self) -> pd.DataFrame:
        """One row per table: ``table, column, first, last, rows``."""
        return pd.DataFrame([vars(t) for t in self.tables], columns=["table", "column", "first", "last", "rows"])


def coverage(dataset, period_start: object = None, period_end: object = None, *,
             tolerance: timedelta = TOLERANCE) -> Coverage:
    """First and last times of the data in the period, and whether they cover it (one query).

    Parameters
    ----------
    dataset : Dataset or mapping of str to ibis.Table
        The loaded tables (:func:`uem_helpers.data.load`), or tables by name.
    period_start, period_end : date-like, optional
        The report's period, both ends inclusive (a date as ``period_end`` includes its whole day).
    tolerance : timedelta
        How far from the period's ends the data may start or stop and still cover it.

    Returns
    -------
    Coverage
    """
    tables = getattr(dataset, "tables", dataset)
    start, stop = period_bounds(period_start, period_end)
    parts = []
    for name, table in tables.items():
        column = TIME_COLUMN.get(name)
        if column is None or column not in table.columns:
            continue
        t = table.filter(in_period(table[column], period_start, period_end))
        parts.append(t.aggregate(table=ibis.literal(name), column=ibis.literal(column), first=t[column].min(),
                                 last=t[column].max(), rows=t.count()))
    if not parts:
        return combined([], start, stop, tolerance)
    raw = (parts[0] if len(parts) == 1 else ibis.union(*parts)).execute()
    order = {name: i for i, name in enumerate(tables)}
    raw = raw.sort_values("table", key=lambda s: s.map(order), kind="stable")
    found = [TableCoverage(r.table, r.column, _stamp(r.first), _stamp(r.last), engine_count(r.rows))
             for r in raw.itertuples(index=False)]
    return combined(found, start, stop, tolerance)


def combined(found: list[TableCoverage], start: datetime, stop: datetime,
             tolerance: timedelta = TOLERANCE) -> Coverage:
    """The period's coverage from each table's part: the events' first and last times, or, without
    events, the earliest and latest of every table (``table="data"``).

    Parameters
    ----------
    found : list of TableCoverage
        Each table's first and last times in the period, in the dataset's order.
    start, stop : datetime
        The period's bounds (:func:`period_bounds`).
    tolerance : timedelta
        How far from the period's ends the data may start or stop and still cover it.
    """
    if not found:
        return Coverage(None, None, start, stop, tolerance=tolerance)
    main = [t for t in found if t.table == "events"] or found
    firsts = [t.first for t in main if t.first is not None]
    lasts = [t.last for t in main if t.last is not None]
    return Coverage(min(firsts) if firsts else None, max(lasts) if lasts else None, start, stop,
                    table="events" if main[0].table == "events" else "data", tables=found, tolerance=tolerance)


def _stamp(value) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def launch_span_note(cover, launch, guard_days: int = 0, min_side_days: float = MIN_SIDE_DAYS) -> str:
    """What a before/after comparison needs when the data covers too little on a side of the launch; ``""`` if enough.

    Parameters
    ----------
    cover : Coverage
        The events' (or carts') coverage of the period (:func:`coverage`).
    launch : datetime
        The launch (midnight of the launch date).
    guard_days : int
        Days on each side of the launch left out of the comparison.
    min_side_days : float
        Days of data needed on each side.
    """
    guard = timedelta(days=guard_days)
    before = cover.days_between(until=launch - guard)
    after = cover.days_between(since=launch + guard)
    short_before, short_after = before < min_side_days, after < min_side_days
    if not (short_before or short_after):
        return ""
    if short_before and short_after:
        sides = _("{before} before it and {after} after it").format(before=_days(before), after=_days(after))
    elif short_before:
        sides = _("{before} before it").format(before=_days(before))
    else:
        sides = _("{after} after it").format(after=_days(after))
    need = ngettext("{n} day", "{n} days", 1 if min_side_days == 1 else 2).format(n=number(min_side_days, 2))
    fields = {"need": need, "launch": day(launch), "sides": sides}
    if guard_days:
        guards = ngettext("{n} guard day", "{n} guard days", guard_days).format(n=number(guard_days, 0))
        return _("The before/after comparison needs at least {need} of data on each side of the launch ({launch}) "
                 "(leaving out {guards} on each side); the data has {sides}.").format(guards=guards, **fields)
    return _("The before/after comparison needs at least {need} of data on each side of the launch ({launch}); "
             "the data has {sides}.").format(**fields)


def _days(days: float) -> str:
    """Days of data in words: "nothing", "3 days", "2 days 4 h"."""
    return _("nothing") if days <= 0 else elapsed(days * 86400)
