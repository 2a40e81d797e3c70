"""Drivers: the events done just before a cart was created that go with its abandonment.

:func:`conversion_drivers` joins the typed carts (:class:`~uem_helpers.analyses.cart.table.Carts`)
with the events their users logged in a lookback window and ranks event names by the odds
ratio of abandonment with vs without them. An association, not a cause.
"""

from __future__ import annotations

import ibis
import pandas as pd
from statsmodels.stats.contingency_tables import Table2x2

from uem_helpers.analyses.cart.table import Carts


def conversion_drivers(
    carts: Carts,
    events: ibis.Table,
    *,
    lookback: int = 1800,
    min_support: int = 30,
    min_users: int = 10,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Events done before a cart was created, ranked by how strongly they go with abandonment.

    For each cart, the event names its user logged in the ``lookback`` seconds before the cart's
    ``created_at`` (strictly before: the event that creates the cart is not counted). For each
    event name, carts are split into those with and without it, and the odds ratio of
    abandonment ``(a / b) / (c / d)`` (a, b = abandoned / checked-out carts with the event;
    c, d = without) is given with its Woolf (log) interval and p-value
    (``statsmodels`` ``Table2x2``; a zero cell counts as 0.5 so the ratio stays finite). Events done before fewer than ``min_support`` carts, or
    before all but fewer than ``min_support``, are left out, and so are events seen before the carts of
    fewer than ``min_users`` distinct users (a driver then describes at least that many people; pass the
    privacy minimum). An association, not a cause.

    Returns
    -------
    pandas.DataFrame
        ``event``, ``carts_with``, ``abandonment_with``, ``carts_without``, ``abandonment_without``,
        ``odds_ratio``, ``odds_ratio_low``, ``odds_ratio_high``, ``p_value``; ranked by odds ratio,
        most associated with abandonment first.
    """
    t = carts.window(period_start, period_end).select("cart_id", "user_id", "created_at", "abandoned")
    ev = events.select(_u=events.user_id, _ts=events.timestamp, event=events.event)
    j = t.join(ev, [t.user_id == ev._u, ev._ts < t.created_at,
                    ev._ts >= t.created_at - ibis.interval(seconds=int(lookback))])
    per_cart = j.select("cart_id", "user_id", "event", "abandoned").distinct()
    by_event = per_cart.group_by("event").aggregate(
        n_with=per_cart.count(), ab_with=per_cart.abandoned.cast("int64").sum(), users_with=per_cart.user_id.nunique()
    )
    totals = t.aggregate(n=t.count(), ab=t.abandoned.cast("int64").sum())
    counts = by_event.cross_join(totals).execute()
    columns = ["event", "carts_with", "abandonment_with", "carts_without", "abandonment_without",
               "odds_ratio", "odds_ratio_low", "odds_ratio_high", "p_value"]
    rows = []
    for r in counts.itertuples():
        n_wo, ab_wo = int(r.n) - int(r.n_with), int(r.ab) - int(r.ab_with)
        if min(int(r.n_with), n_wo) < min_support or int(r.users_with) < min_users:
            continue
        table = Table2x2([[r.ab_with, r.n_with - r.ab_with], [ab_wo, n_wo - ab_wo]], shift_zeros=True)
        low, high = table.oddsratio_confint(alpha=alpha)
        rows.append([r.event, int(r.n_with), r.ab_with / r.n_with, n_wo, ab_wo / n_wo,
                     float(table.oddsratio), float(low), float(high), float(table.oddsratio_pvalue())])
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["odds_ratio", "event"], ascending=[False, True], kind="stable").reset_index(drop=True)
