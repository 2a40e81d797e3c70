"""The row guard: analyses bring back small frames, and a run can prove it.

An analysis is an Ibis expression that aggregates in the engine; only its small
result should reach pandas. A cell that materialises the event log instead
works on the sample and exhausts memory at 100M events. With the environment
variable ``UEM_MAX_RESULT_ROWS=<n>`` set, every backend that
:func:`uem_helpers.data.engine.connect` opens refuses any result of more than
``n`` rows with a :class:`~uem_helpers.core.errors.ResultTooLargeError` that
names the row count, the limit and the function that asked (and the outermost
workbench function the call came through, e.g. the story a notebook cell
called). The report pipeline's runner and the notebook kernels inherit the
variable, so ``UEM_MAX_RESULT_ROWS=5000 uem report ...`` runs every notebook
under it; the end-to-end tests do (``tests/e2e/conftest.py``).

What it covers: every result of more than one value (a table or a column)
materialised in memory through a backend's ``execute`` (``Table`` and
``Column`` ``.execute()``, ``.to_pandas()``, ``__array__``) or ``to_pyarrow``
(``.to_pyarrow()``, ``Column.to_list()``, ``.to_polars()`` where polars is
installed), on every backend ``connect`` opens (so every loaded
:class:`~uem_helpers.data.Dataset`'s tables and whatever is built from them,
memtables joined to them included) and on Ibis's default backend, where
expressions on in-memory tables alone run (an ``ibis.memtable``). Tables and columns are read with ``LIMIT n + 1``: a
guarded run never holds more than ``n + 1`` rows of a result, even on a big
log, and a result of ``n`` rows or fewer is the same as without the guard.
Scalars are not counted (they are one value).

What it does not cover, on purpose: the loaders' own reading of the sources
(:mod:`uem_helpers.data.sources` reads CSV and Parquet with the backend's
readers and keeps a DuckDB file's table attached; on Spark it copies a DuckDB
file's table through pyarrow on a connection of its own: loading, not an
analysis's result); frames a caller builds in pandas itself; streamed batches
(``to_pyarrow_batches``, ``to_pandas_batches``: bounded memory by design); and
writes to files (``to_csv``, ``to_parquet``). Off (the default: the variable
unset, empty or ``0``), ``connect`` returns the backend untouched and normal
runs pay nothing.
"""

from __future__ import annotations

import os
import sys
import weakref
from contextvars import ContextVar
from collections.abc import Mapping
from types import FrameType

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from uem_helpers.core.errors import ConfigError, ResultTooLargeError

#: The environment variable that turns the guard on: the most rows a result may have.
ENV = "UEM_MAX_RESULT_ROWS"

#: The backend methods every in-memory result passes through (``Expr.execute``, ``to_pandas``,
#: ``to_pyarrow``, ``to_polars`` and ``to_list`` all end in one of them).
_METHODS = ("execute", "to_pyarrow")
#: The attribute on a guarded backend holding its limit (None: guard installed but off).
_LIMIT = "_uem_max_result_rows"
#: True while a guarded method runs: a guarded method it calls leaves the check to it.
_inside: ContextVar[bool] = ContextVar("uem_row_guard_inside", default=False)
#: Modules whose frames are the machinery between a caller and the backend, not the caller.
_MACHINERY = ("ibis.", "pandas.", "pyarrow.", "polars.", __name__)


def limit_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    """The guard's limit from ``UEM_MAX_RESULT_ROWS``; None when it is unset, empty or 0 (off).

    Raises
    ------
    ConfigError
        When the value is not a whole number of rows.
    """
    value = (os.environ if environ is None else environ).get(ENV, "").strip().replace("_", "")
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError(ENV, value, "a whole number of rows (0 or unset turns the row guard off)",
                          source="the environment")
    return int(value) or None


def from_env(con: ibis.BaseBackend) -> ibis.BaseBackend:
    """``con`` guarded at the limit ``UEM_MAX_RESULT_ROWS`` sets (:func:`connect` calls it on every backend).

    Ibis's default backend is guarded with it: expressions on in-memory tables alone run there
    (an ``ibis.memtable`` not joined to a table of ``con``). With
    the variable unset, a backend never guarded is returned untouched; one guarded before (the
    process's one Spark session) has its limit lifted.
    """
    limit = limit_from_env()
    default = ibis.get_backend() if limit is not None else ibis.options.default_backend
    for backend in (con, default):
        if backend is not None and (limit is not None or hasattr(backend, _LIMIT)):
            guard(backend, limit)
    return con


def guard(con: ibis.BaseBackend, limit: int | None) -> ibis.BaseBackend:
    """Make ``con`` refuse results of more than ``limit`` rows (None lifts the limit); returns ``con``.

    Idempotent: a second call only changes the limit.

    Parameters
    ----------
    con : ibis.BaseBackend
        A DuckDB or PySpark backend.
    limit : int or None
        The most rows a table or column result may have.

    Examples
    --------
    >>> con = guard(ibis.duckdb.connect(), 2)
    >>> t = con.create_table("t", {"x": [1, 2, 3]})
    >>> t.x.max().execute(), len(t.limit(2).execute())
    (3, 2)
    >>> t.execute()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    uem_helpers.core.errors.ResultTooLargeError: ... brought back more than 2 rows into memory, and the row guard ...
    """
    if limit is not None and limit < 1:
        raise ConfigError(ENV, limit, "at least 1 row")
    installed = hasattr(con, _LIMIT)
    setattr(con, _LIMIT, limit)
    if not installed:
        ref = weakref.ref(con)  # the wrappers live on con: no reference cycle through them
        for name in _METHODS:
            setattr(con, name, _guarded(ref, getattr(type(con), name)))
    return con


def _guarded(ref: weakref.ref, method):
    """``method`` of the backend ``ref`` names, refusing results above the backend's limit."""

    def run(expr, /, *, params=None, limit=None, **kwargs):
        con = ref()
        most = getattr(con, _LIMIT)
        if most is None or _inside.get():  # off, or called by a guarded method (Spark's to_pyarrow calls execute)
            return method(con, expr, params=params, limit=limit, **kwargs)
        if limit == "default":  # Expr.execute's default: Ibis's option, None (no limit) unless interactive
            limit = ibis.options.sql.default_limit
        # A table or column is read with LIMIT most + 1: enough to know it is too large, and no more.
        capped = limit is None and isinstance(expr, (ir.Table, ir.Column))
        token = _inside.set(True)
        try:
            result = method(con, expr, params=params, limit=most + 1 if capped else limit, **kwargs)
        finally:
            _inside.reset(token)
        rows = _rows(result)
        if rows is not None and rows > most:
            raise ResultTooLargeError(rows, most, caller(), exact=not capped)
        return result

    run.__name__ = run.__qualname__ = method.__name__
    run.__doc__ = method.__doc__
    return run


def _rows(result: object) -> int | None:
    """The rows of a materialised result; None for a scalar."""
    if isinstance(result, (pd.DataFrame, pd.Series, pa.Table, pa.Array, pa.ChunkedArray)):
        return len(result)
    return None


def caller(frame: FrameType | None = None) -> str:
    """Who asked for a result: the first function outside Ibis, pandas and pyarrow, and the outermost
    workbench function the call came through, e.g. ``uem_helpers.analyses.funnel.steps (line 80),
    called through uem_helpers.stories.onboarding.analyse_onboarding (line 41)``."""
    frame = frame or sys._getframe(1)
    outside = []
    while frame is not None:
        if not frame.f_globals.get("__name__", "").startswith(_MACHINERY):
            outside.append(frame)
        frame = frame.f_back
    if not outside:
        return "an expression"
    ours = [f for f in outside if f.f_globals.get("__name__", "").startswith("uem_helpers.")]
    where = _describe(outside[0])
    if ours and ours[-1] is not outside[0]:
        where += f", called through {_describe(ours[-1])}"
    return where


def _describe(frame: FrameType) -> str:
    """``module.function (line n)``, or ``a notebook cell (line n)`` for code typed into a kernel."""
    module, function = frame.f_globals.get("__name__", "?"), frame.f_code.co_qualname
    if module == "__main__" and "ipykernel" in frame.f_code.co_filename:
        cell = f"a notebook cell (line {frame.f_lineno})"
        return cell if function == "<module>" else f"{function} in {cell}"
    return f"{module}.{function} (line {frame.f_lineno})"
