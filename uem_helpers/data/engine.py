"""The engine edge: which Ibis backend runs the workbench's expressions.

Embedded DuckDB is the default. ``engine: {backend: spark}`` in the config
runs the same expressions on Spark through Ibis's PySpark backend (local mode
unless ``spark_master`` says otherwise; Spark needs Java 17).

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
        return row_guard.from_env(_spark_backend(engine.spark_master, tuple(sorted(engine.spark_conf.items()))))
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
def _spark_backend(master: str, conf: tuple[tuple[str, str], ...]) -> ibis.BaseBackend:
    """One Spark session per process: starting Spark takes seconds and much memory."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError(
            "engine.backend", "spark", "pyspark is not installed; run: pip install 'uem-workbench[spark]'"
        ) from None
    # Python workers must be this interpreter: the system python may lack pandas and pyarrow.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = (
        SparkSession.builder.master(master)
        .appName("uem-workbench")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        # Managed tables would land in ./spark-warehouse of whatever folder we run in.
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="uem-spark-warehouse-"))
    )
    for key, value in conf:
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def backend_name(con: ibis.BaseBackend) -> str:
    """``"duckdb"`` or ``"pyspark"``: the name Ibis gives the backend."""
    return con.name
