"""The monthly retro in words: the month in five sentences, the scorecard, NPS, retention, feedback,
"you said, we did" and rollouts, and the headline, generated from a
:class:`~uem_helpers.stories.retro.RetroAnalysis`.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import whole
from uem_helpers.analyses.feedback import volume
from uem_helpers.analyses.kpis import KPIS
from uem_helpers.analyses.metrics import nps_change, row_change
from uem_helpers.present.narrative import framing, md_escape
from uem_helpers.present.retro._vocabulary import _change, _label, _mask, _row, _value
from uem_helpers.stories.retro import RetroAnalysis


def introduction(config, month: str) -> str:
    """The retro's title heading and introduction: what this month's report covers, from the tables the config has.

    Parameters
    ----------
    config : UEMConfig
        The loaded config: ``plan``, ``sources`` (nps, feedback, assignments) and ``rollouts``.
    month : str
        The month under review, ``"YYYY-MM"``.

    Returns
    -------
    str
        Markdown: ``# <title>`` and one paragraph naming only the sections the configured tables support.
    """
    tables = set(config.sources)
    parts = ["scores the plan's KPIs for the month against their targets" if config.plan
             else "shows the month's KPIs (no plan is configured, so there are no targets)"]
    parts.append("shows NPS and retention" if "nps" in tables else "shows retention")
    if "feedback" in tables:
        parts.append("follows the feedback loop (what users wrote, how fast we answered, what is still open, what "
                     "we changed because of it)")
    if config.rollouts and "assignments" in tables:
        count = len(config.rollouts)
        parts.append("reads the staged rollout in the config" if count == 1 else
                     f"reads the {count} staged rollouts in the config")
    if config.plan or "feedback" in tables or (config.rollouts and "assignments" in tables):
        parts.append("ends with actions and owners")
    else:
        parts.append("lists no actions with owners (they come from a plan, feedback or rollouts, and none is "
                     "configured)")
    body = (f"For user-engineering, product and service leads at the monthly review of {md_escape(month)}. The report "
            f"{', '.join(parts[:-1])}, and {parts[-1]}. Every rate comes with its 95% confidence interval; quotes "
            "are masked. The same findings are published as a wiki page, `monthly_retro.md`, beside this report.")
    return framing(f"Monthly user engineering retro: {month}", body)


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
    text = (f"NPS was **{whole(this['nps'])}** in {md_escape(a.month)} (95% CI {whole(this['low'])} to "
            f"{whole(this['high'])}, {int(this['responses']):,} answers: {this['promoter_share']:.0%} promoters, "
            f"{this['detractor_share']:.0%} detractors)")
    if last is not None:
        c = nps_change(last, this)
        verdict = "significantly " if (c["change_low"] > 0 or c["change_high"] < 0) else "not significantly "
        direction = "down" if c["change"] < 0 else "up"
        text += (f", {verdict}{direction} {abs(c['change']):.0f} points from {md_escape(a.last_month)} "
                 f"(95% CI {whole(c['change_low'], '+')} to {whole(c['change_high'], '+')})")
    return text + "."


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
    text = "Across the cohorts shown, " + " and ".join(parts) + "." if parts else "Cohorts are too recent to show."
    span = note(a, "retention")  # cohorts the data follows too briefly (stories.retro.retention_span_note)
    return f"{text} {span}" if span else text


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
