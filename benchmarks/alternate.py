"""Timing a helper against its hand-written SQL: alternated runs in one process, same numbers checked."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def same(a: list, b: list) -> bool:
    """Equal lists: strings equal, numbers within a relative 1e-7 (NaN equals NaN)."""
    def eq(x, y) -> bool:
        if isinstance(x, str) or isinstance(y, str):
            return x == y
        x, y = float(x), float(y)
        return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-7 * max(1.0, abs(y))

    return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))


def alternate(name: str, helper: Callable, sql: Callable, con, repetitions: int,
              progress: bool = False) -> dict[str, list[float]]:
    """Seconds of each run of ``helper(con)`` and ``sql(con.con)``, alternating which goes first.

    Raises SystemExit when the two give different numbers (:func:`same`).
    """
    times: dict[str, list[float]] = {"helper": [], "sql": []}
    results = {}
    for rep in range(repetitions):
        for which in (("helper", "sql") if rep % 2 == 0 else ("sql", "helper")):
            start = time.perf_counter()
            results[which] = helper(con) if which == "helper" else sql(con.con)
            times[which].append(time.perf_counter() - start)
        if progress:
            print(f"{name} rep {rep + 1}: helper {times['helper'][-1]:.2f}s  sql {times['sql'][-1]:.2f}s", flush=True)
    if not same(results["helper"], results["sql"]):
        raise SystemExit(f"{name}: the helper and the SQL disagree: {results['helper'][:12]} vs {results['sql'][:12]}")
    return times
