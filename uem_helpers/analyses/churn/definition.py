"""The churn rule from the config, its cutoffs, who is eligible at a cutoff, and their labels.

Definitions
-----------
- An **active event** is one of ``churn.active_events``. Everything is computed as of a
  **cutoff** ``T`` (an instant, naive wall clock in the config's zone like every canonical
  timestamp) and sees only events **strictly before** it, unless it is a label.
- **Eligible at T**: the user had an active event in ``[T - inactive, T)`` (not already gone)
  and a **tenure** of at least ``min_tenure`` at ``T``: ``T - users.signup_at``, or
  ``T - the first active event`` when there is no users table or the user is not in it.
  An active event exactly ``inactive`` before ``T`` counts; one at ``T`` does not. A tenure of
  exactly ``min_tenure`` is enough.
- **Label at T**: an eligible user **churned** when they have no active event in
  ``[T, T + inactive)``: an event exactly ``inactive`` after ``T`` is too late.
- **Cutoffs** for an ``as_of`` (what is known; by default the end of the report period):
  the users are **scored** at ``as_of``, the model is **validated** at ``as_of - inactive``
  and **trained** at ``as_of - 2 x inactive``, so the labels of both are known by ``as_of``.
  The features of the training cutoff look back a window of ``2 x trend`` days, so the data
  must reach back ``2 x inactive + 2 x trend`` days before ``as_of``.

Example
-------
>>> rule = ChurnRule.from_config(config)                               # doctest: +SKIP
>>> points = cutoffs(data, rule, as_of_instant("2026-10-31"))           # doctest: +SKIP
>>> labelled_users(data, rule, points.validate).to_pandas()             # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import pandas as pd

from uem_helpers.analyses.sessions import epoch_seconds
from uem_helpers.core.churn_config import require_churn
from uem_helpers.core.errors import ConfigDataError, ConfigError, ConfigProblem, ParameterError
from uem_helpers.core.period import is_date_only, to_datetime
from uem_helpers.data.config_check import nearest_names
from uem_helpers.data.sources import Dataset

#: Seconds in a day: every ``*_days`` value is a difference of instants divided by it (fractional).
DAY_SECONDS = 86400.0
#: How long before ``as_of`` the data may end (an export stops during the last evening): more would count
#: the missing days as inactivity.
DATA_END_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class ChurnRule:
    """The churn rule: how long a gap means the user left, which events mean they are active.

    Attributes
    ----------
    inactive : timedelta
        A user churns at the start of their first gap this long without an active event.
    active_events : tuple of str
        The events that mean the user is active.
    min_tenure : timedelta
        Users younger than this at a cutoff are not eligible.
    trend : timedelta
        The "recent" feature window; :attr:`window` is twice it.
    """

    inactive: timedelta
    active_events: tuple[str, ...]
    min_tenure: timedelta = timedelta(days=14)
    trend: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if isinstance(self.active_events, str) or not [e for e in self.active_events if e]:
            raise ConfigError("churn.active_events", self.active_events,
                              "name at least one event that means the user is active, e.g. [app_open]")
        object.__setattr__(self, "active_events", tuple(self.active_events))  # a list given stays hashable
        for key, value in (("churn.inactive_days", self.inactive), ("churn.trend_days", self.trend)):
            if value <= timedelta(0):
                raise ConfigError(key, value.days, "give a positive number of days, e.g. 30")

    @property
    def window(self) -> timedelta:
        """The whole feature window: twice :attr:`trend`."""
        return 2 * self.trend

    @classmethod
    def from_config(cls, config, source: str | None = None) -> ChurnRule:
        """The rule of the config's ``churn:`` section.

        Raises
        ------
        ConfigError
            The config has no ``churn:`` section (the message shows one).
        """
        churn = require_churn(config, source)
        return cls(inactive=timedelta(days=churn.inactive_days), active_events=tuple(churn.active_events),
                   min_tenure=timedelta(days=churn.min_tenure_days), trend=timedelta(days=churn.trend_days))


@dataclass(frozen=True)
class Cutoffs:
    """The instants one churn report works at (see the module docstring).

    Attributes
    ----------
    as_of : datetime
        What is known: only events before it are read.
    score : datetime
        Where the users at risk now are scored (= ``as_of``).
    validate : datetime
        The out-of-time validation cutoff (``as_of - inactive``).
    train : datetime
        The training cutoff (``as_of - 2 x inactive``).
    """

    as_of: datetime
    score: datetime
    validate: datetime
    train: datetime


def as_of_instant(value: object, name: str = "as_of") -> datetime:
    """The instant an ``as_of`` parameter means: a date is the end of that day, a date and time itself.

    ``"2026-10-31"`` (the default: the period's last day) means everything up to the end of
    October 31, i.e. ``2026-11-01 00:00``.

    Raises
    ------
    ParameterError
        Not a date or date and time.
    """
    instant = to_datetime(value, name)
    return instant + timedelta(days=1) if is_date_only(value) else instant


def cutoffs(data: Dataset, rule: ChurnRule, as_of: object) -> Cutoffs:
    """The score, validation and training cutoffs for ``as_of``, checked against the data.

    Parameters
    ----------
    data : Dataset
        The loaded tables; ``events`` is required.
    rule : ChurnRule
        The churn rule.
    as_of : datetime or date-like
        The instant that fixes what is known (:func:`as_of_instant` turns a date parameter into one).

    Raises
    ------
    ConfigDataError
        An active event has no rows before ``as_of`` (with the nearest event names).
    ConfigError
        The data do not reach back the ``2 x inactive + 2 x trend`` days the training cutoff needs
        (key ``churn.inactive_days``; the message says how far they reach and what is needed).
    ParameterError
        The data end more than :data:`DATA_END_SLACK` before ``as_of``: the validation labels would count
        the missing days as inactivity.
    """
    as_of = to_datetime(as_of, "as_of")
    first = check_active_events(data, rule, as_of)
    needed = 2 * rule.inactive + rule.window
    if first is None or first > as_of - needed:
        have = 0.0 if first is None else (as_of - first).total_seconds() / DAY_SECONDS
        since = "no events" if first is None else f"the first event is at {first:%Y-%m-%d %H:%M}"
        raise ConfigError(
            "churn.inactive_days", rule.inactive.days,
            f"the churn window is longer than the data: {since}, {have:.1f} days before as_of "
            f"{as_of:%Y-%m-%d %H:%M}, but training at as_of - 2 x inactive_days with a feature window of "
            f"2 x trend_days ({rule.window.days} days) needs {needed.days} days of history; shorten "
            "churn.inactive_days or churn.trend_days, move as_of later, or load more history")
    last = _last_event(data, as_of)
    if last is not None and as_of - last > DATA_END_SLACK:
        raise ParameterError(
            f"as_of {as_of:%Y-%m-%d %H:%M} is after the data end: the last event before it is at "
            f"{last:%Y-%m-%d %H:%M}, {(as_of - last).total_seconds() / DAY_SECONDS:.1f} days earlier, so the days "
            "in between would count as inactivity and inflate churn; set as_of (or the period's end) to "
            f"{last:%Y-%m-%d} or load the missing days")
    return Cutoffs(as_of=as_of, score=as_of, validate=as_of - rule.inactive, train=as_of - 2 * rule.inactive)


def _last_event(data: Dataset, as_of: datetime) -> datetime | None:
    """The last event (of any name) before ``as_of``."""
    events = data.require("events", "the churn analysis")
    last = events.filter(events.timestamp < as_of).timestamp.max().execute()
    return None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime()


def check_active_events(data: Dataset, rule: ChurnRule, as_of: object) -> datetime | None:
    """Check that every active event has rows before ``as_of``; return the first event's time then.

    One aggregate query over the events table.

    Raises
    ------
    ConfigDataError
        One problem per active event without rows before ``as_of``, each with up to three
        event names of the data that are close to it.
    """
    as_of = to_datetime(as_of, "as_of")
    events = data.require("events", "the churn analysis")
    before = events.filter(events.timestamp < as_of)
    counts = before.group_by("event").aggregate(n=before.count(), first=before.timestamp.min()).execute()
    existing = sorted(str(e) for e in counts["event"] if e is not None)
    problems = [ConfigProblem(f"churn.active_events[{i}]", event, "event",
                              f"the events table before {as_of:%Y-%m-%d %H:%M}", nearest_names(event, existing))
                for i, event in enumerate(rule.active_events) if event not in existing]
    if problems:
        raise ConfigDataError(problems)
    first = counts["first"].min() if len(counts) else None
    return None if first is None else first.to_pydatetime()


def active_events(data: Dataset, rule: ChurnRule, before: object) -> ibis.Table:
    """The active events strictly before ``before``: ``user_id``, ``timestamp`` (an expression)."""
    events = data.require("events", "the churn analysis")
    stop = to_datetime(before, "cutoff")
    return events.filter(events.event.isin(list(rule.active_events)) & (events.timestamp < stop)).select(
        "user_id", "timestamp")


def days_before(cutoff: datetime, column: ibis.TimestampValue) -> ibis.FloatingValue:
    """Days (fractional) from ``column`` to ``cutoff``, read to the millisecond on every backend."""
    return (epoch_seconds(ibis.literal(cutoff)) - epoch_seconds(column)) / DAY_SECONDS


def eligible_users(data: Dataset, rule: ChurnRule, cutoff: object) -> ibis.Table:
    """The users eligible at ``cutoff`` (see the module docstring), one row each (an expression).

    Returns
    -------
    ibis.Table
        ``user_id``, ``first_active_at`` and ``last_active_at`` (their first and last active event
        before the cutoff), ``started_at`` (signup, else the first active event), ``tenure_days``
        (cutoff - started_at) and ``days_since_active`` (cutoff - last_active_at), in days.
    """
    cutoff = to_datetime(cutoff, "cutoff")
    active = active_events(data, rule, cutoff)
    per_user = active.group_by("user_id").aggregate(first_active_at=active.timestamp.min(),
                                                    last_active_at=active.timestamp.max())
    per_user = per_user.filter(per_user.last_active_at >= cutoff - rule.inactive)
    if data.has("users"):
        users = data.tables["users"]
        signup = users.select(_uid=users.user_id, _signup=users.signup_at)
        joined = per_user.left_join(signup, per_user.user_id == signup._uid)
        per_user = joined.mutate(started_at=ibis.coalesce(joined._signup, joined.first_active_at)).drop(
            "_uid", "_signup")
    else:
        per_user = per_user.mutate(started_at=per_user.first_active_at)
    per_user = per_user.filter(per_user.started_at <= cutoff - rule.min_tenure)
    return per_user.mutate(tenure_days=days_before(cutoff, per_user.started_at),
                           days_since_active=days_before(cutoff, per_user.last_active_at))


def labelled_users(data: Dataset, rule: ChurnRule, cutoff: object) -> ibis.Table:
    """The users eligible at ``cutoff`` and whether they churned after it (an expression).

    Parameters
    ----------
    data : Dataset
        The loaded tables; the events must reach ``cutoff + inactive`` for the labels to mean
        anything (:func:`cutoffs` gives cutoffs for which they do).
    rule : ChurnRule
        The churn rule.
    cutoff : datetime or date-like
        The instant the users are labelled at.

    Returns
    -------
    ibis.Table
        ``user_id``, ``churned`` (bool: no active event in ``[cutoff, cutoff + inactive)``).
    """
    cutoff = to_datetime(cutoff, "cutoff")
    eligible = eligible_users(data, rule, cutoff).select("user_id")
    events = data.require("events", "the churn analysis")
    later = events.filter(events.event.isin(list(rule.active_events)) & (events.timestamp >= cutoff)
                          & (events.timestamp < cutoff + rule.inactive))
    stayed = later.select(_uid=later.user_id).distinct().mutate(_stayed=ibis.literal(True))
    joined = eligible.left_join(stayed, eligible.user_id == stayed._uid)
    return joined.select("user_id", churned=joined._stayed.isnull())

