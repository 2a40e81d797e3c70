"""The onboarding report's charts, each with the one sentence under it that says what to see.

Each ``*_figure`` draws one picture with :mod:`uem_helpers.present.plots` and returns a
:class:`~uem_helpers.present.captions.Captioned` (the chart and its caption, shown together in a
notebook cell); each ``*_caption`` is that sentence alone, written from an
:class:`~uem_helpers.stories.onboarding.OnboardingAnalysis`. :mod:`uem_helpers.present.onboarding`
names them for the notebook.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import day, duration, percent, signed_points
from uem_helpers.core.i18n import _, label
from uem_helpers.core.period import to_datetime
from uem_helpers.present import plots, privacy
from uem_helpers.present.captions import Captioned, daily_caption, funnel_caption
from uem_helpers.stories.onboarding import OnboardingAnalysis


def funnel_figure(a: OnboardingAnalysis, *, title: str | None = None) -> Captioned:
    """The funnel (:func:`~uem_helpers.present.plots.funnel_chart`) and where it loses the most users."""
    return Captioned(plots.funnel_chart(a.readout, title=title), funnel_caption(a.readout))


def times_caption(a: OnboardingAnalysis) -> str:
    """The step users take longest to reach, by its median time from the step before."""
    steps = a.readout.iloc[1:]
    if steps.empty or steps["median_seconds"].isna().all():
        return _("Nobody reached the second step, so there are no step times to show.")
    slow = steps.loc[steps["median_seconds"].idxmax()]
    return _("'{step}' takes longest to reach: a median {median} from the step before, and {p90} for the slowest "
             "tenth of users.").format(step=f"{int(slow['step_index'])}. {label(slow['step'])}",
                                       median=duration(slow["median_seconds"]), p90=duration(slow["p90_seconds"]))


def times_figure(a: OnboardingAnalysis) -> Captioned:
    """Time spent on each step (:func:`~uem_helpers.present.plots.step_times`) and the slowest one."""
    return Captioned(plots.step_times(a.times, a.steps), times_caption(a))


def completion_time_caption(a: OnboardingAnalysis) -> str:
    """Completers' median time to complete after the launch against before it."""
    launch = pd.Timestamp(to_datetime(a.launch.launch_date, "launch_date"))
    done = a.times[a.times["completed"]]
    before = done.loc[done["entered_at"] < launch, "seconds_to_complete"]
    after = done.loc[done["entered_at"] >= launch, "seconds_to_complete"]
    if before.empty or after.empty:
        return _("Nobody completed on one side of the launch on {date}, so the two times cannot be "
                 "compared.").format(date=day(launch))
    text = (_("Completers who started after the launch took a median {after}, faster than the {before} before it.")
            if after.median() < before.median() else
            _("Completers who started after the launch took a median {after}, no faster than the {before} before "
              "it."))
    return text.format(after=duration(after.median()), before=duration(before.median()))


def completion_time_figure(a: OnboardingAnalysis) -> Captioned:
    """Time to complete before vs after the launch (:func:`~uem_helpers.present.plots.completion_time_before_after`)."""
    return Captioned(plots.completion_time_before_after(a.times, a.launch.launch_date), completion_time_caption(a))


def step_changes_caption(a: OnboardingAnalysis) -> str:
    """The step whose conversion from the step before changed most between before and after the launch."""
    before = a.launch.before.set_index("step_index")
    after = a.launch.after.set_index("step_index")
    change = (after["step_conversion"] - before["step_conversion"]).loc[lambda s: s.index >= 2].dropna()
    if change.empty:
        return _("No step was reached on both sides of the launch, so no step's conversion can be compared.")
    k = change.abs().idxmax()
    return _("'{step}' changed most: {before} of those at the step before went on to it before the launch, {after} "
             "after ({points}).").format(step=f"{int(k)}. {label(before.loc[k, 'step'])}",
                                         before=percent(before.loc[k, "step_conversion"]),
                                         after=percent(after.loc[k, "step_conversion"]), points=signed_points(change[k]))


def step_changes_figure(a: OnboardingAnalysis) -> Captioned:
    """Each step's conversion before vs after the launch (:func:`~uem_helpers.present.plots.compare_steps`)."""
    return Captioned(plots.compare_steps(a.launch.before, a.launch.after), step_changes_caption(a))


def daily_figure(a: OnboardingAnalysis, *, launch_date: object = None) -> Captioned:
    """Daily completion (:func:`~uem_helpers.present.plots.daily_rate`) and its 7-day rate at both ends."""
    return Captioned(plots.daily_rate(a.daily, launch_date=launch_date),
                     daily_caption(a.daily, launch_date=launch_date, rate="completion"))


def segments_caption(a: OnboardingAnalysis) -> str:
    """The segments that complete most and least often, and whether their intervals overlap (small ones folded)."""
    readout = privacy.active().fold_funnel_segments(a.by_segment, a.segment_by)
    last = readout[readout["step_index"] == readout["step_index"].max()].sort_values("conversion", ascending=False)
    best, worst = last.iloc[0], last.iloc[-1]
    if len(last) == 1:
        return _("All starters are shown as one group: {share} of them completed.").format(
            share=percent(best["conversion"]))
    text = (_("'{best}' completes most often ({high}) and '{worst}' least often ({low}); their intervals overlap, "
              "so the gap may be noise.") if best["conversion_low"] <= worst["conversion_high"] else
            _("'{best}' completes most often ({high}) and '{worst}' least often ({low}); their intervals do not "
              "overlap."))
    return text.format(best=label(str(best[a.segment_by])), high=percent(best["conversion"]),
                       worst=label(str(worst[a.segment_by])), low=percent(worst["conversion"]))


def segments_figure(a: OnboardingAnalysis) -> Captioned:
    """Completion by segment (:func:`~uem_helpers.present.plots.segment_conversion`) and its extremes."""
    return Captioned(plots.segment_conversion(a.by_segment, a.segment_by), segments_caption(a))

