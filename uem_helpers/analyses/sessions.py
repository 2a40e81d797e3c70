"""Sessions: a user's visit, from the source's session ids or from an inactivity gap.

Definition (DESIGN.md, "sessions")
----------------------------------
A **session** is the source's ``session_id`` when the events carry one;
otherwise (and for events whose ``session_id`` is missing) a user's events
are cut into sessions wherever more than ``gap`` (30 minutes by default)
passes between two consecutive events. A gap of exactly ``gap`` stays in the
session.

Within a session, events are ordered by time; events stamped at the same
instant (logs with second resolution have many) are taken in the rule's
``tie_order`` (the journey's touchpoints as configured, stage by stage: a
user views the cart before paying), and events it does not list after those,
by event name. So the order never depends on the order of the rows.
An event's **next event** is the one after it in its session; the last event
of a session has none: the user **exits** there. The **dwell** of an event is
the time until its next event, in seconds (none for the exit event: a log
cannot tell how long the user looked at the last screen). Times are read to
the millisecond on every backend (finer digits are dropped), so logs with
sub-second stamps get the same fractional dwell times and gaps on DuckDB and Spark.

Only events inside the period are used, so a session running over a period
boundary is cut there.

Cut-off sessions
----------------
A session is **cut off** (column ``cut_off``, the same on every row of the
session) when its last event lies within the session gap of where the data
stops: the **end of the data** (the last timestamp of the events table handed
in, all users, before the period filter), or the **period's end** when the data
continues past it (the earlier of the two). "Within the gap" is the session
rule's own test: the boundary minus the last event is at most ``gap``, so a
further event at the boundary would still have joined the session. The same
rule applies to sessions from the source's session ids (their last event).
A cut-off session was, for all the log can tell, still open when the export
stopped: its last event is not an **exit** but "cut off". ``is_exit`` keeps
marking the session's last event; a real exit is ``is_exit & ~cut_off``
(column ``ends``), and the journey analyses count exits that way (the map
leaves cut-off last events out of the exit rate's numerator and denominator;
transitions send them to :data:`CUT_OFF`). The end of the data is one scalar
aggregate, and the session's last time one more frame of the same window, so
sessionizing stays one window pass.

Events that carry a ``session_id`` skip the gap windows (the previous event and the
running session count are computed only for the rows without one), and the windows
partition on the user and session columns, never on the string key ``session``: on a
log whose every row has an id, sessionizing is a single window pass.

Derive once, hand down: a story sessionizes the log **once**
(:func:`prepare_sessions`, materialised in the backend) and hands the resulting
:class:`Sessions` to every analysis of the journey family (transitions, paths,
Sankey links, loops, segment differences, the journey map, the incident watch),
so a report costs one window over the events, not one per analysis. An analysis that needs only a few
events' sessions and order (the incident watch's steps) asks :meth:`Sessions.only`: the materialised
table's rows of those events, or, when the sessions are an expression, the events numbered into
sessions (the gap windows only where the rule needs them) and ranked among themselves, without the
position, next-event and cut-off windows over every event. Two lighter views of the same sessions:
:func:`session_keys` (each event's session key alone: grouping by session, as the churn features do)
and :func:`session_starts` (each session's first event and whether it is the only one, in one window
pass: counting sessions, as the bounce rate does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import ibis

from uem_helpers.core.config import parse_duration
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.i18n import N_
from uem_helpers.core.period import in_period, period_bounds
from uem_helpers.data.engine import cache_in_parts, outgrows_memory

#: Target name of the "transition" out of a session's last event. Markers stay English in result frames
#: (they are data); :func:`uem_helpers.core.i18n.label` shows them in the reader's language.
SESSION_END = N_("(session end)")
#: Target name of the last event of a cut-off session (still open when the data stops: not an exit).
CUT_OFF = N_("(cut off)")
DEFAULT_GAP = timedelta(minutes=30)

#: Memory one event takes while the session windows run with their whole payload, about: the sample at
#: 120M events peaked at 5.6 GiB for a part of 30M (190 bytes an event) and failed in one part at 14 GB;
#: twice that leaves room for the kept columns and the engine's own buffers. :func:`prepare_sessions`
#: materialises a log in parts when its events times this exceed DuckDB's memory limit.
WINDOW_BYTES_PER_ROW = 400


@dataclass(frozen=True)
class SessionRule:
    """How events become sessions: the inactivity gap, and the order of events stamped at one instant.

    Every helper that takes ``gap`` also takes a SessionRule there, e.g.
    ``transitions(events, gap=SessionRule("30min", tie_order=["cart_view", "payment"]))``.
    """

    gap: str | int | timedelta = DEFAULT_GAP
    tie_order: Sequence[str] = ()

    @classmethod
    def from_stages(cls, gap: str | int | timedelta, stages: dict[str, Sequence[str]]) -> SessionRule:
        """The rule of a configured journey: its gap, and its touchpoints stage by stage as the tie order."""
        return cls(gap, tuple(dict.fromkeys(e for events in stages.values() for e in events)))


@dataclass(frozen=True)
class Sessions:
    """Sessionized events of one period, prepared once and handed to every journey analysis.

    Attributes
    ----------
    table : ibis.Table
        The output of :func:`sessionize`: the events' kept columns plus ``session``, ``position``,
        ``next_event``, ``next_timestamp``, ``dwell_seconds``, ``is_exit``, ``cut_off`` and ``ends``.
    period_start, period_end : date-like or None
        The period the sessions were cut to (both ends inclusive).
    """

    table: ibis.Table
    period_start: object = None
    period_end: object = None
    #: The events and rule :attr:`table` was sessionized from, when it is an expression rather than a
    #: materialised table: :meth:`only` then numbers a few events' sessions without windowing every event.
    source: tuple[ibis.Table, SessionRule] | None = None

    def only(self, names: Sequence[str]) -> ibis.Table:
        """The sessionized events named ``names`` alone, in their sessions' order (an Ibis expression).

        Parameters
        ----------
        names : sequence of str
            Event names to keep.

        Returns
        -------
        ibis.Table
            ``session``, ``user_id``, ``timestamp``, ``event`` and ``place``: a number that orders the
            session's kept events as ``position`` does (``position`` itself when the table is materialised,
            else their rank among the kept events; events that neither time, rule nor name tells apart
            are numbered in either order, as ``position`` numbers them).
        """
        names = list(dict.fromkeys(names))
        if self.source is None:
            t = self.table.filter(self.table.event.isin(names))
            return t.select("session", "user_id", "timestamp", "event", place=t.position)
        events, rule = self.source
        t = _keyed(events, rule, _gap_seconds(rule), self.period_start, self.period_end)
        t = t.filter(t.event.isin(names))
        in_session = ibis.window(group_by=[t.user_id, t._given, t._number], order_by=_order(t, rule))
        return t.select("session", "user_id", "timestamp", "event", place=ibis.row_number().over(in_session) + 1)


def prepare_sessions(
    events: ibis.Table,
    *,
    gap: str | int | timedelta | SessionRule = DEFAULT_GAP,
    period_start: object = None,
    period_end: object = None,
    keep: Sequence[str] | None = None,
    cache: bool | None = None,
) -> Sessions:
    """Sessionize the events once, for every analysis that follows sessions.

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, optional session_id, ...).
    gap : str, int, timedelta or SessionRule
        As in :func:`sessionize`.
    period_start, period_end : date-like, optional
        Keep only events in the period (both ends inclusive).
    keep : sequence of str, optional
        Columns to carry besides ``user_id``, ``timestamp``, ``event`` and ``session_id`` (e.g. the
        segment column); every column of ``events`` when None.
    cache : bool or None
        True: materialise the sessionized table in the backend (a temporary table on DuckDB, a cached
        DataFrame on Spark), so the analyses that share it do not run the windows again. On DuckDB a
        log whose windows would not fit in the memory limit (events × :data:`WINDOW_BYTES_PER_ROW`)
        is sessionized in parts of its users, appended to a table in a file in the spill folder
        (:func:`uem_helpers.data.engine.cache_in_parts`); the table is the same. False: an Ibis
        expression, windowed again by each analysis that executes it. None (the default): the
        expression, but materialised in parts on DuckDB where its windows would not fit in the
        memory limit, where the first analysis to execute it would run out of memory (one count of
        the period's events decides).

    Returns
    -------
    Sessions

    Raises
    ------
    ContractError
        The events lack ``user_id``, ``timestamp`` or ``event``.
    """
    missing = [c for c in ("user_id", "timestamp", "event") if c not in events.columns]
    if missing:
        raise ContractError("events", missing[0], f"missing column(s) {', '.join(missing)}; columns are: "
                            f"{', '.join(events.columns)}")
    if keep is not None:
        base = ["user_id", "timestamp", "event"] + (["session_id"] if "session_id" in events.columns else [])
        events = events.select(*dict.fromkeys(base + [c for c in keep if c in events.columns]))
    rows = events.filter(in_period(events.timestamp, period_start, period_end)).count()
    if cache or (cache is None and outgrows_memory(rows, WINDOW_BYTES_PER_ROW)):
        table = cache_in_parts(lambda part: sessionize(events, gap=gap, period_start=period_start,
                                                       period_end=period_end, part=part), rows, WINDOW_BYTES_PER_ROW)
        return Sessions(table, period_start, period_end)
    table = sessionize(events, gap=gap, period_start=period_start, period_end=period_end)
    rule = gap if isinstance(gap, SessionRule) else SessionRule(gap)
    return Sessions(table, period_start, period_end, source=(events, rule))


def sessionize(
    events: ibis.Table,
    *,
    gap: str | int | timedelta | SessionRule = DEFAULT_GAP,
    period_start: object = None,
    period_end: object = None,
    part: tuple[int, int] | None = None,
) -> ibis.Table:
    """Events with their session, position in it, next event and dwell (an Ibis expression, not executed).

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, optional session_id, ...).
    gap : str, int, timedelta or SessionRule
        Inactivity that starts a new session when the events have no ``session_id``
        (``"30min"``, ``"1h"`` or seconds), or a :class:`SessionRule` with the order of
        same-instant events too.
    period_start, period_end : date-like, optional
        Keep only events in the period (both ends inclusive, see :func:`uem_helpers.core.period.period_bounds`).
    part : (k, n), optional
        Only the users in part ``k`` of ``n`` (by a hash of ``user_id``): sessions never span users,
        so the parts together are the whole table (how a big log is materialised, see
        :func:`prepare_sessions`). The end of the data is still that of every user's events.

    Returns
    -------
    ibis.Table
        Every column of ``events`` plus ``session`` (a string key unique across users),
        ``position`` (1 for the session's first event), ``next_event`` and
        ``next_timestamp`` (null at the session's last event), ``dwell_seconds``
        (float, null at the last event), ``is_exit`` (the session's last event), ``cut_off``
        (the session was still open when the data stops, see the module docstring) and ``ends``
        (a real exit: ``is_exit`` and not ``cut_off``).
    """
    rule = gap if isinstance(gap, SessionRule) else SessionRule(gap)
    gap_seconds = _gap_seconds(rule)
    boundary = _data_stop(events, period_end)
    t = _keyed(events, rule, gap_seconds, period_start, period_end, part)
    order = _order(t, rule)
    keys = [t.user_id, t._given, t._number]  # the session, without partitioning on the string key
    in_session = ibis.window(group_by=keys, order_by=order)
    whole_session = ibis.window(group_by=keys, order_by=order, rows=(None, None))
    t = t.mutate(
        position=ibis.row_number().over(in_session) + 1,
        next_event=t.event.lead().over(in_session),
        next_timestamp=t.timestamp.lead().over(in_session),
        _last=t.timestamp.max().over(whole_session),
    )
    cut_off = (epoch_seconds(boundary) - epoch_seconds(t._last) <= gap_seconds).fill_null(False)
    t = t.mutate(
        dwell_seconds=epoch_seconds(t.next_timestamp) - epoch_seconds(t.timestamp),
        is_exit=t.next_timestamp.isnull(),
        cut_off=cut_off,
    )
    t = t.mutate(ends=t.is_exit & ~t.cut_off)
    return t.drop("_given", "_number", "_last")


def session_keys(
    events: ibis.Table,
    *,
    gap: str | int | timedelta | SessionRule = DEFAULT_GAP,
    part: tuple[int, int] | None = None,
) -> ibis.Table:
    """The events with their session key alone (an Ibis expression): :func:`sessionize`'s ``session``, without
    its position, next-event and cut-off windows.

    The key comes from the source's ``session_id``, or from the gap windows (the previous event and a running
    count of starts) for the events without one: what an analysis that only groups events by session needs
    (the churn features' sessions and payment errors), with the gap windows alone.

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, optional session_id, ...).
    gap : str, int, timedelta or SessionRule
        As in :func:`sessionize`.
    part : (k, n), optional
        Only the users in part ``k`` of ``n``, as in :func:`sessionize`.

    Returns
    -------
    ibis.Table
        Every column of ``events`` plus ``session`` (a string key unique across users).
    """
    rule = gap if isinstance(gap, SessionRule) else SessionRule(gap)
    return _keyed(events, rule, _gap_seconds(rule), None, None, part).drop("_given", "_number")


def session_starts(
    events: ibis.Table,
    *,
    gap: str | int | timedelta | SessionRule = DEFAULT_GAP,
    period_start: object = None,
    period_end: object = None,
) -> ibis.Table:
    """The first event of every session, and whether it is the session's only event (an Ibis expression).

    The same sessions as :func:`sessionize` (its rows with ``position == 1``, and ``single`` is their
    ``is_exit``), found in one window pass: an event starts a session when the user's previous event
    (in the session's order, among the events with the same ``session_id``, or among those without one)
    is missing or, without a session id, more than the gap earlier; the session has a single event when
    the next one is missing or, without an id, more than the gap later. No running count, no session key:
    what a metric that counts sessions (the bounce rate) needs.

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, optional session_id, ...).
    gap : str, int, timedelta or SessionRule
        As in :func:`sessionize`.
    period_start, period_end : date-like, optional
        Keep only events in the period (both ends inclusive).

    Returns
    -------
    ibis.Table
        One row per session: every column of ``events`` (of its first event) plus ``single``.
    """
    rule = gap if isinstance(gap, SessionRule) else SessionRule(gap)
    gap_seconds = _gap_seconds(rule)
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    given = t.session_id.cast("string") if "session_id" in t.columns else ibis.null("string")
    t = t.mutate(_given=given)
    around = ibis.window(group_by=[t.user_id, t._given], order_by=_order(t, rule))
    t = t.mutate(_previous=t.timestamp.lag().over(around), _next=t.timestamp.lead().over(around))
    by_gap = t._given.isnull()
    starts = t._previous.isnull() | (by_gap & (epoch_seconds(t.timestamp) - epoch_seconds(t._previous) > gap_seconds))
    single = t._next.isnull() | (by_gap & (epoch_seconds(t._next) - epoch_seconds(t.timestamp) > gap_seconds))
    return t.filter(starts).mutate(single=single).drop("_given", "_previous", "_next")


def _gap_seconds(rule: SessionRule) -> float:
    """The rule's inactivity gap in seconds; a ParameterError when it is not a duration."""
    try:
        return parse_duration(rule.gap).total_seconds()
    except ValueError as exc:
        raise ParameterError(f"gap={rule.gap!r} is not an inactivity gap; expected {exc}") from None


def _keyed(events: ibis.Table, rule: SessionRule, gap_seconds: float, period_start: object,
           period_end: object, part: tuple[int, int] | None = None) -> ibis.Table:
    """The period's events (of one part of the users) with their session: ``_given`` (the source's id) or
    ``_number``, and ``session``."""
    t = events.filter(in_period(events.timestamp, period_start, period_end))
    if part is not None:
        k, n = part
        t = t.filter((t.user_id.hash() % n + n) % n == k)  # the hash is signed: every user in one part 0..n-1
    if "session_id" in t.columns:
        # Rows with an id skip the gap windows (one window pass over them, not three); rows without one
        # are cut by the gap. On a log whose every row has an id, the second branch is empty.
        given = t.session_id.cast("string")
        with_ids = t.filter(given.notnull()).mutate(_given=given, _number=ibis.null("int64"))
        gapped = _gap_numbers(t.filter(given.isnull()), rule, gap_seconds).mutate(_given=ibis.null("string"))
        t = with_ids.union(gapped.select(*with_ids.columns))
    else:
        t = _gap_numbers(t, rule, gap_seconds).mutate(_given=ibis.null("string"))
    return t.mutate(
        session=t.user_id.cast("string").concat(
            "|", ibis.coalesce(t._given.concat("|s"), t._number.cast("string").concat("|g"))
        )
    )


def _order(t: ibis.Table, rule: SessionRule) -> list:
    """A session's order of events: time, then the rule's tie order, then the event name."""
    return [t.timestamp, _tie_rank(t.event, rule.tie_order), t.event]


def _gap_numbers(t: ibis.Table, rule: SessionRule, gap_seconds: float) -> ibis.Table:
    """``t`` with ``_number``: each user's session count so far, a new session after more than the gap."""
    previous = t.timestamp.lag().over(ibis.window(group_by=t.user_id, order_by=_order(t, rule)))
    starts = previous.isnull() | (epoch_seconds(t.timestamp) - epoch_seconds(previous) > gap_seconds)
    t = t.mutate(_starts=starts.cast("int64"))
    number = t._starts.sum().over(ibis.window(group_by=t.user_id, order_by=_order(t, rule), rows=(None, 0)))
    return t.mutate(_number=number).drop("_starts")


def _data_stop(events: ibis.Table, period_end: object) -> ibis.TimestampValue:
    """Where the data stops for the cut-off rule: its last timestamp, or the period's end if earlier."""
    end = events.timestamp.max().as_scalar()
    _, stop = period_bounds(None, period_end)
    return end if stop is None else ibis.least(end, ibis.literal(stop))


def _tie_rank(event: ibis.StringValue, tie_order: Sequence[str]) -> ibis.IntegerValue:
    """Position of the event in ``tie_order``; events not listed come after all listed ones."""
    if not tie_order:
        return ibis.literal(0)
    return ibis.cases(*[(event == name, i) for i, name in enumerate(tie_order)], else_=len(tie_order))


def epoch_seconds(column: ibis.TimestampValue) -> ibis.FloatingValue:
    """Seconds since 1970 of a timestamp, with its milliseconds, the same on DuckDB and Spark.

    Ibis's ``epoch_seconds()`` keeps the fraction on DuckDB but drops it on Spark, so a 0.4 s
    step would read 0.4 s on one and 0 or 1 s on the other. Whole seconds of the truncated
    timestamp plus its milliseconds read the same on both (Spark cannot extract microseconds).
    """
    whole = column.truncate("s").epoch_seconds().cast("float64")
    return whole + column.millisecond().cast("float64") / 1000.0
