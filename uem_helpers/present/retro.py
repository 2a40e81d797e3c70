"""The monthly retro's words, charts, tables and wiki page, from a :class:`~uem_helpers.stories.retro.RetroAnalysis`.

Sentences are Markdown built from results (data text through
:func:`uem_helpers.present.narrative.md_escape`, which masks personal data); charts
follow :mod:`uem_helpers.present.plots` (data text through ``plain``); tables are
display strings with masked text (pandas escapes them when rendering).
:func:`wiki_page` is the same findings and tables as one Markdown page for
the company wiki, masked and escaped the same way.
"""

from __future__ import annotations

import base64
import html
import io
import math
from functools import cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from uem_helpers.present import privacy
from uem_helpers.analyses.feedback import volume
from uem_helpers.analyses.kpis import KPIS
from uem_helpers.analyses.metrics import nps_change, nps_score, row_change
from uem_helpers.present.narrative import md_escape
from uem_helpers.present.plots import ACCENT, MAIN, new_axes, percent_axis, plain
from uem_helpers.present.privacy.display import SafeTable
from uem_helpers.stories.retro import RetroAnalysis

_MINUS = "\u2212"
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
    text = f"{x:.{digits}%}" if KPI_LABELS.get(metric, ("", False))[1] else f"{x:.{digits}f}"
    return text.replace("-", _MINUS)


def _change(metric: str, x: float) -> str:
    if x != x:
        return "n/a"
    text = f"{100 * x:+.1f} pts" if KPI_LABELS.get(metric, ("", False))[1] else f"{x:+.1f}"
    return text.replace("-", _MINUS)


def _mask(text: object) -> str:
    return privacy.active().mask_text(text)


# --- words -----------------------------------------------------------------------------


def no_data(a: RetroAnalysis) -> str:
    """The sentence shown when the month has no data at all."""
    return (f"**No data:** nothing happened in {md_escape(a.month)} in the configured sources, so there is no "
            "retro to prepare. Check the month and the sources.")


def note(a: RetroAnalysis, section: str) -> str:
    """Why a section is empty (or an empty string)."""
    return no_data(a) if not a.has_data else md_escape(a.notes.get(section, ""))


def scorecard_finding(a: RetroAnalysis) -> str:
    """Goals by status, naming the ones off track and their owners."""
    if a.scorecard is None:
        return note(a, "plan")
    counts = a.scorecard["status"].value_counts()
    parts = [f"**{counts[s]}** {s}" for s in ("on track", "at risk", "off track", "no data") if s in counts]
    text = f"Of {len(a.scorecard)} goals in the plan, " + ", ".join(parts) + "."
    off = a.scorecard[a.scorecard["status"].isin(["off track", "at risk"])]
    if len(off):
        text += " Needing attention: " + "; ".join(
            f"{md_escape(_label(r.metric))} ({r.status}, owner {md_escape(r.owner)}: {_value(r.metric, r.this_month)} "
            f"against a target of {_value(r.metric, r.target)})" for r in off.itertuples()) + "."
    return text


def nps_finding(a: RetroAnalysis) -> str:
    """This month's NPS with its interval and the change from last month."""
    if a.nps_monthly is None:
        return note(a, "nps")
    this, last = _row(a.nps_monthly, a.month), _row(a.nps_monthly, a.last_month)
    if this is None:
        return f"No NPS answer in {md_escape(a.month)}."
    text = (f"NPS was **{_num(this['nps'])}** in {md_escape(a.month)} (95% CI {_num(this['low'])} to "
            f"{_num(this['high'])}, {int(this['responses']):,} answers: {this['promoter_share']:.0%} promoters, "
            f"{this['detractor_share']:.0%} detractors)")
    if last is not None:
        c = nps_change(last, this)
        verdict = "significantly " if (c["change_low"] > 0 or c["change_high"] < 0) else "not significantly "
        direction = "down" if c["change"] < 0 else "up"
        text += (f", {verdict}{direction} {abs(c['change']):.0f} points from {md_escape(a.last_month)} "
                 f"(95% CI {_num(c['change_low'], '+')} to {_num(c['change_high'], '+')})")
    return text + "."


def _num(x: float, sign: str = "") -> str:
    """A whole number with a true minus sign (and a plus sign when ``sign`` is "+")."""
    return f"{x:{sign}.0f}".replace("-", _MINUS)


def _row(frame: pd.DataFrame, month: str) -> pd.Series | None:
    sel = frame[frame["month"] == month]
    return sel.iloc[0] if len(sel) else None


def retention_finding(a: RetroAnalysis) -> str:
    """Week-1 and week-4 retention of the cohorts shown."""
    r = a.retention
    if r is None or r.empty:
        return note(a, "retention")
    parts = []
    for week in (1, 4):
        rows = r[r["week"] == week]
        if len(rows):
            share = rows["active_users"].sum() / rows["cohort_users"].sum()
            parts.append(f"{share:.0%} of users are active again in week {week}")
    return "Across the cohorts shown, " + " and ".join(parts) + "." if parts else "Cohorts are too recent to show."


def feedback_finding(a: RetroAnalysis) -> str:
    """Volume, the top theme and its growth, the loop, and the classifier's held-out accuracy."""
    if a.classified is None:
        return note(a, "feedback")
    items = a.classified.items
    this = items[items["month"] == a.month]
    text = f"**{len(this):,}** feedback items came in during {md_escape(a.month)}."
    if a.themes is not None and len(a.themes):
        top = a.themes.iloc[0]
        text += (f" The top theme is **{md_escape(top['category'])}** ({int(top['items']):,} items, "
                 f"{top['share']:.0%}; "
                 f"{int(top['last_month']):,} the month before).")
    spike = spiked_theme(a)
    if spike is not None:
        text += (f" The sharpest spike of the last months: **{md_escape(spike['category'])}** in "
                 f"{md_escape(spike['month'])} ({int(spike['items']):,} items, {spike['share']:.0%} of that month).")
    text += " " + (md_escape(a.loop.sentence()) if a.loop is not None else note(a, "loop"))
    return text + " " + md_escape(a.classified.check.sentence())


def spiked_theme(a: RetroAnalysis) -> pd.Series | None:
    """The month and theme with the largest share above that theme's median share over the trend."""
    if a.classified is None:
        return None

    v = volume(a.classified, by=("month", "category"))
    if v["month"].nunique() < 3:
        return None
    excess = v["share"] - v.groupby("category")["share"].transform("median")
    return v.loc[excess.idxmax()] if len(v) else None


def we_did_finding(a: RetroAnalysis) -> str:
    """How many items were closed with a product change, and the largest change."""
    if a.we_did is None:
        return note(a, "feedback") or note(a, "we_did")
    if a.we_did.empty:
        return f"No item was resolved with a product change in {md_escape(a.month)}."
    top = a.we_did.iloc[0]
    return (f"**{int(a.we_did['items'].sum()):,}** items were closed with a product change in {md_escape(a.month)}; "
            f"the largest: \"{md_escape(top['we_did'])}\" ({int(top['items']):,} items about "
            f"{md_escape(top['category'])}).")


def rollout_finding(a: RetroAnalysis) -> str:
    """Each rollout's recommendation with its reason, and the sample-ratio check."""
    if not a.rollouts:
        return note(a, "rollouts")
    lines = [f"**{md_escape(r.experiment)}**: {md_escape(r.sentence())} {md_escape(r.srm.sentence())}"
             for r in a.rollouts]
    if a.notes.get("rollouts"):
        lines.append(md_escape(a.notes["rollouts"]))
    return "\n".join(f"- {line}" for line in lines)


def month_in_five(a: RetroAnalysis) -> str:
    """The month in five sentences: plan, NPS, the biggest KPI change, feedback, rollouts."""
    if not a.has_data:
        return no_data(a)
    points = [scorecard_finding(a), nps_finding(a), _biggest_change(a)]
    if a.classified is not None and a.themes is not None and len(a.themes):
        top = a.themes.iloc[0]
        points.append(f"Users wrote most about **{md_escape(top['category'])}** ({int(top['items']):,} items)"
                      + (f"; {md_escape(a.loop.sentence())}" if a.loop is not None else "."))
    else:
        points.append(note(a, "feedback"))
    points.append("; ".join(f"{md_escape(r.experiment)}: **{r.recommendation}**" for r in a.rollouts) + "."
                  if a.rollouts else note(a, "rollouts"))
    return "\n".join(f"- {p}" for p in points if p)


def _biggest_change(a: RetroAnalysis) -> str:
    """The KPI (other than NPS) whose month-over-month change is most significant."""
    best = None
    for metric in KPIS[1:]:
        rows = a.kpi(metric)
        this, last = _row(rows, a.month), _row(rows, a.last_month)
        if this is None or last is None:
            continue
        c = row_change(last, this)
        if c["p_value"] == c["p_value"] and (best is None or c["p_value"] < best[1]["p_value"]):
            best = (metric, c)
    if best is None:
        return ""
    metric, c = best
    if not (c["change_low"] > 0 or c["change_high"] < 0):
        return "No other KPI changed significantly from last month."
    word = "rose" if c["change"] > 0 else "fell"
    return (f"{_label(metric)} {word} to **{_value(metric, c['this_value'])}** from {_value(metric, c['last_value'])} "
            f"({_change(metric, c['change'])}, 95% CI {_change(metric, c['change_low'])} to "
            f"{_change(metric, c['change_high'])}), the clearest change of the month.")


def headline(a: RetroAnalysis) -> str:
    """Plain-text headline counts (stable across runs of the same data; the notebook test checks them).

    NPS of last month and this month with answers, the most frequent feedback theme of each month
    of the trend, and each rollout's checked-out carts / carts per variant.
    """
    lines = []
    if a.nps_monthly is not None:
        for month in (a.last_month, a.month):
            row = _row(a.nps_monthly, month)
            if row is not None:
                lines.append(f"nps {month}: {row['nps']:.1f} ({int(row['responses'])} answers)")
    if a.classified is not None and len(a.classified.items):
        counts = a.classified.items.groupby(["month", "category"]).size().rename("items").reset_index()
        counts = counts.sort_values(["month", "items", "category"], ascending=[True, False, True])
        for r in counts.drop_duplicates("month").itertuples():
            lines.append(f"top theme {r.month}: {_mask(r.category)} ({int(r.items)} items)")
    for r in a.rollouts:
        p = r.primary
        lines.append(f"rollout {_mask(r.experiment)}: control {round(p.value_a * p.n_a)}/{p.n_a} ({p.value_a:.4f}) "
                     f"treatment {round(p.value_b * p.n_b)}/{p.n_b} ({p.value_b:.4f})")
    return "\n".join(lines) if lines else "no data"


# --- tables ----------------------------------------------------------------------------


def scorecard_table(a: RetroAnalysis) -> pd.DataFrame:
    """The scorecard as a reader wants it: goal, owner, this month with CI, change with CI, progress, status."""
    rows = []
    for r in a.scorecard.itertuples():
        rows.append({
            "Goal": _label(r.metric), "Owner": _mask(r.owner), "Due": str(r.due),
            "Baseline → target": f"{_value(r.metric, r.baseline)} → {_value(r.metric, r.target)}",
            a.month: (f"{_value(r.metric, r.this_month)} ({_value(r.metric, r.this_month_low)} to "
                      f"{_value(r.metric, r.this_month_high)})"),
            a.last_month: _value(r.metric, r.last_month),
            "Change (95% CI)": (f"{_change(r.metric, r.change)} ({_change(r.metric, r.change_low)} to "
                                f"{_change(r.metric, r.change_high)})"),
            "Progress": ("n/a" if r.progress != r.progress else
                         f"{r.progress:.0%} (time {r.expected_progress:.0%})".replace("-", _MINUS)),
            "Status": r.status.upper(),
        })
    return pd.DataFrame(rows).set_index("Goal")


class ScorecardHTML:
    """The scorecard as an HTML table: a sparkline of the last months and a coloured status badge per goal.

    Colours and sparklines are embedded PNG images (the report exporter strips style
    attributes); every text is masked and HTML-escaped here. Shows as a DataFrame's text
    outside HTML.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`scorecard_table`.
    """

    def __init__(self, table: pd.DataFrame, sparklines: dict[str, str], statuses: dict[str, str]):
        self.table, self._sparklines, self._statuses = table, sparklines, statuses

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["Goal", "Last 6 months", *self.table.columns])
        rows = []
        for goal, row in self.table.iterrows():
            cells = [f"<th>{html.escape(str(goal))}</th>", f"<td>{self._sparklines.get(goal, '')}</td>"]
            for column, value in row.items():
                text = html.escape(str(value))
                if column == "Status":
                    text = _badge(self._statuses.get(goal, "no data")) + " " + text
                cells.append(f"<td>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return (f'<table border="0" class="dataframe uem-scorecard"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def __repr__(self) -> str:
        return self.table.to_string()


def scorecard_html(a: RetroAnalysis) -> ScorecardHTML:
    """:func:`scorecard_table` with a sparkline per goal (status-coloured) and a status badge, for the report."""
    table = scorecard_table(a)
    sparklines, statuses = {}, {}
    for r in a.scorecard.itertuples():
        label = _label(r.metric)
        statuses[label] = r.status
        s = a.kpi(r.metric)
        if len(s):
            sparklines[label] = _sparkline(tuple(s["value"]), float(r.target), STATUS_COLOURS.get(r.status, "#333"),
                                           f"{label}: last {len(s)} months")
    return ScorecardHTML(table, sparklines, statuses)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, transparent=True)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _sparkline(values: tuple[float, ...], target: float, colour: str, alt: str) -> str:
    """A 120x30 px line of ``values`` with the target as a grey dashed line and the last value as a dot."""
    fig = plt.figure(figsize=(1.2, 0.3))
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
    x = np.arange(len(values))
    ax.plot(x, values, color=colour, lw=1.4)
    ax.plot(x[-1:], values[-1:], "o", color=colour, ms=3)
    if target == target:
        ax.axhline(target, color="#999", ls="--", lw=0.8)
    ax.axis("off")
    return f'<img src="{_png(fig)}" alt="{html.escape(alt)}" width="120" height="30">'


@cache
def _badge(status: str) -> str:
    """A small filled circle in the status colour, as an embedded image."""
    fig = plt.figure(figsize=(0.12, 0.12))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(plt.Circle((0.5, 0.5), 0.48, color=STATUS_COLOURS.get(status, "#888888")))
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.axis("off")
    return f'<img src="{_png(fig)}" alt="{html.escape(status)}" width="12" height="12">'


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
        f"Within {a.sla_hours:g} h (95% CI)": [f"{x:.0%} ({lo:.0%}–{hi:.0%})" if x == x else "n/a" for x, lo, hi in
                                               zip(s["within_sla_share"], s["within_sla_low"], s["within_sla_high"])],
        "Resolved": [f"{x:.0%}" if x == x else "n/a" for x in s["resolved_share"]],
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


def _arm(fmt, value: float, low: float, high: float, n: int) -> str:
    """One arm's value with its 95% interval when known, and its size."""
    ci = f" ({fmt(low)} to {fmt(high)})" if low == low and high == high else ""
    return f"{fmt(value)}{ci}, n={n:,}"


def _pts(x: float, pct: bool, unit: str) -> str:
    return (f"{100 * x:+.1f} pts" if pct else f"{x:+,.2f}").replace("-", _MINUS)


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


# --- charts ----------------------------------------------------------------------------


def kpi_small_multiples(a: RetroAnalysis):
    """One panel per KPI: monthly value with its 95% interval, baseline (dotted) and target (dashed).

    A panel's title is coloured by the goal's status (green on track, orange at risk, red off
    track, grey no goal or no data).
    """
    metrics_shown = [m for m in KPIS if not a.kpi(m).empty]
    cols = 4
    rows = max(1, math.ceil(len(metrics_shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.3 * rows), squeeze=False)
    goals = a.scorecard.set_index("metric") if a.scorecard is not None else pd.DataFrame()
    for ax, metric in zip(axes.flat, metrics_shown):
        s = a.kpi(metric)
        x = np.arange(len(s))
        rate = KPI_LABELS.get(metric, ("", False))[1]
        ax.fill_between(x, s["low"], s["high"], color=MAIN, alpha=0.18, lw=0)
        ax.plot(x, s["value"], marker="o", color=MAIN)
        status = "no data"
        if metric in goals.index:
            goal = goals.loc[metric]
            ax.axhline(goal["target"], color="#333", ls="--", lw=1.2, label="target")
            ax.axhline(goal["baseline"], color="#999", ls=":", lw=1.2, label="baseline")
            status = goal["status"]
        ax.set_xticks(x, [pd.Timestamp(m).strftime("%b") for m in s["month"]], fontsize=10)
        ax.tick_params(axis="y", labelsize=10)
        if rate:
            ax.yaxis.set_major_formatter(PercentFormatter(1, decimals=None))
        ax.set_title(f"{_label(metric)}: {status}", color=STATUS_COLOURS.get(status, "#333"), fontsize=12,
                     fontweight="bold")
    for ax in list(axes.flat)[len(metrics_shown):]:
        ax.set_visible(False)
    handles, labels = next((h for h in (ax.get_legend_handles_labels() for ax in axes.flat) if h[0]), ([], []))
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=11)
    first, last = pd.Timestamp(a.kpis.values["month"].min()), pd.Timestamp(a.month)
    fig.suptitle(f"KPIs by month, {first:%b %Y} to {last:%b %Y}, against the plan "
                 f"(band: 95% CI; title colour: status in {a.month})", fontsize=14)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return axes


def nps_chart(a: RetroAnalysis):
    """NPS by month with its 95% interval, over the promoter/passive/detractor split of each month."""
    s = a.nps_monthly
    fig, (top, split) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = np.arange(len(s))
    top.errorbar(x, s["nps"], yerr=[s["nps"] - s["low"], s["high"] - s["nps"]], fmt="o-", color=MAIN, capsize=4)
    for xi, v in zip(x, s["nps"]):
        top.annotate(f"{v:.0f}", (xi, v), xytext=(8, 0), textcoords="offset points", va="center")
    top.axhline(0, color="#999", lw=1)
    top.set_ylabel("NPS (95% CI)")
    top.set_title(f"NPS by month: {s['nps'].iloc[-1]:.0f} in {s['month'].iloc[-1]}")
    bottom = np.zeros(len(x))
    for name, colour, label in (("detractor_share", ACCENT, "detractors (0-6)"),
                                ("passive_share", "#bbbbbb", "passives (7-8)"),
                                ("promoter_share", "#2ca02c", "promoters (9-10)")):
        split.bar(x, s[name], bottom=bottom, color=colour, label=label, width=0.6)
        bottom += s[name].to_numpy()
    percent_axis(split.yaxis)
    split.set_ylabel("Share of answers")
    split.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    split.set_xticks(x, list(s["month"]))
    fig.tight_layout()
    return top


def retention_heatmap(a: RetroAnalysis, *, ax=None):
    """Weekly cohort retention: rows cohorts (week of first event), columns weeks since."""
    import seaborn as sns

    r = a.retention
    grid = r.pivot(index="cohort_week", columns="week", values="retention")
    grid.index = [pd.Timestamp(i).strftime("%Y-%m-%d") for i in grid.index]
    ax = new_axes(ax, (10, 0.42 * len(grid) + 1.8))
    sns.heatmap(grid, ax=ax, cmap="Blues", vmin=0, vmax=1, annot=grid.map(lambda v: "" if v != v else f"{v:.0%}"),
                fmt="", annot_kws={"fontsize": 8},
                cbar_kws={"label": "Share of the cohort active", "format": "{x:.0%}"})
    ax.set_xlabel("Weeks since the cohort's first week")
    ax.set_ylabel("Cohort (week of first event)")
    ax.set_title("Weekly cohort retention (only fully observed weeks)")
    return ax


def feedback_volume_chart(a: RetroAnalysis, *, ax=None):
    """Feedback items by month and theme (stacked): a theme that jumps is a spike."""


    v = volume(a.classified, by=("month", "category"))
    grid = v.pivot(index="month", columns="category", values="items").fillna(0)
    grid = grid[grid.sum().sort_values(ascending=False).index]
    ax = new_axes(ax, (11, 5))
    bottom = np.zeros(len(grid))
    colours = plt.get_cmap("tab10").colors
    for i, theme in enumerate(grid.columns):
        ax.bar(range(len(grid)), grid[theme], bottom=bottom, color=colours[i % 10], label=plain(theme), width=0.65)
        bottom += grid[theme].to_numpy()
    ax.set_xticks(range(len(grid)), list(grid.index))
    ax.set_ylabel("Feedback items")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    spike = spiked_theme(a)
    title = "Feedback by month and theme"
    if spike is not None:
        title += f": '{spike['category']}' spiked in {spike['month']}"
    ax.set_title(plain(title))
    return ax


def channel_chart(a: RetroAnalysis, *, ax=None):
    """This month's feedback by channel, with 95% intervals on each channel's share."""
    from uem_helpers.present.plots import rate_bars

    v = a.volume_by_channel.sort_values("items", ascending=False)
    notes = [f"{s:.0%} ({int(n):,})" for s, n in zip(v["share"], v["items"])]
    return rate_bars(v["channel"].astype(str), v["share"], v["share_low"], v["share_high"], notes,
                     xlabel="Share of the month's feedback items (95% CI)",
                     title=f"Feedback by channel in {a.month}", ax=ax)


# --- wiki page ---------------------------------------------------------------------------


def _md_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown pipe table, every cell masked and escaped."""
    frame = getattr(frame, "frame", frame)
    frame = frame.reset_index(drop=isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    head = "| " + " | ".join(md_escape(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(md_escape(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


#: Status markers for the wiki page, where colour can only come from the characters.
STATUS_MARKS = {"on track": "\U0001F7E2", "at risk": "\U0001F7E0", "off track": "\U0001F534", "no data": "\u26AA"}


def _wiki_scorecard(a: RetroAnalysis) -> pd.DataFrame | None:
    """The scorecard table with a coloured marker before each status."""
    if a.scorecard is None:
        return None
    table = scorecard_table(a)
    table["Status"] = [f"{STATUS_MARKS.get(s, '')} {s.upper()}" for s in a.scorecard["status"]]
    return table


def wiki_page(a: RetroAnalysis) -> str:
    """The retro as one Markdown page for the company wiki: the same findings and tables as the report."""
    title = f"# User engineering monthly retro: {md_escape(a.month)}\n"
    if not a.has_data:
        return title + "\n" + no_data(a) + "\n"
    parts = [title, "## The month in five sentences\n", month_in_five(a)]
    sections = [
        ("KPI scorecard against the plan", scorecard_finding(a), _wiki_scorecard(a)),
        ("NPS", nps_finding(a), nps_touchpoint_table(a) if a.nps_by_touchpoint is not None
         and not a.nps_by_touchpoint.empty else None),
        ("Retention", retention_finding(a), None),
        ("Feedback loop", feedback_finding(a), loop_table(a) if a.loop is not None else None),
        ("Top themes", "", themes_table(a) if a.themes is not None and len(a.themes) else None),
        ("You said, we did", we_did_finding(a), we_did_table(a) if a.we_did is not None and len(a.we_did) else None),
        ("Rollouts", rollout_finding(a), rollout_table(a) if a.rollouts else None),
        ("Actions", "", actions(a)),
    ]
    for heading, text, table in sections:
        parts.append(f"\n## {heading}\n")
        if text:
            parts.append(text + "\n")
        if table is not None and len(getattr(table, "frame", table)):
            parts.append(_md_table(table) + "\n")
    parts.append("\n_Personal data in quotes is masked; groups of fewer than "
                 f"{privacy.active().min_cell_size} users are folded. Generated by UEM Workbench._\n")
    return "\n".join(parts)
