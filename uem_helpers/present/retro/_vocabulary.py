"""How the retro names and prints things: KPI labels, status words and colours, a KPI's value and change in
its own unit, theme names, masked data text.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.analyses.feedback import UNCLASSIFIED
from uem_helpers.core.formats import between, missing, signed_points, with_minus
from uem_helpers.core.i18n import N_, _, label
from uem_helpers.present import privacy

#: How each KPI reads: label, whether it is a rate (shown in %), whether higher is better.
KPI_LABELS = {
    "nps": (N_("NPS"), False, True),
    "stickiness": (N_("Stickiness (DAU/MAU)"), True, True),
    "bounce_rate": (N_("Bounce rate"), True, False),
    "task_completion": (N_("Task completion"), True, True),
    "first_success_rate": (N_("First-success rate"), True, True),
    "cart_conversion": (N_("Cart conversion"), True, True),
    "account_opening_completion": (N_("Account opening completion"), True, True),
    "feedback_sla": (N_("Feedback answered within SLA"), True, True),
    "churn_rate": (N_("Churn rate"), True, False),
}


STATUS_COLOURS = {"on track": "#2ca02c", "at risk": "#ff9f1c", "off track": "#d62728", "no data": "#888888"}
#: A goal's status as the reader reads it (the keys of :data:`STATUS_COLOURS` are the plan's own words).
STATUS_WORDS = {"on track": N_("on track"), "at risk": N_("at risk"), "off track": N_("off track"),
                "no data": N_("no data")}


def _label(metric: str) -> str:
    """A KPI's name in the reader's language."""
    known = KPI_LABELS.get(metric)
    return _(known[0]) if known else metric.replace("_", " ")


def _status(status: str) -> str:
    """A goal's status in the reader's language, e.g. ``"off track"``."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def _theme(category: object) -> str:
    """A feedback theme as shown: the display name of a taxonomy category, masked; "unclassified" translated."""
    return _(UNCLASSIFIED) if category == UNCLASSIFIED else _mask(label(category))


def _joined(parts) -> str:
    """Counts and names listed with the reader's separator (``", "``; ``"，"`` in Chinese)."""
    return _(", ").join(parts)


def _value(metric: str, x: float, digits: int = 1) -> str:
    if x != x:
        return missing()
    return with_minus(f"{x:.{digits}%}" if KPI_LABELS.get(metric, ("", False))[1] else f"{x:.{digits}f}")


def _change(metric: str, x: float) -> str:
    if x != x:
        return missing()
    return signed_points(x) if KPI_LABELS.get(metric, ("", False))[1] else with_minus(f"{x:+.1f}")


def _mask(text: object) -> str:
    return privacy.active().mask_text(text)


def _row(frame: pd.DataFrame, month: str) -> pd.Series | None:
    sel = frame[frame["month"] == month]
    return sel.iloc[0] if len(sel) else None


def _arm(fmt, value: float, low: float, high: float, n: int) -> str:
    """One arm's value with its 95% interval when known, and its size."""
    ci = f" ({between(fmt(low), fmt(high))})" if low == low and high == high else ""
    return f"{fmt(value)}{ci}, n={n:,}"


def _pts(x: float, pct: bool, unit: str) -> str:
    return signed_points(x) if pct else with_minus(f"{x:+,.2f}")
