"""The pieces the onboarding and cart findings put into their sentences, in the reader's language.

Each finding of :mod:`uem_helpers.present.onboarding` and :mod:`uem_helpers.present.cart` is
one message of the catalog with named fields; these helpers fill the fields the same way in
both reports: a name from the data by its display name (:func:`name`), a date parameter as
the reader's language writes a day (:func:`day_of`) and the period's two ends (:func:`period_ends`).
Whole sentences one after another: :func:`uem_helpers.core.i18n.sentences`.
"""

from __future__ import annotations

from uem_helpers.core.formats import day
from uem_helpers.core.i18n import _, label
from uem_helpers.core.period import to_datetime
from uem_helpers.present.narrative import md_escape


def name(value: object) -> str:
    """An event, step, segment or column in a sentence: its display name (config ``labels:``), Markdown-escaped."""
    return md_escape(label(value))


def day_of(value: object, parameter: str) -> str:
    """A date parameter as the reader's language writes a day: ``"2026-08-15"`` / ``"2026年8月15日"``.

    A value that is no date raises :class:`~uem_helpers.core.errors.ParameterError` naming ``parameter``.
    """
    return day(to_datetime(value, parameter))


def period_ends(period_start: object, period_end: object) -> dict[str, str]:
    """The fields ``start`` and ``end`` of a sentence such as "between {start} and {end}", Markdown-escaped.

    An open end is said in words: "the first day of data" and "the last".
    """
    start = md_escape(day_of(period_start, "period_start")) if period_start else _("the first day of data")
    end = md_escape(day_of(period_end, "period_end")) if period_end else _("the last")
    return {"start": start, "end": end}

