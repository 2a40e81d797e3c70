"""How the workbench prints a number: percentages, intervals, points, durations, dates, signs, p-values.

Every sentence, table and chart label formats its numbers here, so a rate, an
interval or a duration reads the same in every report. It lives in ``core``
(not with presentation) because analyses' result objects write sentences too
(:meth:`~uem_helpers.analyses.experiment.readout.Readout.sentence`). It imports
nothing of the workbench.

In the reader's language (:mod:`uem_helpers.core.i18n`): English keeps the workbench's
own compact style (``"2.5 min"``, ISO dates), Chinese takes its units, dates and months
from Babel's CLDR data for ``zh_Hans_CN`` (``"2.5分钟"``, ``"2026年10月5日"``,
``"2026年10月"``); the few words here (``"95% CI"``, ``"to"``, ``"pts"``) come from the catalog.

Conventions: negative numbers carry a true minus sign (U+2212, :data:`MINUS`) where a
sign is shown on purpose; a missing value (NaN) prints :data:`NA` unless the caller
asks for another placeholder.

Examples
--------
>>> percent(0.4512)
'45%'
>>> percent_interval(0.42, 0.48, digits=1)
'95% CI 42.0% to 48.0%'
>>> duration(150), duration(19910.3 * 60)
('2.5 min', '13.8 days')
>>> signed_points(-0.031)
'−3.1 pts'
"""

from __future__ import annotations

import math
from datetime import date, datetime

from babel.dates import format_skeleton
from babel.units import format_unit

from uem_helpers.core.i18n import N_, _, babel_locale, current_language

#: The minus sign used for signed numbers (U+2212, not the hyphen).
MINUS = "\u2212"
#: What a missing value prints (in English; :func:`missing` in the reader's language).
NA = N_("n/a")
#: Currency units written before the number ("¥12"), not after it ("12 min").
PREFIX_UNITS = frozenset({"¥", "$", "€", "£"})


def missing() -> str:
    """What a missing value prints in the reader's language: ``"n/a"``."""
    return _(NA)


def _chinese() -> bool:
    """Whether numbers are being written for a Chinese reader (Babel's CLDR units and dates)."""
    return current_language() == "zh"


def with_minus(text: str) -> str:
    """``text`` with every hyphen-minus turned into a true minus sign.

    >>> with_minus("-3.1 pts")
    '−3.1 pts'
    """
    return text.replace("-", MINUS)


def percent(x: float, digits: int = 0, na: str | None = None) -> str:
    """A proportion as a percentage: ``0.4512`` -> ``"45%"`` (``digits=1``: ``"45.1%"``); NaN -> ``na``.

    >>> percent(float("nan"))
    'n/a'
    """
    if x != x:
        return missing() if na is None else na
    return f"{x:.{digits}%}"


def signed_percent(x: float, digits: int = 1, na: str | None = None) -> str:
    """A relative change with its sign: ``0.123`` -> ``"+12.3%"``, ``-0.05`` -> ``"−5.0%"``.

    >>> signed_percent(-0.05)
    '−5.0%'
    """
    if x != x:
        return missing() if na is None else na
    return with_minus(f"{x:+.{digits}%}")


def between(low: str, high: str) -> str:
    """Two formatted ends of a range: ``"42% to 48%"`` (``"42% 至 48%"`` in Chinese).

    >>> between("42%", "48%")
    '42% to 48%'
    """
    return _("{low} to {high}").format(low=low, high=high)


def percent_interval(low: float, high: float, digits: int = 0, label: str | None = None) -> str:
    """An interval of proportions: ``"95% CI 42% to 48%"`` (``label`` replaces ``"95% CI"``).

    >>> percent_interval(0.42, 0.48)
    '95% CI 42% to 48%'
    """
    named = _("95% CI") if label is None else label
    return f"{named} {between(percent(low, digits), percent(high, digits))}"


def number_interval(low: float, high: float, decimals: int, label: str | None = None) -> str:
    """An interval of plain numbers (a ratio, an AUC): ``"95% CI 1.8 to 3.0"`` (``label`` replaces ``"95% CI"``).

    Both ends keep ``decimals`` decimals, trailing zeros too, so they read alike ("0.85 to 0.90").

    >>> number_interval(1.84, 2.999, 1), number_interval(-0.5, 1, 2)
    ('95% CI 1.8 to 3.0', '95% CI −0.50 to 1.00')
    """
    named = _("95% CI") if label is None else label
    return f"{named} {between(fixed(low, decimals), fixed(high, decimals))}"


def fixed(x: float, decimals: int) -> str:
    """``decimals`` decimals, trailing zeros kept (a column or an interval whose numbers read alike).

    >>> fixed(0.9, 2), fixed(-1234.5, 1)
    ('0.90', '−1,234.5')
    """
    return with_minus(f"{x:,.{decimals}f}")


def rate_with_interval(rate: float, low: float, high: float, digits: int = 1, na: str | None = None,
                       sep: str | None = None) -> str:
    """A rate and its interval in brackets: ``"12.3% (11.0% to 13.5%)"``; NaN rate -> ``na``.

    ``sep="–"`` gives the compact form for narrow table columns: ``"12% (11%–14%)"``.

    >>> rate_with_interval(0.123, 0.11, 0.135), rate_with_interval(0.123, 0.11, 0.135, 0, sep="–")
    ('12.3% (11.0% to 13.5%)', '12% (11%–14%)')
    """
    if rate != rate:
        return missing() if na is None else na
    ends = (between(percent(low, digits), percent(high, digits)) if sep is None
            else f"{percent(low, digits)}{sep}{percent(high, digits)}")
    return f"{percent(rate, digits)} ({ends})"


def signed_points(x: float, digits: int = 1, unit: str | None = None) -> str:
    """A difference of proportions in percentage points with its sign: ``-0.031`` -> ``"−3.1 pts"``.

    ``unit=""`` leaves the unit out (``"−3.1"``), for a table whose header names it.

    >>> signed_points(0.0456)
    '+4.6 pts'
    """
    value = with_minus(f"{100 * x:+.{digits}f}")
    return _("{value} pts").format(value=value) if unit is None else f"{value}{unit}"


def whole(x: float, sign: str = "") -> str:
    """A whole number with a true minus sign (and a plus sign with ``sign="+"``): ``-16`` -> ``"−16"``.

    >>> whole(-16.4), whole(8, "+")
    ('−16', '+8')
    """
    return with_minus(f"{x:{sign}.0f}")


#: Seconds from which :func:`duration` shows hours (2 h) and days (2 days) unless told otherwise.
HOURS_FROM = 2 * 3600
DAYS_FROM = 2 * 86400
#: The units a measured duration is written in, largest first: (seconds in one, name).
_DURATION_UNITS = ((86400, "days"), (3600, "h"), (60, "min"), (1, "s"))
#: Seconds in each of those units, by name.
_DURATION_SECONDS = {name: one for one, name in _DURATION_UNITS}


def duration_unit(seconds: float, *, minutes_from: float = 60, hours_from: float | None = HOURS_FROM,
                  days_from: float | None = DAYS_FROM) -> tuple[float, str]:
    """The unit a duration of this size reads best in, as ``(seconds in one unit, name)``.

    Several durations printed together (an effect and its interval) share the unit of the
    largest of them: ``duration_unit(max(abs(x) for x in xs))``.

    >>> duration_unit(45), duration_unit(150), duration_unit(5.2 * 3600), duration_unit(13.8 * 86400)
    ((1, 's'), (60, 'min'), (3600, 'h'), (86400, 'days'))
    """
    size = abs(seconds)
    for one, name in _DURATION_UNITS:
        start = {86400: days_from, 3600: hours_from, 60: minutes_from, 1: 0}[one]
        if start is not None and size >= start:
            return one, name
    return 1, "s"


def duration(seconds: float, *, minutes_from: float = 60, hours_from: float | None = HOURS_FROM,
             days_from: float | None = DAYS_FROM, unit: bool = True, na: str | None = None) -> str:
    """A measured duration in the unit a person would use: ``"45 s"``, ``"2.5 min"``, ``"5.2 h"``, ``"13.8 days"``.

    Seconds are whole; minutes, hours and days carry one decimal. Every duration the
    workbench prints goes through here (or :func:`duration_unit` for several sharing a unit).

    Parameters
    ----------
    seconds : float
        The duration.
    minutes_from : float
        Seconds from which it is shown in minutes; 0: never in seconds.
    hours_from : float, optional
        Seconds from which it is shown in hours (2 h by default); never when None.
    days_from : float, optional
        Seconds from which it is shown in days (2 days by default); never when None.
    unit : bool
        Append the unit; without it, for the low end of a range ("7.6 to 8.2 min").
    na : str
        What NaN prints.

    >>> duration(45), duration(150), duration(150, minutes_from=180), duration(6000, hours_from=5400)
    ('45 s', '2.5 min', '150 s', '1.7 h')
    >>> duration(5.2 * 3600), duration(19910.3 * 60)
    ('5.2 h', '13.8 days')
    """
    if seconds != seconds:
        return missing() if na is None else na
    one, name = duration_unit(seconds, minutes_from=minutes_from, hours_from=hours_from, days_from=days_from)
    text = f"{seconds:.0f}" if one == 1 else f"{seconds / one:.1f}"
    if not unit:
        return text
    return _cldr_unit(float(text), one) if _chinese() else f"{text} {name}"


#: Babel's CLDR unit of each size in seconds.
_CLDR_UNITS = {86400 * 7: "duration-week", 86400: "duration-day", 3600: "duration-hour", 60: "duration-minute",
               1: "duration-second"}


def _cldr_unit(value: float, seconds_in_one: int) -> str:
    """``value`` of the unit ``seconds_in_one`` long, written by Babel for the reader's locale: ``"2.5分钟"``."""
    shown = int(value) if float(value).is_integer() else value
    return format_unit(shown, _CLDR_UNITS[seconds_in_one], length="short", locale=babel_locale())


#: Units a configured window or span is written in, largest first: (seconds, singular, plural).
_SPAN_UNITS = ((86400 * 7, "week", "weeks"), (86400, "day", "days"), (3600, "h", "h"), (60, "min", "min"),
               (1, "s", "s"))


def span(seconds: float) -> str:
    """A configured window or span in the largest unit it fills evenly, as a person would say it.

    >>> span(3600), span(5400), span(86400 * 180), span(86400 * 14), span(86400), span(45)
    ('1 h', '90 min', '180 days', '2 weeks', '1 day', '45 s')
    """
    for size, one, many in _SPAN_UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return _cldr_unit(count, size) if _chinese() else f"{count} {one if count == 1 else many}"
    return _cldr_unit(seconds, 1) if _chinese() else f"{seconds:g} s"


def elapsed(seconds: float) -> str:
    """A stretch of time in its two largest units, to the minute: how far data falls short of a period.

    >>> elapsed(35400), elapsed(86400 * 3), elapsed(86400 * 3 + 3600 * 4 + 60 * 7), elapsed(29), elapsed(90)
    ('9 h 50 min', '3 days', '3 days 4 h', '< 1 min', '2 min')
    """
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return _("< 1 min")
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, 86400, "day" if days == 1 else "days"), (hours, 3600, "h"), (mins, 60, "min")]
    first = next(i for i, part in enumerate(parts) if part[0])
    kept = [part for part in parts[first:first + 2] if part[0]]
    if _chinese():
        return "".join(_cldr_unit(n, size) for n, size, _name in kept)
    return " ".join(f"{n} {name}" for n, _size, name in kept)


def clock(seconds: float) -> str:
    """Time elapsed as a running clock, ``"1:42"`` or ``"1:02:03"``: the ticking counter of a progress line.

    >>> clock(0), clock(102.9), clock(3723)
    ('0:00', '1:42', '1:02:03')
    """
    hours, rest = divmod(max(int(seconds), 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def instant(stamp) -> str:
    """A timestamp to the minute, ``"2025-03-31 14:10"`` (``"n/a"`` when missing).

    >>> from datetime import datetime
    >>> instant(datetime(2025, 3, 31, 14, 10, 59)), instant(None)
    ('2025-03-31 14:10', 'n/a')
    """
    if stamp is None or stamp != stamp:
        return missing()
    if _chinese():
        return f"{day(stamp)} {stamp:%H:%M}"
    return f"{stamp:%Y-%m-%d %H:%M}"


def day(value: date | datetime | str) -> str:
    """A calendar day: ``"2026-10-05"`` in English, ``"2026年10月5日"`` in Chinese (Babel, the reader's locale).

    >>> day("2026-10-05")
    '2026-10-05'
    """
    when = date.fromisoformat(str(value)[:10]) if isinstance(value, str) else value
    if _chinese():
        return format_skeleton("yMMMd", when, locale=babel_locale())
    return f"{when:%Y-%m-%d}"


def month(value: date | datetime | str) -> str:
    """A calendar month: ``"2026-10"`` in English, ``"2026年10月"`` in Chinese (Babel, the reader's locale).

    >>> month("2026-10"), month("2026-10-05")
    ('2026-10', '2026-10')
    """
    when = date.fromisoformat(f"{str(value)[:7]}-01") if isinstance(value, str) else value
    if _chinese():
        return format_skeleton("yMMM", when, locale=babel_locale())
    return f"{when:%Y-%m}"


def significant_decimals(*xs: float) -> int:
    """Decimals that give the largest of ``xs`` about three significant digits (0 to 6).

    >>> significant_decimals(45.2, 15.0), significant_decimals(0.0123)
    (1, 4)
    """
    largest = max((abs(x) for x in xs if math.isfinite(x)), default=0.0)
    if largest == 0:
        return 0
    return min(6, max(0, 2 - math.floor(math.log10(largest))))


def number(x: float, decimals: int) -> str:
    """Unsigned, with ``decimals`` decimals (trailing zeros dropped) and thousands separated.

    >>> number(-1234.50, 2)
    '1,234.5'
    """
    if not math.isfinite(x):
        return str(abs(x))
    text = f"{abs(x):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def sign(x: float) -> str:
    """``"+"``, the minus sign, or nothing for zero.

    >>> sign(2), sign(-2), sign(0)
    ('+', '−', '')
    """
    return "+" if x > 0 else MINUS if x < 0 else ""


def signed(x: float, decimals: int) -> str:
    """:func:`number` with its sign; a value that rounds to zero has none.

    >>> signed(-0.26, 1), signed(0.01, 1)
    ('−0.3', '0')
    """
    return _with_sign(number(x, decimals), x)


def signed_alike(xs: tuple[float, ...] | list[float], decimals: int) -> list[str]:
    """:func:`signed` for numbers shown together (an effect and its interval): all keep the decimals the
    one that needs most of them keeps, so neighbours read alike.

    >>> signed_alike((-29.71, -30.0, -29.5), 1), signed_alike((-30.0, -34.0, -26.0), 1)
    (['−29.7', '−30.0', '−29.5'], ['−30', '−34', '−26'])
    """
    shared = max((len(number(x, decimals).partition(".")[2]) for x in xs if math.isfinite(x)), default=0)
    return [_with_sign(f"{abs(x):,.{shared}f}" if math.isfinite(x) else str(abs(x)), x) for x in xs]


def _with_sign(text: str, x: float) -> str:
    """``x``'s sign before its unsigned ``text``; none when the text reads zero."""
    return text if set(text) <= {"0", ".", ","} else sign(x) + text


def with_unit(text: str, unit: str, sign_text: str = "") -> str:
    """A formatted number with its unit and sign: ``"¥12"``, ``"12%"``, ``"12 min"`` (``"12分钟"`` in Chinese).

    >>> with_unit("12", "¥", MINUS), with_unit("12", "min")
    ('−¥12', '12 min')
    """
    if unit in PREFIX_UNITS:
        return f"{sign_text}{unit}{text}"
    if unit in ("", "%"):
        return f"{sign_text}{text}{unit}"
    if _chinese() and unit in _DURATION_SECONDS:  # a duration's unit in the reader's words: "12分钟"
        return sign_text + format_unit(text, _CLDR_UNITS[_DURATION_SECONDS[unit]], length="short",
                                       locale=babel_locale())
    return f"{sign_text}{text} {unit}"


def p_value(p: float) -> str:
    """``"p < 0.001"`` or ``"p = 0.022"`` (two significant digits).

    >>> p_value(0.0004), p_value(0.02213)
    ('p < 0.001', 'p = 0.022')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
