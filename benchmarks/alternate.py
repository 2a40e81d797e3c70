"""Timing a helper against its hand-written SQL: alternated runs in one process, same numbers checked."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Disagreement(Exception):
    """The helper and the hand-written SQL gave different numbers: no ratio may be reported."""


def same(a: list, b: list) -> bool:
    """Equal lists: strings equal, numbers within a relative 1e-7 (NaN equals NaN)."""
    def eq(x, y) -> bool:
        if isinstance(x, str) or isinstance(y, str) or x is None or y is None:
            return x == y
        x, y = float(x), float(y)
        return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-7 * max(1.0, abs(y))

    return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))


def first_difference(a: list, b: list) -> str:
    """Where two result lists part: their lengths, or the first index whose values differ."""
    if len(a) != len(b):
        return f"{len(a)} values from the helper, {len(b)} from the SQL"
    for i, (x, y) in enumerate(zip(a, b)):
        if not same([x], [y]):
            return f"value {i}: helper {x!r}, SQL {y!r} (around: {a[max(0, i - 3):i + 4]} vs {b[max(0, i - 3):i + 4]})"
    return "no difference"


def alternate(name: str, helper: Callable[[], list], sql: Callable[[], list], repetitions: int,
              progress: bool = False) -> dict[str, list[float]]:
    """Seconds of each run of ``helper()`` and ``sql()``, alternating which goes first.

    Raises
    ------
    Disagreement
        The two give different numbers (:func:`same`), checked after the first pair of runs and
        again on the last.
    """
    times: dict[str, list[float]] = {"helper": [], "sql": []}
    results = {}
    for rep in range(repetitions):
        for which in (("helper", "sql") if rep % 2 == 0 else ("sql", "helper")):
            start = time.perf_counter()
            results[which] = helper() if which == "helper" else sql()
            times[which].append(time.perf_counter() - start)
        if progress:
            print(f"  {name} rep {rep + 1}: helper {times['helper'][-1]:.3f}s  sql {times['sql'][-1]:.3f}s", flush=True)
        if (rep == 0 or rep == repetitions - 1) and not same(results["helper"], results["sql"]):
            raise Disagreement(f"{name}: the helper and the SQL disagree: "
                               f"{first_difference(results['helper'], results['sql'])}")
    return times
