"""Cart cases (the sample workload only: the "other" log has no carts table), ported from the first cart benchmark.

Data. At the sample's ~51k (1M events) or ~515k (10M) carts a helper's SQL takes a few
milliseconds, less than Ibis's fixed cost of building and compiling a query, so the ratio would
measure Ibis, not the helper. The carts-only cases therefore run on ``carts``: the generated carts
copied :data:`workloads.CART_COPIES` times with distinct cart and user ids (counts scale by the
copies; rates, means and fitted coefficients are those of the generated carts). The
conversion-drivers case joins carts with the event log by user, which the copies do not have, so it
runs on the generated carts (``carts_generated``) and the whole log. A case whose SQL still takes
under :data:`FIXED_COST_BOUND_S` is judged by the time the helper adds (:func:`verdict`).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from harness import Case, register
from uem_helpers.analyses import cart

#: Below this SQL time a ratio measures the helper's fixed per-call cost, not its query: for
#: cart_outcomes at 10.3M carts (measured 2026-11-25) building the expression takes ~2 ms,
#: compiling ~3 ms, converting the result ~2 ms and the Wilson intervals ~5 ms, against 5 ms of
#: SQL. Such a case meets the target when the time it adds stays within FIXED_ALLOWANCE_S.
FIXED_COST_BOUND_S = 0.05
FIXED_ALLOWANCE_S = 0.03

LAUNCH = "2026-09-01"
THRESHOLD = 99.0
BINS = cart.FEE_SHARE_BINS
FEE_SHARE = "least(coalesce(shipping_fee, 0) / cart_value, 1.0)"


def _outcomes_helper(ctx):
    row = cart.cart_outcomes(cart.prepare_carts(ctx.con.table("carts"))).iloc[0]
    return [row["carts"], row["checked_out"]]


def _outcomes_sql(ctx):
    return list(ctx.execute("SELECT count(*), count(checked_out_at) FROM carts").fetchone())


def _daily_helper(ctx):
    d = cart.daily_abandonment(cart.prepare_carts(ctx.con.table("carts")))
    return d["carts"].tolist() + d["abandoned"].tolist()


def _daily_sql(ctx):
    rows = ctx.execute("SELECT created_at::DATE AS d, count(*) AS n, count(*) - count(checked_out_at) AS ab "
                       "FROM carts GROUP BY d ORDER BY d").fetchall()
    return [r[1] for r in rows] + [r[2] for r in rows]


def _fee_helper(ctx):
    f = cart.abandonment_by_fee_share(cart.prepare_carts(ctx.con.table("carts")))
    return f["carts"].tolist() + f["checked_out"].tolist()


def _fee_sql(ctx):
    bin_index = " + ".join(f"(s >= {edge})::INT" for edge in BINS[1:-1])
    rows = dict((b, (n, k)) for b, n, k in ctx.execute(
        f"WITH t AS (SELECT {FEE_SHARE} AS s, checked_out_at IS NOT NULL AS ok FROM carts) "
        f"SELECT {bin_index} AS b, count(*), sum(ok::INT) FROM t GROUP BY b"
    ).fetchall())
    bins = range(len(BINS) - 1)
    return [rows.get(b, (0, 0))[0] for b in bins] + [rows.get(b, (0, 0))[1] for b in bins]


def _fit_helper(ctx):
    f = cart.fee_share_fit(cart.prepare_carts(ctx.con.table("carts")))
    return [f.odds_ratio_10pts, f.odds_ratio_100, f.cells]


def _fit_sql(ctx):
    import statsmodels.api as sm

    cells = ctx.execute(
        f"SELECT round({FEE_SHARE} / {cart.FIT_SHARE_STEP}) AS s, round(cart_value / {cart.FIT_VALUE_STEP}) AS v, "
        "count(*) AS n, count(checked_out_at) AS k FROM carts GROUP BY s, v"
    ).fetchnumpy()
    exog = sm.add_constant(np.column_stack([cells["s"] * cart.FIT_SHARE_STEP, cells["v"] * cart.FIT_VALUE_STEP]))
    fit = sm.GLM(np.column_stack([cells["k"], cells["n"] - cells["k"]]).astype(float), exog,
                 family=sm.families.Binomial()).fit()
    return [np.exp(0.1 * fit.params[1]), np.exp(100 * fit.params[2]), len(cells["n"])]


def _bunching_helper(ctx):
    b = cart.threshold_bunching(cart.prepare_carts(ctx.con.table("carts")), THRESHOLD, LAUNCH)
    return [b.excess.n_a, b.excess.n_b, b.excess.value_a, b.excess.value_b, b.topped_up_share] + b.histogram["carts"].tolist()


def _bunching_sql(ctx):
    groups = ctx.execute(
        f"SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, count(*), "
        f"avg((cart_value >= {THRESHOLD} AND cart_value < {THRESHOLD + 10})::INT), "
        f"count(*) FILTER (WHERE cart_value >= {THRESHOLD - 19} AND cart_value < {THRESHOLD}) "
        "FROM carts GROUP BY after ORDER BY after"
    ).fetchall()
    # Topped up: the excess carts in the band after the launch, of those within reach of it (see cart.policy).
    extra = (groups[1][2] - groups[0][2]) * groups[1][1]
    topped = extra / (groups[1][3] + extra) if extra > 0 else float("nan")
    hist = ctx.execute(
        f"SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, floor((cart_value - {THRESHOLD - 60}) / 2)::INT AS b, "
        f"count(*) FROM carts WHERE cart_value >= {THRESHOLD - 60} AND cart_value < {THRESHOLD + 60} "
        "GROUP BY after, b"
    ).fetchall()
    counts = {(a, b): n for a, b, n in hist}
    shown = [counts.get((after, b), 0) for after in (False, True) for b in range(60)]
    return [groups[0][1], groups[1][1], groups[0][2], groups[1][2], topped] + shown


def _impact_helper(ctx):
    p = cart.policy_impact(cart.prepare_carts(ctx.con.table("carts")), LAUNCH)
    return [v for r in p.readouts() for v in (r.n_a, r.n_b, r.value_a, r.value_b, r.ci_low, r.ci_high,
                                               r.rel_ci_low, r.rel_ci_high)]


def _impact_sql(ctx):
    """Counts, means and variances per window in SQL; the intervals from them as an analyst would write them.

    Conversion: Newcombe and log-adjusted intervals (statsmodels, as the helper). Means: Welch's
    interval from the two sample variances; ratio of means: the delta-method interval of
    ``log(m_b / m_a)`` with variances of divisor n (what the helper's robust GLM gives).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    rows = ctx.execute(
        f"WITH t AS (SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, checked_out_at IS NOT NULL AS ok, "
        "CASE WHEN checked_out_at IS NOT NULL THEN coalesce(order_value, 0) ELSE 0 END AS paid FROM carts) "
        "SELECT after, count(*), count(*) FILTER (ok), avg(paid) FILTER (ok), var_samp(paid) FILTER (ok), "
        "avg(paid), var_samp(paid) FROM t GROUP BY after ORDER BY after"
    ).fetchall()
    (_, n_a, k_a, aov_a, aov_var_a, rev_a, rev_var_a), (_, n_b, k_b, aov_b, aov_var_b, rev_b, rev_var_b) = rows
    out = [n_a, n_b, k_a / n_a, k_b / n_b]
    out += list(confint_proportions_2indep(k_b, n_b, k_a, n_a, method="newcomb"))
    out += [x - 1 for x in confint_proportions_2indep(k_b, n_b, k_a, n_a, method="log-adjusted", compare="ratio")]
    for (ma, va, na), (mb, vb, nb) in (((aov_a, aov_var_a, k_a), (aov_b, aov_var_b, k_b)),
                                       ((rev_a, rev_var_a, n_a), (rev_b, rev_var_b, n_b))):
        se2_a, se2_b = va / na, vb / nb
        df = (se2_a + se2_b) ** 2 / (se2_a**2 / (na - 1) + se2_b**2 / (nb - 1))
        half = sps.t.ppf(0.975, df) * np.sqrt(se2_a + se2_b)
        log_half = sps.norm.ppf(0.975) * np.sqrt(va * (na - 1) / na / (na * ma**2) + vb * (nb - 1) / nb / (nb * mb**2))
        out += [na, nb, ma, mb, mb - ma - half, mb - ma + half,
                mb / ma * np.exp(-log_half) - 1, mb / ma * np.exp(log_half) - 1]
    return out


def _drivers_helper(ctx):
    carts = cart.prepare_carts(ctx.con.table("carts_generated"))
    d = cart.conversion_drivers(carts, ctx.con.table("events")).sort_values("event")
    return d["carts_with"].tolist() + d["odds_ratio"].tolist()


def _drivers_sql(ctx):
    from statsmodels.stats.contingency_tables import Table2x2

    rows = ctx.execute(
        "WITH per AS (SELECT DISTINCT c.cart_id, e.event, c.checked_out_at IS NULL AS ab FROM carts_generated c "
        "JOIN events e ON e.user_id = c.user_id AND e.timestamp < c.created_at "
        "AND e.timestamp >= c.created_at - INTERVAL 1800 SECOND), "
        "tot AS (SELECT count(*) AS n, count(*) - count(checked_out_at) AS ab FROM carts_generated) "
        "SELECT event, count(*) AS nw, sum(per.ab::INT) AS aw, any_value(tot.n), any_value(tot.ab) "
        "FROM per, tot GROUP BY event ORDER BY event"
    ).fetchall()
    kept = [(e, nw, aw, n, ab) for e, nw, aw, n, ab in rows if min(nw, n - nw) >= 30]
    ors = [Table2x2([[aw, nw - aw], [ab - aw, (n - nw) - (ab - aw)]]).oddsratio for _, nw, aw, n, ab in kept]
    return [nw for _, nw, *_ in kept] + ors


def _case(name: str, what: str, helper, sql, rows: str = "carts") -> Case:
    return Case(name, "cart", what, helper, sql, workloads=("sample",), rows=rows)


register(
    _case("cart_outcomes", "carts, checked out (cart_outcomes)", _outcomes_helper, _outcomes_sql),
    _case("daily_abandonment", "carts and abandoned per day of creation", _daily_helper, _daily_sql),
    _case("abandonment_by_fee_share", "abandonment per fee-share bin", _fee_helper, _fee_sql),
    _case("fee_share_fit", "logistic fit of checkout on fee share and value (grid cells in SQL)", _fit_helper,
          _fit_sql),
    _case("threshold_bunching", "bunching above the free-shipping threshold", _bunching_helper, _bunching_sql),
    _case("policy_impact", "before/after impact of the free-shipping launch", _impact_helper, _impact_sql),
    _case("conversion_drivers", "events in the 30 min before a cart, odds ratios", _drivers_helper, _drivers_sql,
          rows="carts_generated"),
)


def verdict_fixed_cost(helper_s: float, sql_s: float) -> str | None:
    """For a query under :data:`FIXED_COST_BOUND_S`: whether the time the helper adds stays within
    :data:`FIXED_ALLOWANCE_S` (the fixed per-call cost), else None (judge by the ratio)."""
    if sql_s >= FIXED_COST_BOUND_S:
        return None
    added = helper_s - sql_s
    return (f"{'meets' if added <= FIXED_ALLOWANCE_S else 'MISSES'}: SQL under {FIXED_COST_BOUND_S * 1000:.0f} ms, "
            f"the helper adds {added * 1000:.0f} ms (allowance {FIXED_ALLOWANCE_S * 1000:.0f} ms a call)")
