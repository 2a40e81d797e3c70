"""Churn early warning: who is about to leave, why, and whether reaching out kept them.

A user *churns* at the start of their first gap of ``churn.inactive_days`` without an
active event (``churn.active_events``); everything is computed as of a cutoff and sees
only events strictly before it.

Modules: :mod:`.definition` (the rule, cutoffs, eligibility, labels), :mod:`.features` (one row per user as
of a cutoff), :mod:`.lifetimes` (the survival table), :mod:`.model` (training, out-of-time validation, the
recency baseline), :mod:`.drivers` (drivers and each user's reasons), :mod:`.survival` (Kaplan-Meier curves, Cox hazard
ratios), :mod:`.outreach` (the outreach test's design, assignment and readout), :mod:`.training` (labelled
features at a cutoff, the churn rate by month). Callers import from here.
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
from uem_helpers.analyses.churn.drivers import contributions, drivers, reasons
from uem_helpers.analyses.churn.features import FEATURES, FeatureSet, definition, payment_errors, user_features
from uem_helpers.analyses.churn.lifetimes import survival_table
from uem_helpers.analyses.churn.outreach import (
    OutreachDesign,
    OutreachReadout,
    OutreachTooRecent,
    assign_outreach,
    design_outreach,
    hash_share,
    outreach_readout,
)
from uem_helpers.analyses.churn.survival import hazard_ratios, kaplan_meier
from uem_helpers.analyses.churn.training import CHURN_RATE, labelled_features, monthly_churn
from uem_helpers.analyses.churn.model import (
    MIN_CHURNED,
    ModelResult,
    NotEnoughChurn,
    Validation,
    score,
    train_and_validate,
)

__all__ = [
    "CHURN_RATE",
    "FEATURES",
    "MIN_CHURNED",
    "ChurnRule",
    "Cutoffs",
    "FeatureSet",
    "ModelResult",
    "NotEnoughChurn",
    "OutreachDesign",
    "OutreachReadout",
    "OutreachTooRecent",
    "Validation",
    "as_of_instant",
    "assign_outreach",
    "check_active_events",
    "contributions",
    "cutoffs",
    "definition",
    "design_outreach",
    "drivers",
    "eligible_users",
    "hash_share",
    "hazard_ratios",
    "kaplan_meier",
    "labelled_features",
    "labelled_users",
    "monthly_churn",
    "outreach_readout",
    "payment_errors",
    "reasons",
    "score",
    "survival_table",
    "train_and_validate",
    "user_features",
]
