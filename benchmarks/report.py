"""The results file: one table per workload and size, ratios helper / SQL, verdicts, explanations and profiles."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import ibis

from explained import NOT_MEASURED, explain
from harness import Case
from workloads import DATA

RESULTS = Path(__file__).resolve().parent / "results"
#: Peak memory added under this many MiB on both sides is within the sampler's noise (a pandas frame, an
#: import): such a case meets the memory target whatever the ratio of two small numbers.
MEMORY_FLOOR_MIB = 32.0


@dataclass
class CaseResult:
    case: Case
    workload: str
    size: str
    times: dict[str, list[float]] = field(default_factory=dict)
    median: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    profile: str | None = None
    error: str | None = None
    #: Measured again by a later ``--merge`` run (after the code it measures changed, or a disturbed run).
    again: bool = False

    @property
    def ratio(self) -> float:
        return self.median["helper"] / self.median["sql"]

    @property
    def memory_ratio(self) -> float | None:
        if not self.memory:
            return None
        return self.memory["helper"] / max(self.memory["sql"], 1.0)

    def time_verdict(self, target: float) -> tuple[bool, str]:
        if self.ratio <= target:
            return True, ""
        if self.case.group == "cart":
            from cases_cart import verdict_fixed_cost

            fixed = verdict_fixed_cost(self.median["helper"], self.median["sql"])
            if fixed:
                return fixed.startswith("meets"), fixed
        return False, f"time {self.ratio:.2f}x"

    def memory_verdict(self, target: float) -> tuple[bool, str]:
        if not self.memory or self.memory_ratio <= target:
            return True, ""
        if max(self.memory.values()) < MEMORY_FLOOR_MIB:
            return True, f"memory under {MEMORY_FLOOR_MIB:.0f} MiB on both sides"
        return False, f"memory {self.memory_ratio:.2f}x"

    def meets(self, target: float) -> bool:
        return not self.error and self.time_verdict(target)[0] and self.memory_verdict(target)[0]

    def verdict(self, target: float) -> str:
        if self.error:
            return "NO RATIO: " + self.error
        notes = [n for ok, n in (self.time_verdict(target), self.memory_verdict(target)) if n]
        word = "meets" if self.meets(target) else "MISSES"
        return word + (f" ({'; '.join(notes)})" if notes else "")

    def line(self, target: float) -> str:
        if self.error:
            return f"{self.case.name}: {self.error}"
        mem = f", memory {self.memory['helper']:.0f} / {self.memory['sql']:.0f} MiB" if self.memory else ""
        return f"{self.case.name}: ratio {self.ratio:.2f}{mem}: {self.verdict(target)}"


def _row(r: CaseResult, target: float) -> str:
    if r.error:
        return f"| {r.case.name} | {r.case.what} | – | – | – | – | – | – | – | **{r.verdict(target)}** | |"
    mem = r.memory or {}
    mh, ms = (f"{mem['helper']:.0f}", f"{mem['sql']:.0f}") if mem else ("–", "–")
    mr = f"{r.memory_ratio:.2f}" if mem else "–"
    explained = "" if r.meets(target) else explain(r.case.name, r.workload, r.size)
    runs = ", ".join(f"{h / s:.2f}" for h, s in zip(r.times["helper"], r.times["sql"]))
    seconds = f"{r.median['helper']:.2f} | {r.median['sql']:.2f}"
    return (f"| {r.case.name}{' †' if r.again else ''} | {r.case.what} | **{r.ratio:.2f}** | {runs} | {seconds} | {mh} | "
            f"{ms} | {mr} | "
            f"{r.verdict(target)} | {explained} |")


def _saved(out: Path) -> Path:
    """Where the measurements behind a results file are kept (git-ignored), for ``--merge``."""
    return DATA / "results" / f"{out.stem}.json"


def save(out: Path, results: list[CaseResult]) -> None:
    path = _saved(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**{k: v for k, v in asdict(r).items() if k != "case"}, "case": r.case.name} for r in results]
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")


def load(out: Path, cases: dict[str, Case]) -> list[CaseResult]:
    """The measurements of an earlier run writing ``out`` (none when there is none)."""
    path = _saved(out)
    if not path.exists():
        return []
    return [CaseResult(**{**row, "case": cases[row["case"]]}) for row in json.loads(path.read_text(encoding="utf-8"))
            if row["case"] in cases]


def merged(earlier: list[CaseResult], new: list[CaseResult]) -> list[CaseResult]:
    """``earlier`` with each case measured again in ``new`` replaced in place; new cases after."""
    key = lambda r: (r.workload, r.size, r.case.name)  # noqa: E731
    fresh = {key(r): r for r in new}
    for r in new:
        r.again = any(key(e) == key(r) for e in earlier)
    out = [fresh.pop(key(r), r) for r in earlier]
    return out + [r for r in new if key(r) in fresh]


def write_report(out: Path, results: list[CaseResult], args, target: float) -> None:
    """Write (or rewrite, as the run goes) the results file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    save(out, results)
    sizes = list(dict.fromkeys(r.size for r in results)) or args.events
    workloads = list(dict.fromkeys(r.workload for r in results))
    workload = "both" if len(workloads) > 1 else (workloads[0] if workloads else args.workload)
    lines = [
        f"# Benchmark {out.stem}: helpers against hand-written DuckDB SQL",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"ibis {ibis.__version__}; `python benchmarks/bench.py --workload {workload} --events "
        f"{' '.join(sizes)} --repetitions {args.repetitions}`"
        + (" (rows marked † measured again by a later run with `--merge`)" if any(r.again for r in results) else "")
        + "." + (f" {args.note}" if getattr(args, "note", "") else ""),
        "",
        f"Each case: {args.repetitions} runs of the helper and of the SQL alternated in one process (which goes first "
        "alternates), **ratio = median helper time / median SQL time** (the per-pair ratios of the runs beside it); "
        "both gave the same numbers (checked, else the row says so and gives no ratio). Peak memory: what one run adds "
        "above the opened database, in a fresh process per case and side. Target: time ratio <= "
        f"{target} and memory ratio <= {target} (memory under {MEMORY_FLOOR_MIB:.0f} MiB on both sides counts as "
        "meeting it: the sampler's noise). A case that misses has its queries profiled (`EXPLAIN ANALYZE` of the SQL "
        "Ibis compiled and of the hand SQL) and an explanation. The seconds are the medians on this machine, shared "
        "as the note says: compare them within a run, not across days. No absolute times are asserted anywhere.",
        "",
        "Workloads: **sample** = the project's sample generator (tz-aware timestamps canonicalised to naive Shanghai "
        "wall clock; its session ids dropped, so sessions come from the 30-minute gap); **other** = "
        "`benchmarks/workloads.py`'s heavy-tailed log (a session id on every row, 500 event names, 19-digit user "
        "ids, second-resolution ties, rows unsorted over 32 Parquet files). The cart cases run on the sample only: "
        "the other log has no carts table (`carts` there is the sample's carts copied 20 times, see cases_cart.py).",
        "",
    ]
    seen = []
    for r in results:
        if (r.workload, r.size) not in seen:
            seen.append((r.workload, r.size))
    for workload, size in seen:
        rows = [r for r in results if (r.workload, r.size) == (workload, size)]
        lines += [f"## {workload}, {size} events", "",
                  "| case | what | ratio time | per-pair ratios | helper s | SQL s | helper MiB | SQL MiB | ratio memory | "
                  "verdict | explained |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += [_row(r, target) for r in rows]
        lines.append("")
    lines += [NOT_MEASURED, ""]
    profiles = [r for r in results if r.profile]
    if profiles:
        lines += ["## Profiles of the cases that miss", ""]
        for r in profiles:
            lines += [f"### {r.case.name} ({r.workload}, {r.size})", "", r.profile, ""]
    out.write_text("\n".join(lines), encoding="utf-8")
