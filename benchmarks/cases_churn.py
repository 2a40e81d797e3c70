"""Churn case: the churn features of every user eligible at one cutoff (:func:`~uem_helpers.analyses.churn.user_features`).

Called as the churn story calls it, at the validation cutoff of a report as of 2026-11-01 (both
workloads span May to October 2026): ``user_features(data, rule, CUTOFF, config)`` on the events
(and, on the sample, its generated carts), with a ``churn:`` section per workload (:data:`CHURN`),
the workload's two funnels and the 30-minute session gap. Without NPS or feedback tables those
features are left out on both sides.

The hand-written SQL follows :data:`~uem_helpers.analyses.churn.features.FEATURES` and
:func:`~uem_helpers.analyses.churn.definition.eligible_users`, with ``T`` the cutoff, ``W`` its 28
days before and ``R`` the recent 14: a user is eligible with an active event in the 30 days before
``T`` and a first one at least 14 days before it (no users table: tenure from the first active
event); days are counted back from ``T`` to the millisecond; sessions are the window's events cut
at gaps over 30 minutes (or the source's session ids); a funnel failure is an entry in ``W`` whose
conversion window closed before ``T`` without the last step; a payment error an attempt with no
success at the same instant or later in its session; a segment the user's last non-empty value
before ``T`` (ties at one instant: the greatest). Both sides are summarised the same way: users, and
per feature the sum, the sum of squares and the missing values; the segment's users per value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from cases_funnel import funnel_sql
from harness import Case, Ctx, floats, in_list, register
from uem_helpers.analyses.churn import ChurnRule, user_features
from uem_helpers.core.config import config_from_dict, parse_duration
from uem_helpers.data.sources import Dataset

#: The validation cutoff of a churn report as of 2026-11-01 (30 inactive days earlier).
CUTOFF = datetime(2026, 10, 2)
INACTIVE_DAYS, MIN_TENURE_DAYS, TREND_DAYS = 30, 14, 14
GAP_SECONDS = 1800
#: Each workload's churn section: active events, the payment attempt and success, support events.
CHURN = {
    "sample": {"active_events": ["app_open", "open_start"], "payment_error": {"attempt": "payment",
                                                                             "success": "order_success"},
               "support_events": ["customer_service"]},
    "other": {"active_events": ["j_landing"], "payment_error": {"attempt": "j_checkout", "success": "j_paid"},
              "support_events": ["j_cancel"]},
}


def _config(ctx: Ctx):
    s = ctx.shape
    return config_from_dict({
        "sources": {"events": {"path": str(ctx.path)}},
        "funnels": {"first": {"steps": s.funnel, "window": s.funnel_window},
                    "second": {"steps": s.exclude_funnel, "window": s.exclude_window, "exclude": s.exclude}},
        "sessions": {"gap": f"{GAP_SECONDS}s"},
        "feedback_taxonomy": {},
        "churn": {**CHURN[ctx.workload], "inactive_days": INACTIVE_DAYS, "min_tenure_days": MIN_TENURE_DAYS,
                  "trend_days": TREND_DAYS, "segments": [s.segment]},
    })


def _summary(frame: pd.DataFrame, segment: str) -> list:
    """Users; per feature (in name order) its sum, sum of squares and missing values; users per segment value."""
    numbers = sorted(c for c in frame.columns if c not in ("user_id", segment))
    out: list = list(numbers) + floats([len(frame)])
    for column in numbers:
        values = frame[column].astype("float64")
        out += floats([values.sum(), (values ** 2).sum(), values.isna().sum()])
    counts = frame[segment].value_counts().sort_index()
    return out + [str(v) for v in counts.index] + floats(counts.tolist())


def _features_helper(ctx: Ctx) -> list:
    tables = {"events": ctx.events}
    if ctx.shape.has_carts:
        tables["carts"] = ctx.con.table("carts_generated")
    data = Dataset(ctx.con, tables, "Asia/Shanghai")
    config = _config(ctx)
    frame = user_features(data, ChurnRule.from_config(config), CUTOFF, config).to_frame()
    return _summary(frame.reset_index(), ctx.shape.segment)


def sessions_cte(has_session_ids: bool) -> str:
    """``ws``: the window's events with their session ``sn`` (a session's number: the starts, i.e. no previous
    event or one over the gap earlier, up to this instant), or as they are when every row has a session id."""
    if has_session_ids:
        return "ws AS (SELECT * FROM w)"
    return (f"g AS (SELECT *, CASE WHEN prev IS NULL OR epoch_ms(timestamp) - epoch_ms(prev) > {GAP_SECONDS * 1000} "
            "THEN 1 ELSE 0 END AS st FROM (SELECT *, lag(timestamp) OVER (PARTITION BY user_id ORDER BY timestamp, "
            "event) AS prev FROM w)),\n"
            "ws AS (SELECT *, sum(st) OVER (PARTITION BY user_id ORDER BY timestamp RANGE UNBOUNDED PRECEDING) AS sn "
            "FROM g)")


def _features_sql(ctx: Ctx) -> list:
    s, churn = ctx.shape, CHURN[ctx.workload]
    t = f"TIMESTAMP '{CUTOFF:%Y-%m-%d %H:%M:%S}'"
    days = f"(epoch_ms({t}) - epoch_ms({{}})) / 86400000.0"  # days from a time to the cutoff, to the millisecond
    active, seg = in_list(churn["active_events"]), s.segment
    session = "session_id" if s.has_session_ids else "sn"  # the "other" log: every row has a session id
    ctes = [
        f"lives AS (SELECT user_id, min(timestamp) AS first_a, max(timestamp) AS last_a FROM events "
        f"WHERE event IN ({active}) AND timestamp < {t} GROUP BY user_id)",
        f"base AS (SELECT user_id, {days.format('last_a')} AS days_since_active, {days.format('first_a')} AS tenure_days "
        f"FROM lives WHERE last_a >= {t} - INTERVAL {INACTIVE_DAYS} DAY AND first_a <= {t} - INTERVAL {MIN_TENURE_DAYS} DAY)",
        f"w AS (SELECT * FROM events WHERE timestamp >= {t} - INTERVAL {2 * TREND_DAYS} DAY AND timestamp < {t})",
        f"d AS (SELECT user_id, floor({days.format('timestamp')})::BIGINT AS d FROM w WHERE event IN ({active}))",
        f"act AS (SELECT user_id, count(DISTINCT d) AS active_days, count(DISTINCT d) FILTER (WHERE d < {TREND_DAYS}) "
        f"AS active_days_recent, count(DISTINCT d) FILTER (WHERE d >= {TREND_DAYS}) AS active_days_prior FROM d GROUP BY user_id)",
        sessions_cte(s.has_session_ids),
        f"spans AS (SELECT user_id, (epoch_ms(max(timestamp)) - epoch_ms(min(timestamp))) / 60000.0 AS minutes "
        f"FROM ws GROUP BY user_id, {session})",
        "ses AS (SELECT user_id, count(*) AS sessions, avg(minutes) AS session_minutes FROM spans GROUP BY user_id)",
    ]
    failed = []
    for name, steps, window, exclude in (("f1_", s.funnel, s.funnel_window, []),
                                         ("f2_", s.exclude_funnel, s.exclude_window, s.exclude)):
        last_entry = CUTOFF - parse_duration(window) - timedelta(microseconds=1)
        ctes.append(funnel_sql(steps, window, exclude, source="w", prefix=name))
        failed.append(f"SELECT user_id FROM {name}per_user WHERE t1 <= TIMESTAMP '{last_entry:%Y-%m-%d %H:%M:%S.%f}' "
                      f"AND t{len(steps)} IS NULL")
    pay = churn["payment_error"]
    ctes += [
        f"fails AS (SELECT user_id, count(*) AS funnel_failures FROM ({' UNION ALL '.join(failed)}) GROUP BY user_id)",
        f"paid AS (SELECT user_id, {session} AS sk, max(timestamp) AS last_paid FROM ws WHERE event = '{pay['success']}' "
        "GROUP BY ALL)",
        f"errs AS (SELECT a.user_id, count(*) AS payment_errors, count(*) FILTER (WHERE a.timestamp >= {t} - INTERVAL "
        f"{TREND_DAYS} DAY) AS payment_errors_recent FROM ws a LEFT JOIN paid p ON p.user_id = a.user_id "
        f"AND p.sk = a.{session} WHERE a.event = '{pay['attempt']}' AND (p.last_paid IS NULL OR p.last_paid < a.timestamp) "
        "GROUP BY a.user_id)",
        f"sup AS (SELECT user_id, count(*) AS support_contacts FROM w WHERE event IN ({in_list(churn['support_events'])}) "
        "GROUP BY user_id)",
        f"segs AS (SELECT user_id, {seg} FROM (SELECT user_id, {seg}::VARCHAR AS {seg}, row_number() OVER (PARTITION BY "
        f"user_id ORDER BY timestamp DESC, {seg}::VARCHAR DESC) AS r FROM events WHERE timestamp < {t} AND {seg} IS NOT "
        f"NULL AND {seg}::VARCHAR <> '') WHERE r = 1)",
    ]
    carts, cart_join = "", ""
    if s.has_carts:
        ctes.append(f"carts_left AS (SELECT user_id, count(*) AS carts_abandoned FROM carts_generated WHERE created_at >= "
                    f"{t} - INTERVAL {2 * TREND_DAYS} DAY AND created_at < {t} AND NOT coalesce(checked_out_at < {t}, "
                    "false) GROUP BY user_id)")
        carts, cart_join = ", coalesce(c.carts_abandoned, 0) AS carts_abandoned", \
            " LEFT JOIN carts_left c USING (user_id)"
    frame = ctx.execute(
        "WITH " + ",\n".join(ctes) +
        "\nSELECT b.user_id, b.days_since_active, coalesce(a.active_days, 0) AS active_days, "
        "coalesce(a.active_days_recent, 0) AS active_days_recent, coalesce(a.active_days_prior, 0) AS active_days_prior, "
        "coalesce(a.active_days_recent, 0) - coalesce(a.active_days_prior, 0) AS activity_trend, "
        "coalesce(ses.sessions, 0) AS sessions, coalesce(ses.session_minutes, 0.0) AS session_minutes, b.tenure_days, "
        "coalesce(f.funnel_failures, 0) AS funnel_failures, coalesce(e.payment_errors, 0) AS payment_errors, "
        f"coalesce(e.payment_errors_recent, 0) AS payment_errors_recent{carts}, "
        f"coalesce(sup.support_contacts, 0) AS support_contacts, coalesce(segs.{seg}, '(unknown)') AS {seg} "
        "FROM base b LEFT JOIN act a USING (user_id) LEFT JOIN ses USING (user_id) LEFT JOIN fails f USING (user_id) "
        f"LEFT JOIN errs e USING (user_id) LEFT JOIN sup USING (user_id) LEFT JOIN segs USING (user_id){cart_join}"
    ).df()
    return _summary(frame, seg)


register(
    Case("churn_features", "churn", "user_features at one cutoff: activity, sessions, funnel failures, payment "
         "errors, carts, support, segment", _features_helper, _features_sql),
)
