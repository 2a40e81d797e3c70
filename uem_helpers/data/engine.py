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

import os
import sys
import tempfile
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
        return _connect_backend().connect(session)
    # Python workers must be this interpreter: the system python may lack pandas and pyarrow.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(master).appName("uem-workbench")
    for key, value in spark_settings(conf).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def _connect_backend() -> ibis.BaseBackend:
    """Ibis's PySpark backend for a Spark Connect session, with ``Table.cache()`` that works there.

    Ibis 12's PySpark backend caches a table with ``session.sql(query).cache()`` followed by
    ``assert t.is_cached``, and uncaches with ``assert not t.is_cached``. A Spark Connect
    DataFrame persists on ``cache()`` but does not set ``is_cached``, so every ``.cache()`` (the
    sessions, the carts, the funnel's step events) fails there with a bare AssertionError
    (upstream bug in ibis ``backends/pyspark/__init__.py``). This subclass does the same
    persist-and-temp-view without the asserts.
    """
    ibis.load_backend("pyspark")  # registers ibis.options.pyspark, which the backend reads
    from ibis.backends.pyspark import Backend

    class ConnectBackend(Backend):
        def _create_cached_table(self, name, expr):
            frame = self._session.sql(self.compile(expr)).cache()
            frame.createTempView(name)
            self._cached_dataframes[name] = frame  # released by _drop_cached_table, not at session end
            return self.table(name)

        def _drop_cached_table(self, name):
            self._session.catalog.dropTempView(name)
            self._cached_dataframes.pop(name).unpersist()

    return ConnectBackend()


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
