"""The KPI explorer: a metric, a month range and a segment.

Each metric is the monthly retro's own, computed by the helper
:func:`uem_helpers.analyses.kpis.kpi_values` uses (:mod:`uem_helpers.analyses.metrics` with
``by="month"``, :func:`uem_helpers.analyses.kpis.cart_conversion`,
:func:`~uem_helpers.analyses.kpis.account_opening_completion`,
:func:`~uem_helpers.analyses.kpis.feedback_sla`) with the config's settings, and shows
as a line per segment with its 95% band, and a table of the months. A metric
is offered when its tables are loaded and its config setting is there (without
a config: NPS, stickiness, bounce rate and cart conversion). Account-opening
completion and the feedback SLA have no segments: their segment dropdown is
disabled. Segments describing fewer people than the privacy minimum in every
month shown are left out of chart and table, and the sentence says how many
were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import ibis
import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd

from uem_helpers.analyses import cart, kpis, metrics
from uem_helpers.present import privacy
from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.present.narrative import md_escape
from uem_helpers.present.plots import PALETTE, new_axes, percent_axis, plain
from uem_helpers.analyses.sessions import DEFAULT_GAP, SessionRule
from uem_helpers.data.sources import Dataset
from uem_helpers.widgets.base import Explorer, View, no_data
from uem_helpers.widgets.controls import STYLE, months_between, segment_dropdown, segment_options

Tables = Mapping[str, ibis.Table]
#: The month slider's only option when no table has a dated row.
NO_MONTHS = "(no data)"


@dataclass(frozen=True)
class Metric:
    """One KPI: the tables and config setting it needs, how to compute it monthly, how to show and size it."""

    label: str
    tables: tuple[str, ...]
    """Tables it reads; all must be loaded for it to be offered."""
    compute: Callable[..., pd.DataFrame]
    """``compute(tables, config, months=(first, last), segment_by=...)`` -> the monthly frame."""
    size: str
    """Column counting the people (or answers) behind a month's value, for the privacy minimum."""
    percent: bool
    time: tuple[str, str]
    """Table and column whose range gives the months offered."""
    segments: tuple[str, ...] = ()
    """Tables whose columns may segment it, in order of preference; () when it has no segments."""
    setting: Callable[[UEMConfig], object] | None = None
    """The config setting it needs (falsy when missing); None for a metric that needs no config."""
    needs: str = ""
    """What it needs, in words, for the message when it is asked for but not offered."""

    def offered(self, data: Dataset, config: UEMConfig | None) -> bool:
        """True when its tables are loaded and its config setting is there."""
        if not all(data.has(t) for t in self.tables):
            return False
        return self.setting is None or (config is not None and bool(self.setting(config)))


def _window(months: tuple[str, str]) -> dict[str, str]:
    return {"period_start": kpis.month_bounds(months[0])[0], "period_end": kpis.month_bounds(months[1])[1]}


def _labels(months: tuple[str, str]) -> list[str]:
    first, last = (date.fromisoformat(kpis.month_bounds(m)[0]) for m in months)
    return months_between(first, last)


def _bounce(tables: Tables, config: UEMConfig | None, *, months, segment_by) -> pd.DataFrame:
    """Bounce rate with the retro's session rule (config gap and journey stages), else a 30-minute gap."""
    gap = (SessionRule.from_stages(config.sessions.gap, dict(config.journey.stages)) if config is not None
           else DEFAULT_GAP)
    return metrics.bounce_rate(tables["events"], gap=gap, by="month", segment_by=segment_by, **_window(months))


def _task(tables: Tables, config: UEMConfig, *, months, segment_by) -> pd.DataFrame:
    task = config.metrics.task_completion
    return metrics.task_completion(tables["events"], task.start, task.success, window=task.window, by="month",
                                   segment_by=segment_by, **_window(months))


def _first_success(tables: Tables, config: UEMConfig, *, months, segment_by) -> pd.DataFrame:
    first = config.metrics.first_success
    return metrics.first_success(tables["users"], tables["events"], first.event, days=first.days, by="month",
                                 segment_by=segment_by, **_window(months))


def _carts(tables: Tables, config: UEMConfig | None, *, months, segment_by) -> pd.DataFrame:
    return kpis.cart_conversion(cart.prepare_carts(tables["carts"]), by="month", segment_by=segment_by,
                                users=tables.get("users"), **_window(months))


def _opening(tables: Tables, config: UEMConfig, *, months, segment_by) -> pd.DataFrame:
    spec = config.funnels[config.metrics.account_opening_funnel]
    return kpis.account_opening_completion(tables["events"], spec, _labels(months))


def _sla(tables: Tables, config: UEMConfig, *, months, segment_by) -> pd.DataFrame:
    return kpis.feedback_sla(tables["feedback"], sla_hours=config.metrics.feedback_sla_hours, months=_labels(months))


#: Every KPI of the monthly retro (:data:`uem_helpers.analyses.kpis.KPIS`, same names and order).
METRICS = {
    "nps": Metric("NPS (points)", ("nps",), lambda t, c, *, months, segment_by: metrics.nps(
        t["nps"], by="month", segment_by=segment_by, **_window(months)), "responses", False, ("nps", "answered_at"),
        segments=("nps",), needs="the nps table"),
    "stickiness": Metric("Stickiness (DAU / MAU)", ("events",), lambda t, c, *, months, segment_by: metrics.stickiness(
        t["events"], by="month", segment_by=segment_by, **_window(months)), "mau", True, ("events", "timestamp"),
        segments=("events",), needs="the events table"),
    "bounce_rate": Metric("Bounce rate", ("events",), _bounce, "sessions", True, ("events", "timestamp"),
                          segments=("events",), needs="the events table"),
    "task_completion": Metric("Task completion", ("events",), _task, "started", True, ("events", "timestamp"),
                              segments=("events",), setting=lambda c: c.metrics.task_completion,
                              needs="the events table and metrics.task_completion (start, success, window) "
                                    "in the config"),
    "first_success_rate": Metric("First-success rate", ("users", "events"), _first_success, "new_users", True,
                                 ("events", "timestamp"), segments=("users",),  # signups before the log are left out
                                 setting=lambda c: c.metrics.first_success,
                                 needs="the users and events tables and metrics.first_success (event, days) "
                                       "in the config"),
    "cart_conversion": Metric("Cart conversion", ("carts",), _carts, "carts", True, ("carts", "created_at"),
                              segments=("carts", "users"), needs="the carts table"),
    "account_opening_completion": Metric(
        "Account opening completion", ("events",), _opening, "trials", True, ("events", "timestamp"),
        setting=lambda c: c.metrics.account_opening_funnel in c.funnels,
        needs="the events table and metrics.account_opening_funnel (one of `funnels`) in the config"),
    "feedback_sla": Metric("Feedback answered within SLA", ("feedback",), _sla, "trials", True,
                           ("feedback", "created_at"), setting=lambda c: c.metrics.feedback_sla_hours,
                           needs="the feedback table and a config (metrics.feedback_sla_hours)"),
}


class KPIExplorer(Explorer):
    """Explore the monthly KPIs: metric, month range, segment.

    Parameters
    ----------
    data : Dataset
        Loaded tables: ``events``, ``nps``, ``users``, ``carts``, ``feedback`` where present.
    config : UEMConfig, optional
        The ``metrics`` settings, funnels and session rule of the retro; without it only the metrics
        that need no setting are offered (NPS, stickiness, bounce rate with a 30-minute gap, cart conversion).
    metric : str, optional
        Metric shown first, a key of :data:`METRICS`; the first one offered when None. Only metrics
        whose tables are loaded and whose config setting is there are offered.
    months : pair of str, optional
        First and last month shown first (``"YYYY-MM"``); every month of the data when None.
    segment_by : str, optional
        Segment column of the metric's table ("" or None for none); account-opening completion and
        the feedback SLA have none (the sentence says so when one is given).
    cache_size : int
        Results kept (see :class:`~uem_helpers.widgets.base.Explorer`).

    Raises
    ------
    ParameterError
        ``metric`` is unknown or not offered (the message says what it needs and what is offered).
    """

    title = "KPI explorer"
    recompute_on = ("metric", "months", "segment_by")

    def __init__(self, data: Dataset, *, config: UEMConfig | None = None, metric: str | None = None,
                 months: tuple[str, str] | None = None, segment_by: str | None = None, cache_size: int = 32):
        self.config = config
        self.offered = [name for name, m in METRICS.items() if m.offered(data, config)]
        if not self.offered:
            data.require("events", "the KPI explorer")
        if metric is not None and metric not in self.offered:
            what = (f"is not offered: it needs {METRICS[metric].needs}" if metric in METRICS
                    else f"is not a KPI; KPIs are: {', '.join(METRICS)}")
            raise ParameterError(f"metric={metric!r} {what}. Offered here: {', '.join(self.offered)}")
        self.tables = {t: data.tables[t] for name in self.offered for t in METRICS[name].tables + METRICS[name].segments
                       if data.has(t)}
        metric = metric or self.offered[0]
        options = self._months()
        months = tuple(months) if months else (options[0], options[-1])
        found: dict[tuple[str, ...], list[str]] = {}  # one query per set of tables, not per metric
        for name in self.offered:
            key = METRICS[name].segments
            if key not in found:
                found[key] = segment_options({t: self.tables.get(t) for t in key}) if key else []
        self._segments = {name: found[METRICS[name].segments] for name in self.offered}
        segment = segment_dropdown(self._segments[metric], segment_by)
        segment.disabled = not METRICS[metric].segments
        controls = {
            "metric": w.Dropdown(options=[(METRICS[n].label, n) for n in self.offered], value=metric,
                                 description="Metric", style=STYLE),
            "months": w.SelectionRangeSlider(options=options, value=months, description="Months",
                                             continuous_update=False, style=STYLE, layout=w.Layout(width="30em")),
            "segment_by": segment,
        }
        super().__init__(controls, cache_size=cache_size)

    def _months(self) -> list[str]:
        """Every month from the first to the last record of the offered metrics' tables (one query per column)."""
        bounds = []
        for table, name in dict.fromkeys(METRICS[m].time for m in self.offered):
            column = self.tables[table][name]
            row = self.tables[table].aggregate(first=column.min(), last=column.max()).execute().iloc[0]
            if pd.notna(row["first"]):
                bounds += [row["first"].date(), row["last"].date()]
        if not bounds:
            return [NO_MONTHS]
        return months_between(min(bounds), max(bounds))

    def adjust(self, name: str, **selection) -> None:
        """A new metric offers the segment columns of its own tables (none, disabled, for a metric without segments)."""
        if name == "metric":
            dropdown = segment_dropdown(self._segments[selection["metric"]], "")
            self.controls["segment_by"].options = dropdown.options
            self.controls["segment_by"].value = ""
            self.controls["segment_by"].disabled = not METRICS[selection["metric"]].segments

    def check(self, *, metric, months, segment_by) -> str | None:
        """A sentence when the tables hold no dated row at all (no month to pick)."""
        if months[0] == NO_MONTHS:
            return f"No data for this selection: the {', '.join(METRICS[metric].tables)} table(s) have no rows."
        return None

    def analyse(self, *, metric, months, segment_by) -> pd.DataFrame:
        """The metric by month over the month range, by the retro's own helper and settings."""
        m = METRICS[metric]
        return m.compute(self.tables, self.config, months=tuple(months),
                         segment_by=(segment_by or None) if m.segments else None)

    def show(self, frame: pd.DataFrame, *, metric, months, segment_by) -> View:
        """Lines with 95% bands per segment and the table of months; a message when no month has data."""
        m = METRICS[metric]
        span = f"{months[0]} to {months[1]}"
        unsegmented = bool(segment_by) and not m.segments
        segment_by = None if unsegmented else segment_by
        if frame.empty:
            return no_data(f"no {m.label} between {span}.")
        minimum = privacy.active().min_cell_size
        dropped = []
        if segment_by:
            largest = frame.groupby(segment_by)[m.size].max()
            dropped = sorted(str(s) for s in largest[largest < minimum].index)
            frame = frame[~frame[segment_by].astype(str).isin(dropped)]
            if frame.empty:
                return no_data(f"every {segment_by} has fewer than {minimum} in every month of {span}.")
        text = f"{md_escape(m.label)} by month, {md_escape(span)}, with 95% intervals."
        if unsegmented:
            text += f" {md_escape(m.label)} has no segments: shown for everyone."
        if dropped:
            text += f" {len(dropped)} {md_escape(segment_by)} value(s) with fewer than {minimum} are not shown."
        return View(text=text, figure=kpi_chart(frame, m, segment_by), table=_kpi_table(frame, m, segment_by),
                    data=frame.reset_index(drop=True))


def kpi_chart(frame: pd.DataFrame, metric: Metric, segment_by: str | None, *, ax=None):
    """One line per segment (or one line) of the monthly value, with its 95% band."""
    ax = new_axes(ax)
    groups = frame.groupby(segment_by, sort=True) if segment_by else [(None, frame)]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, part) in enumerate(groups):
        color = PALETTE["treatment"] if name is None else colors[i % len(colors)]
        x = pd.to_datetime(part["month"].astype(str) + "-01")
        ax.fill_between(x, part["low"], part["high"], color=color, alpha=0.15, lw=0)
        ax.plot(x, part["value"], marker="o", color=color, lw=2, label=None if name is None else plain(name))
    if metric.percent:
        percent_axis(ax.yaxis)
    ax.set_ylabel(plain(metric.label))
    ax.set_title(plain(f"{metric.label} by month" + (f" and {segment_by}" if segment_by else "")))
    if segment_by:
        ax.legend(fontsize=9)
    ax.figure.autofmt_xdate()
    return ax


def _kpi_table(frame: pd.DataFrame, metric: Metric, segment_by: str | None) -> pd.DataFrame:
    def fmt(x: float) -> str:
        return (f"{x:.1%}" if metric.percent else f"{x:+.1f}") if pd.notna(x) else "n/a"

    index = [frame["month"].astype(str)] + ([frame[segment_by].astype(str)] if segment_by else [])
    return pd.DataFrame({
        metric.label: frame["value"].map(fmt).to_numpy(),
        "95% CI": [f"{fmt(lo)} to {fmt(hi)}" for lo, hi in zip(frame["low"], frame["high"])],
        "Base": frame[metric.size].map("{:,.0f}".format).to_numpy(),
    }, index=pd.MultiIndex.from_arrays(index, names=["Month"] + ([segment_by] if segment_by else []))
        if segment_by else pd.Index(index[0].to_numpy(), name="Month"))

