"""Metric cases: weekly retention cohorts and stickiness (mean DAU / MAU per month).

Called as the retro story and the KPI table call them: ``retention(events, weeks=8)`` (first-event
cohorts) and ``stickiness(events, by="month")``, over the whole log (no period bounds).
"""

from __future__ import annotations

import math

from scipy import stats as sps

from harness import Case, Ctx, floats, register
from uem_helpers.analyses.metrics import retention, stickiness

WEEKS = 8


def _retention_helper(ctx: Ctx) -> list:
    r = retention(ctx.events, weeks=WEEKS)
    return [str(d.date()) for d in r["cohort_week"]] + floats(r["week"]) + floats(r["cohort_users"]) \
        + floats(r["active_users"])


def _retention_sql(ctx: Ctx) -> list:
    """From the definition in :func:`uem_helpers.analyses.metrics.retention`: a user's start is their first event,
    the cohort its Monday week; active in week k with an event at or after the start in the k-th week after;
    only cohorts from the data's first day on, and weeks that ended by the data's last event, zeros included."""
    rows = ctx.sql(
        "WITH c AS (SELECT user_id, min(timestamp) AS st, date_trunc('week', min(timestamp)) AS cw FROM events "
        "GROUP BY user_id), "
        "size AS (SELECT cw, count(*) AS cohort_users FROM c GROUP BY cw), "
        "wk AS (SELECT user_id, date_trunc('week', timestamp) AS w, max(timestamp) AS last_ts FROM events GROUP BY ALL), "
        "act AS (SELECT c.cw, datediff('day', c.cw, wk.w) // 7 AS k, count(*) AS active FROM c JOIN wk "
        f"ON wk.user_id = c.user_id AND wk.last_ts >= c.st AND wk.w <= c.cw + INTERVAL {7 * WEEKS} DAY GROUP BY ALL), "
        "bounds AS (SELECT min(timestamp)::DATE::TIMESTAMP AS data_start, max(timestamp) AS data_end FROM events) "
        "SELECT size.cw::DATE, k.range AS k, cohort_users, coalesce(active, 0) "
        f"FROM size CROSS JOIN range({WEEKS + 1}) AS k CROSS JOIN bounds "
        "LEFT JOIN act ON act.cw = size.cw AND act.k = k.range "
        "WHERE size.cw >= data_start AND size.cw + to_days(7 * (k.range::INT + 1)) <= data_end ORDER BY size.cw, k"
    )
    cols = list(zip(*rows)) or [[], [], [], []]
    return [str(d) for d in cols[0]] + floats(cols[1]) + floats(cols[2]) + floats(cols[3])


def _stickiness_helper(ctx: Ctx) -> list:
    s = stickiness(ctx.events, by="month")
    return s["month"].tolist() + floats(s[["days", "mean_dau", "mau", "stickiness", "low", "high"]].to_numpy().ravel())


def _stickiness_sql(ctx: Ctx) -> list:
    """Per calendar month: observed days, the sum and sum of squares of the daily DAU, MAU; the mean over the
    observed days / MAU with the Student-t interval of the mean DAU divided by MAU, clipped to [0, 1]."""
    rows = ctx.sql(
        "WITH d AS (SELECT timestamp::DATE AS day, count(DISTINCT user_id) AS dau FROM events GROUP BY 1), "
        "per AS (SELECT strftime(day, '%Y-%m') AS month, count(*) AS days, sum(dau) AS s, sum(dau * dau) AS ss "
        "FROM d GROUP BY 1), "
        "m AS (SELECT strftime(timestamp, '%Y-%m') AS month, count(DISTINCT user_id) AS mau FROM events GROUP BY 1) "
        "SELECT month, days, s, ss, mau FROM per JOIN m USING (month) ORDER BY month"
    )
    months, numbers = [], []
    for month, days, s, ss, mau in rows:
        mean = s / days
        if days > 1:
            half = sps.t.ppf(0.975, days - 1) * math.sqrt(max(0.0, (ss - days * mean**2) / (days - 1)) / days)
            low, high = min(1.0, max(0.0, (mean - half) / mau)), min(1.0, max(0.0, (mean + half) / mau))
        else:
            low = high = float("nan")
        months.append(month)
        numbers += [days, mean, mau, mean / mau, low, high]
    return months + floats(numbers)


register(
    Case("retention", "metrics", f"weekly first-event cohorts, weeks 0-{WEEKS}", _retention_helper, _retention_sql),
    Case("stickiness", "metrics", "mean DAU over observed days / MAU, per month, t interval", _stickiness_helper,
         _stickiness_sql),
)
