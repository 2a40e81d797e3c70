"""The retro's tables: NPS by touchpoint, feedback themes, priority, the loop and its backlog, "you said,
we did", rollouts, and the actions with their owners.

Column headers and the words in cells are in the reader's language; the numbers are the same in every language.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.analyses.feedback import ALL_CHANNELS
from uem_helpers.core.formats import between, day, missing, percent, rate_with_interval, whole
from uem_helpers.core.i18n import N_, _, label
from uem_helpers.analyses.metrics import nps_score
from uem_helpers.present import privacy
from uem_helpers.present.privacy.display import SafeTable
from uem_helpers.present.retro._vocabulary import _arm, _label, _mask, _pts, _theme, _value
from uem_helpers.stories.retro import RetroAnalysis

#: Column headers of the retro's tables (and of the wiki page's), translated where a table is made.
ACTION, ANSWERS, AGE, CHANGE, CHANNEL, CONTROL, DECISION, EXPERIMENT = (
    N_("Action"), N_("Answers"), N_("Age"), N_("Change (95% CI)"), N_("Channel"), N_("Control"), N_("Decision"),
    N_("Experiment"))
GROWTH, ITEMS, LAST_MONTH, METRIC, NOT_ANSWERED, NPS, OPEN, OPEN_ITEMS, OWNER = (
    N_("Growth"), N_("Items"), N_("Last month"), N_("Metric"), N_("Not yet answered"), N_("NPS"), N_("Open"),
    N_("Open items"), N_("Owner"))
P90_REPLY, MEDIAN_REPLY, RANK, RESOLVED, SCORE, SEVERITY, SHARE, THEME, TOUCHPOINT = (
    N_("p90 reply (h)"), N_("Median reply (h)"), N_("Rank"), N_("Resolved"), N_("Score"), N_("Severity"),
    N_("Share (95% CI)"), N_("Theme"), N_("Touchpoint"))
TREATMENT, USERS_SAID, VOLUME, WE_DID, WHY, YOU_SAID = (
    N_("Treatment"), N_("What users said"), N_("Volume"), N_("We did"), N_("Why"), N_("You said (an example)"))


def nps_touchpoint_table(a: RetroAnalysis) -> pd.DataFrame:
    """NPS by touchpoint this month, with intervals (few answers per touchpoint: wide intervals)."""
    t = privacy.active().fold_small_groups(a.nps_by_touchpoint[["touchpoint", "responses", "promoters", "passives",
                                                                "detractors"]].rename(columns={"responses": "users"}),
                                           "touchpoint", size="users", sums=["promoters", "passives", "detractors"])
    score, se = nps_score(t["promoters"], t["detractors"], t["users"])
    return pd.DataFrame({
        _(TOUCHPOINT): [_mask(label(x)) for x in t["touchpoint"]], _(ANSWERS): t["users"].astype(int).to_numpy(),
        _(NPS): [f"{whole(s)} ({between(whole(s - 1.96 * e), whole(s + 1.96 * e))})" for s, e in zip(score, se)],
    }).set_index(_(TOUCHPOINT))


def themes_table(a: RetroAnalysis) -> SafeTable:
    """Top themes with counts, share (CI), last month, and two representative quotes, masked (``.frame``: the data)."""
    t = a.themes
    quotes = [c for c in t.columns if c.startswith("quote_")]
    return _safe({
        _(THEME): [_theme(c) for c in t["category"]], _(ITEMS): t["items"].astype(int).to_numpy(),
        _(SHARE): [f"{s:.0%} ({lo:.0%}–{hi:.0%})" for s, lo, hi in zip(t["share"], t["share_low"], t["share_high"])],
        _(LAST_MONTH): t["last_month"].astype(int).to_numpy(),
        _(USERS_SAID): [" / ".join(_mask(q) for q in row if isinstance(q, str) and q)
                        for row in t[quotes].itertuples(index=False)],
    }, _(THEME))


def priority_table(a: RetroAnalysis) -> pd.DataFrame:
    """Themes ranked by priority = volume x severity x growth."""
    t = a.priority
    return pd.DataFrame({
        _(RANK): t["rank"].astype(int).to_numpy(), _(THEME): [_theme(c) for c in t["category"]],
        _(VOLUME): t["volume"].astype(int).to_numpy(), _(SEVERITY): [f"{s:.2f}" for s in t["severity"]],
        _(GROWTH): [f"×{g:.2f}" for g in t["growth"]], _(SCORE): [f"{s:.1f}" for s in t["score"]],
    }).set_index(_(RANK))


def _channel(name: object) -> str:
    """A feedback channel as shown: "all" in the reader's language, any other by its display name, masked."""
    return _(ALL_CHANNELS) if name == ALL_CHANNELS else _mask(label(name))


def loop_table(a: RetroAnalysis) -> pd.DataFrame:
    """Reply times, SLA and resolution by channel."""
    s = a.loop.summary
    return pd.DataFrame({
        _(CHANNEL): [_channel(c) for c in s["channel"]], _(ITEMS): s["items"].astype(int).to_numpy(),
        _(MEDIAN_REPLY): [f"{x:.1f}" if x == x else missing() for x in s["reply_median_h"]],
        _(P90_REPLY): [f"{x:.1f}" if x == x else missing() for x in s["reply_p90_h"]],
        _("Within {hours} h (95% CI)").format(hours=f"{a.sla_hours:g}"): [
            rate_with_interval(x, lo, hi, 0, sep="–")
            for x, lo, hi in zip(s["within_sla_share"], s["within_sla_low"], s["within_sla_high"])],
        _(RESOLVED): [percent(x, na=missing()) for x in s["resolved_share"]],
        _(OPEN): s["open_backlog"].astype(int).to_numpy(),
    }).set_index(_(CHANNEL))


def backlog_table(a: RetroAnalysis) -> pd.DataFrame:
    """Open items at the end of the month by age (all channels), and how many have no reply yet."""
    b = a.loop.backlog
    b = b[b["channel"] == b["channel"].iloc[0]] if ALL_CHANNELS not in set(b["channel"]) else b[b["channel"] ==
                                                                                                 ALL_CHANNELS]
    return pd.DataFrame({
        _(AGE): [_(age) for age in b["age"]], _(OPEN_ITEMS): b["items"].astype(int).to_numpy(),
        _(NOT_ANSWERED): b["unreplied"].astype(int).to_numpy(),
    }).set_index(_(AGE))


def we_did_table(a: RetroAnalysis) -> SafeTable:
    """You said, we did: each product change with what users said, masked (``.frame``: the data)."""
    t = a.we_did
    return _safe({
        _(WE_DID): [_mask(x) for x in t["we_did"]], _(THEME): [_theme(x) for x in t["category"]],
        _(ITEMS): t["items"].astype(int).to_numpy(), _(YOU_SAID): [_mask(x) for x in t["you_said"]],
    }, _(WE_DID))


def _safe(columns: dict, index: str) -> SafeTable:
    """A display table (long texts shown whole), masked and escaped."""
    return privacy.active().safe_table(pd.DataFrame(columns).set_index(index))


def rollout_table(a: RetroAnalysis) -> pd.DataFrame:
    """Each rollout's primary metric and guardrails: control, treatment, change with CI, decision."""
    rows = []
    for r in a.rollouts:
        for i, x in enumerate(r.readouts()):
            pct = x.kind == "rate" or x.unit == "%"
            fmt = (lambda v: f"{v:.1%}") if pct else (lambda v, u=x.unit: f"{u}{v:,.2f}")
            rows.append({
                _(EXPERIMENT): _mask(r.experiment),
                _(METRIC): x.metric if i == 0 else _("{metric} (guardrail)").format(metric=x.metric),
                _(CONTROL): _arm(fmt, x.value_a, x.value_a_low, x.value_a_high, x.n_a),
                _(TREATMENT): _arm(fmt, x.value_b, x.value_b_low, x.value_b_high, x.n_b),
                _(CHANGE): (f"{_pts(x.abs_effect, pct, x.unit)} "
                            f"({between(_pts(x.ci_low, pct, x.unit), _pts(x.ci_high, pct, x.unit))})"),
                _(DECISION): _(r.recommendation) if i == 0 else "",
            })
    return pd.DataFrame(rows).set_index([_(EXPERIMENT), _(METRIC)])


def actions(a: RetroAnalysis) -> pd.DataFrame:
    """Actions with owners, derived from the results: goals off track or at risk, the top feedback theme, rollouts."""
    rows = []
    if a.scorecard is not None:
        for r in a.scorecard[a.scorecard["status"].isin(["off track", "at risk"])].itertuples():
            rows.append({ACTION: _("Bring {kpi} back on track ({value} vs target {target} by {due})").format(
                             kpi=_label(r.metric), value=_value(r.metric, r.this_month),
                             target=_value(r.metric, r.target), due=day(r.due)),
                         OWNER: _mask(r.owner), WHY: r.reason})
    sla_owner = _owner(a, "feedback_sla")
    ranked = a.priority[a.priority["volume"] > 0] if a.priority is not None else pd.DataFrame()
    if len(ranked):
        top = ranked.iloc[0]
        rows.append({ACTION: _("Find and fix the cause behind '{theme}' feedback").format(
                         theme=_theme(top["category"])),
                     OWNER: sla_owner,
                     WHY: _("highest priority score ({score}: {items} items, severity {severity}, growth ×{growth})"
                            ).format(score=f"{top['score']:.1f}", items=int(top["volume"]),
                                     severity=f"{top['severity']:.2f}", growth=f"{top['growth']:.2f}")})
    for r in a.rollouts:
        decision = _(r.recommendation)
        rows.append({ACTION: _("{decision}: {experiment}").format(decision=decision[:1].upper() + decision[1:],
                                                                  experiment=_mask(r.experiment)),
                     OWNER: _owner(a, "cart_conversion"), WHY: _mask(r.reason)})
    return pd.DataFrame(rows, columns=[ACTION, OWNER, WHY]).rename(columns=_)


def actions_table(a: RetroAnalysis) -> SafeTable:
    """:func:`actions` numbered from 1, masked and escaped for display."""
    t = actions(a)
    t.index = pd.RangeIndex(1, len(t) + 1, name="#")
    return privacy.active().safe_table(t)


def _owner(a: RetroAnalysis, metric: str) -> str:
    if a.scorecard is None or metric not in set(a.scorecard["metric"]):
        return _("to assign")
    return _mask(a.scorecard.loc[a.scorecard["metric"] == metric, "owner"].iloc[0])
