"""When a run starts its own Spark Connect server (the server itself: tests/spark_reports/test_server.py)."""

from __future__ import annotations

from uem_helpers.core.config import EngineConfig
from uem_helpers.data.spark_server import SPARK_REMOTE_VARIABLE, _why, needs_server, shared_spark


def test_only_a_spark_run_without_a_server_of_its_own_starts_one(monkeypatch):
    monkeypatch.delenv(SPARK_REMOTE_VARIABLE, raising=False)
    assert needs_server(EngineConfig(backend="spark"))
    assert not needs_server(EngineConfig(backend="duckdb"))
    assert not needs_server(EngineConfig(backend="spark", spark_remote="sc://cluster:15002"))
    monkeypatch.setenv(SPARK_REMOTE_VARIABLE, "sc://localhost:15002")  # handed down by the run
    assert not needs_server(EngineConfig(backend="spark"))


def test_nothing_is_started_for_duckdb():
    with shared_spark(EngineConfig()) as url:
        assert url is None


def test_the_reason_skips_javas_stack_frames():
    log = ("INFO starting\nWARN Utils: hostname\nException in thread \"main\" SparkException: bad master\n"
           "\tat org.apache.spark.deploy.SparkSubmit.main(SparkSubmit.scala)\n   at x.y(z)\n")
    assert _why(log) == ['Exception in thread "main" SparkException: bad master']
    assert _why("INFO a\nINFO b\n") == ["INFO a", "INFO b"]
