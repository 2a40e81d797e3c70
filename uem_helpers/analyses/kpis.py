"""The plan's KPIs month by month: one long frame the scorecard reads.

:func:`kpi_values` computes, for each month of a range, every KPI the data and
the config allow, each by its definition in :mod:`uem_helpers.analyses.metrics` (or the
module named below), as rows ``metric, month, value, low, high`` plus
``successes``/``trials`` for rates and ``se`` for NPS and stickiness, so
:func:`uem_helpers.analyses.plan.scorecard` can compare months with the right interval.

- ``nps``: :func:`uem_helpers.analyses.metrics.nps` by month of ``answered_at`` (needs the nps table);
- ``stickiness``: :func:`uem_helpers.analyses.metrics.stickiness`, mean DAU / MAU (events);
- ``bounce_rate``: :func:`uem_helpers.analyses.metrics.bounce_rate`, single-event sessions / sessions (events);
- ``task_completion``: :func:`uem_helpers.analyses.metrics.task_completion` (events, ``metrics.task_completion``);
- ``first_success_rate``: :func:`uem_helpers.analyses.metrics.first_success` (users, events, ``metrics.first_success``);
- ``cart_conversion``: :func:`cart_conversion`, checked-out carts / carts by month of ``created_at`` (carts);
- ``account_opening_completion``: completed / entered users of the funnel ``metrics.account_opening_funnel``,
  each month a funnel of its own (:func:`account_opening_completion`; events and that funnel);
- ``feedback_sla``: items answered within ``metrics.feedback_sla_hours`` / items past that deadline, by month of
  creation (:func:`feedback_sla`; feedback).

A month without a value (no answers, no users, no items due) has no row. A KPI whose table or
setting is missing is left out, with a sentence in
``notes`` saying what would add it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from uem_helpers.analyses import metrics
from uem_helpers.analyses.cart import Carts, prepare_carts, with_segment
from uem_helpers.core.config import FunnelConfig, UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import _
from uem_helpers.analyses.feedback import loop_metrics
from uem_helpers.analyses.funnel import funnel
from uem_helpers.analyses.sessions import SessionRule
from uem_helpers.data.sources import Dataset
from uem_helpers.stats import wilson_ci

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
    for _step in range(months):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_bounds(month: str) -> tuple[str, str]:
    """First and last day of ``"YYYY-MM"`` (ISO dates, both inclusive)."""
    y, m = map(int, month.split("-"))
    return date(y, m, 1).isoformat(), date(y, m, calendar.monthrange(y, m)[1]).isoformat()


def kpi_values(
    data: Dataset,
    config: UEMConfig,
    month: object,
    *,
    months: int = 6,
    alpha: float = 0.05,
    carts: Carts | None = None,
) -> KPIValues:
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
    carts : Carts, optional
        The typed carts (:func:`uem_helpers.analyses.cart.prepare_carts` of ``data["carts"]``) when the
        caller has already prepared them; typed here from ``data["carts"]`` otherwise.

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
        notes["nps"] = _("No NPS table is configured (sources.nps).")
    if events is not None:
        rule = SessionRule.from_stages(config.sessions.gap, dict(config.journey.stages))
        frames["stickiness"] = metrics.stickiness(events, by="month", alpha=alpha, **window)
        frames["bounce_rate"] = metrics.bounce_rate(events, gap=rule, by="month", alpha=alpha, **window)
        task = settings.task_completion
        if task is None:
            notes["task_completion"] = _("No task is configured (metrics.task_completion: start, success, window).")
        else:
            frames["task_completion"] = metrics.task_completion(events, task.start, task.success, window=task.window,
                                                                by="month", alpha=alpha, **window)
        first = settings.first_success
        if first is None or not data.has("users"):
            notes["first_success_rate"] = _("First success needs a users table with signup_at and "
                                             "metrics.first_success (event, days).")
        else:
            frames["first_success_rate"] = metrics.first_success(data["users"], events, first.event, days=first.days,
                                                                 by="month", alpha=alpha, **window)
        name = settings.account_opening_funnel
        if name is None or name not in config.funnels:
            notes["account_opening_completion"] = _("No account-opening funnel is named "
                                                     "(metrics.account_opening_funnel, one of `funnels`).")
        else:
            frames["account_opening_completion"] = account_opening_completion(events, config.funnels[name], labels,
                                                                              alpha=alpha)
    if data.has("carts"):
        typed = carts if carts is not None else prepare_carts(data["carts"])
        frames["cart_conversion"] = cart_conversion(typed, by="month", alpha=alpha, **window)
    else:
        notes["cart_conversion"] = _("No carts table is configured (sources.carts).")
    if data.has("feedback"):
        frames["feedback_sla"] = feedback_sla(data["feedback"], sla_hours=settings.feedback_sla_hours, months=labels,
                                              alpha=alpha)
    else:
        notes["feedback_sla"] = _("No feedback table is configured (sources.feedback).")
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


def cart_conversion(
    carts: Carts,
    *,
    by: str | None = "month",
    segment_by: str | None = None,
    users: ibis.Table | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cart conversion: checked-out carts / carts, by calendar month of cart creation, with a Wilson interval.

    A cart counts in the period (and month) of its ``created_at`` and is checked out when
    ``checked_out_at`` is set (:func:`uem_helpers.analyses.cart.cart_table`); conversion = 1 - abandonment rate.

    Parameters
    ----------
    carts : Carts
        The typed carts (:func:`uem_helpers.analyses.cart.prepare_carts`).
    by : {"month", None}
        One row per calendar month of ``created_at``, or one for the whole period.
    segment_by : str, optional
        Column to break down by: read from the carts table when it has it, else from ``users``
        (by ``user_id``; carts of users not in ``users`` are ``"(unknown)"``). Values as text.
    users : ibis.Table, optional
        Canonical users, for a ``segment_by`` the carts table does not have.
    period_start, period_end : date-like, optional
        Carts created in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        [``month`` (``"YYYY-MM"``)], [segment], ``carts``, ``checked_out``, ``users`` (distinct users
        with a cart), ``rate``, ``low``, ``high``, ``successes`` (= checked_out), ``trials`` (= carts),
        ``value`` (= rate); one row per month (and segment) with carts, in order.

    Raises
    ------
    ParameterError
        ``by`` is not "month" or None, or ``segment_by`` is in neither table (the message lists the columns).
    """
    if by not in ("month", None):
        raise ParameterError(f"by={by!r}: cart_conversion is by 'month' or None (the whole period)")
    t = carts.window(period_start, period_end)
    if segment_by:
        t = with_segment(t, carts, segment_by, users)
    keys = {}
    if by == "month":
        keys["month"] = t.created_at.year() * 100 + t.created_at.month()
    if segment_by:
        keys[segment_by] = t[segment_by]
    aggs = {"carts": t.count(), "checked_out": t.count(where=t.checked_out), "users": t.user_id.nunique()}
    counts = (t.group_by(**keys).aggregate(**aggs) if keys else t.aggregate(**aggs)).execute()
    front = list(keys)
    counts = counts[counts["carts"] > 0].sort_values(front or "carts").reset_index(drop=True)
    if by == "month":
        counts["month"] = [f"{k // 100:04d}-{k % 100:02d}" for k in counts["month"].astype("int64")]
    for column in ("carts", "checked_out", "users"):
        counts[column] = counts[column].fillna(0).astype("int64")
    counts = _rates(counts.assign(successes=counts["checked_out"], trials=counts["carts"]), alpha)
    counts["rate"] = counts["value"]
    return counts[front + ["carts", "checked_out", "users", "rate", "low", "high", "successes", "trials", "value"]]


def account_opening_completion(
    events: ibis.Table, spec: FunnelConfig, months: Sequence[str], *, alpha: float = 0.05
) -> pd.DataFrame:
    """Account-opening completion: completed / entered users of a funnel, each month a funnel of its own.

    Each month of ``months`` runs :func:`uem_helpers.analyses.funnel.funnel` (the spec's steps, window, mode
    and exclusions) on that month alone: ``trials`` = users entering in the month, ``successes`` =
    those reaching the last step. A month nobody entered has no row.

    Parameters
    ----------
    events : ibis.Table
        Canonical events.
    spec : FunnelConfig
        The account-opening funnel (``config.funnels[config.metrics.account_opening_funnel]``).
    months : sequence of str
        The months (``"YYYY-MM"``), in order.
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``successes``, ``trials``, ``value`` (= successes / trials), ``low``, ``high``.
    """
    rows = []
    for month in months:
        start, end = month_bounds(month)
        readout = funnel(events, spec.steps, window=spec.window, mode=spec.mode, exclude=spec.exclude,
                         period_start=start, period_end=end)
        entered = int(readout["entered"].iloc[0]) if len(readout) else 0
        if entered:
            rows.append({"month": month, "successes": int(readout["reached"].iloc[-1]), "trials": entered})
    return _rates(pd.DataFrame(rows, columns=["month", "successes", "trials"]), alpha)


def feedback_sla(feedback: ibis.Table, *, sla_hours: float, months: Sequence[str], alpha: float = 0.05) -> pd.DataFrame:
    """Feedback SLA: items answered within ``sla_hours`` / items past that deadline, by month of creation.

    Each month of ``months`` is read from :func:`uem_helpers.analyses.feedback.loop_metrics` (``due`` and
    ``within_sla``). A month without items due has no row.

    Parameters
    ----------
    feedback : ibis.Table
        Canonical feedback.
    sla_hours : float
        A first reply within this many hours meets the SLA (``config.metrics.feedback_sla_hours``).
    months : sequence of str
        The months (``"YYYY-MM"``), in order.
    alpha : float
        1 - confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``successes`` (within SLA), ``trials`` (due), ``value``, ``low``, ``high``.
    """
    rows = []
    for month in months:
        row = loop_metrics(feedback, sla_hours=sla_hours, month=month).summary.iloc[0]
        if row["due"]:
            rows.append({"month": month, "successes": int(row["within_sla"]), "trials": int(row["due"])})
    return _rates(pd.DataFrame(rows, columns=["month", "successes", "trials"]), alpha)
