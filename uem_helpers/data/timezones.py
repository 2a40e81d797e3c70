"""Time-zone conversion that runs in the engine, the same on DuckDB and Spark.

A zone's UTC offset changes (DST, historic changes) are found in Python with
:mod:`zoneinfo` over the data's range; the conversion is then a piecewise
shift in the engine (a CASE over time ranges), which every backend runs the
same way. The same ranges find local times that do not exist (a DST gap) or
are ambiguous (a DST overlap).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis


_DAY = timedelta(days=1)


def zone_transitions(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """UTC-offset changes of ``zone`` between two naive UTC datetimes.

    Parameters
    ----------
    zone : str
        IANA zone name.
    start, end : datetime
        Naive UTC bounds of the data.

    Returns
    -------
    list of (datetime, timedelta, timedelta)
        Each change as (naive UTC instant, offset before, offset after), in order.
    """
    tz = ZoneInfo(zone)
    offset = lambda t: t.replace(tzinfo=UTC).astimezone(tz).utcoffset()  # noqa: E731
    found = []
    t = start - _DAY
    while t <= end + _DAY:
        nxt = t + timedelta(hours=6)
        if offset(t) != offset(nxt):
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
            hi = hi.replace(microsecond=0)
            found.append((hi, offset(lo), offset(hi)))
        t = nxt
    return found


def _first_offset(zone: str, at: datetime | None) -> timedelta:
    return (at or datetime(2000, 1, 1)).replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()


def utc_to_local(utc: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> ibis.Value:
    """Naive UTC -> naive wall clock in ``zone``, offsets applied piecewise between the zone's changes."""
    changes = zone_transitions(zone, lo, hi) if lo and hi else []
    first = changes[0][1] if changes else _first_offset(zone, lo)
    pieces = [(None, first)] + [(at, after) for at, _, after in changes]
    return _piecewise(utc, pieces, lambda off: utc + ibis.interval(seconds=int(off.total_seconds())))


def local_to_utc(local: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> ibis.Value:
    """Naive wall clock in ``zone`` -> naive UTC (times in a DST gap or overlap are reported by :func:`dst_problems`)."""
    changes = zone_transitions(zone, lo - _DAY, hi + _DAY) if lo and hi else []
    first = changes[0][1] if changes else _first_offset(zone, lo)
    pieces = [(None, first)] + [(at + min(before, after), after) for at, before, after in changes]
    return _piecewise(local, pieces, lambda off: local - ibis.interval(seconds=int(off.total_seconds())))


def _piecewise(value: ibis.Value, pieces, shift) -> ibis.Value:
    """``shift(offset)`` of the piece each value falls in; pieces are (start or None, offset) in order."""
    if len(pieces) == 1:
        return shift(pieces[0][1]) if pieces[0][1] else value
    branches = [(value < ibis.literal(start), shift(prev)) for (_, prev), (start, _) in zip(pieces, pieces[1:])]
    return ibis.cases(*branches, else_=shift(pieces[-1][1]))


def dst_problems(local: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> list:
    """(problem, mask) pairs for local times that do not exist, or exist twice, in ``zone``."""
    if not (lo and hi):
        return []
    gaps, overlaps = [], []
    for at, before, after in zone_transitions(zone, lo - _DAY, hi + _DAY):
        start, end = at + min(before, after), at + max(before, after)
        inside = (local >= ibis.literal(start)) & (local < ibis.literal(end))
        (gaps if after > before else overlaps).append(inside)
    problems = []
    if gaps:
        problems.append((f"has local times that do not exist in {zone} (skipped by a daylight-saving change)", ibis.or_(*gaps)))
    if overlaps:
        problems.append((f"has local times that are ambiguous in {zone} (repeated by a daylight-saving change)", ibis.or_(*overlaps)))
    return problems
