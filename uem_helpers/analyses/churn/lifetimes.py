"""Lifetimes: how long each user stayed before their first gap, for the survival curves and the Cox model.

Definition
----------
Only active events before ``as_of`` are read. A user **enters** at their first active event.
A **gap** follows each active event: the time to the user's next active event, or to ``as_of``
after the last one. The user **churned** when a gap of at least ``inactive`` occurs before
``as_of``; they churned at the **start** of the first such gap, i.e. at the active event it
follows (``churned_at``). A user who came back after that gap still churned there (their later
activity shows in ``last_active_at``). A user without such a gap is **right-censored**. A churn
can only be seen by ``as_of`` if it happened by ``as_of - inactive`` (its gap must fit before
``as_of``), so a censored lifetime ends at the user's last active event or at ``as_of - inactive``,
whichever comes first (``duration_days``; 0 for a user who entered after that). Ending it at the
last active event alone would keep users at risk in the last ``inactive`` days, when no churn can
be seen: on the sample that pulled the returning users' hazard ratio from the planted 0.5 to 0.6,
because new users spend more of their lifetimes there than users watched since the start.

The time-varying covariates the Cox model splits lifetimes at come along: the user's first
payment error (:func:`~uem_helpers.analyses.churn.features.payment_errors`, sessions from
:func:`~uem_helpers.analyses.sessions.session_keys` of the events before ``as_of``) and
first detractor NPS answer (score 6 or lower), both ``NaT`` when none happened before ``as_of``
or the table or config lacks them.

Example
-------
>>> survival_table(data, rule, points.as_of, config).head()          # doctest: +SKIP
"""

from __future__ import annotations

import ibis
import pandas as pd

from uem_helpers.analyses.churn.definition import DAY_SECONDS, ChurnRule, active_events, check_active_events
from uem_helpers.analyses.churn.features import payment_errors, with_segments
from uem_helpers.analyses.metrics.nps import DETRACTOR_MAX
from uem_helpers.analyses.sessions import epoch_seconds
from uem_helpers.core.churn_config import require_churn
from uem_helpers.core.period import to_datetime
from uem_helpers.data.sources import Dataset

#: The survival table's columns before the segment columns.
COLUMNS = ("user_id", "entered_at", "last_active_at", "churned", "churned_at", "duration_days",
           "payment_error_at", "detractor_at")


def survival_table(data: Dataset, rule: ChurnRule, as_of: object, config) -> pd.DataFrame:
    """One row per user with an active event before ``as_of``: their lifetime, churned or censored.

    Parameters
    ----------
    data : Dataset
        The loaded tables; ``events`` is required, ``users`` and ``nps`` are used when present.
    rule : ChurnRule
        The churn rule (active events, the inactive gap).
    as_of : datetime or date-like
        What is known: only rows before it are read.
    config : UEMConfig
        The config: ``churn`` (payment errors, segments) and ``sessions.gap``.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``entered_at``, ``last_active_at``, ``churned`` (bool), ``churned_at`` (NaT when
        censored), ``duration_days`` (entry to ``churned_at``, or when censored to the last active
        event or ``as_of - inactive``, whichever is first; at least 0), ``payment_error_at`` and ``detractor_at`` (first, NaT if none), then one text
        column per ``churn.segments`` column; sorted by ``user_id``.

    Raises
    ------
    ConfigError
        The config has no ``churn:`` section.
    ConfigDataError
        An active event has no rows before ``as_of``, or a segment column is not in the data.
    """
    churn = require_churn(config)
    as_of = to_datetime(as_of, "as_of")
    check_active_events(data, rule, as_of)
    # Only the two columns the gaps read: the window carries whatever it is given over every active event,
    # and with the whole event payload it ran out of a 14 GB DuckDB limit at 120M events.
    active = active_events(data, rule, as_of).select("user_id", "timestamp")
    following = ibis.window(group_by="user_id", order_by="timestamp")
    gaps = active.mutate(_next=ibis.coalesce(active.timestamp.lead().over(following), ibis.literal(as_of)))
    gap_seconds = epoch_seconds(gaps._next) - epoch_seconds(gaps.timestamp)
    gaps = gaps.mutate(_gone=gap_seconds >= rule.inactive.total_seconds())
    lives = gaps.group_by("user_id").aggregate(
        entered_at=gaps.timestamp.min(),
        last_active_at=gaps.timestamp.max(),
        churned_at=gaps.timestamp.min(where=gaps._gone),
    )
    horizon = ibis.literal(as_of - rule.inactive)  # the last instant a churn can be seen by as_of
    end = ibis.coalesce(lives.churned_at, ibis.least(lives.last_active_at, horizon))
    days = (epoch_seconds(end) - epoch_seconds(lives.entered_at)) / DAY_SECONDS
    lives = lives.mutate(churned=lives.churned_at.notnull(), duration_days=ibis.greatest(days, 0.0))
    lives = _with_first(lives, _first_payment_errors(data, churn, config, as_of), "payment_error_at")
    lives = _with_first(lives, _first_detractor(data, as_of), "detractor_at")
    lives = with_segments(lives, data, churn.segments, as_of)
    frame = lives.select(*COLUMNS, *churn.segments).execute()
    frame = frame.sort_values("user_id").reset_index(drop=True)
    frame["churned"] = frame["churned"].astype(bool)
    frame["duration_days"] = frame["duration_days"].astype("float64")
    for column in ("entered_at", "last_active_at", "churned_at", "payment_error_at", "detractor_at"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")  # one unit on every backend
    return frame


def _with_first(lives: ibis.Table, first: ibis.Table | None, name: str) -> ibis.Table:
    """``lives`` with the column ``name``: the time in ``first`` (``user_id``, ``at``), null without one."""
    if first is None:
        return lives.mutate(**{name: ibis.null("timestamp")})
    first = first.rename(_uid="user_id")
    joined = lives.left_join(first, lives.user_id == first._uid)
    return joined.rename(**{name: "at"}).drop("_uid")


def _first_payment_errors(data: Dataset, churn, config, as_of) -> ibis.Table | None:
    """Each user's first payment error before ``as_of`` (None when payment errors are not configured).

    Without an explicit error event, errors are read from the sessions of every event before ``as_of``
    (:func:`~uem_helpers.analyses.sessions.session_keys`: two windows over user, time and event, which
    DuckDB spills to ``engine.temp_directory`` when they do not fit: 35 s at ~120M events within a 4.6 GiB
    limit). The first errors, one row per user, are materialised in their own query: inside the survival
    table's, beside its own window, the whole sessions ran out of a 14 GB limit at that size.
    """
    if churn.payment_error is None:
        return None
    events = data.require("events", "the churn lifetimes")
    before = events.filter(events.timestamp < as_of)
    before = before.select(*[c for c in ("user_id", "timestamp", "event", "session_id") if c in before.columns])
    errors = payment_errors(before, churn.payment_error, gap=config.sessions.gap)
    return errors.group_by("user_id").aggregate(at=errors.timestamp.min()).cache()


def _first_detractor(data: Dataset, as_of) -> ibis.Table | None:
    """Each user's first NPS answer of 6 or lower before ``as_of`` (None without an NPS table)."""
    if not data.has("nps"):
        return None
    nps = data.tables["nps"]
    low = nps.filter((nps.answered_at < as_of) & (nps.score <= DETRACTOR_MAX))
    return low.group_by("user_id").aggregate(at=low.answered_at.min())
