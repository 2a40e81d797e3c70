"""The onboarding (account-opening) story: where new users get stuck, and did the fix work.

:func:`analyse_onboarding` composes the funnel, bottleneck and experiment
helpers into one result that the ``onboarding_funnel`` notebook shows section
by section. Definitions:

- **starters**: users whose first step-1 event falls in the period (funnel entry), and
  early enough that their whole conversion window lies in the data: a user who started
  within the last ``window`` of the data (its last event, in or after the period) may still complete, so counting
  them as abandoning would be a confident wrong number. They are left out and counted in
  ``still_open``, and ``open_window_note`` says so;
- **abandonment**: share of starters who do not reach the last step within the
  funnel's conversion window;
- **opening time**: minutes from the first step to the last, for completers;
- **before / after**: starters who entered before the launch date vs on or after it
  (the comparison runs only when the launch date falls inside the period, and only when
  the data covers at least ``min_side_days`` (:data:`MIN_SIDE_DAYS`, 7) on each side of
  it, guard days left out: the events' first and last times in the period,
  :func:`uem_helpers.data.coverage.coverage`; otherwise the note says what it needs and
  what the data has, e.g. "The before/after comparison needs at least 7 days of data on
  each side of the launch (2025-02-15); the data has 3 days after it.");
- **empty steps**: configured steps whose event has no row in the period; nobody can
  reach them, so the bottleneck is ranked over the steps before the first of them
  (a 100% drop at a step the log does not hold is not a bottleneck).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import ibis
import pandas as pd

from uem_helpers.analyses.bottleneck import Bottleneck, rank_bottlenecks
from uem_helpers.core.config import FunnelConfig, parse_duration
from uem_helpers.analyses.experiment import before_after_mean, before_after_median, before_after_rate, compare_rates
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.analyses.funnel import completion_times, daily_completion, funnel, user_funnel
from uem_helpers.core.formats import day, instant, number, span
from uem_helpers.core.i18n import N_, _, ngettext
from uem_helpers.core.period import in_period as in_period_of, period_bounds, to_datetime
from uem_helpers.data.coverage import MIN_SIDE_DAYS, coverage, launch_span_note
from uem_helpers.data.sources import Dataset

#: The launch's metrics, as a reader sees them (translated where shown).
ABANDONMENT = N_("Abandonment")
MEAN_OPENING_TIME = N_("Mean opening time")
MEDIAN_OPENING_TIME = N_("Median opening time")


@dataclass(frozen=True)
class LaunchComparison:
    """Before vs after a launch date."""

    launch_date: str
    before: pd.DataFrame
    """Funnel readout of starters before the launch."""
    after: pd.DataFrame
    """Funnel readout of starters on or after the launch."""
    abandonment: Readout
    mean_minutes: Readout
    median_minutes: Readout
    steps: pd.DataFrame
    """Per step 2..K: step conversion before and after, difference with CI and p-value."""


@dataclass(frozen=True)
class OnboardingAnalysis:
    """Everything the onboarding report shows. Sections whose input is missing hold None and a reason."""

    steps: list[str]
    window: timedelta
    period_start: str | None
    period_end: str | None
    readout: pd.DataFrame
    times: pd.DataFrame
    daily: pd.DataFrame
    bottleneck: Bottleneck | None
    launch: LaunchComparison | None
    launch_note: str
    """Why there is no before/after comparison, when there is none."""
    by_segment: pd.DataFrame | None
    segment_by: str | None
    notes: list[str] = field(default_factory=list)
    empty_steps: list[int] = field(default_factory=list)
    """1-based indices of the steps whose event has no row in the period."""
    segment_note: str = ""
    """Why there is no breakdown when ``segment_by="auto"`` found no default column."""
    still_open: int = 0
    """Users who started within the last conversion window of the data: not counted (module docstring)."""
    open_window_note: str = ""
    """The sentence saying who was left out as still inside their window; ``""`` when nobody was."""

    @property
    def entered(self) -> int:
        """Users who started (entered the funnel) in the period."""
        return int(self.readout["entered"].iloc[0])

    @property
    def completed(self) -> int:
        """Starters who reached the last step within the window."""
        return int(self.readout["reached"].iloc[-1])

    @property
    def has_data(self) -> bool:
        """False when nobody started in the period."""
        return self.entered > 0


def analyse_onboarding(
    data: Dataset,
    funnel_config: FunnelConfig,
    *,
    launch_date: object = None,
    period_start: object = None,
    period_end: object = None,
    segment_by: str | None = None,
    window: object = None,
    guard_days: int = 0,
    min_side_days: float = MIN_SIDE_DAYS,
) -> OnboardingAnalysis:
    """Run the onboarding analyses on a dataset.

    Parameters
    ----------
    data : Dataset
        Loaded tables (:func:`uem_helpers.data.sources.load`); only ``events`` is needed.
    funnel_config : FunnelConfig
        The account-opening funnel from the config (steps, window, mode, exclusions).
    launch_date : date-like, optional
        When the fix went live; before/after is compared when it falls inside the period.
    period_start, period_end : date-like, optional
        Starters are counted in this period (both ends inclusive).
    segment_by : str, optional
        Column (events or users table) for the breakdown; ``"auto"``: ``platform`` when the data has it.
    window : str, int or timedelta, optional
        Conversion window; the funnel's own window when None.
    guard_days : int
        Days on each side of the launch left out of the before/after comparison.
    min_side_days : float
        Days of data needed on each side of the launch (guard days left out) for the comparison.

    Returns
    -------
    OnboardingAnalysis
    """
    events = data.require("events", "the onboarding funnel")
    users = data.tables.get("users")
    steps = list(funnel_config.steps)
    common = dict(
        window=window or funnel_config.window,
        mode=funnel_config.mode,
        exclude=funnel_config.exclude,
    )
    entries_end, still_open, open_note = _whole_windows(events, steps[0], parse_duration(common["window"]),
                                                       period_start, period_end)
    in_period = dict(period_start=period_start, period_end=entries_end)
    readout = funnel(events, steps, **common, **in_period)
    empty = readout["entered"].iloc[0] == 0
    times = completion_times(events, steps, **common, **in_period)
    daily = daily_completion(events, steps, **common, **in_period)
    empty_steps = [] if empty else _empty_steps(events, steps, period_start, period_end)
    reachable = readout.iloc[: min(empty_steps) - 1] if empty_steps else readout
    bottleneck = None if empty or len(reachable) < 2 else rank_bottlenecks(reachable)
    by_segment = None
    segment_by, segment_note = data.segment_column(segment_by, ["events", "users"])
    if segment_by and not empty:
        by_segment = funnel(events, steps, **common, **in_period, segment_by=segment_by, users=users)

    launch, note = None, ""
    if launch_date in (None, ""):
        note = _("No launch date was given, so there is no before/after comparison.")
    elif empty:
        note = _("Nobody started in the period, so there is no before/after comparison.")
    else:
        launch, note = _compare_launch(events, steps, common, launch_date, period_start, period_end, guard_days,
                                       min_side_days, entries_end=entries_end)

    return OnboardingAnalysis(
        steps=steps,
        window=parse_duration(common["window"]),
        period_start=None if period_start is None else str(period_start),
        period_end=None if period_end is None else str(period_end),
        readout=readout,
        times=times,
        daily=daily,
        bottleneck=bottleneck,
        launch=launch,
        launch_note=note,
        by_segment=by_segment,
        segment_by=segment_by,
        empty_steps=empty_steps,
        still_open=still_open,
        open_window_note=open_note,
        segment_note=segment_note,
    )


def _whole_windows(events: ibis.Table, first_step: str, window: timedelta, period_start: object,
                   period_end: object) -> tuple[object, int, str]:
    """The last entry instant whose whole window lies in the data, the starters after it, and the sentence.

    Returns ``(period_end, 0, "")`` when every starter of the period had their whole window.
    """
    data_end = events.aggregate(last=events.timestamp.max()).execute()["last"].iloc[0]
    if pd.isna(data_end):
        return period_end, 0, ""
    data_end = pd.Timestamp(data_end).to_pydatetime()
    last_entry = data_end - window
    _, stop = period_bounds(period_start, period_end)
    if stop is not None and last_entry >= stop:
        return period_end, 0, ""
    starts = events.filter((events.event == first_step) & in_period_of(events.timestamp, period_start, period_end))
    firsts = starts.group_by("user_id").aggregate(entered_at=starts.timestamp.min())
    late = int(firsts.filter(firsts.entered_at > last_entry).count().execute())
    if late == 0:
        return period_end, 0, ""
    note = ngettext(
        "{n} user started after {start}, within the last {window} of the data (it ends {end}): still inside the "
        "conversion window, so not counted as completing or abandoning.",
        "{n} users started after {start}, within the last {window} of the data (it ends {end}): still inside the "
        "conversion window, so not counted as completing or abandoning.", late,
    ).format(n=number(late, 0), start=instant(last_entry), window=span(window.total_seconds()), end=instant(data_end))
    return last_entry, late, note


def _empty_steps(events: ibis.Table, steps: list[str], period_start: object, period_end: object) -> list[int]:
    """1-based indices of the steps with no event in the period (one aggregate query)."""
    rows = events.filter(events.event.isin(steps) & in_period_of(events.timestamp, period_start, period_end))
    present = set(rows.group_by("event").aggregate(n=rows.count()).execute()["event"])
    return [k for k, step in enumerate(steps, start=1) if step not in present]


def _compare_launch(
    events: ibis.Table,
    steps: list[str],
    common: dict,
    launch_date: object,
    period_start: object,
    period_end: object,
    guard_days: int,
    min_side_days: float = MIN_SIDE_DAYS,
    entries_end: object = None,
) -> tuple[LaunchComparison | None, str]:
    """Before vs after the launch; starters counted up to ``entries_end`` (default: the period's end)."""
    entries_end = period_end if entries_end is None else entries_end
    launch = to_datetime(launch_date, "launch_date")
    start, stop = period_bounds(period_start, period_end)
    if (start is not None and launch <= start) or (stop is not None and launch >= stop):
        return None, _("The launch date {date} is outside the period, so there is no before/after comparison; "
                       "widen the period to include days on both sides of it.").format(date=day(launch))
    short = launch_span_note(coverage({"events": events}, period_start, period_end), launch, guard_days,
                             min_side_days)
    if short:
        return None, short
    day_before = (launch - timedelta(days=1 + guard_days)).date().isoformat()
    first_after = (launch + timedelta(days=guard_days)).date().isoformat()
    before = funnel(events, steps, **common, period_start=period_start, period_end=day_before)
    after = funnel(events, steps, **common, period_start=first_after, period_end=entries_end)
    if before["entered"].iloc[0] == 0 or after["entered"].iloc[0] == 0:
        note = (_("Nobody started before the launch date {date} in the period, so there is no comparison.")
                if before["entered"].iloc[0] == 0 else
                _("Nobody started after the launch date {date} in the period, so there is no comparison."))
        return None, note.format(date=day(launch))

    per_user = user_funnel(events, steps, **common, period_start=period_start, period_end=entries_end)
    per_user = per_user.mutate(
        abandoned=~per_user.completed,
        minutes_to_complete=per_user.seconds_to_complete / 60.0,
    )
    window = dict(guard_days=guard_days, period_start=period_start, period_end=entries_end)
    abandonment = before_after_rate(
        per_user, "entered_at", "abandoned", launch_date, metric=ABANDONMENT, higher_is_better=False, **window
    )
    completers = per_user.filter(per_user.completed)
    mean_minutes = before_after_mean(
        completers, "entered_at", "minutes_to_complete", launch_date,
        metric=MEAN_OPENING_TIME, unit="min", higher_is_better=False, **window,
    )
    median_minutes = before_after_median(
        completers, "entered_at", "minutes_to_complete", launch_date,
        metric=MEDIAN_OPENING_TIME, unit="min", higher_is_better=False, **window,
    )
    rows = []
    for k in range(2, len(steps) + 1):
        b, a = before.iloc[k - 1], after.iloc[k - 1]
        readout = compare_rates(
            int(b["reached"]), int(before.iloc[k - 2]["reached"]), int(a["reached"]), int(after.iloc[k - 2]["reached"]),
            metric=f"Conversion to {steps[k - 1]}", higher_is_better=True,
        )
        rows.append({"step_index": k, "step": steps[k - 1], **readout.to_frame().iloc[0].to_dict(),
                     "sentence": readout.sentence()})
    comparison = LaunchComparison(
        launch_date=f"{launch:%Y-%m-%d}",
        before=before,
        after=after,
        abandonment=abandonment,
        mean_minutes=mean_minutes,
        median_minutes=median_minutes,
        steps=pd.DataFrame(rows),
    )
    return comparison, ""
