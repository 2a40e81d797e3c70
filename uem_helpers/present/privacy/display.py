"""Showing data text in HTML: masked for personal data, then escaped so it is inert.

pandas' ``Styler`` escapes nothing by default (and leaves index and column
labels raw even with ``escape="html"``), and ``to_html(render_links=True)``
turns a crafted URL into an attribute. :func:`safe_table` uses neither: it
masks every string (cells, index and column labels, their names) and renders
with ``to_html(escape=True, render_links=False)``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

import pandas as pd

from uem_helpers.present.privacy.detectors import mask_text


def html_text(text: object, kinds: Iterable[str] | None = None) -> str:
    """Data text for HTML: personal data masked, ``<>&"'`` escaped (for plotly text use ``present.journey.plotly_text``).

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
    return html.escape(mask_text(text, kinds), quote=True)


def _masker(kinds: Iterable[str] | None) -> Callable[[object], object]:
    kinds = None if kinds is None else list(kinds)

    def mask(value: object) -> object:
        return mask_text(value, kinds) if isinstance(value, str) else value

    return mask


def _mask_index(index: pd.Index, mask: Callable[[object], object]) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(mask(v) for v in t) for t in index]
        return pd.MultiIndex.from_tuples(tuples, names=[mask(n) for n in index.names])
    return pd.Index([mask(v) for v in index], name=mask(index.name))


class SafeTable:
    """A table ready to show in a report: every string masked, every label escaped.

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
