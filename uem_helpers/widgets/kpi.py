"""The KPI explorer: a metric, a month range and a segment.

Each metric is the monthly retro's own (:mod:`uem_helpers.metrics`, computed
with ``by="month"``) and shows as a line per segment with its 95% band, and a
table of the months. Segments describing fewer people than the privacy
minimum in every month shown are left out of chart and table, and the sentence
says how many were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd

from .. import metrics, privacy
from ..narrative import md_escape
from ..plots import PALETTE, new_axes, percent_axis, plain
from ..sources import Dataset
from .base import Explorer, View, no_data
from .controls import STYLE, months_between, segment_dropdown, segment_options


@dataclass(frozen=True)
class Metric:
    """One KPI: the table it reads, how to compute it monthly, and how to show and size it."""

    label: str
    table: str
    compute: Callable[..., pd.DataFrame]
    size: str
    """Column counting the people (or answers) behind a month's value, for the privacy minimum."""
    percent: bool
    time_column: str


METRICS = {
    "nps": Metric("NPS (points)", "nps", lambda t, **kw: metrics.nps(t, **kw), "responses", False, "answered_at"),
    "stickiness": Metric("Stickiness (DAU / MAU)", "events", lambda t, **kw: metrics.stickiness(t, **kw), "mau",
                         True, "timestamp"),
    "bounce_rate": Metric("Bounce rate", "events", lambda t, **kw: metrics.bounce_rate(t, **kw), "sessions", True,
                          "timestamp"),
}


class KPIExplorer(Explorer):
    """Explore the monthly KPIs: metric, month range, segment.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``events`` (stickiness, bounce rate) and ``nps`` (NPS) when present.
    metric : {"nps", "stickiness", "bounce_rate"}
        Metric shown first; only metrics whose table is loaded are offered.
    months : pair of str, optional
        First and last month shown first (``"YYYY-MM"``); every month of the data when None.
    segment_by : str, optional
        Segment column of the metric's table ("" or None for none).
    cache_size : int
        Results kept (see :class:`~uem_helpers.widgets.base.Explorer`).
    """

    title = "KPI explorer"
    recompute_on = ("metric", "months", "segment_by")

    def __init__(self, data: Dataset, *, metric: str | None = None, months: tuple[str, str] | None = None,
                 segment_by: str | None = None, cache_size: int = 32):
        self.tables = {name: data.tables[m.table] for name, m in METRICS.items() if data.has(m.table)}
        if not self.tables:
            data.require("events", "the KPI explorer")
        metric = metric or next(iter(self.tables))
        options = self._months()
        months = tuple(months) if months else (options[0], options[-1])
        self._segments = {name: segment_options({"t": t}) for name, t in self.tables.items()}
        controls = {
            "metric": w.Dropdown(options=[(METRICS[n].label, n) for n in self.tables], value=metric,
                                 description="Metric", style=STYLE),
            "months": w.SelectionRangeSlider(options=options, value=months, description="Months",
                                             continuous_update=False, style=STYLE, layout=w.Layout(width="30em")),
            "segment_by": segment_dropdown(self._segments[metric], segment_by),
        }
        super().__init__(controls, cache_size=cache_size)

    def _months(self) -> list[str]:
        """Every month from the first to the last record of the loaded metric tables (one query per table)."""
        bounds = []
        for name, table in self.tables.items():
            column = table[METRICS[name].time_column]
            row = table.aggregate(first=column.min(), last=column.max()).execute().iloc[0]
            if pd.notna(row["first"]):
                bounds += [row["first"].date(), row["last"].date()]
        if not bounds:
            return ["(no data)"]
        return months_between(min(bounds), max(bounds))

    def adjust(self, name: str, **selection) -> None:
        """A new metric offers the segment columns of its own table."""
        if name == "metric":
            dropdown = segment_dropdown(self._segments[selection["metric"]], "")
            self.controls["segment_by"].options = dropdown.options
            self.controls["segment_by"].value = ""

    def analyse(self, *, metric, months, segment_by) -> pd.DataFrame:
        """The metric by month (:mod:`uem_helpers.metrics`) over the month range."""
        first, last = months
        end = (pd.Period(last, "M").end_time.date()).isoformat()
        m = METRICS[metric]
        return m.compute(self.tables[metric], by="month", segment_by=segment_by or None,
                         period_start=f"{first}-01", period_end=end)

    def show(self, frame: pd.DataFrame, *, metric, months, segment_by) -> View:
        """Lines with 95% bands per segment and the table of months; a message when no month has data."""
        m = METRICS[metric]
        span = f"{months[0]} to {months[1]}"
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
        return (f"{x:.1%}" if metric.percent else f"{x:+.1f}") if x == x else "n/a"

    index = [frame["month"].astype(str)] + ([frame[segment_by].astype(str)] if segment_by else [])
    return pd.DataFrame({
        metric.label: frame["value"].map(fmt).to_numpy(),
        "95% CI": [f"{fmt(lo)} to {fmt(hi)}" for lo, hi in zip(frame["low"], frame["high"])],
        "Base": frame[metric.size].map("{:,.0f}".format).to_numpy(),
    }, index=pd.MultiIndex.from_arrays(index, names=["Month"] + ([segment_by] if segment_by else []))
        if segment_by else pd.Index(index[0].to_numpy(), name="Month"))

