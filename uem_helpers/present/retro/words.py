"""The monthly retro in words: the month in five sentences, the scorecard, NPS, retention, feedback,
"you said, we did" and rollouts, and the headline, generated from a
:class:`~uem_helpers.stories.retro.RetroAnalysis`.
"""

from __future__ import annotations

import pandas as pd

from babel.lists import format_list

from uem_helpers.core.formats import month as month_name, percent, whole
from uem_helpers.core.i18n import N_, _, babel_locale, clauses, ngettext, sentences
from uem_helpers.analyses.feedback import volume
from uem_helpers.analyses.kpis import KPIS
from uem_helpers.analyses.metrics import nps_change, row_change
from uem_helpers.analyses.experiment.readout import srm_sentence
from uem_helpers.present.narrative import framing, md_escape
from uem_helpers.present.retro._vocabulary import (
    _change,
    _joined,
    _label,
    _mask,
    _row,
    _status,
    _theme,
    _value,
)
from uem_helpers.present.churn.words import driver_lines
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
    parts = [_("scores the plan's KPIs for the month against their targets") if config.plan
             else _("shows the month's KPIs (no plan is configured, so there are no targets)")]
    parts.append(_("shows NPS and retention") if "nps" in tables else _("shows retention"))
    if "feedback" in tables:
        parts.append(_("follows the feedback loop (what users wrote, how fast we answered, what is still open, what "
                       "we changed because of it)"))
    if config.rollouts and "assignments" in tables:
        count = len(config.rollouts)
        parts.append(ngettext("reads the staged rollout in the config",
                              "reads the {count} staged rollouts in the config", count).format(count=count))
    if config.plan or "feedback" in tables or (config.rollouts and "assignments" in tables):
        parts.append(_("ends with actions and owners"))
    else:
        parts.append(_("lists no actions with owners (they come from a plan, feedback or rollouts, and none is "
                       "configured)"))
    body = _("For user-engineering, product and service leads at the monthly review of {month}. The report {covers}. "
             "Every rate comes with its {level} confidence interval; quotes are masked. The same findings are "
             "published as a wiki page, `monthly_retro.md`, beside this report.").format(
        month=md_escape(month_name(month)), covers=format_list(parts, locale=babel_locale()), level=percent(0.95))
    return framing(_("Monthly user engineering retro: {month}").format(month=month_name(month)), body)


def no_data(a: RetroAnalysis) -> str:
    """The sentence shown when the month has no data at all."""
    return _("**No data:** nothing happened in {month} in the configured sources, so there is no retro to prepare. "
             "Check the month and the sources.").format(month=_month(a.month))


def note(a: RetroAnalysis, section: str) -> str:
    """Why a section is empty (or an empty string)."""
    return no_data(a) if not a.has_data else md_escape(a.notes.get(section, ""))


#: How many goals have each status, in the order the finding lists them.
STATUS_COUNTS = {"on track": N_("**{count}** on track"), "at risk": N_("**{count}** at risk"),
                 "off track": N_("**{count}** off track"), "no data": N_("**{count}** no data")}


def scorecard_finding(a: RetroAnalysis) -> str:
    """Goals by status, naming the ones off track and their owners."""
    if a.scorecard is None:
        return note(a, "plan")
    counts = a.scorecard["status"].value_counts()
    parts = [_(words).format(count=counts[s]) for s, words in STATUS_COUNTS.items() if s in counts]
    text = _("Of {goals} goals in the plan, {counts}.").format(goals=len(a.scorecard), counts=_joined(parts))
    off = a.scorecard[a.scorecard["status"].isin(["off track", "at risk"])]
    if len(off):
        text = sentences(text, _("Needing attention: {goals}.").format(goals=clauses(
            (_("{kpi} ({status}, owner {owner}: {value} against a target of {target})").format(
                kpi=md_escape(_label(r.metric)), status=_status(r.status), owner=md_escape(r.owner),
                value=_value(r.metric, r.this_month), target=_value(r.metric, r.target)) for r in off.itertuples()))))
    return text


def nps_finding(a: RetroAnalysis) -> str:
    """This month's NPS with its interval and the change from last month."""
    if a.nps_monthly is None:
        return note(a, "nps")
    this, last = _row(a.nps_monthly, a.month), _row(a.nps_monthly, a.last_month)
    if this is None:
        return _("No NPS answer in {month}.").format(month=_month(a.month))
    numbers = {"nps": whole(this["nps"]), "month": _month(a.month), "low": whole(this["low"]),
               "high": whole(this["high"]), "answers": f"{int(this['responses']):,}",
               "promoters": percent(this["promoter_share"]), "detractors": percent(this["detractor_share"])}
    if last is None:
        return _("NPS was **{nps}** in {month} (95% CI {low} to {high}, {answers} answers: {promoters} promoters, "
                 "{detractors} detractors).").format(**numbers)
    c = nps_change(last, this)
    significant, down = c["change_low"] > 0 or c["change_high"] < 0, c["change"] < 0
    return _(NPS_CHANGES[significant, down]).format(
        points=f"{abs(c['change']):.0f}", last_month=_month(a.last_month), change_low=whole(c["change_low"], "+"),
        change_high=whole(c["change_high"], "+"), **numbers)


#: The NPS finding with last month's change, by (significant, down).
NPS_CHANGES = {
    (True, True): N_("NPS was **{nps}** in {month} (95% CI {low} to {high}, {answers} answers: {promoters} promoters, "
                     "{detractors} detractors), significantly down {points} points from {last_month} (95% CI "
                     "{change_low} to {change_high})."),
    (True, False): N_("NPS was **{nps}** in {month} (95% CI {low} to {high}, {answers} answers: {promoters} "
                      "promoters, {detractors} detractors), significantly up {points} points from {last_month} (95% "
                      "CI {change_low} to {change_high})."),
    (False, True): N_("NPS was **{nps}** in {month} (95% CI {low} to {high}, {answers} answers: {promoters} "
                      "promoters, {detractors} detractors), not significantly down {points} points from {last_month} "
                      "(95% CI {change_low} to {change_high})."),
    (False, False): N_("NPS was **{nps}** in {month} (95% CI {low} to {high}, {answers} answers: {promoters} "
                       "promoters, {detractors} detractors), not significantly up {points} points from {last_month} "
                       "(95% CI {change_low} to {change_high})."),
}


def retention_finding(a: RetroAnalysis) -> str:
    """Week-1 and week-4 retention of the cohorts shown."""
    r = a.retention
    if r is None or r.empty:
        return note(a, "retention")
    shares = {}
    for week in (1, 4):
        rows = r[r["week"] == week]
        if len(rows):
            shares[week] = percent(rows["active_users"].sum() / rows["cohort_users"].sum())
    if len(shares) == 2:
        text = _("Across the cohorts shown, {share} of users are active again in week {week} and {share_later} of "
                 "users are active again in week {week_later}.").format(share=shares[1], week=1,
                                                                         share_later=shares[4], week_later=4)
    elif shares:
        (week, share), = shares.items()
        text = _("Across the cohorts shown, {share} of users are active again in week {week}.").format(share=share,
                                                                                                      week=week)
    else:
        text = _("Cohorts are too recent to show.")
    span = note(a, "retention")  # cohorts the data follows too briefly (stories.retro.retention_span_note)
    return sentences(text, span)


def feedback_finding(a: RetroAnalysis) -> str:
    """Volume, the top theme and its growth, the loop, and the classifier's held-out accuracy."""
    if a.classified is None:
        return note(a, "feedback")
    items = a.classified.items
    this = items[items["month"] == a.month]
    text = _("**{items}** feedback items came in during {month}.").format(items=f"{len(this):,}",
                                                                          month=_month(a.month))
    if a.themes is not None and len(a.themes):
        top = a.themes.iloc[0]
        text = sentences(text, _("The top theme is **{theme}** ({items} items, {share}; {last_month} the month "
                                  "before).").format(theme=md_escape(_theme(top["category"])),
                                                     items=f"{int(top['items']):,}", share=percent(top["share"]),
                                                     last_month=f"{int(top['last_month']):,}"))
    spike = spiked_theme(a)
    if spike is not None:
        text = sentences(text, _("The sharpest spike of the last months: **{theme}** in {month} ({items} items, "
                                  "{share} of that month).").format(theme=md_escape(_theme(spike["category"])),
                                                                    month=_month(spike["month"]),
                                                                    items=f"{int(spike['items']):,}",
                                                                    share=percent(spike["share"])))
    return sentences(text, md_escape(a.loop.sentence()) if a.loop is not None else note(a, "loop"),
                      md_escape(a.classified.check.sentence()))


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
        return _("No item was resolved with a product change in {month}.").format(month=_month(a.month))
    top = a.we_did.iloc[0]
    return _("**{items}** items were closed with a product change in {month}; the largest: \"{we_did}\" ({top_items} "
             "items about {theme}).").format(items=f"{int(a.we_did['items'].sum()):,}", month=_month(a.month),
                                             we_did=md_escape(top["we_did"]), top_items=f"{int(top['items']):,}",
                                             theme=md_escape(_theme(top["category"])))


def rollout_finding(a: RetroAnalysis) -> str:
    """Each rollout's recommendation with its reason, and the sample-ratio check."""
    if not a.rollouts:
        return note(a, "rollouts")
    lines = [_("**{experiment}**: {decision} {check}").format(experiment=md_escape(r.experiment),
                                                              decision=md_escape(r.sentence()),
                                                              check=md_escape(srm_sentence(r.srm)))
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
        fields = {"theme": md_escape(_theme(top["category"])), "items": f"{int(top['items']):,}"}
        points.append(_("Users wrote most about **{theme}** ({items} items); {loop}").format(
            loop=md_escape(a.loop.sentence()), **fields) if a.loop is not None
            else _("Users wrote most about **{theme}** ({items} items).").format(**fields))
    else:
        points.append(note(a, "feedback"))
    points.append(_("{decisions}.").format(decisions=clauses(
        (_("{experiment}: **{decision}**").format(experiment=md_escape(r.experiment), decision=_(r.recommendation))
         for r in a.rollouts))) if a.rollouts else note(a, "rollouts"))
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
        return _("No other KPI changed significantly from last month.")
    numbers = {"kpi": md_escape(_label(metric)), "value": _value(metric, c["this_value"]),
               "last": _value(metric, c["last_value"]), "change": _change(metric, c["change"]),
               "low": _change(metric, c["change_low"]), "high": _change(metric, c["change_high"])}
    if c["change"] > 0:
        return _("{kpi} rose to **{value}** from {last} ({change}, 95% CI {low} to {high}), the clearest change of the "
                 "month.").format(**numbers)
    return _("{kpi} fell to **{value}** from {last} ({change}, 95% CI {low} to {high}), the clearest change of the "
             "month.").format(**numbers)


def _month(month: str) -> str:
    """A month as a reader reads it, escaped for Markdown (``"2026\\-10"``, ``"2026年10月"``)."""
    return md_escape(month_name(month))


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


def churn_drivers_finding(a: RetroAnalysis) -> str:
    """Why users churn, for the wiki: the churn model's top three drivers as sentences, or why there are none."""
    if a.churn_drivers is None:
        return md_escape(a.notes.get("churn", ""))
    lines = driver_lines(a.churn_drivers, a.churn_rule, top=3)
    return "\n".join(f"- {line}" for line in lines)
