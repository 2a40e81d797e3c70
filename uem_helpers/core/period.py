"""Analysis periods: one rule for what "in the period" means, used by every analysis.

A period is given by ``period_start`` and ``period_end``, each a date
(``"2026-10-01"``, :class:`datetime.date`) or a date and time. Both ends are
inclusive: a date as ``period_end`` includes that whole day. Canonical
timestamps are naive wall-clock times in the config's time zone, so bounds
are compared as naive wall-clock times too (an aware datetime is rejected).

A **report period** (:func:`parse_period`) is one month (``2026-10``) or a
range of whole months (``2026-05..2026-10``); it names a report's folder and
fills the notebooks' ``period_start``, ``period_end`` and ``month``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import ibis
import pandas as pd

from uem_helpers.core.errors import ParameterError


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


# --- report periods: whole months ------------------------------------------------------

_PERIOD = re.compile(r"(\d{4})-(\d{2})(?:\.\.(\d{4})-(\d{2}))?")

@dataclass(frozen=True)
class Period:
    """A report period: one month or a range of whole months.

    Attributes
    ----------
    label : str
        ``"2026-10"`` or ``"2026-08..2026-10"``; the period's folder under the output folder.
    start : date
        First day of the first month.
    end : date
        Last day of the last month.
    """

    label: str
    start: date
    end: date

    @property
    def month(self) -> str:
        """The last month of the period, ``"YYYY-MM"``."""
        return f"{self.end:%Y-%m}"


def parse_period(text: str) -> Period:
    """Read ``"YYYY-MM"`` (a month) or ``"YYYY-MM..YYYY-MM"`` (a range of months).

    Parameters
    ----------
    text : str
        The period as given on the command line.

    Returns
    -------
    Period

    Raises
    ------
    ParameterError
        Not a month or range of months, or a range that ends before it starts.
    """
    m = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    months = [(int(m[1]), int(m[2])), (int(m[3] or m[1]), int(m[4] or m[2]))] if m else []
    if not months or not all(1 <= month <= 12 for _, month in months):
        raise ParameterError(
            f"period {text!r}: expected YYYY-MM (a month) or YYYY-MM..YYYY-MM (a range of months), "
            "e.g. 2026-10 or 2026-08..2026-10"
        )
    (y1, m1), (y2, m2) = months
    start, end = date(y1, m1, 1), date(y2, m2, calendar.monthrange(y2, m2)[1])
    if start > end:
        raise ParameterError(f"period {text!r} ends before it starts; write the earlier month first")
    label = f"{start:%Y-%m}" if (y1, m1) == (y2, m2) else f"{start:%Y-%m}..{end:%Y-%m}"
    return Period(label, start, end)
