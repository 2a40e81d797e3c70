"""The retro's charts with the one sentence under each that says what to see in it.

Each ``*_caption`` is that sentence, written from a :class:`~uem_helpers.stories.retro.RetroAnalysis`
whose section has data (the notebook draws the chart only then); each ``*_figure`` draws the chart of
:mod:`.charts` and returns it with its caption as a :class:`~uem_helpers.present.captions.Captioned`,
shown together in a notebook cell.
"""

from __future__ import annotations

from uem_helpers.core.formats import day, month, number, percent, percent_interval, whole
from uem_helpers.core.i18n import _, label
from uem_helpers.present.captions import Captioned
from uem_helpers.present.retro._vocabulary import _row, _theme
from uem_helpers.present.retro.charts import (
    channel_chart, feedback_volume_chart, kpi_small_multiples, nps_chart, retention_heatmap,
)
from uem_helpers.present.retro.words import spiked_theme
from uem_helpers.stories.retro import RetroAnalysis


def kpi_caption(a: RetroAnalysis) -> str:
    """How many of the plan's goals are on track, at risk and off track this month (the panels' title colours)."""
    goals = a.scorecard
    if goals is None or goals.empty:
        return _("No plan sets goals for {month}: the panels show each KPI's last months with its 95% band.").format(
            month=month(a.month))
    counts = goals["status"].value_counts()
    return _("In {month}, {on_track} of the plan's {goals} goals are on track (green titles), {at_risk} at risk "
             "(orange) and {off_track} off track (red).").format(
        month=month(a.month), goals=number(len(goals), 0), on_track=number(counts.get("on track", 0), 0),
        at_risk=number(counts.get("at risk", 0), 0), off_track=number(counts.get("off track", 0), 0))


def kpi_figure(a: RetroAnalysis) -> Captioned:
    """The KPI small multiples (:func:`.charts.kpi_small_multiples`) and the goals' statuses."""
    return Captioned(kpi_small_multiples(a), kpi_caption(a))


def nps_caption(a: RetroAnalysis) -> str:
    """This month's NPS against last month's, and this month's promoters and detractors."""
    s = a.nps_monthly
    this = s.iloc[-1]
    before = _row(s, a.last_month)
    fields = dict(nps=whole(this["nps"]), month=month(this["month"]), promoters=percent(this["promoter_share"]),
                  detractors=percent(this["detractor_share"]))
    if before is None:
        return _("NPS was {nps} in {month}, with {promoters} promoters and {detractors} detractors among the month's "
                 "answers.").format(**fields)
    return _("NPS moved from {last} in {last_month} to {nps} in {month}, with {promoters} promoters and {detractors} "
             "detractors among the month's answers.").format(last=whole(before["nps"]),
                                                             last_month=month(before["month"]), **fields)


def nps_figure(a: RetroAnalysis) -> Captioned:
    """NPS by month (:func:`.charts.nps_chart`) and its latest change."""
    return Captioned(nps_chart(a), nps_caption(a))


def retention_caption(a: RetroAnalysis) -> str:
    """The cohorts that kept the most and the fewest users in the first week after their own."""
    r = a.retention
    week = 1 if (r["week"] == 1).any() else int(r.loc[r["week"] > 0, "week"].min()) if (r["week"] > 0).any() else 0
    rows = r[(r["week"] == week) & r["retention"].notna()]
    if week == 0 or rows.empty:
        return _("The cohorts are too recent to show a week after their first.")
    best, worst = rows.loc[rows["retention"].idxmax()], rows.loc[rows["retention"].idxmin()]
    return _("In week {week}, retention ranges from {low} (cohort of {worst}) to {high} (cohort of {best}): the "
             "darker a row, the better its cohort stayed.").format(
        week=week, low=percent(worst["retention"]), worst=day(worst["cohort_week"]), high=percent(best["retention"]),
        best=day(best["cohort_week"]))


def retention_figure(a: RetroAnalysis) -> Captioned:
    """Weekly cohort retention (:func:`.charts.retention_heatmap`) and its best and worst cohorts."""
    return Captioned(retention_heatmap(a), retention_caption(a))


def feedback_volume_caption(a: RetroAnalysis) -> str:
    """The theme that spiked, or the largest theme of the month when none did."""
    spike = spiked_theme(a)
    if spike is not None:
        return _("The jump to look at is '{theme}' in {month}: {items} items, {share} of that month's "
                 "feedback.").format(theme=_theme(spike["category"]), month=month(spike["month"]),
                                     items=number(spike["items"], 0), share=percent(spike["share"]))
    items = a.classified.items
    this = items[items["month"] == a.month]
    if this.empty:
        return _("No feedback item came in during {month}.").format(month=month(a.month))
    top = this["category"].value_counts()
    return _("No theme spiked; the largest in {month} is '{theme}' with {items} items.").format(
        month=month(a.month), theme=_theme(top.index[0]), items=number(top.iloc[0], 0))


def feedback_volume_figure(a: RetroAnalysis) -> Captioned:
    """Feedback by month and theme (:func:`.charts.feedback_volume_chart`) and its spike."""
    return Captioned(feedback_volume_chart(a), feedback_volume_caption(a))


def channel_caption(a: RetroAnalysis) -> str:
    """The channel that brings the most feedback this month, with its share's interval."""
    top = a.volume_by_channel.sort_values("items", ascending=False).iloc[0]
    return _("'{channel}' brings the most feedback in {month}: {share} of the items ({interval}).").format(
        channel=label(top["channel"]), month=month(a.month), share=percent(top["share"]),
        interval=percent_interval(top["share_low"], top["share_high"]))


def channel_figure(a: RetroAnalysis) -> Captioned:
    """This month's feedback by channel (:func:`.charts.channel_chart`) and its largest channel."""
    return Captioned(channel_chart(a), channel_caption(a))
