"""Session and journey cases: sessions, transitions with dwell, top paths, loops, the incident p-chart's daily counts.

The helpers are called as the journey story calls them: the log sessionized by
:func:`~uem_helpers.analyses.sessions.prepare_sessions` with the journey's rule (the 30-minute gap,
ties at one instant in the touchpoints' order, then by event name; ``keep`` the loop segment), then
the analysis. Each case times the sessionizing and the analysis together, on both sides.

The hand-written SQL follows :mod:`uem_helpers.analyses.sessions`: a session is the source's
``session_id`` when the log has one (the "other" workload: every row has one), else a new session
wherever more than 30 minutes pass between a user's consecutive events (exactly 30 minutes stays in
it). A session is cut off when the data's last timestamp (all users) minus its last event is at
most the gap; its last event is then not an exit.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from harness import Case, Ctx, floats, in_list, register
from uem_helpers.analyses import journey
from uem_helpers.analyses.journey._loop_cells import NO_SEGMENT, concentration
from uem_helpers.analyses.journey._loop_harm import harm
from uem_helpers.analyses.sessions import CUT_OFF, SESSION_END, WINDOW_BYTES_PER_ROW, SessionRule, prepare_sessions
from uem_helpers.data.engine import parts_needed

GAP_SECONDS = 1800
MAX_STEPS, TOP_N = 5, 10
ARROW = " → "
MIN_USERS = 10


def _sessions(ctx: Ctx, cache: bool | None = False):
    s = ctx.shape
    return prepare_sessions(ctx.events, gap=SessionRule(f"{GAP_SECONDS}s", tie_order=s.tie_order), keep=[s.segment],
                            cache=cache)


def tie_rank(ctx: Ctx) -> str:
    """The rule's order of events at one instant: the listed touchpoints first, in order."""
    order = ctx.shape.tie_order
    return "CASE event " + " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(order)) + f" ELSE {len(order)} END"


def numbered_cte(ctx: Ctx, users: str = "TRUE") -> str:
    """CTEs ending in ``s1``: every event (of the ``users`` condition's users) with ``user_id``, ``sn`` (its session
    within the user), ``timestamp``, ``event``, ``segment`` and ``tr`` (its tie rank)."""
    tie = tie_rank(ctx)
    seg = ctx.shape.segment
    if ctx.shape.has_session_ids:
        numbered = (f"s1 AS (SELECT user_id, session_id AS sn, timestamp, event, {seg} AS segment, {tie} AS tr "
                    f"FROM events WHERE {users})")
    else:
        numbered = (
            f"s0 AS (SELECT user_id, timestamp, event, {seg} AS segment, {tie} AS tr, "
            f"lag(timestamp) OVER (PARTITION BY user_id ORDER BY timestamp, {tie}, event) AS prev FROM events "
            f"WHERE {users}),\n"
            f"s1 AS (SELECT *, sum(CASE WHEN prev IS NULL OR epoch(timestamp) - epoch(prev) > {GAP_SECONDS} THEN 1 "
            "ELSE 0 END) OVER (PARTITION BY user_id ORDER BY timestamp, tr, event ROWS UNBOUNDED PRECEDING) AS sn FROM s0)"
        )
    return numbered


def sessions_ctes(ctx: Ctx, users: str = "TRUE") -> str:
    """CTEs ending in ``ss``: :func:`numbered_cte`'s columns and ``pos``, ``next_event``, ``dwell``, ``is_exit``,
    ``cut_off`` (of the ``users`` condition's users; the data's end is every user's)."""
    return (
        f"stop AS (SELECT max(timestamp) AS stop FROM events),\n{numbered_cte(ctx, users)},\n"
        "s AS (SELECT user_id, sn, timestamp, event, segment, row_number() OVER w AS pos, lead(event) OVER w AS next_event, "
        "epoch(lead(timestamp) OVER w) - epoch(timestamp) AS dwell, max(timestamp) OVER (PARTITION BY user_id, sn) AS last_ts "
        "FROM s1 WINDOW w AS (PARTITION BY user_id, sn ORDER BY timestamp, tr, event)),\n"
        "ss AS (SELECT s.*, next_event IS NULL AS is_exit, "
        f"coalesce(epoch(stop.stop) - epoch(last_ts) <= {GAP_SECONDS}, false) AS cut_off FROM s, stop)"
    )


# --- sessions ------------------------------------------------------------------------------------------


def _sessions_helper(ctx: Ctx) -> list:
    t = _sessions(ctx, cache=True).table
    per = t.group_by("session").aggregate(n=t.count(), cut=t.cut_off.max().cast("int64"))
    lengths = per.group_by("n").aggregate(sessions=per.count(), cut=per.cut.sum()).order_by("n").execute()
    ends = t.filter(t.ends)
    exits = ends.group_by("event").aggregate(exits=ends.count()).order_by("event").execute()
    return _sessions_numbers(lengths.to_numpy().tolist(), exits.to_numpy().tolist())


def _sessions_numbers(lengths: list, exits: list) -> list:
    """Sessions, events per session (count of sessions and of cut-off sessions per length), exits per event."""
    return [sum(r[1] for r in lengths)] + [float(v) for r in lengths for v in r] \
        + [v if isinstance(v, str) else float(v) for r in exits for v in r]


def user_parts(ctx: Ctx) -> list[str]:
    """Conditions that split the users into parts whose session windows fit DuckDB's memory limit, by the rule
    :func:`~uem_helpers.analyses.sessions.prepare_sessions` splits them with (``["TRUE"]`` when the log fits):
    hand SQL at 120M events runs out of a 12 GB limit in one pass, as the helper did before it went in parts."""
    parts = parts_needed(ctx.con, ctx.sql("SELECT count(*) FROM events")[0][0], WINDOW_BYTES_PER_ROW)
    return ["TRUE"] if parts <= 1 else [f"hash(user_id) % {parts} = {k}" for k in range(parts)]


def _sessions_sql(ctx: Ctx) -> list:
    lengths, exits = Counter(), Counter()  # per part (users never share a session): counts that add up
    for users in user_parts(ctx):
        ctx.execute(f"CREATE OR REPLACE TEMP TABLE bench_sessions AS WITH {sessions_ctes(ctx, users)} SELECT * FROM ss")
        for n, sessions, cut in ctx.sql("SELECT n, count(*), sum(cut::INT) FROM (SELECT count(*) AS n, bool_or(cut_off) "
                                        "AS cut FROM bench_sessions GROUP BY user_id, sn) GROUP BY n"):
            lengths[n, "sessions"] += sessions
            lengths[n, "cut"] += cut
        for event, n in ctx.sql("SELECT event, count(*) FROM bench_sessions WHERE is_exit AND NOT cut_off "
                                "GROUP BY event"):
            exits[event] += n
        ctx.execute("DROP TABLE bench_sessions")
    return _sessions_numbers([(n, lengths[n, "sessions"], lengths[n, "cut"]) for n in sorted({n for n, _ in lengths})],
                             sorted(exits.items()))


# --- transitions ---------------------------------------------------------------------------------------


def _transitions_helper(ctx: Ctx) -> list:
    t = journey.transitions(_sessions(ctx)).sort_values(["source", "target"])
    return _by_source_target(t["source"], t["target"], t["transitions"], t["users"], t["median_dwell_seconds"],
                             t["p90_dwell_seconds"])


def _by_source_target(*columns) -> list:
    """The columns one after the other: strings as they are, numbers as floats, None as NaN."""
    values = [v for column in columns for v in (column.tolist() if hasattr(column, "tolist") else column)]
    return [v if isinstance(v, str) else float("nan") if v is None else float(v) for v in values]


def _transitions_sql(ctx: Ctx) -> list:
    rows = ctx.sql(
        f"WITH {sessions_ctes(ctx)} SELECT event AS source, coalesce(next_event, CASE WHEN cut_off THEN '{CUT_OFF}' "
        f"ELSE '{SESSION_END}' END) AS target, count(*), count(DISTINCT user_id), quantile_cont(dwell, 0.5), "
        "quantile_cont(dwell, 0.9) FROM ss GROUP BY ALL ORDER BY source, target"
    )
    return _by_source_target(*zip(*rows))


# --- paths ---------------------------------------------------------------------------------------------


def _paths_helper(ctx: Ctx) -> list:
    # as prepare_sessions gives them by default: a log whose session windows do not fit the memory limit
    # sessionized in parts, as the hand SQL then is; in one query, the paths ran out of 12 GB at 120M events
    sessions = _sessions(ctx, cache=None)
    p = journey.paths(sessions, ctx.shape.start_event, max_steps=MAX_STEPS, top_n=TOP_N)
    return p["path"].tolist() + floats(p["steps"].astype("float64").fillna(-1)) + floats(p["sessions"]) \
        + floats(p["users"])


def _paths_sql(ctx: Ctx) -> list:
    start = ctx.shape.start_event
    steps = ", ".join(f"max(event) FILTER (WHERE k = {i}) AS e{i}" for i in range(1, MAX_STEPS + 1))
    path = " || ".join(["e1"] + [f"coalesce('{ARROW}' || e{i}, '')" for i in range(2, MAX_STEPS + 1)])
    # each session's path, a part of the users at a time (sessions never span users), into one table
    for i, users in enumerate(user_parts(ctx)):
        paths = (
            f"WITH {sessions_ctes(ctx, users)}, "
            f"f AS (SELECT *, pos - min(CASE WHEN event = '{start}' THEN pos END) OVER (PARTITION BY user_id, sn) + 1 "
            "AS k FROM ss), "
            f"w AS (SELECT * FROM f WHERE k BETWEEN 1 AND {MAX_STEPS}), "
            "q AS (SELECT user_id, count(*) AS steps, bool_or(is_exit AND NOT cut_off) AS ended, "
            f"bool_or(is_exit AND cut_off) AS cut, {steps} FROM w GROUP BY user_id, sn) "
            f"SELECT user_id, steps, {path} || CASE WHEN ended THEN '{ARROW}{SESSION_END}' "
            f"WHEN cut THEN '{ARROW}{CUT_OFF}' ELSE '' END AS path FROM q")
        ctx.execute(f"CREATE OR REPLACE TEMP TABLE bench_paths AS {paths}" if i == 0
                    else f"INSERT INTO bench_paths {paths}")
    rows = ctx.sql(
        "WITH r AS (SELECT path, max(steps) AS steps, count(*) AS n, count(DISTINCT user_id) AS u FROM bench_paths "
        "GROUP BY path), "
        "top AS (SELECT path, steps, n, u, row_number() OVER (ORDER BY n DESC, path) AS rk FROM r) "
        f"SELECT path, steps, n, u FROM top WHERE rk <= {TOP_N} "
        "UNION ALL (SELECT '(other paths)', -1, count(*), count(DISTINCT p.user_id) FROM bench_paths p JOIN top "
        f"USING (path) WHERE rk > {TOP_N})"
    )
    ctx.execute("DROP TABLE bench_paths")
    body, other = rows[:-1], rows[-1]
    body.sort(key=lambda r: (-r[2], r[0]))
    rows = body + ([other] if other[2] else [])
    return [r[0] for r in rows] + [float(r[i]) for i in (1, 2, 3) for r in rows]


# --- loops ---------------------------------------------------------------------------------------------

LOOP_NUMBERS = ["length", "users", "sessions", "occurrences", "compared_sessions", "converted_sessions",
                "baseline_sessions", "baseline_converted", "difference", "difference_low", "difference_high",
                "period_rate", "segment_rate"]


def _loops_helper(ctx: Ctx) -> list:
    s = ctx.shape
    df = journey.loops(_sessions(ctx, cache=True), conversion_event=s.conversion, goal_events=s.goals,
                       segment_by=s.segment, min_users=MIN_USERS)
    return _loop_numbers(df)


def _loop_numbers(df: pd.DataFrame) -> list:
    df = df.sort_values("loop")
    return df["loop"].tolist() + df["worst_period"].astype(str).tolist() + df["worst_segment"].astype(str).tolist() \
        + floats(df[LOOP_NUMBERS].astype("float64").to_numpy().ravel())


def loop_ctes(ctx: Ctx) -> str:
    """Over the sessionized events ``bench_ss``: ``occ`` (one row per cycle occurrence) and ``facts`` (per session)."""
    s = ctx.shape
    leads = ", ".join(f"lead(event, {i}) OVER (PARTITION BY user_id, sn ORDER BY pos) AS e{i}" for i in range(1, 5))
    found = []
    for length in range(2, 5):
        inner = [f"e{i}" for i in range(1, length)]
        keep = [f"e{length} = e0"] + [f"{e} <> e0" for e in inner]
        keep += [f"{a} <> {b}" for i, a in enumerate(inner) for b in inner[i + 1:]]
        keep += [f"{e} NOT IN ({in_list(s.goals)})" for e in ["e0", *inner]]
        name = f" || '{ARROW}' || ".join(["e0", *(f"e{i}" for i in range(1, length + 1))])
        found.append(f"SELECT user_id, sn, {name} AS loop, {length} AS length, e0 AS start FROM l WHERE "
                     + " AND ".join(keep))
    return (
        f"l AS (SELECT user_id, sn, event AS e0, {leads} FROM bench_ss),\n"
        f"occ AS ({' UNION ALL '.join(found)}),\n"
        f"facts AS (SELECT user_id, sn, max((event = '{s.conversion}')::INT) AS converted, "
        "1 - max(cut_off::INT) AS compared, min(timestamp)::DATE AS day, min(segment) AS segment "
        "FROM bench_ss GROUP BY user_id, sn)"
    )


def _sums(prefix: str) -> str:
    return (f"count(*) FILTER (WHERE n > 0) AS {prefix}m, sum(y) AS {prefix}sy, sum(n) AS {prefix}sn, "
            f"sum(y * y) AS {prefix}syy, sum(n * n) AS {prefix}snn, sum(y * n) AS {prefix}syn")


def _loops_sql(ctx: Ctx) -> list:
    """The per-cycle and baseline sums, the day/segment cells and the segment mix in SQL, over the sessionized
    events held in a temporary table (as the story holds the helper's sessions: ``cache=True``); the intervals,
    tests and ranks from them with the helper's own statistics (:func:`harm`, :func:`concentration`), which are not what is timed here."""
    ctx.execute(f"CREATE OR REPLACE TEMP TABLE bench_ss AS WITH {sessions_ctes(ctx)} "
                "SELECT user_id, sn, timestamp, event, segment, pos, cut_off FROM ss")
    ctx.execute(f"CREATE OR REPLACE TEMP TABLE bench_cyc AS WITH {loop_ctes(ctx)} "
                "SELECT o.loop, o.length, o.start, o.user_id, o.sn, count(*) AS occurrences, any_value(f.converted) "
                "AS converted, any_value(f.compared) AS compared, any_value(f.day) AS day, any_value(f.segment) AS "
                "segment FROM occ o JOIN facts f USING (user_id, sn) GROUP BY ALL")
    ctx.execute(f"CREATE OR REPLACE TEMP TABLE bench_reach AS WITH {loop_ctes(ctx)}, "
                "r AS (SELECT DISTINCT user_id, sn, event AS start FROM bench_ss), "
                "c AS (SELECT DISTINCT user_id, sn FROM bench_cyc) "
                "SELECT r.user_id, r.start, f.converted, f.compared, f.day, f.segment, c.sn IS NULL AS clean "
                "FROM r JOIN facts f ON f.user_id = r.user_id AND f.sn = r.sn "
                "LEFT JOIN c ON c.user_id = r.user_id AND c.sn = r.sn")
    df = ctx.execute(
        "WITH pu AS (SELECT loop, length, start, user_id, sum(occurrences) AS occurrences, count(*) AS sessions, "
        "sum(converted * compared) AS y, sum(compared) AS n FROM bench_cyc GROUP BY ALL), "
        f"out AS (SELECT loop, length, start, count(*) AS users, sum(sessions) AS sessions, sum(occurrences) AS "
        f"occurrences, {_sums('')} FROM pu GROUP BY ALL HAVING count(*) >= {MIN_USERS}), "
        "bu AS (SELECT start, user_id, sum(converted * compared) AS y, sum(compared) AS n FROM bench_reach "
        "WHERE clean GROUP BY ALL), "
        f"base AS (SELECT start AS base_start, {_sums('b_')} FROM bu GROUP BY start) "
        "SELECT * EXCLUDE (base_start) FROM out LEFT JOIN base ON out.start = base.base_start"
    ).df()
    loops = in_list(df["loop"].tolist() or [""])
    by_segment = ctx.execute(
        "WITH su AS (SELECT start, segment, user_id, sum(converted * compared) AS y, sum(compared) AS n "
        f"FROM bench_reach WHERE clean GROUP BY ALL) SELECT start, segment, {_sums('')} FROM su GROUP BY ALL").df()
    mix = ctx.execute(f"SELECT loop, segment, sum(compared) AS n FROM bench_cyc WHERE loop IN ({loops}) "
                      "GROUP BY ALL").df()
    cells = ctx.execute(_cells_sql(loops)).df()
    unit = "month" if cells["monthly"].any() else "week"
    for table in ("bench_ss", "bench_cyc", "bench_reach"):
        ctx.execute(f"DROP TABLE {table}")
    for column in ("length", "users", "sessions", "occurrences"):
        df[column] = df[column].astype("int64")
    out = pd.concat([df[["loop", "length", "start", "users", "sessions", "occurrences"]],
                     harm(df, has_conversion=True, alpha=0.05, by_segment=by_segment, cycle_mix=mix)], axis=1)
    out = out.merge(concentration(cells, df[["loop", "start"]], unit=unit, alpha=0.05, by_segment=True), on="loop",
                    how="left")
    return _loop_numbers(out)


def _cells_sql(loops: str) -> str:
    """Sessions per cycle and cell, and reaching each start per cell: calendar months when the first days span more
    than one month, else weeks (the Monday, or the first day of data when later); segments with missing ones named."""
    return (
        f"WITH d AS (SELECT loop, start, day, segment, count(*) AS sessions FROM bench_cyc WHERE loop IN ({loops}) "
        "GROUP BY ALL UNION ALL SELECT NULL, start, day, segment, count(*) FROM bench_reach GROUP BY ALL), "
        "b AS (SELECT min(day) AS first, max(day) AS last FROM d), "
        "p AS (SELECT d.*, date_trunc('month', first) <> date_trunc('month', last) AS monthly, first FROM d, b) "
        "SELECT loop, start, 'period' AS kind, CASE WHEN monthly THEN strftime(day, '%Y-%m') "
        "ELSE strftime(greatest(date_trunc('week', day), first), '%Y-%m-%d') END AS cell, sum(sessions) AS sessions, "
        "any_value(monthly) AS monthly FROM p GROUP BY loop, start, kind, cell "
        f"UNION ALL SELECT loop, start, 'segment', coalesce(segment, '{NO_SEGMENT}'), sum(sessions), any_value(monthly) "
        "FROM p GROUP BY loop, start, 4"
    )


# --- incidents -----------------------------------------------------------------------------------------


def _incidents_helper(ctx: Ctx) -> list:
    d = journey.step_conversion_daily(_sessions(ctx), ctx.shape.incident_steps)
    return floats(d["step_index"]) + [str(x.date()) for x in d["date"]] + floats(d["trials"]) + floats(d["successes"])


def _incidents_sql(ctx: Ctx) -> list:
    """Per step a → b and day of the a event: a events, and those a later b event of the session follows.

    "Later" is a later place in the session's order (time, the tie order, event name); the step events are
    distinct, so comparing that order among the step events alone gives the same answer as positions
    among all events. Sessions still come from every event (the gap rule needs them all).
    """
    steps = ctx.shape.incident_steps
    tie = tie_rank(ctx)
    base = f"{numbered_cte(ctx)}, f AS (SELECT user_id, sn, timestamp, event FROM s1 WHERE event IN ({in_list(steps)}))"
    later = dict.fromkeys(steps[1:])
    lasts = ", ".join(f"max(pos) FILTER (WHERE event = '{b}') OVER (PARTITION BY user_id, sn) AS last_{i}"
                      for i, b in enumerate(later))
    pairs = " UNION ALL ".join(
        f"SELECT {i} AS step_index, timestamp::DATE AS d, (coalesce(last_{list(later).index(b)}, 0) > pos)::INT AS ok "
        f"FROM p WHERE event = '{a}'" for i, (a, b) in enumerate(zip(steps, steps[1:]), start=1))
    rows = ctx.sql(
        f"WITH {base}, "
        f"q AS (SELECT *, row_number() OVER (PARTITION BY user_id, sn ORDER BY timestamp, {tie}, event) AS pos FROM f), "
        f"p AS (SELECT *, {lasts} FROM q) "
        f"SELECT step_index, d, count(*), sum(ok) FROM ({pairs}) GROUP BY ALL ORDER BY step_index, d"
    )
    cols = list(zip(*rows))
    return floats(cols[0]) + [str(d) for d in cols[1]] + floats(cols[2]) + floats(cols[3])


def _case(name: str, what: str, helper, sql) -> Case:
    return Case(name, "journey", what, helper, sql)


register(
    _case("sessions", "prepare_sessions (cached) -> sessions, events per session, exits per event",
          _sessions_helper, _sessions_sql),
    _case("transitions", "transitions with dwell (median, p90), cut-off and session ends", _transitions_helper,
          _transitions_sql),
    _case("paths", f"top {TOP_N} paths of {MAX_STEPS} steps from the start event", _paths_helper, _paths_sql),
    _case("loops", "cycles of 2-4 steps: harm against the baseline, concentration by month and platform",
          _loops_helper, _loops_sql),
    _case("incidents", "p-chart inputs: per step and day, trials and successes (step_conversion_daily)",
          _incidents_helper, _incidents_sql),
)
