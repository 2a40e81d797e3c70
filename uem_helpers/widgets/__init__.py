"""Explore interactively: ipywidgets explorers on the same helpers the reports use.

Each notebook ends with an "Explore" section whose one cell is::

    from uem_helpers import widgets
    widgets.explore("funnel", config, data, funnel=funnel, period_start=period_start, ...)

Opened in JupyterLab, the cell shows an explorer: controls, a status line with a
spinner while it computes, and a chart, a table and a sentence that are
replaced in place when a control changes. Run by papermill (``uem report``) or
nbval, :func:`explore` returns None before touching the data, so the report
shows nothing there and the notebook tests stay deterministic
(:func:`~uem_helpers.widgets.headless.headless` says how it knows).

Explorers
---------
:class:`FunnelExplorer` (``"funnel"``)
    Steps picked from the events present, mode, conversion window, segment, period.
:class:`CartExplorer` (``"cart"``)
    Free-shipping threshold, period, segment.
:class:`JourneyExplorer` (``"journey"``)
    Start event, depth, segment A vs B.
:class:`KPIExplorer` (``"kpi"``)
    Metric, month range, segment.

Every explorer keeps its analysis results and rendered views per selection
(:class:`~uem_helpers.widgets.base.SelectionCache`), so going back to a
selection shown before is instant; charts, tables and sentences go through the
report's privacy policy (:func:`uem_helpers.present.privacy.active`).
"""

from __future__ import annotations

from collections.abc import Callable

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.data.sources import Dataset
from uem_helpers.widgets.base import NO_DATA, Explorer, SelectionCache, View
from uem_helpers.widgets.cart import CartExplorer
from uem_helpers.widgets.funnel import FunnelExplorer
from uem_helpers.widgets.headless import HEADLESS_ENV, headless
from uem_helpers.widgets.journey import JourneyExplorer
from uem_helpers.widgets.kpi import METRICS, KPIExplorer

__all__ = [
    "HEADLESS_ENV", "KINDS", "METRICS", "NO_DATA", "CartExplorer", "Explorer", "FunnelExplorer", "JourneyExplorer",
    "KPIExplorer", "SelectionCache", "View", "explore", "headless",
]


def _funnel(config: UEMConfig, data: Dataset, *, funnel: str | None = None, steps=None, window: object = "",
            mode: str | None = None, **selection) -> FunnelExplorer:
    if steps is None:
        name = funnel or next(iter(config.funnels), None)
        if name is None:
            raise ParameterError("the funnel explorer needs steps=[...] or a funnel in the config; the config has none")
        chosen = config.funnel(name)
        steps, window, mode = chosen.steps, window or chosen.window, mode or chosen.mode
        selection.setdefault("exclude", chosen.exclude)
    return FunnelExplorer(data, steps=steps, window=window or "1h", mode=mode or "ordered", **selection)


def _cart(config: UEMConfig, data: Dataset, **selection) -> CartExplorer:
    return CartExplorer(data, **selection)


def _journey(config: UEMConfig, data: Dataset, *, start_event: str | None = None, **selection) -> JourneyExplorer:
    selection.setdefault("gap", config.sessions.gap)
    return JourneyExplorer(data, start_event=start_event or config.journey.start_event, **selection)


def _kpi(config: UEMConfig, data: Dataset, *, month: str | None = None, months=None, **selection) -> KPIExplorer:
    return KPIExplorer(data, config=config, months=months or ((month, month) if month else None), **selection)


#: Kind -> (tables the explorer reads, builder from config and data).
KINDS: dict[str, tuple[tuple[str, ...], Callable[..., Explorer]]] = {
    "funnel": (("events", "users"), _funnel),
    "cart": (("carts", "users"), _cart),
    "journey": (("events", "users"), _journey),
    "kpi": (("events", "users", "carts", "feedback", "nps"), _kpi),
}


def explore(kind: str, config: UEMConfig, data: Dataset | None = None, **selection) -> Explorer | None:
    """The explorer of ``kind``, or None when nobody can see widgets (papermill, nbval, a script).

    Parameters
    ----------
    kind : {"funnel", "cart", "journey", "kpi"}
        Which explorer.
    config : UEMConfig
        The notebook's config (funnels, journey stages, segments).
    data : Dataset, optional
        The notebook's loaded tables; loaded from ``config`` when None.
    **selection
        What the explorer shows first, with the notebooks' parameter names; "" means "none"
        as in a parameters cell. ``"funnel"``: ``funnel`` (a config funnel's name) or ``steps``,
        ``window``, ``mode``, ``segment_by``, ``period_start``, ``period_end``. ``"cart"``:
        ``launch_date``, ``threshold``, ``segment_by``, ``period_start``, ``period_end``, ``show``.
        ``"journey"``: ``start_event`` (the config's ``journey.start_event`` when None), ``depth``,
        ``segment_by``, ``segment_a``, ``segment_b``, ``period_start``, ``period_end``; the session gap
        is the config's. ``"kpi"``: ``metric``, ``months`` (first and last ``"YYYY-MM"``) or ``month``,
        ``segment_by``.

    Returns
    -------
    Explorer or None
        Shown when it is the cell's value; None under papermill, nbval or outside Jupyter
        (:func:`headless`), before any data is read.

    Raises
    ------
    ParameterError
        An unknown ``kind`` (raised even when headless, so a typo fails the notebook tests).
    """
    if kind not in KINDS:
        raise ParameterError(f"kind={kind!r} is not an explorer; explorers are: {', '.join(KINDS)}")
    if headless():
        return None
    from uem_helpers.present import plots
    from uem_helpers.data.sources import load

    plots.use_report_style()
    tables, build = KINDS[kind]
    if data is None:
        data = load(config, tables=[t for t in tables if t in config.sources])
    selection = {key: (None if value == "" else value) for key, value in selection.items()}
    return build(config, data, **selection)
