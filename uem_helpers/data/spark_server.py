"""One Spark for a whole run: a Spark Connect server started once, shared by every notebook.

Each notebook of ``uem report`` runs in its own kernel, and a kernel that starts Spark itself
starts a JVM (about 15 s on a small machine, and 2 GB of memory each). With ``engine: {backend:
spark}`` and no ``spark_remote`` in the config, the run instead starts one Spark Connect server
(``spark-submit`` of Spark's ``SparkConnectServer``, with the config's ``spark_master`` and
``spark_conf``), hands its address to every kernel in the environment variable
:data:`SPARK_REMOTE_VARIABLE`, and stops it when the run ends; a kernel then connects in about
two seconds (:func:`uem_helpers.data.engine.connect`). Each kernel has its own Spark session on
the server, so its tables and cached frames are its own.

With ``spark_remote: sc://host:15002`` the config names a server that is already running (e.g.
on a cluster), and nothing is started here.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from uem_helpers.core.config import EngineConfig
from uem_helpers.core.errors import EnvironmentFault

#: The environment variable through which a run hands its Spark Connect server to the notebook kernels.
SPARK_REMOTE_VARIABLE = "UEM_SPARK_REMOTE"
#: How long a server may take to start listening before the run gives up on it.
START_TIMEOUT_S = 180.0
_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_settings(conf: dict[str, str] | tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The Spark settings every session of the workbench runs with, then the config's ``spark_conf``.

    Timestamps are naive wall-clock times (the sources module converts them once), so Spark runs
    in UTC and neither shifts nor re-interprets them.
    """
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "2g",
        # Managed tables would land in ./spark-warehouse of whatever folder we run in.
        "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="uem-spark-warehouse-"),
    }
    settings.update(dict(conf))
    return settings


#: While this process's own server runs: what to call before it stops (the sessions opened on it here).
_before_stop: list[Callable[[], object]] | None = None


def release_at_end(release: Callable[[], object]) -> None:
    """Have ``release`` (a Spark Connect session's ``stop``) called before the server goes away.

    Before this process's own server stops (a session left open would retry a stopped server for
    minutes at exit), or at exit when the server is another process's (a notebook kernel of the run).
    """
    if _before_stop is not None:
        _before_stop.append(release)
    else:
        atexit.register(release)


def needs_server(engine: EngineConfig) -> bool:
    """Whether a run on ``engine`` starts its own server: Spark, no ``spark_remote``, none handed down."""
    return engine.backend == "spark" and not engine.spark_remote and not os.environ.get(SPARK_REMOTE_VARIABLE)


@contextmanager
def shared_spark(engine: EngineConfig) -> Iterator[str | None]:
    """For a run on ``backend: spark``: a Spark Connect server for its notebooks, stopped at the end.

    Yields the server's address (also in :data:`SPARK_REMOTE_VARIABLE` for the kernels while the
    run lasts), or None when there is nothing to start: another backend, a ``spark_remote`` in the
    config, or a server already handed down by an enclosing run.

    Raises
    ------
    EnvironmentFault
        pyspark is not installed, or the server did not start (the last lines of its log say why).
    """
    if not needs_server(engine):
        yield None
        return
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="uem-spark-connect-", suffix=".log", delete=False)
    server = subprocess.Popen(_command(engine, port), stdout=log, stderr=subprocess.STDOUT,
                              env=_server_environment(), start_new_session=True)
    global _before_stop
    _before_stop = []
    try:
        _wait_until_listening(server, port, Path(log.name))
        os.environ[SPARK_REMOTE_VARIABLE] = f"sc://localhost:{port}"
        yield os.environ[SPARK_REMOTE_VARIABLE]
    finally:
        os.environ.pop(SPARK_REMOTE_VARIABLE, None)
        releases, _before_stop = _before_stop, None
        for release in releases:
            release()
        _stop(server)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _command(engine: EngineConfig, port: int) -> list[str]:
    """``spark-submit`` of the Connect server on ``port``, with the engine's master and settings."""
    settings = spark_settings(tuple(sorted(engine.spark_conf.items())))
    settings["spark.connect.grpc.binding.port"] = str(port)
    settings["spark.connect.grpc.binding.address"] = "localhost"
    command = [str(_spark_home() / "bin" / "spark-submit"), "--class", _SERVER_CLASS, "--master", engine.spark_master]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    return command + ["spark-internal"]


def _spark_home() -> Path:
    try:
        import pyspark
    except ImportError:  # pragma: no cover - depends on the install
        raise EnvironmentFault(None, "starting Spark for engine.backend: spark", "pyspark is not installed",
                               "Run: pip install 'uem-workbench[spark]'") from None
    return Path(pyspark.__file__).parent


def _server_environment() -> dict[str, str]:
    """The server's environment: this interpreter for Python workers (the system one may lack pandas)."""
    return {**os.environ, "SPARK_HOME": str(_spark_home()), "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _wait_until_listening(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex(("localhost", port)) == 0:
                return
        time.sleep(0.5)
    tail = _why(log.read_text(encoding="utf-8", errors="replace"))
    exited = server.poll() is not None
    _stop(server)
    raise EnvironmentFault(
        None, "starting the Spark Connect server for this run",
        ("it exited" if exited else f"it was not listening after {START_TIMEOUT_S:.0f} s")
        + "; its log says:\n  " + "\n  ".join(tail or ["(empty)"]),
        "Check that Java 17 is installed (`java -version`) and the config's engine.spark_master and engine.spark_conf.",
    )


def _why(log: str, lines: int = 4) -> list[str]:
    """The log's last lines that say something: errors and warnings, without Java's stack frames."""
    told = [line.strip() for line in log.splitlines()
            if line.strip() and not line.lstrip().startswith(("at ", "... ")) and not line.startswith("\t")]
    errors = [line for line in told if "Exception" in line or "Error" in line or " ERROR " in line]
    return (errors or told)[-lines:]


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and its JVM (a process group of their own)."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait()
