"""Churn early warning: who is about to leave, why, and whether reaching out kept them.

A user *churns* at the start of their first gap of ``churn.inactive_days`` without an
active event (``churn.active_events``); everything is computed as of a cutoff and sees
only events strictly before it.

Modules: :mod:`.definition` (the rule, cutoffs, eligibility, labels), :mod:`.features` (one row per user as
of a cutoff), :mod:`.lifetimes` (the survival table). Callers import from here.
"""

from uem_helpers.analyses.churn.definition import (
    ChurnRule,
    Cutoffs,
    as_of_instant,
    check_active_events,
    cutoffs,
    eligible_users,
    labelled_users,
)
from uem_helpers.analyses.churn.features import FEATURES, FeatureSet, definition, payment_errors, user_features
from uem_helpers.analyses.churn.lifetimes import survival_table

__all__ = [
    "FEATURES",
    "ChurnRule",
    "Cutoffs",
    "FeatureSet",
    "as_of_instant",
    "check_active_events",
    "cutoffs",
    "definition",
    "eligible_users",
    "labelled_users",
    "payment_errors",
    "survival_table",
    "user_features",
]
