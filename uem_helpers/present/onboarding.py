"""The onboarding report in words: funnel, step times, bottleneck, before/after, segments.

Every function takes an :class:`~uem_helpers.stories.onboarding.OnboardingAnalysis`
and returns Markdown (or plain text for :func:`headline`), generated from the
result so it is right for every run. Data text passes through
:func:`uem_helpers.present.narrative.md_escape`.
"""

from __future__ import annotations

from uem_helpers.core.formats import duration, number, percent, percent_interval, signed_points, span
from uem_helpers.present.narrative import framing, funnel_title, md_escape, period_words
from uem_helpers.present import privacy
from uem_helpers.stories.onboarding import OnboardingAnalysis


def title(config, funnel: str, *, launch_date: object = None) -> str:
    """The report's title: the funnel's ``title`` in the config (or its name) and the question the report answers."""
    question = "where do users get stuck, and did the launch help?" if launch_date else "where do users get stuck?"
    return f"{funnel_title(config, funnel)}: {question}"


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
    name = md_escape(funnel_title(config, funnel))
    first, goal = md_escape(spec.steps[0]), md_escape(spec.steps[-1])
    if launch_date:
        what = f" ({md_escape(launch_description)})" if launch_description else ""
        launch = (f"and tests whether the launch on {md_escape(launch_date)}{what} made completion faster and "
                  "abandonment lower")
    else:
        launch = "and makes no before/after comparison (no launch date is set)"
    body = (
        f"For user-engineering leads and the team that owns the {name} funnel. The report follows every user "
        f"who reached '{first}' {period_words(period_start, period_end)} through the funnel's "
        f"{len(spec.steps)} steps to '{goal}' (within {span(spec.window.total_seconds())}), finds the step that "
        f"loses the most users and time, {launch}. Every rate comes with its 95% confidence interval."
    )
    return framing(title(config, funnel, launch_date=launch_date), body)


def funnel_chart_title(config, funnel: str, *, period_start: object = None, period_end: object = None) -> str:
    """The funnel chart's title: the funnel's title and the period (plain text, for a chart)."""
    start, end = period_start or "first day", period_end or "last day"
    return f"{funnel_title(config, funnel)} ({start} to {end})"


def _window(analysis: OnboardingAnalysis) -> str:
    return span(analysis.window.total_seconds())


def _period(analysis: OnboardingAnalysis) -> str:
    start, end = analysis.period_start or "the first day of data", analysis.period_end or "the last"
    return f"{md_escape(start)} and {md_escape(end)}"


def no_data(analysis: OnboardingAnalysis) -> str:
    """The sentence shown in every section when nobody started in the period."""
    return (
        f"**No data:** nobody started '{md_escape(analysis.steps[0])}' between {_period(analysis)}, "
        "so this section has nothing to show. Check the period and the funnel's first step."
    )


def empty_step_finding(analysis: OnboardingAnalysis) -> str:
    """What a step without events in the period means: nobody could reach it; ``""`` when every step has events."""
    if not analysis.empty_steps:
        return ""
    k = min(analysis.empty_steps)
    step = md_escape(analysis.steps[k - 1])
    after = ", nor any step after it" if k < len(analysis.steps) else ""
    return (
        f"No users reached step {k} ('{step}') in this period{after}: the log has no '{step}' event between "
        f"{_period(analysis)}. Check the period, or whether the event is still logged under this name."
    )


def funnel_finding(analysis: OnboardingAnalysis) -> str:
    """Overall completion with its interval, and the biggest single drop (before any step without events)."""
    if not analysis.has_data:
        return no_data(analysis)
    last = analysis.readout.iloc[-1]
    reachable = analysis.readout.iloc[: min(analysis.empty_steps) - 1] if analysis.empty_steps else analysis.readout
    steps = reachable.iloc[1:]
    text = (
        f"Of **{number(analysis.entered, 0)}** users who started between {_period(analysis)}, "
        f"**{percent(last['conversion'])}** ({percent_interval(last['conversion_low'], last['conversion_high'])}) "
        f"completed within {_window(analysis)}."
    )
    if len(steps) and steps["lost"].max() > 0:
        worst = steps.loc[steps["lost"].idxmax()]
        text += (
            f" The largest drop is at step {int(worst['step_index'])} "
            f"'{md_escape(worst['step'])}': {number(worst['lost'], 0)} users lost, "
            f"{percent(1 - worst['step_conversion'])} of those who reached the step before."
        )
    return " ".join([text, md_escape(analysis.open_window_note), empty_step_finding(analysis)]).strip()


def times_finding(analysis: OnboardingAnalysis) -> str:
    """The slowest step by median time, and the median total time."""
    if not analysis.has_data:
        return no_data(analysis)
    steps = analysis.readout.iloc[1:]
    if steps["median_seconds"].isna().all():
        return "Nobody reached the second step, so there are no step times to show."
    slow = steps.loc[steps["median_seconds"].idxmax()]
    done = analysis.times.loc[analysis.times["completed"], "seconds_to_complete"]
    total = f" Completers took a median {duration(done.median())} in all." if len(done) else ""
    return (
        f"The slowest step is '{md_escape(slow['step'])}': a median {duration(slow['median_seconds'])} "
        f"(p90 {duration(slow['p90_seconds'])}) from the step before.{total}"
    )


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
        f"Comparing starters before and after the launch on **{launch.launch_date}**:",
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
        return md_escape(analysis.segment_note) or "No segment breakdown was asked for (set `segment_by`)."
    policy = privacy.active()
    segments = policy.fold_funnel_segments(analysis.by_segment, analysis.segment_by)
    last = segments[segments["step_index"] == segments["step_index"].max()]
    last = last.sort_values("conversion", ascending=False)
    best, worst = last.iloc[0], last.iloc[-1]
    seg = md_escape(analysis.segment_by)
    original = analysis.by_segment[analysis.by_segment["step_index"] == 1]
    only_real_other = len(original) == 1 and original[analysis.segment_by].iloc[0] == privacy.OTHER
    if len(last) == 1 and best[analysis.segment_by] == privacy.OTHER and not only_real_other:
        return (f"No {seg} has at least {policy.min_cell_size} starters apart from the rest, so completion "
                f"by {seg} is not broken down (all {int(best['entered']):,} starters are shown as one group).")
    if len(last) == 1:
        return f"All starters share one {seg}: '{md_escape(best[analysis.segment_by])}'."
    overlap = best["conversion_low"] <= worst["conversion_high"]
    verdict = ("the intervals overlap, so the difference may be noise" if overlap
               else "the intervals do not overlap")
    return (
        f"By {seg}, completion ranges from {percent(worst['conversion'])} "
        f"('{md_escape(worst[analysis.segment_by])}', {int(worst['entered']):,} starters) to "
        f"{percent(best['conversion'])} ('{md_escape(best[analysis.segment_by])}', {int(best['entered']):,} starters); "
        f"{verdict}."
    )


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
        steps.append(f"Fix '{md_escape(b.step)}' first: it is the bottleneck, losing {b.lost:,} users "
                     f"({percent(b.loss_share)} of all drop-off) and taking a median {duration(b.median_seconds)}. "
                     "Test the change on a share of users.")
    if analysis.launch is not None:
        ab, date = analysis.launch.abandonment, md_escape(analysis.launch.launch_date)
        verdict = {"better": f"Keep the launch of {date}: abandonment fell from",
                   "worse": f"Review the launch of {date}: abandonment rose from"}.get(
            ab.verdict, f"Do not credit the launch of {date} yet: abandonment did not change significantly,")
        change = f"{signed_points(ab.abs_effect)} (95% CI {signed_points(ab.ci_low, unit='')} to " \
                 f"{signed_points(ab.ci_high, unit='')})"
        steps.append(f"{verdict} {percent(ab.value_a, 1)} (before) to {percent(ab.value_b, 1)} (after), {change}.")
    if analysis.empty_steps:
        step = md_escape(analysis.steps[min(analysis.empty_steps) - 1])
        steps.append(f"Check that '{step}' is still logged under this name: the period has no such event.")
    if analysis.by_segment is not None and analysis.segment_by:
        segments = privacy.active().fold_funnel_segments(analysis.by_segment, analysis.segment_by)
        last = segments[segments["step_index"] == segments["step_index"].max()].sort_values("conversion")
        if len(last) > 1 and last.iloc[0]["conversion_high"] < last.iloc[-1]["conversion_low"]:
            worst, best = last.iloc[0], last.iloc[-1]
            steps.append(f"Look at why {md_escape(analysis.segment_by)} '{md_escape(worst[analysis.segment_by])}' "
                         f"completes less: {percent(worst['conversion'])} against {percent(best['conversion'])} for "
                         f"'{md_escape(best[analysis.segment_by])}', and the intervals do not overlap.")
    return "\n".join(f"- {s}" for s in steps) or "- Nothing stands out; re-run this report next month."


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
