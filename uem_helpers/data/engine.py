"""The engine edge: which Ibis backend runs the workbench's expressions.

Embedded DuckDB is the default. ``engine: {backend: spark}`` in the config
runs the same expressions on Spark through Ibis's PySpark backend (local mode
unless ``spark_master`` says otherwise; Spark needs Java 17). Inside a run, or with
``spark_remote`` in the config, the process is a client of a Spark Connect server
(:mod:`uem_helpers.data.spark_server`) instead of starting a JVM of its own.

Timestamps are kept as naive wall-clock times in the config's time zone on
every backend (the sources module converts them once), so a Spark session
runs with ``spark.sql.session.timeZone=UTC``: Spark then neither shifts nor
re-interprets them.

With ``UEM_MAX_RESULT_ROWS=<n>`` in the environment, every backend opened here
refuses results of more than ``n`` rows (:mod:`uem_helpers.data.row_guard`);
unset, the backend is returned untouched.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import sys
import tempfile
import uuid
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import ibis

from uem_helpers.core.config import EngineConfig
from uem_helpers.core.errors import ConfigError, EnvironmentFault
from uem_helpers.data import row_guard
from uem_helpers.data.spark_server import SPARK_REMOTE_VARIABLE, release_at_end, spark_settings


def connect(engine: EngineConfig | None = None) -> ibis.BaseBackend:
    """Open the backend the config names.

    Parameters
    ----------
    engine : EngineConfig, optional
        The config's ``engine`` section; embedded in-memory DuckDB when omitted.

    Returns
    -------
    ibis.BaseBackend
        A DuckDB connection (a new one each call) or the process's one Spark backend, under the
        row guard when ``UEM_MAX_RESULT_ROWS`` is set (:func:`uem_helpers.data.row_guard.from_env`).
    """
    engine = engine or EngineConfig()
    if engine.backend == "duckdb":
        con = ibis.duckdb.connect(engine.database or ":memory:")
        if engine.threads:
            con.raw_sql(f"SET threads = {int(engine.threads)}")
        if engine.memory_limit:
            con.raw_sql(f"SET memory_limit = '{engine.memory_limit}'")  # checked: digits and a unit
        if engine.temp_directory:
            con.raw_sql(f"SET temp_directory = '{_spill_folder(engine.temp_directory)}'")
        return row_guard.from_env(con)
    if engine.backend == "spark":
        remote = engine.spark_remote or os.environ.get(SPARK_REMOTE_VARIABLE)
        return row_guard.from_env(_spark_backend(engine.spark_master, tuple(sorted(engine.spark_conf.items())), remote))
    raise ConfigError("engine.backend", engine.backend, "allowed: duckdb, spark")


def _spill_folder(path: str) -> str:
    """``engine.temp_directory``, created and checked writable, as DuckDB's SQL literal."""
    folder = Path(path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise EnvironmentFault.from_os_error(error, "preparing engine.temp_directory, DuckDB's spill folder,") from None
    return str(folder.resolve()).replace("'", "''")


@lru_cache(maxsize=1)
def _spark_backend(master: str, conf: tuple[tuple[str, str], ...], remote: str | None) -> ibis.BaseBackend:
    """One Spark session per process: on the run's Spark Connect server when there is one, else a local JVM."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError(
            "engine.backend", "spark", "pyspark is not installed; run: pip install 'uem-workbench[spark]'"
        ) from None
    if remote:
        session = SparkSession.builder.remote(remote).getOrCreate()

        def release() -> None:  # this process's tables and cached frames on the server
            _spark_backend.cache_clear()
            session.stop()

        release_at_end(release)
        return _pyspark_backend().connect(session)
    # Python workers must be this interpreter: the system python may lack pandas and pyarrow.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(master).appName("uem-workbench")
    for key, value in spark_settings(conf).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return _pyspark_backend().connect(session)


def _pyspark_backend() -> ibis.BaseBackend:
    """Ibis's PySpark backend with a ``Table.cache()`` that works on Spark Connect and with in-memory tables.

    Two upstream bugs in ibis 12's ``backends/pyspark/__init__.py`` ``_create_cached_table``:
    it compiles the expression without registering the in-memory tables in it (``ibis.memtable``,
    e.g. the churn features' complaints per user), so Spark answers TABLE_OR_VIEW_NOT_FOUND; and
    it caches with ``session.sql(query).cache()`` followed by ``assert t.is_cached`` (uncaching
    with ``assert not t.is_cached``), but a Spark Connect DataFrame persists on ``cache()``
    without setting ``is_cached``, so every ``.cache()`` there (the sessions, the carts, the
    funnel's step events) fails with a bare AssertionError. This subclass registers the
    expression's in-memory tables first and does the same persist-and-temp-view without the asserts,
    on a local session and on Spark Connect alike.
    """
    ibis.load_backend("pyspark")  # registers ibis.options.pyspark, which the backend reads
    from ibis.backends.pyspark import Backend

    class CachingBackend(Backend):
        def _create_cached_table(self, name, expr):
            self._run_pre_execute_hooks(expr)
            frame = self._session.sql(self.compile(expr)).cache()
            frame.createTempView(name)
            self._cached_dataframes[name] = frame  # released by _drop_cached_table, not at session end
            return self.table(name)

        def _drop_cached_table(self, name):
            self._session.catalog.dropTempView(name)
            self._cached_dataframes.pop(name).unpersist()

    return CachingBackend()


def cache_in_parts(build: Callable[[tuple[int, int] | None], ibis.Table], rows: ibis.IntegerScalar,
                   bytes_per_row: int) -> ibis.Table:
    """Materialise a table too big to compute in one pass within DuckDB's memory limit, a part at a time.

    A window over 120M events with its whole payload (the sessions: next event, session key, kept
    columns) neither fits in a 14 GB limit nor spills, and a temporary table of its result stays in
    memory; the same window over a quarter of the users needs 6 GB. So when ``rows × bytes_per_row``
    exceeds DuckDB's memory limit, ``build((k, n))`` (part ``k`` of ``n`` disjoint parts) is computed
    for each part in turn and appended to a table in a DuckDB file in the spill folder
    (``engine.temp_directory``, else the system's temporary folder), compressed on disk; the file is
    deleted when the process ends and the table dropped when nothing refers to it any more. Otherwise
    ``build(None)`` is cached in one pass as ``Table.cache()`` caches it, and always on Spark, which
    spills its windows itself.

    Parameters
    ----------
    build : callable
        ``build(None)`` is the whole table; ``build((k, n))`` its ``k``-th of ``n`` disjoint parts.
    rows : ibis.IntegerScalar
        The rows the table will have, about (executed on DuckDB only).
    bytes_per_row : int
        Memory one row takes while it is computed, measured on the query that builds it.

    Returns
    -------
    ibis.Table
        The materialised table.
    """
    whole = build(None)
    con = whole._find_backend(use_default=True)
    if backend_name(con) != "duckdb":
        return whole.cache()
    parts = parts_needed(con, int(rows.execute()), bytes_per_row)
    if parts <= 1:
        return whole.cache()
    database = (_spill_database(con), "main")
    name = f"uem_parts_{uuid.uuid4().hex}"
    con.create_table(name, build((0, parts)), database=database)
    for k in range(1, parts):
        con.insert(name, build((k, parts)), database=database)
    table = con.table(name, database=database)
    weakref.finalize(table.op(), _drop_table, weakref.ref(con), name, database)
    return table


def outgrows_memory(rows: ibis.IntegerScalar, bytes_per_row: int) -> bool:
    """Whether ``rows`` rows (executed on DuckDB only) taking ``bytes_per_row`` each while computed would
    exceed DuckDB's memory limit in one pass, so that :func:`cache_in_parts` computes them in parts.
    False on Spark, which spills its windows itself."""
    con = rows._find_backend(use_default=True)
    return backend_name(con) == "duckdb" and parts_needed(con, int(rows.execute()), bytes_per_row) > 1


def parts_needed(con: ibis.BaseBackend, rows: int, bytes_per_row: int) -> int:
    """How many parts of the users :func:`cache_in_parts` computes ``rows`` rows in on this DuckDB connection (1:
    one pass): their memory, ``rows × bytes_per_row``, over DuckDB's memory limit, rounded up."""
    return max(1, math.ceil(rows * bytes_per_row / _memory_limit(con)))


def _memory_limit(con: ibis.BaseBackend) -> int:
    """DuckDB's memory limit in bytes (``engine.memory_limit``, else DuckDB's default of 80% of RAM)."""
    number, unit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0].split()  # '13.0 GiB'
    return int(float(number) * 1024 ** _BINARY_UNITS.index(unit))


#: DuckDB's units of memory, by power of 1024.
_BINARY_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")

#: The catalog name of the file :func:`cache_in_parts` writes to, attached once per connection.
SPILL_CATALOG = "uem_spill"


def _spill_database(con: ibis.BaseBackend) -> str:
    """Attach (once) a new DuckDB file in the spill folder as :data:`SPILL_CATALOG`; deleted at exit."""
    if SPILL_CATALOG not in con.list_catalogs():
        folder, database = con.raw_sql("SELECT current_setting('temp_directory'), (SELECT path FROM duckdb_databases() "
                                       "WHERE database_name = current_database())").fetchone()
        # DuckDB's defaults when engine.temp_directory is unset: '.tmp' in the working folder (in memory) or
        # '<database>.tmp'; the system's temporary folder then, not a folder beside the notebooks
        unset = not folder or folder in (".tmp", f"{database}.tmp")
        folder = Path(tempfile.gettempdir()) if unset else Path(folder)
        path = folder / f"uem-parts-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
        literal = str(path).replace("'", "''")
        try:
            con.raw_sql(f"ATTACH '{literal}' AS {SPILL_CATALOG} (READ_WRITE)")  # also from a read-only database
        except Exception as error:  # duckdb.IOException: a folder that cannot take the file
            raise EnvironmentFault(str(path), "creating the spill file for a table computed in parts,",
                                   str(error).splitlines()[0], "set engine.temp_directory to a folder with room for "
                                   "a copy of the table (a few GB for 100M events)") from None
        atexit.register(_remove_spill_file, weakref.ref(con), path)
    return SPILL_CATALOG


def _drop_table(ref: weakref.ref, name: str, database: tuple[str, str]) -> None:
    """Drop a table of the spill file once nothing refers to it (quietly: the process may be ending)."""
    con = ref()
    if con is not None:
        with contextlib.suppress(Exception):
            con.drop_table(name, database=database, force=True)


def _remove_spill_file(ref: weakref.ref, path: Path) -> None:
    """Detach the spill file and delete it, with its write-ahead log."""
    con = ref()
    if con is not None:
        with contextlib.suppress(Exception):
            con.raw_sql(f"DETACH {SPILL_CATALOG}")
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def backend_name(con: ibis.BaseBackend) -> str:
    """``"duckdb"`` or ``"pyspark"``: the name Ibis gives the backend."""
    return con.name


def spark_instants(con: ibis.BaseBackend, table: ibis.Table) -> ibis.Table:
    """Mark Spark ``TimestampType`` columns (instants) as UTC-aware, so they are converted and not read as local.

    Ibis 12 maps both Spark ``TimestampType`` (an instant, shown in the session
    zone, UTC here) and ``TimestampNTZType`` (wall clock) to a naive timestamp;
    the Spark schema tells them apart.
    """
    if backend_name(con) != "pyspark":
        return table
    from pyspark.sql.types import TimestampType

    spark_schema = con._session.table(table.get_name()).schema
    instants = [f.name for f in spark_schema.fields if isinstance(f.dataType, TimestampType)]
    return table.mutate(**{c: table[c].cast(ibis.dtype("timestamp('UTC')")) for c in instants})
