"""The retro's tables: NPS by touchpoint, feedback themes, priority, the loop and its backlog, "you said,
we did", rollouts, and the actions with their owners.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import percent, rate_with_interval
from uem_helpers.analyses.metrics import nps_score
from uem_helpers.present import privacy
from uem_helpers.present.privacy.display import SafeTable
from uem_helpers.present.retro._vocabulary import _arm, _label, _mask, _pts, _value
from uem_helpers.stories.retro import RetroAnalysis


def nps_touchpoint_table(a: RetroAnalysis) -> pd.DataFrame:
    """NPS by touchpoint this month, with intervals (few answers per touchpoint: wide intervals)."""
    t = privacy.active().fold_small_groups(a.nps_by_touchpoint[["touchpoint", "responses", "promoters", "passives",
                                                                "detractors"]].rename(columns={"responses": "users"}),
                                           "touchpoint", size="users", sums=["promoters", "passives", "detractors"])
    score, se = nps_score(t["promoters"], t["detractors"], t["users"])
    return pd.DataFrame({
        "Touchpoint": [_mask(x) for x in t["touchpoint"]], "Answers": t["users"].astype(int).to_numpy(),
        "NPS": [f"{s:.0f} ({s - 1.96 * e:.0f} to {s + 1.96 * e:.0f})" for s, e in zip(score, se)],
    }).set_index("Touchpoint")


def themes_table(a: RetroAnalysis) -> SafeTable:
    """Top themes with counts, share (CI), last month, and two representative quotes, masked (``.frame``: the data)."""
    t = a.themes
    quotes = [c for c in t.columns if c.startswith("quote_")]
    return _safe({
        "Theme": [_mask(c) for c in t["category"]], "Items": t["items"].astype(int).to_numpy(),
        "Share (95% CI)": [f"{s:.0%} ({lo:.0%}–{hi:.0%})" for s, lo, hi in zip(t["share"], t["share_low"],
                                                                                t["share_high"])],
        "Last month": t["last_month"].astype(int).to_numpy(),
        "What users said": [" / ".join(_mask(q) for q in row if isinstance(q, str) and q)
                            for row in t[quotes].itertuples(index=False)],
    }, "Theme")


def priority_table(a: RetroAnalysis) -> pd.DataFrame:
    """Themes ranked by priority = volume x severity x growth."""
    t = a.priority
    return pd.DataFrame({
        "Rank": t["rank"].astype(int).to_numpy(), "Theme": [_mask(c) for c in t["category"]],
        "Volume": t["volume"].astype(int).to_numpy(), "Severity": [f"{s:.2f}" for s in t["severity"]],
        "Growth": [f"×{g:.2f}" for g in t["growth"]], "Score": [f"{s:.1f}" for s in t["score"]],
    }).set_index("Rank")


def loop_table(a: RetroAnalysis) -> pd.DataFrame:
    """Reply times, SLA and resolution by channel."""
    s = a.loop.summary
    return pd.DataFrame({
        "Channel": [_mask(c) for c in s["channel"]], "Items": s["items"].astype(int).to_numpy(),
        "Median reply (h)": [f"{x:.1f}" if x == x else "n/a" for x in s["reply_median_h"]],
        "p90 reply (h)": [f"{x:.1f}" if x == x else "n/a" for x in s["reply_p90_h"]],
        f"Within {a.sla_hours:g} h (95% CI)": [rate_with_interval(x, lo, hi, 0, sep="–") for x, lo, hi in
                                               zip(s["within_sla_share"], s["within_sla_low"], s["within_sla_high"])],
        "Resolved": [percent(x) for x in s["resolved_share"]],
        "Open": s["open_backlog"].astype(int).to_numpy(),
    }).set_index("Channel")


def backlog_table(a: RetroAnalysis) -> pd.DataFrame:
    """Open items at the end of the month by age (all channels), and how many have no reply yet."""
    b = a.loop.backlog
    b = b[b["channel"] == b["channel"].iloc[0]] if "all" not in set(b["channel"]) else b[b["channel"] == "all"]
    return pd.DataFrame({"Age": b["age"].to_numpy(), "Open items": b["items"].astype(int).to_numpy(),
                         "Not yet answered": b["unreplied"].astype(int).to_numpy()}).set_index("Age")


def we_did_table(a: RetroAnalysis) -> SafeTable:
    """You said, we did: each product change with what users said, masked (``.frame``: the data)."""
    t = a.we_did
    return _safe({
        "We did": [_mask(x) for x in t["we_did"]], "Theme": [_mask(x) for x in t["category"]],
        "Items": t["items"].astype(int).to_numpy(), "You said (an example)": [_mask(x) for x in t["you_said"]],
    }, "We did")


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
                "Experiment": _mask(r.experiment), "Metric": x.metric + ("" if i == 0 else " (guardrail)"),
                "Control": _arm(fmt, x.value_a, x.value_a_low, x.value_a_high, x.n_a),
                "Treatment": _arm(fmt, x.value_b, x.value_b_low, x.value_b_high, x.n_b),
                "Change (95% CI)": (f"{_pts(x.abs_effect, pct, x.unit)} ({_pts(x.ci_low, pct, x.unit)} to "
                                    f"{_pts(x.ci_high, pct, x.unit)})"),
                "Decision": r.recommendation if i == 0 else "",
            })
    return pd.DataFrame(rows).set_index(["Experiment", "Metric"])


def actions(a: RetroAnalysis) -> pd.DataFrame:
    """Actions with owners, derived from the results: goals off track or at risk, the top feedback theme, rollouts."""
    rows = []
    if a.scorecard is not None:
        for r in a.scorecard[a.scorecard["status"].isin(["off track", "at risk"])].itertuples():
            rows.append({"Action": f"Bring {_label(r.metric)} back on track ({_value(r.metric, r.this_month)} vs "
                                   f"target {_value(r.metric, r.target)} by {r.due})",
                         "Owner": _mask(r.owner), "Why": r.reason})
    sla_owner = _owner(a, "feedback_sla")
    ranked = a.priority[a.priority["volume"] > 0] if a.priority is not None else pd.DataFrame()
    if len(ranked):
        top = ranked.iloc[0]
        rows.append({"Action": f"Find and fix the cause behind '{_mask(top['category'])}' feedback",
                     "Owner": sla_owner,
                     "Why": (f"highest priority score ({top['score']:.1f}: {int(top['volume'])} items, "
                             f"severity {top['severity']:.2f}, growth ×{top['growth']:.2f})")})
    for r in a.rollouts:
        rows.append({"Action": f"{r.recommendation.capitalize()}: {_mask(r.experiment)}",
                     "Owner": _owner(a, "cart_conversion"), "Why": _mask(r.reason)})
    return pd.DataFrame(rows, columns=["Action", "Owner", "Why"])


def actions_table(a: RetroAnalysis) -> SafeTable:
    """:func:`actions` numbered from 1, masked and escaped for display."""
    t = actions(a)
    t.index = pd.RangeIndex(1, len(t) + 1, name="#")
    return privacy.active().safe_table(t)


def _owner(a: RetroAnalysis, metric: str) -> str:
    if a.scorecard is None or metric not in set(a.scorecard["metric"]):
        return "to assign"
    return _mask(a.scorecard.loc[a.scorecard["metric"] == metric, "owner"].iloc[0])
