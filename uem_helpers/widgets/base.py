"""The explorer machinery: controls in, one cached analysis per selection, a chart and a table out.

An :class:`Explorer` owns a row of controls, a status line and an ``Output``
widget. Whenever a control changes it reads the selection (every control's
value), and

1. runs the subclass's :meth:`Explorer.analyse` on the values that need a new
   analysis (``recompute_on``), through a per-explorer :class:`SelectionCache`,
   with a spinner and "Computing…" in the status line while it runs;
2. turns the result into a :class:`View` (:meth:`Explorer.show`): a sentence, one
   chart, one table, or a plain message when the selection has no data;
3. renders the view into the ``Output`` in place (its ``outputs`` are replaced,
   nothing is appended), also cached per selection, so going back to an earlier
   selection redraws nothing.

Everything shown goes through the report's own helpers and privacy policy:
charts from :mod:`uem_helpers.present.plots` and :mod:`uem_helpers.present.cart`
(data text masked, small segments folded), sentences escaped with
:func:`uem_helpers.present.narrative.md_escape`, tables masked and escaped with
:meth:`uem_helpers.present.privacy.Policy.safe_table`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from uem_helpers.core.formats import rate_with_interval
from uem_helpers.present import privacy
from uem_helpers.core.errors import UEMError
from uem_helpers.present.narrative import md_escape

log = logging.getLogger(__name__)

#: How a message about an empty selection starts.
NO_DATA = "No data for this selection"
#: The status line while an analysis runs (Font Awesome ships with JupyterLab's widget manager).
SPINNER = '<i class="fa fa-spinner fa-spin" aria-hidden="true"></i> Computing\u2026'
#: Results kept per explorer (each a small frame or dataclass of them).
CACHE_SIZE = 32


@dataclass(frozen=True)
class View:
    """What an explorer shows for one selection.

    Attributes
    ----------
    text : str
        Markdown above the chart (data text already escaped), or "".
    figure : object
        A matplotlib Figure or a plotly Figure, or None.
    table : pandas.DataFrame or None
        The table shown under the chart (display strings; masked and escaped when rendered).
    data : pandas.DataFrame or None
        The analysis frame behind chart and table, for tests and for a user who wants the numbers.
    message : str or None
        A plain sentence shown instead of chart and table, e.g. "No data for this selection: ...".
    outputs : tuple of dict
        The rendered output bundles (``Output.outputs``), filled by :func:`render`.
    """

    text: str = ""
    figure: object = None
    table: pd.DataFrame | None = None
    data: pd.DataFrame | None = None
    message: str | None = None
    outputs: tuple = ()

    @property
    def has_data(self) -> bool:
        """False when the view is a message instead of a chart and table."""
        return self.message is None


def no_data(reason: str) -> View:
    """The view of a selection with nothing to show: ``"No data for this selection: <reason>"``."""
    return View(message=f"{NO_DATA}: {reason}")


class SelectionCache:
    """The last ``maxsize`` results by selection key; the least recently used is dropped first.

    Parameters
    ----------
    maxsize : int
        Most results kept.

    Attributes
    ----------
    hits, misses : int
        Lookups answered from the cache, and lookups that computed.
    """

    def __init__(self, maxsize: int = CACHE_SIZE):
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._items: OrderedDict[Hashable, object] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, compute: Callable[[], object]) -> object:
        """The cached value of ``key``, or ``compute()`` stored under it (exceptions are not cached)."""
        if key in self._items:
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]
        self.misses += 1
        value = compute()
        self._items[key] = value
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every result (e.g. after the data changed)."""
        self._items.clear()


class Explorer:
    """Base of the explorers: named controls, a status line, an output for chart and table, two caches.

    Subclasses set :attr:`title` and :attr:`recompute_on` and implement :meth:`analyse`
    (the heavy part) and :meth:`show`; they may implement :meth:`check` (a selection that
    cannot be analysed, e.g. a period whose start is after its end) and :meth:`adjust`
    (change other controls after one changed). Display an explorer as a cell's value.

    Parameters
    ----------
    controls : mapping of str to ipywidgets widget
        The controls by selection name, in display order; each has a ``value``.
    cache_size : int
        Results and views kept per explorer.

    Attributes
    ----------
    controls : dict
        The controls; set ``explorer.controls["mode"].value = "strict"`` to drive it from code.
    view : View
        What is shown now.
    analyses, views : SelectionCache
        Analysis results by the ``recompute_on`` values, rendered views by the whole selection.
    widget : ipywidgets.VBox
        Title, controls, status line and output.
    """

    title = "Explorer"
    #: Names of the controls whose values the analysis depends on (the others only change the view).
    recompute_on: tuple[str, ...] = ()

    def __init__(self, controls: Mapping[str, w.Widget], *, cache_size: int = CACHE_SIZE):
        self.controls = dict(controls)
        self.analyses = SelectionCache(cache_size)
        self.views = SelectionCache(cache_size)
        self.status = w.HTML(layout=w.Layout(min_height="1.5em"))
        self.output = w.Output(layout=w.Layout(min_height="12em"))
        self.view: View = View()
        self._names = {id(control): name for name, control in self.controls.items()}
        self._adjusting = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        box = w.Box(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap"))
        heading = w.HTML(f"<b>{html.escape(self.title)}</b>")
        self.widget = w.VBox([heading, box, self.status, self.output])
        self.widget.add_class("uem-explorer")
        self.refresh()

    # --- for subclasses -----------------------------------------------------------------

    def analyse(self, **selection) -> object:
        """Run the analysis for the ``recompute_on`` values (a small frame or dataclass)."""
        raise NotImplementedError

    def show(self, result: object, **selection) -> View:
        """The view of an analysis result for the whole selection."""
        raise NotImplementedError

    def check(self, **selection) -> str | None:
        """A sentence saying why the selection cannot be analysed, or None when it can."""
        return None

    def adjust(self, name: str, **selection) -> None:
        """Called after control ``name`` changed, before the refresh; may set other controls."""

    # --- machinery ----------------------------------------------------------------------

    def selection(self) -> dict[str, Hashable]:
        """Every control's value, made hashable (lists as tuples, dates as ISO text)."""
        return {name: _hashable(control.value) for name, control in self.controls.items()}

    def refresh(self) -> View:
        """Show the view of the current selection (from the cache when it was shown before)."""
        selection = self.selection()
        key = tuple(sorted(selection.items()))
        cached = key in self.views
        if not cached:
            self.status.value = SPINNER
        started = time.perf_counter()
        try:
            view = self.views.get(key, lambda: self._view(selection))
            took = time.perf_counter() - started
            self.status.value = "" if cached else f'<span style="color:#6b7785">Computed in {took:.1f} s.</span>'
        except Exception as exc:  # a bug must not leave a stale chart on screen: say so where the chart was
            log.exception("the %s failed for %r", self.title, selection)
            view = render(View(message=f"Could not compute this selection ({type(exc).__name__}: {exc})."))
            self.status.value = ""
        self.view = view
        self.output.outputs = view.outputs
        return view

    def _view(self, selection: dict) -> View:
        problem = self.check(**selection)
        if problem:
            return render(View(message=problem))
        wanted = {name: selection[name] for name in self.recompute_on}
        try:
            result = self.analyses.get(tuple(wanted.items()), lambda: self.analyse(**wanted))
            view = self.show(result, **selection)
        except UEMError as exc:  # a selection the data cannot answer (unknown column, ...): the precise message
            view = View(message=str(exc))
        return render(view)

    def _on_change(self, change: dict) -> None:
        if self._adjusting:
            return
        self._adjusting = True
        try:
            self.adjust(self._names[id(change["owner"])], **self.selection())
        finally:
            self._adjusting = False
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# --- rendering --------------------------------------------------------------------------


def rate_cells(frame: pd.DataFrame, rate: str, low: str, high: str) -> list[str]:
    """Table cells of a rate column with its interval: ``"12.3% (11.0% to 13.5%)"``, "n/a" when missing."""
    return [rate_with_interval(r, lo, hi) for r, lo, hi in zip(frame[rate], frame[low], frame[high])]


def render(view: View) -> View:
    """``view`` with its output bundles: sentence, chart (PNG or plotly), table; or the message alone."""
    outputs = []
    if view.message is not None:
        outputs.append(_markdown(md_escape(view.message)))
    else:
        if view.text:
            outputs.append(_markdown(view.text))
        if view.figure is not None:
            outputs.append(figure_bundle(view.figure))
        if view.table is not None:
            outputs.append(table_bundle(view.table))
    return replace(view, outputs=tuple(outputs))


def _markdown(text: str) -> dict:
    return {"output_type": "display_data", "data": {"text/markdown": text, "text/plain": text}, "metadata": {}}


def figure_bundle(figure: object) -> dict:
    """A display bundle of a matplotlib Figure or Axes (PNG; the pyplot figure is closed) or a plotly Figure."""
    if isinstance(figure, Axes):
        figure = figure.figure
    if hasattr(figure, "to_plotly_json"):
        data = {"application/vnd.plotly.v1+json": {**json.loads(figure.to_json()), "config": {"displaylogo": False}},
                "text/plain": "<plotly figure>"}
        return {"output_type": "display_data", "data": data, "metadata": {}}
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<chart>"}, "metadata": {}}


def table_bundle(table: pd.DataFrame) -> dict:
    """A display bundle of a table, every string masked and escaped (:meth:`uem_helpers.present.privacy.Policy.safe_table`)."""
    safe = privacy.active().safe_table(table)
    return {"output_type": "display_data", "data": {"text/html": safe._repr_html_(), "text/plain": repr(safe)},
            "metadata": {}}


def _hashable(value: object) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
