"""Benchmark: every event-level helper of uem_helpers against hand-written DuckDB SQL of the same definition.

Run with ``make bench`` (not part of ``make test``): both workloads (:mod:`workloads`) at 1M and
10M events, ``make bench SIZES="1M 10M 100M"`` for 100M. For each workload, size and case
(:mod:`cases_funnel`, :mod:`cases_journey`, :mod:`cases_metrics`, :mod:`cases_cart`, :mod:`cases_churn`) it alternates
the helper and the SQL in one process for ``--repetitions`` runs, checks that both give the same
numbers (a case whose numbers differ is reported as such, with no ratio, and the run exits with
status 1), takes the median times, measures each side's peak memory in a fresh process, and for a
case that misses the target profiles the queries of both sides (:mod:`explain`). It writes
``benchmarks/results/<date>.md``: one table per workload and size, with the ratios helper / SQL.

Timings are reported as ratios to the SQL measured in the same run, never as absolute assertions:
machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import traceback
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alternate import Disagreement, alternate  # noqa: E402
from harness import all_cases, open_ctx  # noqa: E402
from peak_memory import peak_extra_mib_in_fresh_process  # noqa: E402
from report import RESULTS, CaseResult, load, merged, write_report  # noqa: E402

TARGET_RATIO = 1.5


def measure_memory(workload: str, size: str, name: str, which: str, memory_limit: str | None = None) -> float:
    """Peak memory (MiB) one run of case ``name`` (``which`` = helper or sql) adds, in a fresh process.

    The process opens the workload's database first; :func:`peak_memory.peak_extra_mib` then
    samples the resident set during the run, so the figure is the query's working memory.
    """
    setup = (f"import bench, harness; ctx = harness.open_ctx({workload!r}, {size!r}, {memory_limit!r}); "
             f"case = harness.all_cases()[{name!r}]")
    return peak_extra_mib_in_fresh_process(setup, f"case.{which}(ctx)")


def run_case(ctx, case, repetitions: int, memory: bool, profile: bool, memory_limit: str | None = None) -> CaseResult:
    result = CaseResult(case=case, workload=ctx.workload, size=ctx.size)
    try:
        times = alternate(f"{ctx.workload} {ctx.size} {case.name}", lambda: case.helper(ctx), lambda: case.sql(ctx),
                          repetitions, progress=True)
    except Disagreement as exc:
        result.error = str(exc)
        return result
    result.times = times
    result.median = {k: statistics.median(v) for k, v in times.items()}
    if memory:
        result.memory = {k: measure_memory(ctx.workload, ctx.size, case.name, k, memory_limit) for k in ("helper", "sql")}
    if profile and not result.meets(TARGET_RATIO):
        from explain import profile_case

        result.profile = profile_case(ctx, case)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["sample", "other", "both"], default="both")
    parser.add_argument("--events", nargs="+", default=["1M", "10M"], help="sizes by event count, e.g. 1M 10M 100M")
    parser.add_argument("--only", nargs="*", help="cases to run (default: all)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory runs")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling the cases that miss")
    parser.add_argument("--memory-limit", help="DuckDB's memory limit for both sides, e.g. 12GB (as engine.memory_limit "
                        "sets it for a report; DuckDB's default is 80%% of the machine's memory)")
    parser.add_argument("--out", type=Path, default=RESULTS / f"{date.today().isoformat()}.md")
    parser.add_argument("--merge", action="store_true",
                        help="keep the earlier measurements behind --out and replace only the cases run now")
    parser.add_argument("--note", default="",
                        help="a sentence about the run for the results file (e.g. what shared the machine)")
    parser.add_argument("--rewrite", action="store_true",
                        help="only write --out again from the measurements behind it (e.g. after editing explained.py)")
    args = parser.parse_args(argv)

    cases = all_cases()
    unknown = [n for n in args.only or [] if n not in cases]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; cases are: {', '.join(cases)}")
    chosen = [cases[n] for n in (args.only or cases)]
    workloads = ["sample", "other"] if args.workload == "both" else [args.workload]
    earlier = load(args.out, cases) if args.merge or args.rewrite else []
    if args.rewrite:
        write_report(args.out, earlier, args, TARGET_RATIO)
        return 0
    results: list[CaseResult] = []
    report = lambda: write_report(args.out, merged(earlier, results), args, TARGET_RATIO)  # noqa: E731
    for workload in workloads:
        for size in args.events:
            ctx = open_ctx(workload, size, args.memory_limit)
            print(f"== {workload} {size}", flush=True)
            for case in chosen:
                if workload not in case.workloads:
                    continue
                try:
                    results.append(run_case(ctx, case, args.repetitions, not args.no_memory, not args.no_profile,
                                            args.memory_limit))
                except Exception as error:  # a helper that fails is a result too, not the end of the run
                    first = (str(error).strip().splitlines() or [""])[0]  # DuckDB's last line is only a link
                    results.append(CaseResult(case=case, workload=workload, size=size,
                                              error=f"failed: {type(error).__name__}: {first}"))
                    traceback.print_exc()
                print("  " + results[-1].line(TARGET_RATIO), flush=True)
                report()
            ctx.con.disconnect()
    report()
    print(f"wrote {args.out}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
