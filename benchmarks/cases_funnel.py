"""Funnel cases: the ordered funnel with a window, with an exclusion step, and the time to convert.

The hand-written SQL follows the definition in :mod:`uem_helpers.analyses.funnel`: a user enters
at their first step-1 event; step k is reached at the first step-k event at or after the step k-1
match and within the window from entry (inclusive); with exclusions, after the first exclusion
event strictly after entry (and within the window) no further step counts, a step matched at or
before that instant still does. The workloads' step names are distinct, so no row can fill two steps.
"""

from __future__ import annotations

import pandas as pd

from harness import Case, Ctx, floats, in_list, register
from uem_helpers.analyses.funnel import completion_times, funnel
from uem_helpers.core.config import parse_duration

QUANTILES = (0.5, 0.75, 0.9)
#: completion_times returns a hashed subset of about this many users above it (its default).
MAX_USERS = 200_000


def funnel_sql(steps: list[str], window: str, exclude: list[str] = (), source: str = "events", prefix: str = "") -> str:
    """Per entered user: ``user_id``, ``t1`` .. ``tK`` (NULL when not reached), one CTE per step (each step's
    matches joined from the previous step's, then every step left-joined to the entries), ending in ``per_user``.

    ``source`` is the table or CTE the events come from. With a ``prefix`` every CTE is named with it
    (``<prefix>per_user`` ...) and the text is a list of CTEs to put inside a larger ``WITH``, so that several
    funnels fit in one query; without one it is a whole ``WITH`` clause."""
    seconds = int(parse_duration(window).total_seconds())
    ev, chain, x, per_user = (prefix + name for name in ("ev", "chain", "x", "per_user"))
    s = [f"{prefix}s{k}" for k in range(len(steps) + 1)]  # s[k]: the matches of step k
    ctes = [
        f"{ev} AS (SELECT user_id, timestamp AS ts, event FROM {source} WHERE event IN ({in_list([*steps, *exclude])}))",
        f"{s[1]} AS (SELECT user_id, min(ts) AS t1 FROM {ev} WHERE event = '{steps[0]}' GROUP BY user_id)",
    ]
    for k in range(2, len(steps) + 1):
        carried = ", ".join(f"p.t{j}" for j in range(1, k))
        ctes.append(
            f"{s[k]} AS (SELECT p.user_id, {carried}, min(e.ts) AS t{k} FROM {s[k - 1]} p "
            f"JOIN {ev} e ON e.user_id = p.user_id AND e.event = '{steps[k - 1]}' "
            f"AND e.ts >= p.t{k - 1} AND e.ts <= p.t1 + INTERVAL {seconds} SECOND "
            f"GROUP BY p.user_id, {carried})"
        )
    k = len(steps)
    joins = " ".join(f"LEFT JOIN {s[i]} USING (user_id)" for i in range(2, k + 1))
    reached = ", ".join(f"{s[i]}.t{i}" for i in range(2, k + 1))
    ctes.append(f"{chain} AS (SELECT {s[1]}.user_id, {s[1]}.t1, {reached} FROM {s[1]} {joins})")
    if exclude:
        ctes.append(
            f"{x} AS (SELECT {s[1]}.user_id, min(e.ts) AS tx FROM {s[1]} JOIN {ev} e ON e.user_id = {s[1]}.user_id "
            f"AND e.event IN ({in_list(exclude)}) AND e.ts > {s[1]}.t1 AND e.ts <= {s[1]}.t1 + INTERVAL {seconds} SECOND "
            f"GROUP BY {s[1]}.user_id)"
        )
        # Steps are matched in time order, so cutting each at the exclusion keeps them chained.
        cut = ", ".join(f"CASE WHEN tx IS NOT NULL AND t{i} > tx THEN NULL ELSE t{i} END AS t{i}"
                        for i in range(2, k + 1))
        ctes.append(f"{per_user} AS (SELECT user_id, t1, {cut} FROM {chain} LEFT JOIN {x} USING (user_id))")
    else:
        ctes.append(f"{per_user} AS (SELECT * FROM {chain})")
    text = ",\n".join(ctes)
    return text if prefix else "WITH " + text


def readout_sql(steps: list[str], window: str, exclude: list[str] = ()) -> str:
    """Users reaching each step, and the median, p75 and p90 seconds from the previous step among them."""
    cols = [f"count(t{k})" for k in range(1, len(steps) + 1)]
    for k in range(2, len(steps) + 1):
        gap = f"(epoch(t{k}) - epoch(t{k - 1}))"
        cols += [f"quantile_cont({gap}, {q})" for q in QUANTILES]
    return funnel_sql(steps, window, exclude) + f"\nSELECT {', '.join(cols)} FROM per_user"


def _readout(out: pd.DataFrame) -> list[float]:
    quantiles = out.iloc[1:][["median_seconds", "p75_seconds", "p90_seconds"]].to_numpy().ravel().tolist()
    return floats(out["reached"].tolist() + quantiles)


def _funnel_helper(ctx: Ctx) -> list[float]:
    s = ctx.shape
    return _readout(funnel(ctx.events, s.funnel, window=s.funnel_window))


def _funnel_sql(ctx: Ctx) -> list[float]:
    return floats(ctx.sql(readout_sql(ctx.shape.funnel, ctx.shape.funnel_window))[0])


def _exclude_helper(ctx: Ctx) -> list[float]:
    s = ctx.shape
    return _readout(funnel(ctx.events, s.exclude_funnel, window=s.exclude_window, exclude=s.exclude))


def _exclude_sql(ctx: Ctx) -> list[float]:
    s = ctx.shape
    return floats(ctx.sql(readout_sql(s.exclude_funnel, s.exclude_window, s.exclude))[0])


def _conversion_summary(df: pd.DataFrame, k: int) -> list[float]:
    """What the per-user frame says: users, completed, steps reached, and the time to convert and per step."""
    out = [len(df), int(df["completed"].sum()), int(df["steps_reached"].sum())]
    done = df["seconds_to_complete"].dropna()
    out += [done.sum(), done.median(), done.quantile(0.9)]
    out += [df[f"seconds_from_previous_{i}"].sum() for i in range(2, k + 1)]
    return floats(out)


def _convert_helper(ctx: Ctx) -> list[float]:
    s = ctx.shape
    return _conversion_summary(completion_times(ctx.events, s.funnel, window=s.funnel_window), len(s.funnel))


def _convert_sql(ctx: Ctx) -> list[float]:
    """The per-user frame of completion_times: entry, completed, steps reached, seconds; a hashed subset above
    :data:`MAX_USERS` (``abs(hash(user_id)) % 1e6`` below the kept share, as the helper draws it: DuckDB's
    unsigned hash read as a signed 64-bit integer, as Ibis compiles ``hash()``)."""
    s = ctx.shape
    k = len(s.funnel)
    reached = " + ".join(f"(t{i} IS NOT NULL)::BIGINT" for i in range(1, k + 1))
    gaps = ", ".join(f"(epoch(t{i}) - epoch(t{i - 1}))::DOUBLE AS seconds_from_previous_{i}" for i in range(2, k + 1))
    body = funnel_sql(s.funnel, s.funnel_window) + (
        f", rows AS (SELECT user_id, t1 AS entered_at, t{k} IS NOT NULL AS completed, {reached} AS steps_reached, "
        f"(epoch(t{k}) - epoch(t1))::DOUBLE AS seconds_to_complete, {gaps} FROM per_user)"
    )
    n = ctx.sql(body + " SELECT count(*) FROM rows")[0][0]
    where = ""
    if n > MAX_USERS:
        where = f" WHERE abs(hash(user_id)::BIT::BIGINT) % 1000000 < {int(1_000_000 * MAX_USERS / n)}"
    df = ctx.execute(body + f" SELECT * FROM rows{where} ORDER BY entered_at, user_id").df()
    return _conversion_summary(df, k)


register(
    Case("funnel", "funnel", "ordered funnel within a window: reached per step, median/p75/p90 s between steps",
         _funnel_helper, _funnel_sql),
    Case("funnel_exclusion", "funnel", "ordered funnel, 1-day window, with an exclusion event",
         _exclude_helper, _exclude_sql),
    Case("time_to_convert", "funnel", "completion_times: the per-user frame (entry, completed, seconds per step)",
         _convert_helper, _convert_sql),
)
