"""The onboarding report in words: funnel, step times, bottleneck, before/after, segments.

Every function takes an :class:`~uem_helpers.stories.onboarding.OnboardingAnalysis`
and returns Markdown (or plain text for :func:`headline`), generated from the
result so it is right for every run. Data text passes through
:func:`uem_helpers.present.narrative.md_escape`.
"""

from __future__ import annotations

from uem_helpers.core.formats import duration, number, percent, percent_interval, signed_points, span
from uem_helpers.core.i18n import _, sentences
from uem_helpers.present.narrative import framing, funnel_title, md_escape, period_words
from uem_helpers.present.sentences import day_of, name, period_ends
from uem_helpers.present import privacy
from uem_helpers.stories.onboarding import OnboardingAnalysis


def title(config, funnel: str, *, launch_date: object = None) -> str:
    """The report's title: the funnel's ``title`` in the config (or its name) and the question the report answers."""
    question = (_("{funnel}: where do users get stuck, and did the launch help?") if launch_date
                else _("{funnel}: where do users get stuck?"))
    return question.format(funnel=funnel_title(config, funnel))


def introduction(config, funnel: str, *, period_start: object = None, period_end: object = None,
                 launch_date: object = None, launch_description: str = "") -> str:
    """The report's title heading and introduction, from the config and this run's parameters.

    Parameters
    ----------
    config : UEMConfig
        The loaded config; the funnel's ``title``, steps and window come from ``funnels.<funnel>``.
    funnel : str
        The funnel's name in the config.
    period_start, period_end : str, optional
        The report's period.
    launch_date : str, optional
        The launch compared before and after; none: the report says it makes no such comparison.
    launch_description : str
        What was launched, in a few words (the notebook parameter of that name); ``""`` names the
        launch by its date alone.

    Returns
    -------
    str
        Markdown: ``# <title>`` and one paragraph, nothing in it but the config's and the parameters' words.
    """
    spec = config.funnel(funnel)
    fields = dict(name=md_escape(funnel_title(config, funnel)), first=name(spec.steps[0]), level="95%",
                  goal=name(spec.steps[-1]), period=period_words(period_start, period_end),
                  steps=len(spec.steps), window=span(spec.window.total_seconds()))
    if launch_date:
        launch = md_escape(day_of(launch_date, "launch_date"))
        if launch_description:
            launch = _("{date} ({description})").format(date=launch, description=name(launch_description))
        body = _(
            "For user-engineering leads and the team that owns the {name} funnel. The report follows every user "
            "who reached '{first}' {period} through the funnel's {steps} steps to '{goal}' (within {window}), "
            "finds the step that loses the most users and time, and tests whether the launch on {launch} made "
            "completion faster and abandonment lower. Every rate comes with its {level} confidence interval."
        ).format(launch=launch, **fields)
    else:
        body = _(
            "For user-engineering leads and the team that owns the {name} funnel. The report follows every user "
            "who reached '{first}' {period} through the funnel's {steps} steps to '{goal}' (within {window}), "
            "finds the step that loses the most users and time, and makes no before/after comparison (no launch "
            "date is set). Every rate comes with its {level} confidence interval."
        ).format(**fields)
    return framing(title(config, funnel, launch_date=launch_date), body)


def funnel_chart_title(config, funnel: str, *, period_start: object = None, period_end: object = None) -> str:
    """The funnel chart's title: the funnel's title and the period (plain text, for a chart)."""
    start = day_of(period_start, "period_start") if period_start else _("first day")
    end = day_of(period_end, "period_end") if period_end else _("last day")
    return _("{funnel} ({start} to {end})").format(funnel=funnel_title(config, funnel), start=start, end=end)


def _window(analysis: OnboardingAnalysis) -> str:
    return span(analysis.window.total_seconds())


def _ends(analysis: OnboardingAnalysis) -> dict[str, str]:
    return period_ends(analysis.period_start, analysis.period_end)


def no_data(analysis: OnboardingAnalysis) -> str:
    """The sentence shown in every section when nobody started in the period."""
    return _("**No data:** nobody started '{step}' between {start} and {end}, so this section has nothing to "
             "show. Check the period and the funnel's first step.").format(step=name(analysis.steps[0]),
                                                                             **_ends(analysis))


def empty_step_finding(analysis: OnboardingAnalysis) -> str:
    """What a step without events in the period means: nobody could reach it; ``""`` when every step has events."""
    if not analysis.empty_steps:
        return ""
    k = min(analysis.empty_steps)
    if k < len(analysis.steps):
        text = _("No users reached step {k} ('{step}') in this period, nor any step after it: the log has no "
                 "'{event}' event between {start} and {end}. Check the period, or whether the event is still logged "
                 "under this name.")
    else:
        text = _("No users reached step {k} ('{step}') in this period: the log has no '{event}' event between "
                 "{start} and {end}. Check the period, or whether the event is still logged under this name.")
    step = analysis.steps[k - 1]
    return text.format(k=k, step=name(step), event=md_escape(step), **_ends(analysis))


def funnel_finding(analysis: OnboardingAnalysis) -> str:
    """Overall completion with its interval, and the biggest single drop (before any step without events)."""
    if not analysis.has_data:
        return no_data(analysis)
    last = analysis.readout.iloc[-1]
    reachable = analysis.readout.iloc[: min(analysis.empty_steps) - 1] if analysis.empty_steps else analysis.readout
    steps = reachable.iloc[1:]
    text = _("Of **{starters}** users who started between {start} and {end}, **{share}** ({interval}) completed "
             "within {window}.").format(
        starters=number(analysis.entered, 0), share=percent(last["conversion"]),
        interval=percent_interval(last["conversion_low"], last["conversion_high"]), window=_window(analysis),
        **_ends(analysis))
    if len(steps) and steps["lost"].max() > 0:
        worst = steps.loc[steps["lost"].idxmax()]
        text = sentences(text, _("The largest drop is at step {k} '{step}': {lost} users lost, {share} of those who reached "
                        "the step before.").format(k=int(worst["step_index"]), step=name(worst["step"]),
                                                   lost=number(worst["lost"], 0),
                                                   share=percent(1 - worst["step_conversion"])))
    return sentences(text, md_escape(analysis.open_window_note), empty_step_finding(analysis))


def times_finding(analysis: OnboardingAnalysis) -> str:
    """The slowest step by median time, and the median total time."""
    if not analysis.has_data:
        return no_data(analysis)
    steps = analysis.readout.iloc[1:]
    if steps["median_seconds"].isna().all():
        return _("Nobody reached the second step, so there are no step times to show.")
    slow = steps.loc[steps["median_seconds"].idxmax()]
    done = analysis.times.loc[analysis.times["completed"], "seconds_to_complete"]
    text = _("The slowest step is '{step}': a median {median} (p90 {p90}) from the step before.").format(
        step=name(slow["step"]), median=duration(slow["median_seconds"]), p90=duration(slow["p90_seconds"]))
    if len(done):
        text = sentences(text, _("Completers took a median {total} in all.").format(total=duration(done.median())))
    return text


def bottleneck_finding(analysis: OnboardingAnalysis) -> str:
    """The worst step by users lost and time together (among the steps before any step without events)."""
    if analysis.bottleneck is None:
        return empty_step_finding(analysis) if analysis.has_data and analysis.empty_steps else no_data(analysis)
    return md_escape(analysis.bottleneck.sentence())


def launch_finding(analysis: OnboardingAnalysis) -> str:
    """Abandonment and opening time before vs after the launch, each with its interval."""
    if analysis.launch is None:
        return md_escape(analysis.launch_note)
    launch = analysis.launch
    lines = [
        _("Comparing starters before and after the launch on **{date}**:").format(
            date=day_of(launch.launch_date, "launch_date")),
        f"- {launch.abandonment.sentence()}",
        f"- {launch.mean_minutes.sentence()}",
        f"- {launch.median_minutes.sentence()}",
    ]
    return "\n".join(lines)


def segment_finding(analysis: OnboardingAnalysis) -> str:
    """Best and worst segment by completion, when a breakdown was asked for.

    Segments of fewer starters than the active privacy policy's ``min_cell_size`` are folded
    into "other" first (:func:`uem_helpers.present.privacy.fold_funnel_segments`), as in the chart.
    """
    if analysis.by_segment is None:
        if not analysis.has_data:
            return no_data(analysis)
        return md_escape(analysis.segment_note) or _("No segment breakdown was asked for (set `segment_by`).")
    policy = privacy.active()
    segments = policy.fold_funnel_segments(analysis.by_segment, analysis.segment_by)
    last = segments[segments["step_index"] == segments["step_index"].max()]
    last = last.sort_values("conversion", ascending=False)
    best, worst = last.iloc[0], last.iloc[-1]
    seg = name(analysis.segment_by)
    original = analysis.by_segment[analysis.by_segment["step_index"] == 1]
    only_real_other = len(original) == 1 and original[analysis.segment_by].iloc[0] == privacy.OTHER
    if len(last) == 1 and best[analysis.segment_by] == privacy.OTHER and not only_real_other:
        return _("No {segment} has at least {minimum} starters apart from the rest, so completion by {segment} is "
                 "not broken down (all {starters} starters are shown as one group).").format(
            segment=seg, minimum=policy.min_cell_size, starters=number(best["entered"], 0))
    if len(last) == 1:
        return _("All starters share one {segment}: '{value}'.").format(segment=seg,
                                                                        value=name(best[analysis.segment_by]))
    overlap = best["conversion_low"] <= worst["conversion_high"]
    text = (_("By {segment}, completion ranges from {low} ('{worst}', {worst_starters} starters) to {high} "
              "('{best}', {best_starters} starters); the intervals overlap, so the difference may be noise.")
            if overlap else
            _("By {segment}, completion ranges from {low} ('{worst}', {worst_starters} starters) to {high} "
              "('{best}', {best_starters} starters); the intervals do not overlap."))
    return text.format(segment=seg, low=percent(worst["conversion"]), worst=name(worst[analysis.segment_by]),
                       worst_starters=number(worst["entered"], 0), high=percent(best["conversion"]),
                       best=name(best[analysis.segment_by]), best_starters=number(best["entered"], 0))


def key_findings(analysis: OnboardingAnalysis) -> str:
    """The report's opening: the findings in a few bullet points."""
    if not analysis.has_data:
        return no_data(analysis)
    points = [funnel_finding(analysis)]
    if analysis.bottleneck is not None:  # else the funnel finding already says why there is none
        points.append(bottleneck_finding(analysis))
    if analysis.launch is not None:
        points += [analysis.launch.abandonment.sentence(), analysis.launch.mean_minutes.sentence()]
    else:
        points.append(md_escape(analysis.launch_note))
    return "\n".join(f"- {p}" for p in points)


def _launch_step(analysis: OnboardingAnalysis) -> str:
    """What to do about the launch, by its abandonment verdict: keep it, review it, or wait."""
    ab = analysis.launch.abandonment
    text = {
        "better": _("Keep the launch of {date}: abandonment fell from {before} (before) to {after} (after), "
                    "{change}."),
        "worse": _("Review the launch of {date}: abandonment rose from {before} (before) to {after} (after), "
                   "{change}."),
    }.get(ab.verdict) or _("Do not credit the launch of {date} yet: abandonment did not change significantly, "
                           "{before} (before) to {after} (after), {change}.")
    change = _("{effect} (95% CI {low} to {high})").format(effect=signed_points(ab.abs_effect),
                                                         low=signed_points(ab.ci_low, unit=""),
                                                         high=signed_points(ab.ci_high, unit=""))
    return text.format(date=md_escape(day_of(analysis.launch.launch_date, "launch_date")),
                       before=percent(ab.value_a, 1),
                       after=percent(ab.value_b, 1), change=change)


def next_steps(analysis: OnboardingAnalysis) -> str:
    """What to do next, each step resting on a finding of this report (and only on tables the report read).

    The bottleneck to fix first (users lost and its median time), the launch to keep, review or wait
    on (by its abandonment verdict), a step without events to check in the logging, and the segment
    that completes less when its interval clears the best one's.
    """
    if not analysis.has_data:
        return no_data(analysis)
    steps = []
    b = analysis.bottleneck
    if b is not None:
        steps.append(_("Fix '{step}' first: it is the bottleneck, losing {lost} users ({share} of all drop-off) and "
                       "taking a median {median}. Test the change on a share of users.").format(
            step=name(b.step), lost=number(b.lost, 0), share=percent(b.loss_share), median=duration(b.median_seconds)))
    if analysis.launch is not None:
        steps.append(_launch_step(analysis))
    if analysis.empty_steps:
        step = analysis.steps[min(analysis.empty_steps) - 1]
        steps.append(_("Check that '{step}' is still logged under this name: the period has no such event.").format(
            step=md_escape(step)))
    if analysis.by_segment is not None and analysis.segment_by:
        segments = privacy.active().fold_funnel_segments(analysis.by_segment, analysis.segment_by)
        last = segments[segments["step_index"] == segments["step_index"].max()].sort_values("conversion")
        if len(last) > 1 and last.iloc[0]["conversion_high"] < last.iloc[-1]["conversion_low"]:
            worst, best = last.iloc[0], last.iloc[-1]
            steps.append(_("Look at why {segment} '{worst}' completes less: {worst_rate} against {best_rate} for "
                           "'{best}', and the intervals do not overlap.").format(
                segment=name(analysis.segment_by), worst=name(worst[analysis.segment_by]),
                worst_rate=percent(worst["conversion"]), best_rate=percent(best["conversion"]),
                best=name(best[analysis.segment_by])))
    return "\n".join(f"- {s}" for s in steps) or "- " + _("Nothing stands out; re-run this report next month.")


def headline(analysis: OnboardingAnalysis) -> str:
    """Plain-text headline numbers (stable across runs of the same data, for regression checks)."""
    lines = [f"starters: {analysis.entered}", f"completed: {analysis.completed}"]
    if analysis.bottleneck is not None:
        lines.append(f"bottleneck: {privacy.active().mask_text(analysis.bottleneck.step)}")
    if analysis.launch is not None:
        ab, mean = analysis.launch.abandonment, analysis.launch.mean_minutes
        lines += [
            f"abandonment before: {ab.value_a:.3f} after: {ab.value_b:.3f}",
            f"mean minutes before: {mean.value_a:.2f} after: {mean.value_b:.2f}",
        ]
    return "\n".join(lines)
