"""The plan's KPIs month by month: one long frame the scorecard reads.

:func:`kpi_values` computes, for each month of a range, every KPI the data and
the config allow, each by its definition in :mod:`uem_helpers.metrics` (or the
module named below), as rows ``metric, month, value, low, high`` plus
``successes``/``trials`` for rates and ``se`` for NPS and stickiness, so
:func:`uem_helpers.plan.scorecard` can compare months with the right interval.

- ``nps``: :func:`uem_helpers.metrics.nps` by month of ``answered_at`` (needs the nps table);
- ``stickiness``: :func:`uem_helpers.metrics.stickiness`, mean DAU / MAU (events);
- ``bounce_rate``: :func:`uem_helpers.metrics.bounce_rate`, single-event sessions / sessions (events);
- ``task_completion``: :func:`uem_helpers.metrics.task_completion` (events, ``metrics.task_completion``);
- ``first_success_rate``: :func:`uem_helpers.metrics.first_success` (users, events, ``metrics.first_success``);
- ``cart_conversion``: checked-out carts / carts, by month of ``created_at`` (carts);
- ``account_opening_completion``: completed / entered users of the funnel ``metrics.account_opening_funnel``,
  each month a funnel of its own (:func:`uem_helpers.funnel.funnel`; events and that funnel);
- ``feedback_sla``: items answered within ``metrics.feedback_sla_hours`` / items past that deadline, by month of
  creation (:func:`uem_helpers.feedback.loop_metrics`; feedback).

A month without a value (no answers, no users, no items due) has no row. A KPI whose table or
setting is missing is left out, with a sentence in
``notes`` saying what would add it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from . import metrics
from .cart import cart_table
from .config import UEMConfig
from .feedback import loop_metrics
from .funnel import funnel
from .sessions import SessionRule
from .sources import Dataset
from .stats import wilson_ci

#: Every KPI :func:`kpi_values` knows, in scorecard order.
KPIS = ("nps", "stickiness", "bounce_rate", "task_completion", "first_success_rate", "cart_conversion",
        "account_opening_completion", "feedback_sla")
_COLUMNS = ["metric", "month", "value", "low", "high", "successes", "trials", "se"]


@dataclass(frozen=True)
class KPIValues:
    """Monthly KPI values (long frame, :data:`KPIS` order) and why any KPI is missing."""

    values: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)

    def series(self, metric: str) -> pd.DataFrame:
        """One KPI's rows, in month order."""
        return self.values[self.values["metric"] == metric].sort_values("month").reset_index(drop=True)


def month_range(month: object, months: int) -> list[str]:
    """The ``months`` months ending with ``month``, oldest first, as ``"YYYY-MM"``."""
    y, m = map(int, metrics.month_label(month).split("-"))
    out = []
    for _ in range(months):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_bounds(month: str) -> tuple[str, str]:
    """First and last day of ``"YYYY-MM"`` (ISO dates, both inclusive)."""
    y, m = map(int, month.split("-"))
    return date(y, m, 1).isoformat(), date(y, m, calendar.monthrange(y, m)[1]).isoformat()


def kpi_values(data: Dataset, config: UEMConfig, month: object, *, months: int = 6, alpha: float = 0.05) -> KPIValues:
    """Every KPI the data and config allow, for the ``months`` months ending with ``month``.

    Parameters
    ----------
    data : Dataset
        Loaded tables (events, and users, carts, nps, feedback where present).
    config : UEMConfig
        ``metrics`` settings, funnels, journey stages (same-second order of sessions) and the session gap.
    month : str or date
        The last month, e.g. ``"2026-10"``.
    months : int
        How many months, ending with ``month`` (6: this month, last month and a trend).
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    KPIValues
    """
    labels = month_range(month, months)
    start, end = month_bounds(labels[0])[0], month_bounds(labels[-1])[1]
    window = {"period_start": start, "period_end": end}
    settings = config.metrics
    frames: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    events = data.tables.get("events")
    if data.has("nps"):
        frames["nps"] = metrics.nps(data["nps"], by="month", alpha=alpha, **window)
    else:
        notes["nps"] = "No NPS table is configured (sources.nps)."
    if events is not None:
        rule = SessionRule.from_stages(config.sessions.gap, dict(config.journey.stages))
        frames["stickiness"] = metrics.stickiness(events, by="month", alpha=alpha, **window)
        frames["bounce_rate"] = metrics.bounce_rate(events, gap=rule, by="month", alpha=alpha, **window)
        task = settings.task_completion
        if task is None:
            notes["task_completion"] = "No task is configured (metrics.task_completion: start, success, window)."
        else:
            frames["task_completion"] = metrics.task_completion(events, task.start, task.success, window=task.window,
                                                                by="month", alpha=alpha, **window)
        first = settings.first_success
        if first is None or not data.has("users"):
            notes["first_success_rate"] = ("First success needs a users table with signup_at and "
                                           "metrics.first_success (event, days).")
        else:
            frames["first_success_rate"] = metrics.first_success(data["users"], events, first.event, days=first.days,
                                                                 by="month", alpha=alpha, **window)
        frames.update(_opening(events, config, labels, alpha, notes))
    if data.has("carts"):
        frames["cart_conversion"] = _cart_conversion(data["carts"], alpha, **window)
    else:
        notes["cart_conversion"] = "No carts table is configured (sources.carts)."
    if data.has("feedback"):
        frames["feedback_sla"] = _feedback_sla(data["feedback"], settings.feedback_sla_hours, labels, alpha)
    else:
        notes["feedback_sla"] = "No feedback table is configured (sources.feedback)."
    rows = []
    for metric in KPIS:
        frame = frames.get(metric)
        if frame is None or frame.empty:
            continue
        if "segment" in frame.columns:
            frame = frame.drop(columns="segment")
        frame = frame.assign(metric=metric, month=[metrics.month_label(m) for m in frame["month"]])
        rows.append(frame.reindex(columns=_COLUMNS))
    values = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_COLUMNS)
    values = values[values["month"].isin(labels) & values["value"].notna()].reset_index(drop=True)
    return KPIValues(values, notes)


def _rates(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``month, successes, trials`` -> with ``value`` and its Wilson ``low``/``high``."""
    frame = frame.copy()
    frame["value"] = frame["successes"] / frame["trials"].where(frame["trials"] > 0)
    frame["low"], frame["high"] = wilson_ci(frame["successes"].to_numpy(), frame["trials"].to_numpy(), alpha=alpha)
    return frame


def _cart_conversion(carts, alpha: float, **window) -> pd.DataFrame:
    """Checked-out carts / carts by calendar month of cart creation."""
    t = cart_table(carts, **window)
    t = t.mutate(month=t.created_at.truncate("M"))
    counts = t.group_by("month").aggregate(trials=t.count(), successes=t.checked_out.sum()).execute()
    counts["successes"] = counts["successes"].fillna(0).astype("int64")
    return _rates(counts.sort_values("month"), alpha)


def _opening(events, config: UEMConfig, labels: list[str], alpha: float, notes: dict) -> dict[str, pd.DataFrame]:
    """Completion of the account-opening funnel, each month a funnel of its own."""
    name = config.metrics.account_opening_funnel
    if name is None or name not in config.funnels:
        notes["account_opening_completion"] = ("No account-opening funnel is named "
                                               "(metrics.account_opening_funnel, one of `funnels`).")
        return {}
    spec = config.funnels[name]
    rows = []
    for month in labels:
        start, end = month_bounds(month)
        readout = funnel(events, spec.steps, window=spec.window, mode=spec.mode, exclude=spec.exclude,
                         period_start=start, period_end=end)
        entered = int(readout["entered"].iloc[0]) if len(readout) else 0
        if entered:
            rows.append({"month": month, "successes": int(readout["reached"].iloc[-1]), "trials": entered})
    return {"account_opening_completion": _rates(pd.DataFrame(rows, columns=["month", "successes", "trials"]), alpha)}


def _feedback_sla(feedback, sla_hours: float, labels: list[str], alpha: float) -> pd.DataFrame:
    """Items answered within the SLA / items past their SLA deadline, by month of creation."""
    rows = []
    for month in labels:
        row = loop_metrics(feedback, sla_hours=sla_hours, month=month).summary.iloc[0]
        if row["due"]:
            rows.append({"month": month, "successes": int(row["within_sla"]), "trials": int(row["due"])})
    return _rates(pd.DataFrame(rows, columns=["month", "successes", "trials"]), alpha)
