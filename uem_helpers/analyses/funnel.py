"""Funnels: how many users go from a first step through each later step.

Definition (DESIGN.md, "ordered funnel")
----------------------------------------
A user **enters** at their first step-1 event in the period. Step *k* is
**reached** at the first step-*k* event at or after the step *k-1* match and
within the conversion ``window`` from entry (inclusive). "At or after" means
the same instant counts: logs with second resolution often stamp two steps in
one second. One event never fills two steps (identical rows are told apart
by their rank among identical rows), and the result never depends on row
order.

Modes
-----
``ordered`` (default)
    As above: other events, including other funnel steps, may come between.
``strict``
    Step *k* must be the very next funnel-step event after the step *k-1*
    match (events of other names do not count). Events at the same instant
    are taken in funnel order, so a tie never counts against the user.
``any_order``
    Step *k* is reached once the user has done each of steps 2..*k* (as many
    times as they appear in the funnel) within the window from entry, in any
    order; it is reached at the moment the last of them happened.

For every user, strict <= ordered <= any_order (step by step).

Exclusions
----------
``exclude`` names events that end a user's funnel: after the first exclusion
event strictly after entry (and within the window), no further step counts.
Steps matched at or before that instant still count.

Readout
-------
Per step: entered (users at step 1), reached, users lost since the previous
step, step conversion (reached / reached at the previous step) and conversion
from entry (reached / entered), each with a Wilson 95% interval, and the time
from the previous step among users who reached the step (median, p75, p90,
in seconds).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import ibis
import pandas as pd

from uem_helpers.core.config import parse_duration
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import N_
from uem_helpers.core.period import in_period
from uem_helpers.data import engine
from uem_helpers.stats import wilson_ci

Mode = Literal["ordered", "strict", "any_order"]
MODES = ("ordered", "strict", "any_order")
QUANTILES = {"median": 0.5, "p75": 0.75, "p90": 0.9}
#: The segment of a user without a value in the segment column (a marker: ``label()`` translates it where shown).
UNKNOWN = N_("(unknown)")


def user_funnel(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    window: str | int | timedelta = "1h",
    mode: Mode = "ordered",
    exclude: Sequence[str] = (),
    period_start: object = None,
    period_end: object = None,
    segment_by: str | None = None,
    users: ibis.Table | None = None,
) -> ibis.Table:
    """Per entered user, when each funnel step was reached (an Ibis expression, not executed).

    Parameters
    ----------
    events : ibis.Table
        Canonical events (user_id, timestamp, event, ...).
    steps : sequence of str
        Event names of the funnel's steps, in order (at least two).
    window : str, int or timedelta
        Conversion window from entry, e.g. ``"1h"``, ``"7d"`` or seconds.
    mode : {"ordered", "strict", "any_order"}
        How later steps are matched (see the module docstring).
    exclude : sequence of str
        Events that end a user's funnel when they happen after entry.
    period_start, period_end : date-like, optional
        Entries are counted in this period (both ends inclusive).
    segment_by : str, optional
        Column to break down by, read from the entry event's row when the events
        table has it, else from the ``users`` table.
    users : ibis.Table, optional
        Canonical users table, for ``segment_by`` columns that live there.

    Returns
    -------
    ibis.Table
        One row per entered user: ``user_id``, the segment column if asked,
        ``entered_at``, ``reached_at_1`` .. ``reached_at_K`` (null when not
        reached; ``reached_at_1 == entered_at``), ``seconds_from_previous_2`` ..
        ``_K``, ``steps_reached``, ``completed`` and ``seconds_to_complete``.
    """
    steps = _check_steps(steps)
    return _per_user(
        events, _funnel_rows(events, steps, exclude, segment_by), steps, window=window, mode=mode, exclude=exclude,
        period_start=period_start, period_end=period_end, segment_by=segment_by, users=users,
    )


def _per_user(
    events: ibis.Table,
    rows: ibis.Table,
    steps: list[str],
    *,
    window: str | int | timedelta,
    mode: Mode,
    exclude: Sequence[str],
    period_start: object,
    period_end: object,
    segment_by: str | None,
    users: ibis.Table | None,
) -> ibis.Table:
    """:func:`user_funnel` on ``rows``, the events already cut to the funnel's names (:func:`_funnel_rows`).

    ``events`` is where the segment column is read from (``rows`` itself when it carries it).
    """
    if mode not in MODES:
        raise ParameterError(f"mode={mode!r} is not a funnel mode; use one of: {', '.join(MODES)}")
    window_seconds = int(parse_duration(window).total_seconds())
    ev = rows.select("user_id", "timestamp", "event")
    # Identical rows need telling apart only when one row could fill two steps (a repeated
    # step name) or when positions matter (strict, any-order). Ordered funnels with distinct
    # step names take the fast path: plain min() aggregates, no window over every event.
    fast = mode == "ordered" and len(set(steps)) == len(steps)
    if fast:
        ev = ev.mutate(dup=ibis.literal(0, "int64"))
    else:
        ev = ev.mutate(dup=ibis.row_number().over(group_by=["user_id", "event", "timestamp"], order_by="timestamp"))

    entries = ev.filter((ev.event == steps[0]) & in_period(ev.timestamp, period_start, period_end))
    if fast:
        entries = entries.group_by("user_id").aggregate(t_1=entries.timestamp.min()).mutate(
            d_1=ibis.literal(0, "int64")
        )
    else:
        entries = _first_per_user(entries, ["timestamp", "dup"]).select(
            "user_id", t_1=entries.timestamp, d_1=entries.dup
        )
    deadline = entries.t_1 + ibis.interval(seconds=window_seconds)
    entries = entries.mutate(deadline=deadline)

    # The rows hold only step and exclusion events: without exclusions they are the step events
    # (and the fast path picks each step by its name anyway).
    step_events = ev.filter(ev.event.isin(list(set(steps)))) if exclude and not fast else ev
    if mode == "ordered":
        matched = _match_ordered(step_events, entries, steps, fast=fast, window_seconds=window_seconds)
    elif mode == "strict":
        matched = _match_strict(step_events, entries, steps)
    else:
        matched = _match_any_order(step_events, entries, steps)

    if exclude:
        matched = _apply_exclusions(ev.filter(ev.event.isin(list(exclude))), matched, len(steps))

    out = _readout_columns(matched, len(steps))
    if segment_by:
        out = _attach_segment(out, events, users, segment_by, steps[0], period_start, period_end)
    return out


def funnel(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    window: str | int | timedelta = "1h",
    mode: Mode = "ordered",
    exclude: Sequence[str] = (),
    period_start: object = None,
    period_end: object = None,
    segment_by: str | None = None,
    users: ibis.Table | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The funnel readout: one row per step (and segment), ready to plot and print.

    Parameters
    ----------
    events, steps, window, mode, exclude, period_start, period_end, segment_by, users
        As in :func:`user_funnel`.
    alpha : float
        1 - confidence level of the Wilson intervals (0.05 gives 95%).

    Returns
    -------
    pandas.DataFrame
        Columns: [segment], ``step_index`` (1-based), ``step``, ``entered``,
        ``reached``, ``lost``, ``step_conversion`` and its ``step_conversion_low``
        / ``_high``, ``conversion`` (from entry) and ``conversion_low`` /
        ``_high``, ``median_seconds``, ``p75_seconds``, ``p90_seconds`` (time
        from the previous step, users who reached this step).
    """
    steps = _check_steps(steps)
    rows = _read_once(_funnel_rows(events, steps, exclude, segment_by))
    per_user = _per_user(
        rows, rows, steps, window=window, mode=mode, exclude=exclude,
        period_start=period_start, period_end=period_end, segment_by=segment_by, users=users,
    )
    k = len(steps)
    metrics = {"entered": per_user.count()}
    for i in range(1, k + 1):
        metrics[f"reached_{i}"] = per_user[f"reached_at_{i}"].count()
    for i in range(2, k + 1):
        seconds = per_user[f"seconds_from_previous_{i}"]
        for label, q in QUANTILES.items():
            metrics[f"{label}_{i}"] = seconds.quantile(q)
    groups = [segment_by] if segment_by else []
    wide = (per_user.group_by(groups).aggregate(**metrics) if groups else per_user.aggregate(**metrics))
    wide = wide.execute()
    return _long_readout(wide, steps, segment_by, alpha)


def completion_times(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    window: str | int | timedelta = "1h",
    mode: Mode = "ordered",
    exclude: Sequence[str] = (),
    period_start: object = None,
    period_end: object = None,
    segment_by: str | None = None,
    users: ibis.Table | None = None,
    max_users: int | None = 200_000,
) -> pd.DataFrame:
    """Per user who entered: entry time, whether they completed, and the time each step took.

    For distributions (histograms, before/after comparisons). With more entered
    users than ``max_users``, a deterministic pseudo-random subset (by a hash
    of ``user_id``, the same on every run; the hash is the backend's own) of about that size is returned.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, [segment], ``entered_at``, ``completed``, ``steps_reached``,
        ``seconds_to_complete`` and ``seconds_from_previous_2`` .. ``_K``.
    """
    steps = _check_steps(steps)
    rows = _read_once(_funnel_rows(events, steps, exclude, segment_by))
    per_user = _per_user(
        rows, rows, steps, window=window, mode=mode, exclude=exclude,
        period_start=period_start, period_end=period_end, segment_by=segment_by, users=users,
    )
    columns = ["user_id"] + ([segment_by] if segment_by else []) + [
        "entered_at", "completed", "steps_reached", "seconds_to_complete",
    ] + [f"seconds_from_previous_{i}" for i in range(2, len(steps) + 1)]
    per_user = per_user.select(columns)
    if max_users is not None:
        per_user = _hashed_subset(per_user, max_users)
    return per_user.order_by(["entered_at", "user_id"]).execute()


def _hashed_subset(per_user: ibis.Table, max_users: int) -> ibis.Table:
    """All users when there are at most ``max_users``, else those whose ``abs(hash(user_id)) % 10**6`` is below
    ``int(10**6 * max_users / users)`` (about ``max_users`` of them, the same on every run; the hash is the
    backend's own as a signed 64-bit integer, on DuckDB ``abs(hash(user_id)::BIT::BIGINT)``, so DuckDB and
    Spark keep different users).

    The count of users is a column of the same query (joined on), so the funnel is not run twice.
    """
    buckets = 1_000_000
    counted = per_user.cross_join(per_user.aggregate(_users=per_user.count()))
    keep = (ibis.literal(buckets * max_users, "int64") / counted._users).floor()
    kept = (counted._users <= max_users) | (counted.user_id.hash().abs() % buckets < keep)
    return counted.filter(kept).drop("_users")


# --- matching --------------------------------------------------------------------------


def _funnel_rows(
    events: ibis.Table, steps: Sequence[str], exclude: Sequence[str], segment_by: str | None
) -> ibis.Table:
    """Only the rows and columns a funnel reads: its step and exclusion events, and the segment column when
    the events have it (the segment of a user is read from their entry row)."""
    columns = ["user_id", "timestamp", "event"] + ([segment_by] if segment_by in events.columns else [])
    names = sorted(set(steps) | set(exclude))
    return events.filter(events.event.isin(names)).select(columns)


def _read_once(rows: ibis.Table) -> ibis.Table:
    """The funnel's rows, made so that every step reads them without scanning the event log again.

    On DuckDB a named subquery (a CTE) of the one query: the engine materialises it once within the
    query, with no second statement and no temporary table. Elsewhere (Spark, which does not
    materialise a CTE) the rows are cached in the engine and released with the result.
    """
    if engine.backend_name(ibis.get_backend(rows)) == "duckdb":
        return rows.alias(f"_funnel_rows_{uuid.uuid4().hex[:12]}")
    return rows.cache()


def _check_steps(steps: Sequence[str]) -> list[str]:
    if isinstance(steps, str) or len(steps) < 2:
        raise ParameterError(f"a funnel needs at least two steps; got {steps!r}")
    return list(steps)


def _first_per_user(table: ibis.Table, order: list[str]) -> ibis.Table:
    """The first row of each user by ``order`` (ties are identical rows, so any one will do)."""
    rank = ibis.row_number().over(group_by="user_id", order_by=order)
    ranked = table.mutate(_rank=rank)
    return ranked.filter(ranked._rank == 0).drop("_rank")


def _match_ordered(
    step_events: ibis.Table, matched: ibis.Table, steps: list[str], *, fast: bool, window_seconds: int
) -> ibis.Table:
    if fast:
        return _match_ordered_chain(step_events, matched, steps, window_seconds)
    for k in range(2, len(steps) + 1):
        name = steps[k - 1]
        cand = step_events.filter(step_events.event == name).join(matched, "user_id")
        keep = (cand.timestamp >= cand[f"t_{k - 1}"]) & (cand.timestamp <= cand.deadline)
        for j in range(1, k):  # never reuse a row that filled an earlier step of the same name
            if steps[j - 1] == name:
                keep &= (cand.timestamp > cand[f"t_{j}"]) | (cand.dup > cand[f"d_{j}"])
        best = _first_per_user(cand.filter(keep), ["timestamp", "dup"])
        best = best.select("user_id", **{f"t_{k}": best.timestamp, f"d_{k}": best.dup})
        matched = matched.left_join(best, "user_id").drop("user_id_right")
    return matched


def _match_ordered_chain(
    step_events: ibis.Table, matched: ibis.Table, steps: list[str], window_seconds: int
) -> ibis.Table:
    """Ordered matching when every step name is distinct: one left join and one min() per step.

    Each step's table is used exactly once by the next, so the engine's work grows
    linearly with the number of steps (joining back to the previous table would make
    the compiled query evaluate it twice per step).
    """
    window = ibis.interval(seconds=window_seconds)
    chain = matched.select("user_id", "t_1")
    for k in range(2, len(steps) + 1):
        step = step_events.filter(step_events.event == steps[k - 1]).select(
            e_user=step_events.user_id, e_ts=step_events.timestamp
        )
        joined = chain.left_join(
            step,
            [
                chain.user_id == step.e_user,
                step.e_ts >= chain[f"t_{k - 1}"],
                step.e_ts <= chain.t_1 + window,
            ],
        )
        chain = joined.group_by(list(chain.columns)).aggregate(**{f"t_{k}": joined.e_ts.min()})
    return chain.mutate(d_1=ibis.literal(0, "int64"), deadline=chain.t_1 + window)


def _match_strict(step_events: ibis.Table, matched: ibis.Table, steps: list[str]) -> ibis.Table:
    # Position of every funnel-step event in the user's sequence; ties at one instant in funnel order.
    first_index = {name: steps.index(name) for name in set(steps)}
    order_in_funnel = step_events.event.cases(*first_index.items(), else_=len(steps))
    positioned = step_events.mutate(
        pos=ibis.row_number().over(group_by="user_id", order_by=[step_events.timestamp, order_in_funnel, step_events.dup])
    )
    entry_pos = positioned.select("user_id", "timestamp", "dup", "pos", e="event")
    matched = matched.join(
        entry_pos,
        (matched.user_id == entry_pos.user_id) & (matched.t_1 == entry_pos.timestamp)
        & (matched.d_1 == entry_pos.dup) & (entry_pos.e == steps[0]),
    ).select(*matched.columns, p_1=entry_pos.pos)
    for k in range(2, len(steps) + 1):
        nxt = positioned.filter(positioned.event == steps[k - 1])
        cand = nxt.join(matched, "user_id")
        cand = cand.filter((cand.pos == cand[f"p_{k - 1}"] + 1) & (cand.timestamp <= cand.deadline))
        best = cand.select("user_id", **{f"t_{k}": cand.timestamp, f"p_{k}": cand.pos})
        matched = matched.left_join(best, "user_id").drop("user_id_right")
    return matched


def _match_any_order(step_events: ibis.Table, matched: ibis.Table, steps: list[str]) -> ibis.Table:
    # Occurrences of each step name within [entry, deadline], counted from the entry row on.
    cand = step_events.join(matched, "user_id")
    in_window = (cand.timestamp >= cand.t_1) & (cand.timestamp <= cand.deadline)
    not_before_entry_row = (cand.event != steps[0]) | (cand.timestamp > cand.t_1) | (cand.dup >= cand.d_1)
    cand = cand.filter(in_window & not_before_entry_row)
    cand = cand.mutate(
        occurrence=ibis.row_number().over(group_by=["user_id", "event"], order_by=["timestamp", "dup"]) + 1
    )
    # The time of the n-th occurrence each step needs (step k needs name's count among steps[:k]).
    needed: dict[int, tuple[str, int]] = {}
    for k in range(2, len(steps) + 1):
        name = steps[k - 1]
        needed[k] = (name, steps[:k].count(name))
    columns = {
        f"need_{k}": cand.timestamp.min(where=(cand.event == name) & (cand.occurrence == n))
        for k, (name, n) in needed.items()
    }
    times = cand.group_by("user_id").aggregate(**columns)
    matched = matched.left_join(times, "user_id").drop("user_id_right")
    # Step k is reached when every step up to k is: at the latest of their times.
    reached = {}
    latest = matched.t_1
    for k in range(2, len(steps) + 1):
        need = matched[f"need_{k}"]
        latest = ibis.ifelse(latest.isnull() | need.isnull(), ibis.null("timestamp"), ibis.greatest(latest, need))
        reached[f"t_{k}"] = latest
    return matched.mutate(**reached)


def _apply_exclusions(excluded: ibis.Table, matched: ibis.Table, k: int) -> ibis.Table:
    cand = excluded.join(matched.select("user_id", "t_1", "deadline"), "user_id")
    cand = cand.filter((cand.timestamp > cand.t_1) & (cand.timestamp <= cand.deadline))
    first = cand.group_by("user_id").aggregate(excluded_at=cand.timestamp.min())
    matched = matched.left_join(first, "user_id").drop("user_id_right")
    cut = {
        f"t_{i}": ibis.ifelse(
            matched.excluded_at.notnull() & (matched[f"t_{i}"] > matched.excluded_at),
            ibis.null("timestamp"),
            matched[f"t_{i}"],
        )
        for i in range(2, k + 1)
    }
    # Steps are monotone in time, so a later step can only survive if the earlier ones did;
    # enforce it explicitly for clarity.
    matched = matched.mutate(**cut)
    chained = {}
    for i in range(3, k + 1):
        chained[f"t_{i}"] = ibis.ifelse(matched[f"t_{i - 1}"].isnull(), ibis.null("timestamp"), matched[f"t_{i}"])
    return matched.mutate(**chained) if chained else matched


def _readout_columns(matched: ibis.Table, k: int) -> ibis.Table:
    epoch = {i: matched[f"t_{i}"].epoch_seconds() for i in range(1, k + 1)}
    reached_count = sum(matched[f"t_{i}"].notnull().cast("int64") for i in range(1, k + 1))
    columns = {
        "entered_at": matched.t_1,
        **{f"reached_at_{i}": matched[f"t_{i}"] for i in range(1, k + 1)},
        **{f"seconds_from_previous_{i}": (epoch[i] - epoch[i - 1]).cast("float64") for i in range(2, k + 1)},
        "steps_reached": reached_count,
        "completed": matched[f"t_{k}"].notnull(),
        "seconds_to_complete": (epoch[k] - epoch[1]).cast("float64"),
    }
    return matched.select("user_id", **columns)


def _attach_segment(
    per_user: ibis.Table,
    events: ibis.Table,
    users: ibis.Table | None,
    segment_by: str,
    first_step: str,
    period_start: object,
    period_end: object,
) -> ibis.Table:
    if segment_by in events.columns:
        # The segment of the entry row: the first step-1 event in the period.
        entry_rows = events.filter((events.event == first_step) & in_period(events.timestamp, period_start, period_end))
        rank = ibis.row_number().over(group_by="user_id", order_by=["timestamp", segment_by])
        ranked = entry_rows.mutate(_r=rank)
        seg = ranked.filter(ranked._r == 0).select("user_id", segment_by)
    elif users is not None and segment_by in users.columns:
        seg = users.select("user_id", segment_by)
    else:
        present = sorted(set(events.columns) | set(users.columns if users is not None else []))
        raise ParameterError(
            f"segment_by={segment_by!r} is not a column of the events or users table; columns are: {', '.join(present)}"
        )
    seg = seg.mutate(**{segment_by: seg[segment_by].cast("string").fill_null(UNKNOWN)})
    joined = per_user.left_join(seg, "user_id").drop("user_id_right")
    return joined.mutate(**{segment_by: joined[segment_by].fill_null(UNKNOWN)})


# --- readout ---------------------------------------------------------------------------


def _long_readout(wide: pd.DataFrame, steps: list[str], segment_by: str | None, alpha: float) -> pd.DataFrame:
    rows = []
    for _, row in wide.iterrows():
        for i, step in enumerate(steps, start=1):
            previous = row["entered"] if i == 1 else row[f"reached_{i - 1}"]
            rows.append(
                {
                    **({segment_by: row[segment_by]} if segment_by else {}),
                    "step_index": i,
                    "step": step,
                    "entered": int(row["entered"]),
                    "reached": int(row[f"reached_{i}"]),
                    "previous": int(previous),
                    "median_seconds": row.get(f"median_{i}", float("nan")),
                    "p75_seconds": row.get(f"p75_{i}", float("nan")),
                    "p90_seconds": row.get(f"p90_{i}", float("nan")),
                }
            )
    columns = ([segment_by] if segment_by else []) + [
        "step_index", "step", "entered", "reached", "previous", "median_seconds", "p75_seconds", "p90_seconds",
    ]
    out = pd.DataFrame(rows, columns=columns)
    if segment_by:
        out = out.sort_values([segment_by, "step_index"], kind="stable").reset_index(drop=True)
    out["lost"] = out["previous"] - out["reached"]
    out["step_conversion"] = out["reached"] / out["previous"].where(out["previous"] > 0)
    out["step_conversion_low"], out["step_conversion_high"] = wilson_ci(out["reached"], out["previous"], alpha=alpha)
    out["conversion"] = out["reached"] / out["entered"].where(out["entered"] > 0)
    out["conversion_low"], out["conversion_high"] = wilson_ci(out["reached"], out["entered"], alpha=alpha)
    for column in ("median_seconds", "p75_seconds", "p90_seconds"):
        out[column] = out[column].astype("float64")
    ordered = ([segment_by] if segment_by else []) + [
        "step_index", "step", "entered", "reached", "lost", "step_conversion", "step_conversion_low",
        "step_conversion_high", "conversion", "conversion_low", "conversion_high",
        "median_seconds", "p75_seconds", "p90_seconds",
    ]
    return out[ordered]


def daily_completion(
    events: ibis.Table,
    steps: Sequence[str],
    *,
    window: str | int | timedelta = "1h",
    mode: Mode = "ordered",
    exclude: Sequence[str] = (),
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Completion rate by day of entry: of the users who entered that day, the share who completed.

    Also the pooled 7-day rate: completed / entered over the day and the six
    calendar days before it (days without entries count as zero), which reads
    better than the daily rate when a day has few entries.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``entered``, ``completed``, ``rate`` and its Wilson ``rate_low`` / ``rate_high``,
        and ``rate_7d`` with ``rate_7d_low`` / ``rate_7d_high``; one row per day with at least one
        entry, in date order.
    """
    steps = _check_steps(steps)
    rows = _read_once(_funnel_rows(events, steps, exclude, None))
    per_user = _per_user(
        rows, rows, steps, window=window, mode=mode, exclude=exclude,
        period_start=period_start, period_end=period_end, segment_by=None, users=None,
    )
    daily = (
        per_user.mutate(date=per_user.entered_at.date())
        .group_by("date")
        .aggregate(entered=ibis._.count(), completed=ibis._.completed.cast("int64").sum())
        .order_by("date")
        .execute()
    )
    daily["date"] = pd.to_datetime(daily["date"])
    daily["entered"] = daily["entered"].astype("int64")
    daily["completed"] = daily["completed"].astype("int64")
    daily["rate"] = daily["completed"] / daily["entered"]
    daily["rate_low"], daily["rate_high"] = wilson_ci(daily["completed"], daily["entered"], alpha=alpha)
    pooled = daily.set_index("date")[["entered", "completed"]].asfreq("D", fill_value=0).rolling(7, min_periods=1).sum()
    pooled = pooled.loc[daily["date"]]
    entered_7d, completed_7d = pooled["entered"].to_numpy(), pooled["completed"].to_numpy()
    daily["rate_7d"] = completed_7d / entered_7d
    low, high = wilson_ci(completed_7d, entered_7d, alpha=alpha)
    daily["rate_7d_low"], daily["rate_7d_high"] = low, high
    return daily
