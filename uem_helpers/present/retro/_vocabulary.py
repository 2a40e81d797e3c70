"""How the retro names and prints things: KPI labels, status colours, a KPI's value and change in its
own unit, masked data text.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import signed_points, with_minus
from uem_helpers.present import privacy




#: How each KPI reads: label, whether it is a rate (shown in %), whether higher is better.
KPI_LABELS = {
    "nps": ("NPS", False, True),
    "stickiness": ("Stickiness (DAU/MAU)", True, True),
    "bounce_rate": ("Bounce rate", True, False),
    "task_completion": ("Task completion", True, True),
    "first_success_rate": ("First-success rate", True, True),
    "cart_conversion": ("Cart conversion", True, True),
    "account_opening_completion": ("Account opening completion", True, True),
    "feedback_sla": ("Feedback answered within SLA", True, True),
}


STATUS_COLOURS = {"on track": "#2ca02c", "at risk": "#ff9f1c", "off track": "#d62728", "no data": "#888888"}


def _label(metric: str) -> str:
    return KPI_LABELS.get(metric, (metric.replace("_", " "), False, True))[0]


def _value(metric: str, x: float, digits: int = 1) -> str:
    if x != x:
        return "n/a"
    return with_minus(f"{x:.{digits}%}" if KPI_LABELS.get(metric, ("", False))[1] else f"{x:.{digits}f}")


def _change(metric: str, x: float) -> str:
    if x != x:
        return "n/a"
    return signed_points(x) if KPI_LABELS.get(metric, ("", False))[1] else with_minus(f"{x:+.1f}")


def _mask(text: object) -> str:
    return privacy.active().mask_text(text)


def _row(frame: pd.DataFrame, month: str) -> pd.Series | None:
    sel = frame[frame["month"] == month]
    return sel.iloc[0] if len(sel) else None


def _arm(fmt, value: float, low: float, high: float, n: int) -> str:
    """One arm's value with its 95% interval when known, and its size."""
    ci = f" ({fmt(low)} to {fmt(high)})" if low == low and high == high else ""
    return f"{fmt(value)}{ci}, n={n:,}"


def _pts(x: float, pct: bool, unit: str) -> str:
    return signed_points(x) if pct else with_minus(f"{x:+,.2f}")
