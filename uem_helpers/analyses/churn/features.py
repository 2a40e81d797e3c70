"""Churn features: one row per user eligible at a cutoff, built from what happened strictly before it.

Every feature is an Ibis expression over the canonical tables (DuckDB or Spark) and sees only
rows dated strictly before the cutoff ``T``; a row at ``T`` or later changes nothing. ``W`` is
the feature window (``2 x churn.trend_days``, the 28 days before ``T``), ``R`` its recent half.
:data:`FEATURES` defines every column in words. Days of activity are counted back from the
cutoff (day 0 is the 24 hours before ``T``), not by calendar date, so the recent and the prior
half never share a day.

A feature whose table is absent (no carts, no NPS, no feedback with user ids, no payment error
or support events configured, no funnels) is left out and named in :attr:`FeatureSet.missing`
with the reason. Counts are 0 for a user without such rows; ``nps_last`` is missing (NaN) for a
user who never answered.

Reused, not re-derived: sessions are those of :func:`~uem_helpers.analyses.sessions.session_keys`
(the source's ``session_id`` when it has one), funnel failures from
:func:`~uem_helpers.analyses.funnel.user_funnel`, carts from
:func:`~uem_helpers.analyses.cart.cart_table` (the carts table, or the carts derived from events),
complaint topics from :func:`~uem_helpers.analyses.feedback.classify` (feedback tables are small:
the window's items are classified in pandas, and one row per user goes back to the engine).

Example
-------
>>> features = user_features(data, rule, points.train, config)      # doctest: +SKIP
>>> features.to_frame().head()                                      # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import ibis
import pandas as pd

from uem_helpers.analyses.cart import cart_table
from uem_helpers.analyses.churn.definition import DAY_SECONDS, ChurnRule, days_before, eligible_users
from uem_helpers.analyses.feedback import classify
from uem_helpers.analyses.funnel import UNKNOWN, user_funnel
from uem_helpers.analyses.metrics.nps import DETRACTOR_MAX
from uem_helpers.analyses.sessions import SessionRule, epoch_seconds, session_keys
from uem_helpers.core.churn_config import PaymentErrorConfig, require_churn
from uem_helpers.core.errors import ConfigDataError, ConfigProblem
from uem_helpers.core.period import to_datetime
from uem_helpers.data.config_check import CHURN_SEGMENT_TABLES, nearest_names
from uem_helpers.data.sources import Dataset

#: Every feature and its definition (``W``: the feature window, ``R``: its recent half).
#: ``complaint_<theme>`` stands for one column per ``feedback_taxonomy`` theme, ``<segment>`` for one per
#: ``churn.segments`` column.
FEATURES: dict[str, str] = {
    "days_since_active": "Days from the user's last active event to the cutoff.",
    "active_days": "Days in the window W with at least one active event (days counted back from the cutoff).",
    "active_days_recent": "Days in the recent half R of the window with at least one active event.",
    "active_days_prior": "Days in the R days before the recent half with at least one active event.",
    "activity_trend": "active_days_recent minus active_days_prior: negative when the user is fading.",
    "sessions": "Sessions with an event in the window W (the source's session ids, or a new session after the "
                "configured inactivity gap).",
    "session_minutes": "Mean session length in the window W in minutes, first to last event (0 without sessions).",
    "tenure_days": "Days from signup (the first active event when the users table has no signup) to the cutoff.",
    "funnel_failures": "Configured funnels the user entered in the window W (whose conversion window closed before "
                       "the cutoff) without reaching the last step.",
    "payment_errors": "Payment errors in the window W: an explicit error event, or a payment attempt with no "
                      "success at the same instant or later in the same session.",
    "payment_errors_recent": "Payment errors in the recent half R of the window.",
    "carts_abandoned": "Carts created in the window W and not checked out before the cutoff.",
    "nps_last": "The user's last NPS score before the cutoff (missing when they never answered).",
    "detractor": "1 when the last NPS score before the cutoff is 6 or lower, else 0 (0 without an answer).",
    "complaints": "Feedback items in the window W rated at most churn.complaint_max_rating, or, without a "
                  "rating, whose text falls in a feedback_taxonomy theme.",
    "complaint_<theme>": "1 when a complaint in the window W is about this feedback_taxonomy theme, else 0.",
    "support_contacts": "Support events (churn.support_events) in the window W.",
    "<segment>": "The user's value of a churn.segments column: the users table's, else the last value on their "
                 "events before the cutoff; '(unknown)' when there is none.",
}

#: The first feature columns in the order :func:`user_features` gives them; then ``complaint_<theme>`` per theme,
#: ``support_contacts`` and the segment columns.
NUMERIC_FEATURES = ("days_since_active", "active_days", "active_days_recent", "active_days_prior", "activity_trend",
                    "sessions", "session_minutes", "tenure_days", "funnel_failures", "payment_errors",
                    "payment_errors_recent", "carts_abandoned", "nps_last", "detractor", "complaints")
#: Prefix of the complaint-topic columns.
COMPLAINT_PREFIX = "complaint_"
_FLOATS = {"days_since_active", "session_minutes", "tenure_days", "nps_last"}


def definition(name: str) -> str:
    """The definition of a feature column, including ``complaint_<theme>`` columns; segment columns otherwise."""
    if name in FEATURES:
        return FEATURES[name]
    if name.startswith(COMPLAINT_PREFIX):
        return FEATURES["complaint_<theme>"]
    return FEATURES["<segment>"]


@dataclass(frozen=True)
class FeatureSet:
    """The features of the users eligible at one cutoff.

    Attributes
    ----------
    table : ibis.Table
        One row per eligible user: ``user_id`` and the feature columns (:data:`FEATURES`), materialised in
        the engine (a temporary table, released when the FeatureSet is gone).
    missing : dict of str to str
        Features left out -> why (e.g. ``{"carts_abandoned": "no carts table ..."}``).
    cutoff : datetime
        The cutoff the features are computed at.
    segments : tuple of str
        The segment (text) columns; every other column but ``user_id`` is a number.
    """

    table: ibis.Table
    missing: dict[str, str] = field(default_factory=dict)
    cutoff: datetime | None = None
    segments: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The features executed: index ``user_id`` (sorted), numbers as int64 or float64 (NaN: no NPS answer)."""
        frame = self.table.execute()
        frame = frame.sort_values("user_id").set_index("user_id")
        for column in frame.columns:
            if column in self.segments:
                frame[column] = frame[column].astype(object)
            elif column in _FLOATS:
                frame[column] = frame[column].astype("float64")
            else:
                frame[column] = frame[column].astype("int64")
        return frame


def user_features(data: Dataset, rule: ChurnRule, cutoff: object, config) -> FeatureSet:
    """The churn features of every user eligible at ``cutoff`` (see the module docstring).

    The feature window's events (their user, time, event and session id) are read once into the
    engine while the features are built, and the features themselves are materialised there: a
    feature window at 100M events is read once, not once per feature.

    Parameters
    ----------
    data : Dataset
        The loaded tables; ``events`` is required, the others are used when present.
    rule : ChurnRule
        The churn rule (who is eligible, the windows).
    cutoff : datetime or date-like
        The instant the features are taken at; only rows before it are read.
    config : UEMConfig
        The config: ``churn`` (payment errors, support events, complaints, segments), ``funnels``,
        ``sessions.gap`` and ``feedback_taxonomy``.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ConfigError
        The config has no ``churn:`` section.
    ConfigDataError
        A ``churn.segments`` column is in neither the users nor the events table.
    """
    churn = require_churn(config)
    cutoff = to_datetime(cutoff, "cutoff")
    start = cutoff - rule.window
    events = data.require("events", "the churn features")
    read = [c for c in ("user_id", "timestamp", "event", "session_id") if c in events.columns]
    window = events.filter((events.timestamp >= start) & (events.timestamp < cutoff)).select(*read)
    window = session_keys(window, gap=SessionRule(config.sessions.gap))
    with window.cache() as window:  # the window's events read, typed and keyed into sessions once, not per feature
        missing: dict[str, str] = {}
        table = _features(data, rule, churn, config, window, cutoff, missing)
        return FeatureSet(table.cache(), missing, cutoff, tuple(churn.segments))


def _features(data: Dataset, rule: ChurnRule, churn, config, window: ibis.Table, cutoff: datetime,
              missing: dict[str, str]) -> ibis.Table:
    """The features table of :func:`user_features` (an expression over the window's events ``window``)."""
    start, recent = cutoff - rule.window, cutoff - rule.trend
    base = eligible_users(data, rule, cutoff).select("user_id", "days_since_active", "tenure_days")
    parts = [_activity(window, rule, cutoff)]
    parts.append(_sessions(window))
    parts.append(_funnel_failures(window, config, start, cutoff, missing))
    if churn.payment_error is None:
        missing["payment_errors"] = missing["payment_errors_recent"] = "no churn.payment_error in the config"
    else:
        errors = payment_errors(window, churn.payment_error, window)
        parts.append(errors.group_by("user_id").aggregate(
            payment_errors=errors.count(), payment_errors_recent=errors.count(where=errors.timestamp >= recent)))
    parts.append(_carts(data, start, cutoff, missing))
    parts.append(_nps(data, cutoff, missing))
    themes = list(config.feedback_taxonomy)
    parts.append(_complaints(data, config, churn.complaint_max_rating, start, cutoff, missing))
    if churn.support_events:
        support = window.filter(window.event.isin(list(churn.support_events)))
        parts.append(support.group_by("user_id").aggregate(support_contacts=support.count()))
    else:
        missing["support_contacts"] = "no churn.support_events in the config"
    table = base
    for part in parts:
        if part is not None:
            table = _attach(table, part)
    counts = [c for c in table.columns if c not in _FLOATS and c != "user_id"]
    table = table.mutate(**{c: table[c].fill_null(0) for c in counts},
                         session_minutes=table.session_minutes.fill_null(0.0))
    table = table.mutate(activity_trend=table.active_days_recent - table.active_days_prior)
    table = with_segments(table, data, churn.segments, cutoff)
    topics = [f"{COMPLAINT_PREFIX}{t}" for t in themes if f"{COMPLAINT_PREFIX}{t}" in table.columns]
    support = ["support_contacts"] if "support_contacts" in table.columns else []
    ordered = ["user_id", *[c for c in NUMERIC_FEATURES if c in table.columns], *topics, *support, *churn.segments]
    return table.select(ordered)


def payment_errors(events: ibis.Table, payment: PaymentErrorConfig, keyed: ibis.Table | None = None,
                   gap: object = "30min") -> ibis.Table:
    """Payment errors among ``events`` (an expression): ``user_id``, ``timestamp`` of each error.

    An explicit error event (``payment.event``) is an error each time it occurs. Otherwise an
    attempt (``payment.attempt``) is an error when no success (``payment.success``) follows it at the
    same instant or later in the same session.

    Parameters
    ----------
    events : ibis.Table
        The events to look in (already cut to the window of interest).
    payment : PaymentErrorConfig
        The ``churn.payment_error`` section.
    keyed : ibis.Table, optional
        The same events with their session key (:func:`~uem_helpers.analyses.sessions.session_keys`); keyed
        from ``events`` with ``gap`` when omitted and needed.
    gap : str, int or timedelta
        The session gap used when ``keyed`` is omitted.
    """
    if payment.event is not None:
        return events.filter(events.event == payment.event).select("user_id", "timestamp")
    table = keyed if keyed is not None else session_keys(events, gap=gap)
    attempts = table.filter(table.event == payment.attempt).select("user_id", "timestamp", "session")
    done = table.filter(table.event == payment.success)
    done = done.group_by("session").aggregate(_last_success=done.timestamp.max())
    joined = attempts.left_join(done, attempts.session == done.session)
    failed = joined.filter(joined._last_success.isnull() | (joined._last_success < joined.timestamp))
    return failed.select("user_id", "timestamp")


def with_segments(table: ibis.Table, data: Dataset, columns: list[str] | tuple[str, ...], before: object
                  ) -> ibis.Table:
    """``table`` (one row per ``user_id``) with each user's value of the segment columns, as text.

    A column of the users table is read there; otherwise it is the user's last non-empty value on
    their events before ``before`` (ties at one instant: the greatest value). A user without a
    value is ``"(unknown)"``.

    Raises
    ------
    ConfigDataError
        A column is in neither the users nor the events table (with the nearest column names).
    """
    stop = to_datetime(before, "cutoff")
    events = data.require("events", "the churn segments")
    users = data.tables.get("users")
    found = {t: data.tables[t].columns for t in CHURN_SEGMENT_TABLES if data.has(t)}
    known = sorted({c for cols in found.values() for c in cols})
    problems = [ConfigProblem(f"churn.segments[{i}]", c, "column", " or ".join(f"the {t} table" for t in found),
                              nearest_names(c, known)) for i, c in enumerate(columns) if c not in known]
    if problems:
        raise ConfigDataError(problems)
    for column in columns:
        if users is not None and column in users.columns:
            part = users.select("user_id", users[column].cast("string").name(column))
        else:
            value = events[column].cast("string")
            rows = events.filter((events.timestamp < stop) & value.notnull() & (value != ""))
            rows = rows.select("user_id", "timestamp", rows[column].cast("string").name(column))
            rank = ibis.row_number().over(group_by="user_id", order_by=[ibis.desc("timestamp"), ibis.desc(column)])
            rows = rows.mutate(_r=rank)
            part = rows.filter(rows._r == 0).select("user_id", column)
        table = _attach(table, part)
        table = table.mutate(**{column: table[column].fill_null(UNKNOWN)})
    return table


# --- the parts: one small per-user table each -------------------------------------------------


def _attach(table: ibis.Table, part: ibis.Table) -> ibis.Table:
    """``table`` with the columns of ``part`` (one row per user) joined on ``user_id``."""
    part = part.rename(_uid="user_id")
    return table.left_join(part, table.user_id == part._uid).drop("_uid")


def _activity(window: ibis.Table, rule: ChurnRule, cutoff: datetime) -> ibis.Table:
    """Active days in the window and in its two halves, days counted back from the cutoff."""
    active = window.filter(window.event.isin(list(rule.active_events)))
    day = days_before(cutoff, active.timestamp).floor().cast("int64")
    active = active.select("user_id", day=day)
    recent_days = int(rule.trend.total_seconds() // DAY_SECONDS)
    return active.group_by("user_id").aggregate(
        active_days=active.day.nunique(),
        active_days_recent=active.day.nunique(where=active.day < recent_days),
        active_days_prior=active.day.nunique(where=active.day >= recent_days),
    )


def _sessions(keyed: ibis.Table) -> ibis.Table:
    """Sessions in the window and their mean length in minutes (``keyed``: the window's events with their session)."""
    spans = keyed.group_by(["user_id", "session"]).aggregate(_first=keyed.timestamp.min(), _last=keyed.timestamp.max())
    minutes = (epoch_seconds(spans._last) - epoch_seconds(spans._first)) / 60.0
    spans = spans.mutate(_minutes=minutes)
    return spans.group_by("user_id").aggregate(sessions=spans.count(), session_minutes=spans._minutes.mean())


def _funnel_failures(window: ibis.Table, config, start: datetime, cutoff: datetime,
                     missing: dict[str, str]) -> ibis.Table | None:
    """Per user, the configured funnels entered in the window whose conversion window closed, not completed."""
    failed = []
    for funnel in config.funnels.values():
        last_entry = cutoff - funnel.window - timedelta(microseconds=1)  # the window closes before the cutoff
        if last_entry < start:
            continue
        entries = user_funnel(window, funnel.steps, window=funnel.window, mode=funnel.mode, exclude=funnel.exclude,
                              period_start=start, period_end=last_entry)
        failed.append(entries.filter(~entries.completed).select("user_id"))
    if not failed:
        missing["funnel_failures"] = ("no funnel in the config" if not config.funnels else
                                      "every configured funnel's window is longer than the feature window")
        return None
    rows = ibis.union(*failed, distinct=False) if len(failed) > 1 else failed[0]
    return rows.group_by("user_id").aggregate(funnel_failures=rows.count())


def _carts(data: Dataset, start: datetime, cutoff: datetime, missing: dict[str, str]) -> ibis.Table | None:
    """Carts created in the window and not checked out before the cutoff."""
    if not data.has("carts"):
        missing["carts_abandoned"] = "no carts table (and no carts: section to derive one from events)"
        return None
    carts = cart_table(data.tables["carts"], period_start=start, period_end=cutoff - timedelta(microseconds=1))
    paid_before = (carts.checked_out & (carts.checked_out_at < cutoff)) if "checked_out_at" in carts.columns \
        else ibis.literal(False)
    left = carts.filter(~paid_before.fill_null(False))
    return left.group_by("user_id").aggregate(carts_abandoned=left.count())


def _nps(data: Dataset, cutoff: datetime, missing: dict[str, str]) -> ibis.Table | None:
    """The last NPS answer before the cutoff (ties at one instant: the greatest response id)."""
    if not data.has("nps"):
        missing["nps_last"] = missing["detractor"] = "no nps table"
        return None
    nps = data.tables["nps"]
    before = nps.filter(nps.answered_at < cutoff)
    rank = ibis.row_number().over(group_by="user_id", order_by=[ibis.desc("answered_at"), ibis.desc("response_id")])
    ranked = before.mutate(_r=rank)
    last = ranked.filter(ranked._r == 0)
    return last.select("user_id", nps_last=last.score.cast("float64"),
                       detractor=(last.score <= DETRACTOR_MAX).cast("int64"))


def _complaints(data: Dataset, config, max_rating: int, start: datetime, cutoff: datetime,
                missing: dict[str, str]) -> ibis.Table | None:
    """Complaints in the window and their themes, one row per user who complained."""
    themes = [f"{COMPLAINT_PREFIX}{t}" for t in config.feedback_taxonomy]
    if not data.has("feedback") or "user_id" not in data.tables["feedback"].columns:
        reason = "no feedback table" if not data.has("feedback") else "the feedback table has no user_id column"
        for name in ["complaints", *themes]:
            missing[name] = reason
        return None
    feedback = data.tables["feedback"]
    rows = feedback.filter(feedback.user_id.notnull() & (feedback.created_at >= start)
                           & (feedback.created_at < cutoff))
    rated = "rating" in rows.columns
    if not config.feedback_taxonomy:
        missing["complaint_<theme>"] = "no feedback_taxonomy in the config"
        if not rated:
            missing["complaints"] = "the feedback table has no rating column and the config no feedback_taxonomy"
            return None
        rows = rows.filter(rows.rating <= max_rating)
        return rows.group_by("user_id").aggregate(complaints=rows.count())
    items = classify(rows, config.feedback_taxonomy, period_start=start,
                     period_end=cutoff - timedelta(microseconds=1)).items
    return ibis.memtable(_complaints_per_user(items, list(config.feedback_taxonomy), max_rating, rated))


def _complaints_per_user(items: pd.DataFrame, themes: list[str], max_rating: int, rated: bool) -> pd.DataFrame:
    """Classified feedback items -> one row per complaining user: ``complaints`` and a 0/1 per theme."""
    columns = {"user_id": "string", "complaints": "int64", **{f"{COMPLAINT_PREFIX}{t}": "int64" for t in themes}}
    rating = pd.to_numeric(items["rating"], errors="coerce") if rated else pd.Series(float("nan"), index=items.index)
    complaint = (rating <= max_rating) | (rating.isna() & items["category"].isin(themes))
    items = items.loc[complaint.fillna(False).astype(bool)]
    if items.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    flags = pd.DataFrame({f"{COMPLAINT_PREFIX}{t}": (items["category"] == t).astype("int64") for t in themes},
                         index=items.index)
    per_user = flags.groupby(items["user_id"].astype(str)).max()
    per_user.insert(0, "complaints", items.groupby(items["user_id"].astype(str)).size())
    return per_user.rename_axis("user_id").reset_index().astype(columns)
