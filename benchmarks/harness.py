"""What every case shares: the opened workload (:class:`Ctx`), the case record (:class:`Case`) and the registry.

A case is two functions of a :class:`Ctx` that return the same list of numbers (and strings):
``helper`` calls the :mod:`uem_helpers` helper the way the notebooks and stories call it,
``sql`` runs hand-written DuckDB SQL of the helper's documented definition through
:meth:`Ctx.sql` (which records the queries, for the profiles of :mod:`explain`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis

from workloads import SHAPES, Shape, database


@dataclass
class Ctx:
    """One opened benchmark database (read-only) and what its workload's cases ask for."""

    workload: str
    size: str
    path: Path
    con: ibis.BaseBackend
    shape: Shape
    recorded: list[str] | None = field(default=None, repr=False)

    @property
    def events(self) -> ibis.Table:
        return self.con.table("events")

    def execute(self, query: str):
        """A hand-written query run on the DuckDB connection (recorded when :attr:`recorded` is a list)."""
        if self.recorded is not None:
            self.recorded.append(query)
        return self.con.con.execute(query)

    def sql(self, query: str) -> list[tuple]:
        """Rows of a hand-written query."""
        return self.execute(query).fetchall()


def open_ctx(workload: str, size: str, memory_limit: str | None = None) -> Ctx:
    """The workload's database of that size, generated and built when absent, opened read-only (with DuckDB's
    ``memory_limit``, e.g. ``"12GB"``, when given: what ``engine.memory_limit`` sets for a report)."""
    path = database(workload, size)
    con = ibis.duckdb.connect(str(path), read_only=True)
    if memory_limit:
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    return Ctx(workload, size, path, con, SHAPES[workload])


@dataclass(frozen=True)
class Case:
    """A helper and its hand-written SQL, returning the same numbers."""

    name: str
    group: str
    what: str
    helper: Callable[[Ctx], list]
    sql: Callable[[Ctx], list]
    #: The workloads it runs on (the cart cases need a carts table: the sample's).
    workloads: tuple[str, ...] = ("sample", "other")
    #: Rows the case reads, for the table (e.g. ``"carts"``); events by default.
    rows: str = "events"


CASES: dict[str, Case] = {}


def register(*cases: Case) -> None:
    for case in cases:
        CASES[case.name] = case


def all_cases() -> dict[str, Case]:
    """Every case, in group order (importing the case modules registers them)."""
    import cases_cart  # noqa: F401
    import cases_churn  # noqa: F401
    import cases_funnel  # noqa: F401
    import cases_journey  # noqa: F401
    import cases_metrics  # noqa: F401

    return CASES


def in_list(names) -> str:
    """A SQL list of string literals: ``'a', 'b'``."""
    return ", ".join("'" + str(n).replace("'", "''") + "'" for n in names)


def floats(values) -> list[float]:
    """Numbers as floats, None as NaN (so a SQL NULL and a pandas NaN compare equal)."""
    return [float("nan") if v is None else float(v) for v in values]
