"""Churn early warning: who is about to leave, why, and whether reaching out kept them.

A user *churns* at the start of their first gap of ``churn.inactive_days`` without an
active event (``churn.active_events``); everything is computed as of a cutoff and sees
only events strictly before it.
"""

from uem_helpers.analyses.churn.drivers import contributions, drivers, reasons
from uem_helpers.analyses.churn.model import (
    MIN_CHURNED,
    ModelResult,
    NotEnoughChurn,
    Validation,
    score,
    train_and_validate,
)

__all__ = [
    "MIN_CHURNED",
    "ModelResult",
    "NotEnoughChurn",
    "Validation",
    "contributions",
    "drivers",
    "reasons",
    "score",
    "train_and_validate",
]
