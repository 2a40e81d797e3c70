"""Showing data text in HTML: masked for personal data, then escaped so it is inert.

pandas' ``Styler`` escapes nothing by default (and leaves index and column
labels raw even with ``escape="html"``), and ``to_html(render_links=True)``
turns a crafted URL into an attribute. :func:`safe_table` uses neither: it
masks every string (cells, index and column labels, their names) and renders
with ``to_html(escape=True, render_links=False)``.

Characters a reader cannot see but a browser acts on (NUL and other controls,
bidirectional overrides that show text reversed, zero-width spaces that split
a word in two) are replaced by a visible U+FFFD (�) in all of them
(:func:`visible_text`), the same set :mod:`uem_helpers.data.quality` counts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

import pandas as pd

from uem_helpers.present.privacy.detectors import mask_text

#: C0 controls (but tab, newline, carriage return), DEL and C1 controls, the Arabic letter mark, zero-width
#: space, LRM/RLM, bidi embeddings, overrides and isolates, word joiner and BOM (as
#: ``uem_helpers.data.quality.HIDDEN_CHARACTERS``, with C1 and ALM). Zero-width (non-)joiners are kept:
#: emoji and several scripts need them.
HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
#: What a hidden character is shown as.
REPLACEMENT = "\ufffd"


def visible_text(text: object) -> str:
    """``text`` with every hidden character (:data:`HIDDEN_CHARACTERS`) shown as U+FFFD; None and NaN give ``""``.

    >>> visible_text("good\u202etxt.exe")
    'good\ufffdtxt.exe'
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return HIDDEN_CHARACTERS.sub(REPLACEMENT, str(text))


def html_text(text: object, kinds: Iterable[str] | None = None) -> str:
    """Data text for HTML: personal data masked, hidden characters shown, ``<>&"'`` escaped.

    For plotly text use ``present.journey.plotly_text``.

    Parameters
    ----------
    text : object
        The text.
    kinds : iterable of str, optional
        Kinds of personal data to mask; all when None.

    Returns
    -------
    str
    """
    return html.escape(visible_text(mask_text(text, kinds)), quote=True)


def _masker(kinds: Iterable[str] | None) -> Callable[[object], object]:
    kinds = None if kinds is None else list(kinds)

    def mask(value: object) -> object:
        return visible_text(mask_text(value, kinds)) if isinstance(value, str) else value

    return mask


def _mask_index(index: pd.Index, mask: Callable[[object], object]) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(mask(v) for v in t) for t in index]
        return pd.MultiIndex.from_tuples(tuples, names=[mask(n) for n in index.names])
    return pd.Index([mask(v) for v in index], name=mask(index.name))


class SafeTable:
    """A table ready to show in a report: every string masked with hidden characters shown, every label escaped.

    Build it with :func:`safe_table`; a notebook shows it like a DataFrame.

    Attributes
    ----------
    frame : pandas.DataFrame
        The masked table (strings only masked, not escaped; escaping happens when rendered).
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.frame.to_html(escape=True, render_links=False, notebook=False, border=0)

    def __repr__(self) -> str:
        return self.frame.to_string()


def safe_table(frame: pd.DataFrame, kinds: Iterable[str] | None = None) -> SafeTable:
    """A frame to display in a report with its data text made safe.

    Parameters
    ----------
    frame : pandas.DataFrame
        A small result or display table.
    kinds : iterable of str, optional
        Kinds of personal data to mask (:data:`~uem_helpers.present.privacy.detectors.KINDS`); all when None.

    Returns
    -------
    SafeTable
        Renders as an HTML table whose cells, index and column labels are masked and escaped.
    """
    mask = _masker(kinds)
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(mask).astype(object)
    out.index = _mask_index(out.index, mask)
    out.columns = _mask_index(out.columns, mask)
    return SafeTable(out)
