"""Analysis periods: one rule for what "in the period" means, used by every analysis.

A period is given by ``period_start`` and ``period_end``, each a date
(``"2026-10-01"``, :class:`datetime.date`) or a date and time. Both ends are
inclusive: a date as ``period_end`` includes that whole day. Canonical
timestamps are naive wall-clock times in the config's time zone, so bounds
are compared as naive wall-clock times too (an aware datetime is rejected).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import ibis
import pandas as pd

from .errors import ParameterError


def to_datetime(value: object, name: str) -> datetime:
    """Read a date or date-time parameter (string, date, datetime or pandas Timestamp).

    Parameters
    ----------
    value : str, date, datetime or pandas.Timestamp
        The value, e.g. ``"2026-08-15"`` or ``"2026-08-15 09:30"``.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    datetime.datetime
        Naive; a date becomes midnight at its start.
    """
    if isinstance(value, pd.Timestamp):
        stamp = value.to_pydatetime()
    elif isinstance(value, datetime):
        stamp = value
    elif isinstance(value, date):
        stamp = datetime.combine(value, time())
    elif isinstance(value, str):
        try:  # ISO only: "05/08/2026" is May 8 to some readers and August 5 to others
            stamp = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ParameterError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD (or YYYY-MM-DD HH:MM)") from None
    else:
        raise ParameterError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD (or YYYY-MM-DD HH:MM)")
    if stamp.tzinfo is not None:
        raise ParameterError(
            f"{name}={value!r} carries a time zone offset; give wall-clock time in the config's time zone"
        )
    return stamp


def is_date_only(value: object) -> bool:
    """True for a date without a time of day (a date object or a ``YYYY-MM-DD`` string)."""
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    return isinstance(value, str) and len(value.strip()) == 10


def period_bounds(period_start: object = None, period_end: object = None) -> tuple[datetime | None, datetime | None]:
    """Turn inclusive period ends into a half-open interval ``[start, stop)``.

    Parameters
    ----------
    period_start : date-like, optional
        First day (or instant) included; open-ended when None.
    period_end : date-like, optional
        Last day included (a date), or last instant included (a date-time); open-ended when None.

    Returns
    -------
    tuple of (datetime or None, datetime or None)
        ``start`` included, ``stop`` excluded.
    """
    start = None if period_start in (None, "") else to_datetime(period_start, "period_start")
    stop = None
    if period_end not in (None, ""):
        end = to_datetime(period_end, "period_end")
        stop = end + (timedelta(days=1) if is_date_only(period_end) else timedelta(microseconds=1))
    if start is not None and stop is not None and stop <= start:
        raise ParameterError(f"period_end ({period_end}) is before period_start ({period_start})")
    return start, stop


def in_period(column: ibis.Value, period_start: object = None, period_end: object = None) -> ibis.BooleanValue:
    """Ibis predicate: ``column`` falls in the period (both ends inclusive, see :func:`period_bounds`)."""
    start, stop = period_bounds(period_start, period_end)
    predicate = ibis.literal(True)
    if start is not None:
        predicate &= column >= start
    if stop is not None:
        predicate &= column < stop
    return predicate
