"""Why a case misses: DuckDB's profile of every query each side runs, the heaviest operators first.

The helper's queries are the SQL Ibis compiles (captured from the backend's ``compile`` while the
helper runs once; the same text ``ibis.to_sql(expr)`` gives); the hand-written side's are the
queries its case sent through :meth:`harness.Ctx.execute`. Each query is then run again under
DuckDB's JSON profiler (what ``EXPLAIN ANALYZE`` shows), and the summary lists per side the
total operator time, the rows the operators produced and the heaviest operators.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from harness import Case, Ctx

TOP = 5


def capture(ctx: Ctx, case: Case) -> tuple[dict[str, list[str]], dict[str, float]]:
    """The SQL text of every query each side runs, in order (statements that create tables included), and the
    seconds each side's run took (building, compiling and converting included)."""
    compiled: list[str] = []
    backend = ctx.con
    original, original_cache = backend.compile, backend._create_cached_table
    caching = []

    def recording(expr, *args, **kwargs):
        sql = original(expr, *args, **kwargs)
        if not caching:
            compiled.append(str(sql))
        return sql

    def recording_cache(name, expr):
        # ``.cache()``: a temporary table the later queries read by name, so it is made again when profiled.
        compiled.append(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {original(expr)}')
        caching.append(name)
        try:
            return original_cache(name, expr)
        finally:
            caching.pop()

    backend.compile, backend._create_cached_table = recording, recording_cache
    wall = {}
    try:
        start = time.perf_counter()
        case.helper(ctx)
        wall["helper"] = time.perf_counter() - start
    finally:
        del backend.compile, backend._create_cached_table  # the class's methods show through again
    ctx.recorded = []
    try:
        start = time.perf_counter()
        case.sql(ctx)
        wall["sql"] = time.perf_counter() - start
        hand = ctx.recorded
    finally:
        ctx.recorded = None
    return {"helper": compiled, "sql": hand}, wall


def _operators(node: dict, out: list) -> None:
    name = node.get("operator_name") or node.get("operator_type") or node.get("name")
    if name:
        out.append((float(node.get("operator_timing", 0.0)), name.strip(),
                    int(node.get("operator_cardinality", 0) or 0), (node.get("extra_info") or {})))
    for child in node.get("children", []):
        _operators(child, out)


def profile_query(ctx: Ctx, sql: str) -> list[tuple]:
    """Operators of one query as DuckDB's profiler saw them: (seconds, name, rows, extra info)."""
    raw = ctx.con.con
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "profile.json"
        raw.execute("SET enable_profiling = 'json'")
        raw.execute(f"SET profiling_output = '{target}'")
        try:
            raw.execute(sql).fetchall() if sql.lstrip().upper().startswith(("SELECT", "WITH", "(")) else raw.execute(sql)
        finally:
            raw.execute("RESET enable_profiling")
        tree = json.loads(target.read_text()) if target.exists() else {}
    ops: list[tuple] = []
    _operators(tree, ops)
    return ops


def _drop_temporary(ctx: Ctx, queries: list[str]) -> None:
    for sql in queries:
        if sql.startswith("CREATE OR REPLACE TEMP TABLE "):
            ctx.con.con.execute(f"DROP TABLE IF EXISTS {sql.split()[5]}")


def profile_case(ctx: Ctx, case: Case) -> str:
    """A markdown summary of both sides' profiles."""
    queries, wall = capture(ctx, case)
    lines = []
    for side in ("helper", "sql"):
        ops: list[tuple] = []
        for sql in queries[side]:
            ops += profile_query(ctx, sql)
        _drop_temporary(ctx, queries[side])
        total = sum(o[0] for o in ops)
        rows = sum(o[2] for o in ops)
        label = "helper (SQL compiled by Ibis)" if side == "helper" else "hand-written SQL"
        lines.append(f"- {label}: {len(queries[side])} queries; this run {wall[side]:.2f} s, of which the engine's "
                     f"operators {total:.2f} s (summed over threads), {rows:,} rows out of operators; heaviest:")
        for seconds, name, n, extra in sorted(ops, key=lambda o: -o[0])[:TOP]:
            detail = _short(extra)
            lines.append(f"  - {name} {seconds:.2f} s, {n:,} rows{' — ' + detail if detail else ''}")
    return "\n".join(lines)


def _short(extra) -> str:
    if not isinstance(extra, dict):
        return str(extra)[:120]
    keys = [k for k in ("Partitions", "Orders", "Groups", "Aggregates", "Join Type", "Conditions", "Table",
                        "Function") if k in extra]
    text = "; ".join(f"{k}: {extra[k]}" for k in keys)
    return text.replace("\n", " ").replace("|", "/")[:160]
