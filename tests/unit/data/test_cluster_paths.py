"""Sources named by URL (s3a://, hdfs://, ...) go to Spark's reader as they are; ``file://`` stands in for the cluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import SourceError
from uem_helpers.data.cluster_paths import is_url
from uem_helpers.data.sources import load

EVENTS = pd.DataFrame({
    "user_id": ["u1", "u1", "u2"],
    "timestamp": pd.to_datetime(["2026-03-01 08:00:00", "2026-03-01 08:05:00", "2026-03-02 09:00:00"]).tz_localize("UTC"),
    "event": ["app_open", "search", "app_open"],
})
FEEDBACK = pd.DataFrame({
    "feedback_id": ["f1", "f2"], "user_id": ["u1", "u2"],
    "created_at": ["2026-03-01 10:00:00", "2026-03-02 11:00:00"],
    "channel": ["app", "app"], "text": ["支付失败，请联系我 13800138000", "物流太慢"],
})


def _config(tmp_path: Path, sources: dict, backend: str = "duckdb"):
    return config_from_dict({"sources": sources, "engine": {"backend": backend}}, base_dir=tmp_path)


def _canonical(ds, name: str) -> pd.DataFrame:
    return ds[name].execute().sort_values(list(ds[name].columns)).reset_index(drop=True)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    EVENTS.to_parquet(tmp_path / "events.parquet")
    FEEDBACK.to_csv(tmp_path / "feedback.csv", index=False, encoding="gbk")
    return tmp_path


def test_urls_are_told_from_local_paths():
    assert is_url("s3a://bucket/events/") and is_url("hdfs://nn:8020/uem/events.parquet") and is_url("file:///data/x.csv")
    assert not is_url("data/events.parquet") and not is_url("/data/events.parquet") and not is_url(r"C:\data\x.csv")
    assert not is_url(None)


def test_duckdb_says_a_cluster_path_needs_spark(tmp_path: Path):
    with pytest.raises(SourceError) as error:
        load(_config(tmp_path, {"events": {"path": "s3a://bucket/uem/events.parquet"}}))
    message = str(error.value)
    assert "table 'events'" in message and "s3a://bucket/uem/events.parquet" in message
    assert "only Spark reads" in message and "engine.backend: spark" in message


@pytest.mark.spark
def test_a_url_on_spark_gives_the_tables_of_the_local_path(files: Path, spark_con):
    local = load(_config(files, {"events": {"path": "events.parquet"}, "feedback": {"path": "feedback.csv"}}))
    remote = load(_config(files, {"events": {"path": (files / "events.parquet").as_uri()},
                                  "feedback": {"path": (files / "feedback.csv").as_uri(), "encoding": "gbk"}}, "spark"),
                  con=spark_con)
    for name in ("events", "feedback"):
        pd.testing.assert_frame_equal(_canonical(local, name), _canonical(remote, name), check_dtype=False)
    assert _canonical(remote, "feedback")["text"].tolist()[0] == "支付失败，请联系我 13800138000"
    assert {"url": (files / "events.parquet").as_uri()} in [f for i in remote.inputs for f in i.get("files", [])]


@pytest.mark.spark
@pytest.mark.parametrize(
    ("table", "path", "expected"),
    [
        ("feedback", "feedback.csv", "cannot be detected on a cluster path; set sources.feedback.encoding"),
        ("events", "folder/", "cannot tell the format of"),
        ("events", "missing.parquet", "Spark cannot read"),
    ],
    ids=["csv-encoding-auto", "no-suffix", "missing"],
)
def test_what_spark_cannot_do_with_a_url_is_said(files: Path, spark_con, table, path, expected):
    url = files.as_uri() + "/" + path
    sources = {"events": {"path": "events.parquet"}, table: {"path": url}}
    with pytest.raises(SourceError) as error:
        load(_config(files, sources, "spark"), con=spark_con)
    assert expected in str(error.value) and url in str(error.value)
    assert "\tat " not in str(error.value)  # no Java stack
