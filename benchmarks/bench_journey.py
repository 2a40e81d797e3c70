"""Benchmark: the journey helpers against hand-written DuckDB SQL of the same numbers.

Run with ``python benchmarks/bench_journey.py`` (beside ``bench_funnel.py`` in ``make bench``).
It reuses the generated ~10M-event log of ``bench_funnel.py`` (its ``events`` table: user_id,
timestamp, event, no session ids, so sessions come from the 30-minute gap), alternates helper
and SQL for several repetitions per case, checks that both give the same numbers, measures
each one's peak memory in a fresh process, and writes ``benchmarks/results/<date>-journey.md``.
Target: ratio at most 1.5.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from datetime import date
from pathlib import Path

import duckdb
import ibis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_funnel import RESULTS, TARGET_RATIO, connect, ensure_data  # noqa: E402
from alternate import alternate  # noqa: E402
from peak_memory import peak_extra_mib_in_fresh_process  # noqa: E402

from uem_helpers.analyses import journey  # noqa: E402
from uem_helpers.analyses.sessions import prepare_sessions  # noqa: E402

GAP_SECONDS = 1800
START = "app_open"
MAX_STEPS, TOP_N = 5, 10

#: Sessions by a 30-minute gap, ties in event-name order: what an analyst writes in DuckDB.
SESSIONS = f"""
s0 AS (SELECT user_id, timestamp, event,
          lag(timestamp) OVER (PARTITION BY user_id ORDER BY timestamp, event) AS prev FROM events),
s1 AS (SELECT *, sum(CASE WHEN prev IS NULL OR epoch(timestamp) - epoch(prev) > {GAP_SECONDS} THEN 1 ELSE 0 END)
          OVER (PARTITION BY user_id ORDER BY timestamp, event ROWS UNBOUNDED PRECEDING) AS sn FROM s0),
s AS (SELECT user_id, sn, timestamp, event,
          row_number() OVER w AS pos,
          lead(event) OVER w AS next_event,
          epoch(lead(timestamp) OVER w) - epoch(timestamp) AS dwell
        FROM s1 WINDOW w AS (PARTITION BY user_id, sn ORDER BY timestamp, event))"""


def _transitions_helper(con):
    t = journey.transitions(prepare_sessions(con.table("events")))
    t = t.sort_values(["source", "target"])
    return t["transitions"].tolist() + t["users"].tolist() + t["median_dwell_seconds"].fillna(-1).tolist() \
        + t["p90_dwell_seconds"].fillna(-1).tolist()


def _transitions_sql(raw):
    rows = raw.execute(
        f"WITH {SESSIONS} SELECT event, coalesce(next_event, '(session end)') AS target, count(*) AS n, "
        "count(DISTINCT user_id) AS u, quantile_cont(dwell, 0.5) AS m, quantile_cont(dwell, 0.9) AS p "
        "FROM s GROUP BY ALL ORDER BY event, target"
    ).fetchall()
    return [r[2] for r in rows] + [r[3] for r in rows] + [-1 if r[4] is None else r[4] for r in rows] \
        + [-1 if r[5] is None else r[5] for r in rows]


def _paths_helper(con):
    p = journey.paths(prepare_sessions(con.table("events")), START, max_steps=MAX_STEPS, top_n=TOP_N)
    return p["path"].tolist() + p["sessions"].tolist() + p["users"].tolist()


def _paths_sql(raw):
    steps = ", ".join(f"max(event) FILTER (WHERE k = {i}) AS e{i}" for i in range(1, MAX_STEPS + 1))
    path = " || ".join(["e1"] + [f"coalesce(' → ' || e{i}, '')" for i in range(2, MAX_STEPS + 1)])
    rows = raw.execute(
        f"WITH {SESSIONS}, "
        f"f AS (SELECT *, pos - min(CASE WHEN event = '{START}' THEN pos END) OVER (PARTITION BY user_id, sn) + 1 AS k "
        "FROM s), "
        f"w AS (SELECT * FROM f WHERE k BETWEEN 1 AND {MAX_STEPS}), "
        f"q AS (SELECT user_id, bool_or(next_event IS NULL) AS ended, {steps} FROM w GROUP BY user_id, sn), "
        f"p AS (SELECT user_id, {path} || CASE WHEN ended THEN ' → (session end)' ELSE '' END AS path FROM q), "
        "r AS (SELECT path, count(*) AS n, count(DISTINCT user_id) AS u FROM p GROUP BY path), "
        f"top AS (SELECT path, n, u, row_number() OVER (ORDER BY n DESC, path) AS rk FROM r) "
        f"SELECT path, n, u FROM top WHERE rk <= {TOP_N} "
        "UNION ALL (SELECT '(other paths)', count(*), count(DISTINCT p.user_id) FROM p JOIN top USING (path) "
        f"WHERE rk > {TOP_N})"
    ).fetchall()
    body, other = rows[:-1], rows[-1]
    body.sort(key=lambda r: (-r[1], r[0]))
    rows = body + ([other] if other[1] else [])
    return [r[0] for r in rows] + [r[1] for r in rows] + [r[2] for r in rows]


CASES = {
    "transitions": (_transitions_helper, _transitions_sql),
    "paths": (_paths_helper, _paths_sql),
}


def measure_memory(parquet: Path, name: str, which: str) -> float:
    """Peak memory (MiB) one run of case ``name`` adds above the loaded data, in a fresh process."""
    setup = (f"import bench_journey as b; from pathlib import Path; con = b.connect(Path({str(parquet)!r})); "
             f"helper, sql = b.CASES[{name!r}]")
    return peak_extra_mib_in_fresh_process(setup, "helper(con)" if which == "helper" else "sql(con.con)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=110_000, help="about 10M events at 110,000 users")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=list(CASES), help="cases to run")
    args = parser.parse_args()

    parquet = ensure_data(args.users, args.seed)
    con = connect(parquet)
    n_events = con.table("events").count().execute()
    lines = []
    for name in args.only:
        helper, sql = CASES[name]
        times = alternate(name, helper, sql, con, args.repetitions, progress=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        memory = {k: measure_memory(parquet, name, k) for k in times}
        ratio = med["helper"] / med["sql"]
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        lines.append(f"| {name} | {med['helper']:.2f} | {', '.join(f'{t:.2f}' for t in times['helper'])} | "
                     f"{med['sql']:.2f} | {', '.join(f'{t:.2f}' for t in times['sql'])} | {memory['helper']:.0f} | "
                     f"{memory['sql']:.0f} | {ratio:.2f} | {verdict} |")
        print(lines[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{date.today().isoformat()}-journey.md"
    out.write_text(
        f"# Journey benchmark {date.today().isoformat()}\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"ibis {ibis.__version__}.\n"
        f"Data: {n_events:,} events ({args.users:,} users, seed {args.seed}), sessions by a {GAP_SECONDS // 60}-minute "
        f"gap (no session ids); paths from `{START}`, {MAX_STEPS} steps, top {TOP_N}. {args.repetitions} alternating "
        "repetitions per case in one process; peak memory: what one run adds above the loaded data, in a fresh "
        f"process; same numbers checked. Target ratio <= {TARGET_RATIO}.\n\n"
        "| helper | helper median s | helper runs (s) | SQL median s | SQL runs (s) | helper peak added MiB | "
        "SQL peak added MiB | ratio | target |\n|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
