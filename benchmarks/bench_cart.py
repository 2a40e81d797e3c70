"""Benchmark: each cart helper against a hand-written DuckDB SQL query of the same numbers.

Run with ``python benchmarks/bench_cart.py`` (beside ``bench_funnel.py`` in
``make bench``). It reuses the large generated sample of
``bench_funnel.py`` (~10M events, generated once when absent), alternates
helper and SQL for several repetitions per case, checks that both give the
same numbers, and writes ``benchmarks/results/<date>-cart.md`` with median
times and the ratio helper / SQL per case. Target: ratio at most 1.5. The
checkout funnel is the funnel helper, benchmarked by ``bench_funnel.py``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import ibis
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_funnel import RESULTS, TARGET_RATIO, ensure_data  # noqa: E402

from uem_helpers import cart, cart_policy  # noqa: E402

LAUNCH = "2026-09-01"
THRESHOLD = 99.0
BINS = cart.FEE_SHARE_BINS
FEE_SHARE = "least(coalesce(shipping_fee, 0) / cart_value, 1.0)"


def connect(folder: Path) -> ibis.BaseBackend:
    """Canonical carts (naive local times) and events in one DuckDB database."""
    con = ibis.duckdb.connect()
    con.raw_sql(
        "CREATE TABLE carts AS SELECT cart_id::VARCHAR AS cart_id, user_id::VARCHAR AS user_id, "
        "created_at::TIMESTAMP AS created_at, cart_value::DOUBLE AS cart_value, shipping_fee::DOUBLE AS shipping_fee, "
        "checked_out_at::TIMESTAMP AS checked_out_at, order_value::DOUBLE AS order_value, discount::DOUBLE AS discount "
        f"FROM read_csv('{folder / 'carts.csv'}', all_varchar = true)"
    )
    con.raw_sql(
        "CREATE TABLE events AS SELECT user_id, timezone('Asia/Shanghai', timestamp) AS timestamp, event "
        f"FROM read_parquet('{folder / 'events.parquet'}')"
    )
    return con


def _outcomes_helper(con):
    row = cart.cart_outcomes(con.table("carts")).iloc[0]
    return [row["carts"], row["checked_out"]]


def _outcomes_sql(raw):
    return list(raw.execute("SELECT count(*), count(checked_out_at) FROM carts").fetchone())


def _daily_helper(con):
    d = cart.daily_abandonment(con.table("carts"))
    return d["carts"].tolist() + d["abandoned"].tolist()


def _daily_sql(raw):
    rows = raw.execute("SELECT created_at::DATE AS d, count(*) AS n, count(*) - count(checked_out_at) AS ab "
                       "FROM carts GROUP BY d ORDER BY d").fetchall()
    return [r[1] for r in rows] + [r[2] for r in rows]


def _fee_helper(con):
    f = cart.abandonment_by_fee_share(con.table("carts"))
    return f["carts"].tolist() + f["checked_out"].tolist()


def _fee_sql(raw):
    bin_index = " + ".join(f"(s >= {edge})::INT" for edge in BINS[1:-1])
    rows = dict((b, (n, k)) for b, n, k in raw.execute(
        f"WITH t AS (SELECT {FEE_SHARE} AS s, checked_out_at IS NOT NULL AS ok FROM carts) "
        f"SELECT {bin_index} AS b, count(*), sum(ok::INT) FROM t GROUP BY b"
    ).fetchall())
    bins = range(len(BINS) - 1)
    return [rows.get(b, (0, 0))[0] for b in bins] + [rows.get(b, (0, 0))[1] for b in bins]


def _fit_helper(con):
    f = cart.fee_share_fit(con.table("carts"))
    return [f.odds_ratio_10pts, f.odds_ratio_100, f.cells]


def _fit_sql(raw):
    import statsmodels.api as sm

    cells = raw.execute(
        f"SELECT round({FEE_SHARE} / {cart.FIT_SHARE_STEP}) AS s, round(cart_value / {cart.FIT_VALUE_STEP}) AS v, "
        "count(*) AS n, count(checked_out_at) AS k FROM carts GROUP BY s, v"
    ).fetchnumpy()
    exog = sm.add_constant(np.column_stack([cells["s"] * cart.FIT_SHARE_STEP, cells["v"] * cart.FIT_VALUE_STEP]))
    fit = sm.GLM(np.column_stack([cells["k"], cells["n"] - cells["k"]]).astype(float), exog,
                 family=sm.families.Binomial()).fit()
    return [np.exp(0.1 * fit.params[1]), np.exp(100 * fit.params[2]), len(cells["n"])]


def _bunching_helper(con):
    b = cart_policy.threshold_bunching(con.table("carts"), THRESHOLD, LAUNCH)
    return [b.excess.n_a, b.excess.n_b, b.excess.value_a, b.excess.value_b] + b.histogram["carts"].tolist()


def _bunching_sql(raw):
    groups = raw.execute(
        f"SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, count(*), "
        f"avg((cart_value >= {THRESHOLD} AND cart_value < {THRESHOLD + 10})::INT) FROM carts GROUP BY after ORDER BY after"
    ).fetchall()
    hist = raw.execute(
        f"SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, floor((cart_value - {THRESHOLD - 60}) / 2)::INT AS b, "
        f"count(*) FROM carts WHERE cart_value >= {THRESHOLD - 60} AND cart_value < {THRESHOLD + 60} "
        "GROUP BY after, b"
    ).fetchall()
    counts = {(a, b): n for a, b, n in hist}
    shown = [counts.get((after, b), 0) for after in (False, True) for b in range(60)]
    return [groups[0][1], groups[1][1], groups[0][2], groups[1][2]] + shown


def _impact_helper(con):
    p = cart_policy.policy_impact(con.table("carts"), LAUNCH)
    return [r for x in p.readouts() for r in (x.value_a, x.value_b)]


def _impact_sql(raw):
    row = raw.execute(
        f"WITH t AS (SELECT created_at >= TIMESTAMP '{LAUNCH}' AS after, checked_out_at IS NOT NULL AS ok, "
        "CASE WHEN checked_out_at IS NOT NULL THEN coalesce(order_value, 0) ELSE 0 END AS paid FROM carts) "
        "SELECT avg(ok::INT) FILTER (NOT after), avg(ok::INT) FILTER (after), "
        "avg(paid) FILTER (NOT after AND ok), avg(paid) FILTER (after AND ok), "
        "avg(paid) FILTER (NOT after), avg(paid) FILTER (after) FROM t"
    ).fetchone()
    return list(row)


def _drivers_helper(con):
    d = cart.conversion_drivers(con.table("carts"), con.table("events")).sort_values("event")
    return d["carts_with"].tolist() + d["odds_ratio"].tolist()


def _drivers_sql(raw):
    from statsmodels.stats.contingency_tables import Table2x2

    rows = raw.execute(
        "WITH per AS (SELECT DISTINCT c.cart_id, e.event, c.checked_out_at IS NULL AS ab FROM carts c "
        "JOIN events e ON e.user_id = c.user_id AND e.timestamp < c.created_at "
        "AND e.timestamp >= c.created_at - INTERVAL 1800 SECOND), "
        "tot AS (SELECT count(*) AS n, count(*) - count(checked_out_at) AS ab FROM carts) "
        "SELECT event, count(*) AS nw, sum(per.ab::INT) AS aw, any_value(tot.n), any_value(tot.ab) "
        "FROM per, tot GROUP BY event ORDER BY event"
    ).fetchall()
    kept = [(e, nw, aw, n, ab) for e, nw, aw, n, ab in rows if min(nw, n - nw) >= 30]
    ors = [Table2x2([[aw, nw - aw], [ab - aw, (n - nw) - (ab - aw)]]).oddsratio for _, nw, aw, n, ab in kept]
    return [nw for _, nw, *_ in kept] + ors


CASES = {
    "cart_outcomes": (_outcomes_helper, _outcomes_sql),
    "daily_abandonment": (_daily_helper, _daily_sql),
    "abandonment_by_fee_share": (_fee_helper, _fee_sql),
    "fee_share_fit": (_fit_helper, _fit_sql),
    "threshold_bunching": (_bunching_helper, _bunching_sql),
    "policy_impact": (_impact_helper, _impact_sql),
    "conversion_drivers": (_drivers_helper, _drivers_sql),
}


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(abs(float(x) - float(y)) <= 1e-7 * max(1.0, abs(float(y))) for x, y in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=110_000, help="about 10M events at 110,000 users")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=list(CASES), help="cases to run")
    args = parser.parse_args()

    folder = ensure_data(args.users, args.seed).parent
    con = connect(folder)
    n_carts, n_events = con.table("carts").count().execute(), con.table("events").count().execute()
    lines = []
    for name in args.only:
        helper, sql = CASES[name]
        times: dict[str, list[float]] = {"helper": [], "sql": []}
        results = {}
        for rep in range(args.repetitions):
            for which in (("helper", "sql") if rep % 2 == 0 else ("sql", "helper")):
                start = time.perf_counter()
                results[which] = helper(con) if which == "helper" else sql(con.con)
                times[which].append(time.perf_counter() - start)
        if not _same(results["helper"], results["sql"]):
            raise SystemExit(f"{name}: the helper and the SQL disagree: {results['helper'][:12]} vs {results['sql'][:12]}")
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = med["helper"] / med["sql"]
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        lines.append(f"| {name} | {med['helper']:.3f} | {med['sql']:.3f} | {ratio:.2f} | {verdict} |")
        print(lines[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{date.today().isoformat()}-cart.md"
    out.write_text(
        f"# Cart benchmark {date.today().isoformat()}\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"ibis {ibis.__version__}.\n"
        f"Data: {n_carts:,} carts, {n_events:,} events ({args.users:,} users, seed {args.seed}); "
        f"{args.repetitions} alternating repetitions per case; same numbers checked. Target ratio <= {TARGET_RATIO}.\n\n"
        "| helper | helper median s | SQL median s | ratio | target |\n|---|---|---|---|---|\n"
        + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
