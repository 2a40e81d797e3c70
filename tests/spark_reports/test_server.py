"""A run on Spark starts one Spark Connect server for all its notebooks and stops it (`make test-spark`)."""

from __future__ import annotations

import os
import socket

import pytest

from uem_helpers.core.config import EngineConfig
from uem_helpers.core.errors import EnvironmentFault
from uem_helpers.data.engine import connect
from uem_helpers.data.spark_server import SPARK_REMOTE_VARIABLE, shared_spark


def _listening(url: str) -> bool:
    host, port = url.removeprefix("sc://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


def test_the_server_serves_this_process_and_the_kernels_then_stops():
    engine = EngineConfig(backend="spark")
    with shared_spark(engine) as url:
        assert url and os.environ[SPARK_REMOTE_VARIABLE] == url and _listening(url)
        con = connect(engine)
        assert type(con._session).__module__.startswith("pyspark.sql.connect")  # a client, not a JVM here
        assert con.sql("SELECT 41 + 1 AS answer").execute()["answer"].tolist() == [42]
        _cache_and_release(con)
    assert SPARK_REMOTE_VARIABLE not in os.environ and not _listening(url)


def _cache_and_release(con) -> None:
    """``Table.cache()`` persists on the server and releases (Ibis's own version asserts and fails there)."""
    numbers = con.sql("SELECT * FROM VALUES (1), (2), (3) AS numbers(n)")
    cached = numbers.mutate(m=numbers.n * 2).cache()
    assert cached.m.sum().execute() == 12
    name = cached.get_name()
    assert name in con._cached_dataframes
    cached.release()
    assert name not in con._cached_dataframes and name not in con.list_tables()


def test_a_server_that_cannot_start_says_what_spark_said():
    with pytest.raises(EnvironmentFault) as error:
        with shared_spark(EngineConfig(backend="spark", spark_master="nowhere://x")):
            pass
    message = str(error.value)
    assert "Spark Connect server" in message and "Master must" in message and "engine.spark_master" in message
    assert "\tat org.apache" not in message and "at org.apache" not in message  # no Java stack
    assert SPARK_REMOTE_VARIABLE not in os.environ
