"""The whole batch, ``uem report`` with every notebook, on a generated sample of N events.

Generates the sample (the project's generator, as ``workloads.py`` does for the ``sample``
workload, reused when present), writes a config for it from ``uem.yml`` with DuckDB's memory
limit and spill folder set (``engine.memory_limit``, ``engine.temp_directory``), runs
``uem report`` once in a fresh process and samples the resident memory of its whole process
tree (the run and its notebook kernels) twice a second. The run's plain progress lines say
which notebook is running, so each sample is counted for that notebook. Writes
``benchmarks/results/<date>-report-<size>.md``: events, time and peak memory per notebook, the
run's outcome; the reports themselves stay in ``benchmarks/data/report_<size>/reports``.

    python benchmarks/report_run.py --events 100M --memory-limit 16GB
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import DATA, ROOT, _sample_files, events_of  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PERIOD = "2026-05..2026-10"
#: A plain progress line of ``uem report``: ``2026-12-05 11:30:02 [2/5] journey_analysis started``,
#: ``... checking the data and the config done in 9 s``; between them, step lines.
PROGRESS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:\[\d+/\d+\] )?(?P<body>.*)$")
#: What follows the item's name on its last line: ``ok in 29 s``, ``failed in 2 min 3 s``.
FINISHED = re.compile(r"^(?P<outcome>\S+) in \d")


@dataclass
class Notebook:
    """What the run measured of one notebook (or of the checks before the notebooks)."""

    name: str
    started: float
    ended: float | None = None
    outcome: str = "running"
    peak_bytes: int = 0


@dataclass
class Run:
    """The whole ``uem report`` process tree, sample by sample."""

    notebooks: list[Notebook] = field(default_factory=list)
    peak_bytes: int = 0
    log: list[str] = field(default_factory=list)

    def current(self) -> Notebook | None:
        return self.notebooks[-1] if self.notebooks and self.notebooks[-1].ended is None else None

    def read(self, line: str) -> None:
        """Follow one progress line: a notebook starts, or ends with its outcome."""
        self.log.append(line)
        match = PROGRESS.match(line.strip())
        if not match:
            return
        body = match["body"]
        if (now := self.current()) is not None and body.startswith(now.name + " "):
            if finished := FINISHED.match(body[len(now.name) + 1:]):
                now.ended, now.outcome = time.monotonic(), finished["outcome"]
        elif body.endswith(" started"):
            self.notebooks.append(Notebook(body.removesuffix(" started"), time.monotonic()))


def config_for(folder: Path, size: str, memory_limit: str) -> Path:
    """``uem.yml`` with its sources in ``folder`` and DuckDB's memory limit and spill folder set."""
    text = (ROOT / "uem.yml").read_text(encoding="utf-8").replace("data/sample/", f"{folder}/")
    text = text.replace("  # memory_limit: 20GB", f"  memory_limit: {memory_limit}")
    text = text.replace("  # temp_directory: /data/duckdb-spill", f"  temp_directory: {DATA / 'spill'}")
    if f"memory_limit: {memory_limit}" not in text or "temp_directory: " + str(DATA / "spill") not in text:
        raise SystemExit("uem.yml no longer has the commented engine.memory_limit / temp_directory lines to set")
    path = DATA / f"report_{size}" / "uem.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (gone ones count as 0)."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_report(config: Path, size: str, on_notebook: Callable[[Run, float], None],
               notebooks: list[str]) -> tuple[Run, int, float]:
    """Run ``uem report`` for the sample period; return what was measured, its exit code and seconds.

    ``on_notebook(run, seconds)`` is called each time a notebook ends, so an interrupted run
    still leaves what it measured.
    """
    out = DATA / f"report_{size}" / "reports"
    command = [str(Path(sys.executable).parent / "uem"), "report", "--period", PERIOD, "--config", str(config),
               "--output-dir", str(out), "--progress",
               # the config's defaults (10 min a cell, 1 h a notebook) are for the sample-sized logs
               "--cell-timeout", "14400", "--run-timeout", "43200", *[f"--notebook={nb}" for nb in notebooks]]
    run, started = Run(), time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    watched = psutil.Process(process.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            rss = tree_rss(watched)
            run.peak_bytes = max(run.peak_bytes, rss)
            if (now := run.current()) is not None:
                now.peak_bytes = max(now.peak_bytes, rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in process.stdout:
        print(line, end="", flush=True)
        ended = len([nb for nb in run.notebooks if nb.ended])
        run.read(line)
        if len([nb for nb in run.notebooks if nb.ended]) > ended:
            on_notebook(run, time.monotonic() - started)
    code = process.wait()
    done.set()
    sampler.join()
    return run, code, time.monotonic() - started


def write_results(size: str, events: int, memory_limit: str, run: Run, code: int | None, seconds: float,
                  notebooks: list[str] = ()) -> Path:
    """The results file of this run (overwritten by a later run of the same size and notebooks on the same day).

    ``code`` None: the run is still going (written after each notebook).
    """
    rows = [f"| {nb.name} | {nb.outcome} | {_minutes(nb.ended - nb.started) if nb.ended else '-'} | "
            f"{nb.peak_bytes / 2**30:.1f} |" for nb in run.notebooks]
    lines = [
        f"# `uem report`{' of ' + ', '.join(notebooks) if notebooks else ''} on the sample at {size} events, "
        f"{date.today().isoformat()}",
        "",
        f"Machine: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"duckdb {duckdb.__version__}. `python benchmarks/report_run.py --events {size} --memory-limit {memory_limit}"
        f"{''.join(' --notebook ' + nb for nb in notebooks)}`.",
        "",
        f"The sample generator's log: **{events:,} events**; the config is `uem.yml` pointed at it with "
        f"`engine.memory_limit: {memory_limit}` and `engine.temp_directory` set; period {PERIOD}. "
        "Peak memory is the resident memory of the whole process tree (the run and the notebook's kernel), "
        "sampled twice a second. Times are wall-clock on a shared machine: compare them with each other, "
        "not with another day's.",
        "",
        (f"Run: still running after {_minutes(seconds)}" if code is None else
         f"Run: exit code {code}, {_minutes(seconds)} in all") + f", peak {run.peak_bytes / 2**30:.1f} GiB; "
        f"code at commit {_commit()}.",
        "",
        "| notebook | outcome | time | peak GiB |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
    if code:
        lines += ["Last lines of the run:", "", "```", *[line.rstrip() for line in run.log[-20:]], "```", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{date.today().isoformat()}-report-{'-'.join([size, *notebooks])}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "uem_helpers", "notebooks"], capture_output=True,
                           text=True, cwd=ROOT).stdout.strip()
    return f"{head or 'unknown'}{' with local changes' if dirty else ''}"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="100M", help="size of the generated sample, e.g. 10M or 100M")
    parser.add_argument("--memory-limit", default="16GB", help="engine.memory_limit of the run's config")
    parser.add_argument("--notebook", action="append", default=[],
                        help="only this notebook (repeat for more; the results file names them)")
    args = parser.parse_args()
    folder = _sample_files(events_of(args.events), progress=True)
    events = duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/events.parquet')").fetchone()[0]
    config = config_for(folder, args.events, args.memory_limit)
    def written(so_far: Run, code: int | None, took: float) -> Path:
        return write_results(args.events, events, args.memory_limit, so_far, code, took, args.notebook)

    run, code, seconds = run_report(config, args.events, lambda so_far, took: written(so_far, None, took), args.notebook)
    print(f"Results: {written(run, code, seconds)}")
    sys.exit(code)


if __name__ == "__main__":
    main()
