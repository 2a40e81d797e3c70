"""The churn report's tables and the outreach file.

The report's risk list shows pseudonyms (the active privacy policy's keyed hash), never a
user id. The outreach file, for the team that reaches out, holds the real ids and the
next campaign's arm per user; the pipeline publishes it beside the report and it is named
in the report as not for sharing.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import between, fixed, number, p_value, percent
from uem_helpers.core.i18n import N_, _
from uem_helpers.present import privacy
from uem_helpers.present.churn.vocabulary import hazard_name
from uem_helpers.present.churn.words import reasons_text
from uem_helpers.stories.churn import ChurnAnalysis

USER = N_("User (pseudonym)")
RISK = N_("Churn risk")
REASONS = N_("What raised it")
LAST_SEEN = N_("Days since active")


def risk_table(analysis: ChurnAnalysis):
    """The at-risk users, riskiest first: pseudonym, risk, days since their last active event and their reasons."""
    if analysis.at_risk is None:
        return None
    top = analysis.at_risk
    policy = privacy.active()
    last = analysis.scored["days_since_active"].reindex(top["user_id"]).to_numpy()
    frame = pd.DataFrame({
        _(USER): policy.pseudonymize(top["user_id"]).to_numpy(),
        _(RISK): [percent(r) for r in top["risk"]],
        _(LAST_SEEN): [number(d, 0) for d in last],
        _(REASONS): [reasons_text(r) for r in top["reasons"]],
    }, index=pd.RangeIndex(1, len(top) + 1))
    return policy.safe_table(frame)


def hazard_table(analysis: ChurnAnalysis):
    """Hazard ratios with intervals and p-values, as the reader reads them."""
    h = analysis.hazards
    if h.empty:
        return None
    frame = pd.DataFrame({
        _("Hazard ratio"): [fixed(x, 2) for x in h["hazard_ratio"]],
        _("95% CI"): [between(fixed(lo, 2), fixed(hi, 2)) for lo, hi in zip(h["lower"], h["upper"])],
        _("p-value"): [p_value(p) for p in h["p_value"]],
    }, index=pd.Index([hazard_name(r.covariate, r.level, r.reference) for r in h.itertuples()], name=_("Who")))
    return privacy.active().safe_table(frame)


def outreach_file(analysis: ChurnAnalysis) -> str:
    """The outreach team's CSV: real user ids, risk, reasons and the next campaign's arm (not for sharing)."""
    if analysis.at_risk is None or analysis.assignments is None:
        return ""
    arms = analysis.assignments.set_index("user_id")
    top = analysis.at_risk
    frame = pd.DataFrame({
        "user_id": top["user_id"].astype(str).to_numpy(),
        "risk": top["risk"].round(4).to_numpy(),
        "reasons": [reasons_text(r) for r in top["reasons"]],
        "experiment": arms["experiment"].reindex(top["user_id"]).to_numpy(),
        "variant": arms["variant"].reindex(top["user_id"]).to_numpy(),
        "assigned_at": arms["assigned_at"].reindex(top["user_id"]).astype(str).to_numpy(),
    })
    return frame.to_csv(index=False)

