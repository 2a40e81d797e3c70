"""Benchmark: the funnel helper against a hand-written DuckDB SQL query of the same funnel.

Run with ``make bench`` (not part of ``make test``). It generates a ~10M-event
log with the sample generator (reused when present), then, in one process,
alternates the two implementations for several repetitions, checks that they
give the same numbers, measures each one's peak memory in a fresh subprocess,
and writes ``benchmarks/results/<date>.md`` with median times, peak memory and
the ratio helper / SQL. Target: ratio at most 1.5.

Timings are reported as a ratio to a baseline measured in the same run, never
as absolute assertions: machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import duckdb
import ibis

from peak_memory import peak_extra_mib_in_fresh_process

from uem_helpers.analyses.funnel import funnel

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
STEPS = ["open_start", "info_submitted", "id_verified", "card_bound", "open_success"]
WINDOW_SECONDS = 3600
TARGET_RATIO = 1.5


def hand_written_sql(events: str, steps: list[str], window_seconds: int) -> str:
    """The ordered funnel as an analyst would write it in DuckDB SQL, one CTE per step.

    Same definition as :mod:`uem_helpers.analyses.funnel`: entry at the first step-1 event,
    step k at the first step-k event at or after the step k-1 match and within the
    window from entry. The step names are distinct, so no row can fill two steps.
    """
    names = ", ".join(f"'{s}'" for s in steps)
    ctes = [
        f"ev AS (SELECT user_id, timestamp AS ts, event FROM {events} WHERE event IN ({names}))",
        f"s1 AS (SELECT user_id, min(ts) AS t1 FROM ev WHERE event = '{steps[0]}' GROUP BY user_id)",
    ]
    for k in range(2, len(steps) + 1):
        carried = ", ".join(f"p.t{j}" for j in range(1, k))
        ctes.append(
            f"s{k} AS (SELECT p.user_id, {carried}, min(e.ts) AS t{k} FROM s{k - 1} p "
            f"JOIN ev e ON e.user_id = p.user_id AND e.event = '{steps[k - 1]}' "
            f"AND e.ts >= p.t{k - 1} AND e.ts <= p.t1 + INTERVAL {window_seconds} SECOND "
            f"GROUP BY p.user_id, {carried})"
        )
    # The same readout as the helper: users reaching each step, and the median, p75 and p90
    # of the seconds from the previous step among them.
    joins = " ".join(f"LEFT JOIN s{k} USING (user_id)" for k in range(2, len(steps) + 1))
    ctes.append(f"per_user AS (SELECT s1.user_id, s1.t1, {', '.join(f's{k}.t{k}' for k in range(2, len(steps) + 1))} "
                f"FROM s1 {joins})")
    cols = [f"count(t{k}) AS reached_{k}" for k in range(1, len(steps) + 1)]
    for k in range(2, len(steps) + 1):
        gap = f"(epoch(t{k}) - epoch(t{k - 1}))"
        cols += [f"quantile_cont({gap}, {q}) AS q{int(q * 100)}_{k}" for q in (0.5, 0.75, 0.9)]
    return "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(cols)} FROM per_user"


def ensure_data(users: int, seed: int) -> Path:
    """Generate the benchmark log once; reuse it when present."""
    out = DATA / f"users{users}_seed{seed}"
    if not (out / "events.parquet").exists():
        from uem_helpers.sample import generate

        print(f"Generating {users:,} users into {out} ...", flush=True)
        generate(out, users=users, seed=seed, progress=True)
    return out / "events.parquet"


def run_helper(con: ibis.BaseBackend) -> list[float]:
    """Reached per step, then median/p75/p90 seconds per step 2..K, from the helper."""
    out = funnel(con.table("events"), STEPS, window=WINDOW_SECONDS)
    quantiles = out.iloc[1:][["median_seconds", "p75_seconds", "p90_seconds"]].to_numpy().ravel().tolist()
    return [float(x) for x in out["reached"].tolist() + quantiles]


def run_sql(raw: duckdb.DuckDBPyConnection) -> list[float]:
    """The same numbers, in the same order, from the hand-written SQL."""
    row = raw.execute(hand_written_sql("events", STEPS, WINDOW_SECONDS)).fetchone()
    k = len(STEPS)
    return [float(x) for x in row[:k]] + [float(x) for x in row[k:]]


def connect(parquet: Path) -> ibis.BaseBackend:
    """One DuckDB database holding the events as a table with naive local timestamps (the canonical form)."""
    con = ibis.duckdb.connect()
    con.raw_sql(
        "CREATE TABLE events AS SELECT user_id, timezone('Asia/Shanghai', timestamp) AS timestamp, event "
        f"FROM read_parquet('{parquet}')"
    )
    return con


def measure_memory(parquet: Path, which: str) -> float:
    """Peak memory (MiB) one run of ``which`` adds, in a fresh process after the data is loaded.

    :func:`peak_memory.peak_extra_mib` samples the resident set during the run, so the
    figure is the query's working memory, not the loaded event log.
    """
    setup = f"import bench_funnel as b; from pathlib import Path; con = b.connect(Path({str(parquet)!r}))"
    return peak_extra_mib_in_fresh_process(setup, "b.run_helper(con)" if which == "helper" else "b.run_sql(con.con)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=110_000, help="about 10M events at 110,000 users")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    parquet = ensure_data(args.users, args.seed)
    con = connect(parquet)
    n_events = con.table("events").count().execute()
    times: dict[str, list[float]] = {"helper": [], "sql": []}
    results = {}
    for rep in range(args.repetitions):
        for which in (("helper", "sql") if rep % 2 == 0 else ("sql", "helper")):
            start = time.perf_counter()
            results[which] = run_helper(con) if which == "helper" else run_sql(con.con)
            times[which].append(time.perf_counter() - start)
        print(f"rep {rep + 1}: helper {times['helper'][-1]:.2f}s  sql {times['sql'][-1]:.2f}s", flush=True)
    if not all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(results["helper"], results["sql"])):
        raise SystemExit(f"the helper and the SQL disagree: {results['helper']} vs {results['sql']}")

    medians = {k: statistics.median(v) for k, v in times.items()}
    memory = {k: measure_memory(parquet, k) for k in times}
    ratio = medians["helper"] / medians["sql"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{date.today().isoformat()}.md"
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    out.write_text(
        f"# Benchmark {date.today().isoformat()}\n\n"
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}, ibis {ibis.__version__}.\n"
        f"Data: {n_events:,} events ({args.users:,} users, seed {args.seed}); {args.repetitions} alternating "
        "repetitions in one process; peak memory: what one run adds above the loaded data, in a fresh process.\n\n"
        "| helper | implementation | median s | runs (s) | peak added MiB | ratio to SQL | same numbers |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| funnel (5 steps, ordered, 1 h) | uem_helpers.analyses.funnel | {medians['helper']:.2f} | "
        f"{', '.join(f'{t:.2f}' for t in times['helper'])} | {memory['helper']:.0f} | {ratio:.2f} | yes |\n"
        f"| | hand-written DuckDB SQL | {medians['sql']:.2f} | {', '.join(f'{t:.2f}' for t in times['sql'])} | "
        f"{memory['sql']:.0f} | 1.00 | reached {json.dumps(results['sql'][:len(STEPS)])} |\n\n"
        f"Target ratio <= {TARGET_RATIO}: {verdict}.\n",
        encoding="utf-8",
    )
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
