"""Peak memory a call adds on top of what the process already holds.

``ru_maxrss`` of a fresh process is dominated by loading the benchmark data, so
it reads the same for every implementation. Instead, the resident set size is
sampled in a background thread while the call runs; the result is the peak
above the size just before the call (the data is already loaded by then), so
it is the working memory of the query itself: engine buffers, intermediate
results and the frames brought back into Python.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psutil


def peak_extra_mib(call: Callable[[], object], interval_s: float = 0.002) -> float:
    """Run ``call`` and return the peak resident memory it added, in MiB.

    Parameters
    ----------
    call : callable
        The work to measure (run once).
    interval_s : float
        Sampling interval; allocations shorter than this can be missed.
    """
    process = psutil.Process()
    baseline = peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        call()
    finally:
        done.set()
        sampler.join()
    peak = max(peak, process.memory_info().rss)
    return (peak - baseline) / 2**20


def peak_extra_mib_in_fresh_process(setup: str, call: str) -> float:
    """:func:`peak_extra_mib` of one call in a new Python process, so no earlier run's memory counts.

    Parameters
    ----------
    setup : str
        Python statements run first, unmeasured (imports, opening the data); the
        ``benchmarks`` folder is importable.
    call : str
        A Python expression evaluated once under measurement, e.g. ``"b.run_sql(con.con)"``.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"from peak_memory import peak_extra_mib; {setup}; print(peak_extra_mib(lambda: {call}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])
