"""DuckDB and Spark give identical canonical tables, errors and warnings through load() and from_frames()."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ContractErrors
from uem_helpers.data.sources import from_frames, load

pytestmark = pytest.mark.spark

EVENTS = pd.DataFrame({
    "uid": ["007", "007", "123456789012345678", "u3", "u3"],
    "ts": ["2026-03-28 12:00:00", "2026-03-29 03:30:00", "2026/10/25 03:30", "2026-06-01T08:00:00", "2026-06-01T07:00:00"],
    "name": ["开户开始", "b", "b", "c", "c"],
})


USERS = pd.DataFrame({"user_id": ["007", "u3", "u9"], "signup_at": ["2026-03-29 00:00:00", "2026-01-01 00:00:00", "2026-01-01 00:00:00"]})


def canonical(ds, name: str) -> pd.DataFrame:
    return ds[name].execute().sort_values(list(ds[name].columns)).reset_index(drop=True)


def per_event(ds) -> pd.DataFrame:
    """A small query of the kind analyses run: users, events and first time per event."""
    t = ds["events"]
    agg = t.group_by("event").agg(users=t.user_id.nunique(), n=t.count(), first=t.timestamp.min())
    return agg.order_by("event").execute()


def test_from_frames_gives_identical_tables_warnings_and_queries(duckdb_con, spark_con):
    kwargs = dict(
        timezone="Europe/Berlin",
        columns={"events": {"uid": "user_id", "ts": "timestamp", "name": "event"}},
        event_names={"开户开始": "open_start"},
    )
    events = pd.concat([EVENTS, EVENTS.iloc[[1]]])  # one duplicate event of user 007
    results = {}
    for backend, con in (("duckdb", duckdb_con), ("spark", spark_con)):
        ds = from_frames({"events": events, "users": USERS}, con=con, **kwargs)
        results[backend] = (canonical(ds, "events"), per_event(ds), [(w.problem, w.n, w.examples) for w in ds.warnings])
    duck, spark = results["duckdb"], results["spark"]
    pd.testing.assert_frame_equal(duck[0], spark[0], check_dtype=False)
    pd.testing.assert_frame_equal(duck[1], spark[1], check_dtype=False)
    assert duck[2] == spark[2] == [
        ("duplicate events (same user, timestamp and event)", 1, ["007"]),
        ("events earlier than the user's previous event in the source's row order", 1, ["u3"]),
        ("users with no events", 1, ["u9"]),
        ("events before the user's signup_at", 1, ["007"]),  # 2026-03-28 12:00, signed up 2026-03-29
    ]
    assert duck[0]["user_id"].tolist()[:2] == ["007", "007"]
    assert sorted(duck[1]["event"]) == ["b", "c", "open_start"]


def test_epoch_and_offset_times_are_identical(duckdb_con, spark_con):
    events = pd.DataFrame({"user_id": ["a", "b"], "timestamp": [1772330400000, 1772330400500], "event": ["x", "x"]})
    offsets = events.assign(timestamp=["2026-03-01T02:00:00Z", "2026-03-01 03:00:00+01:00"])
    for frame, expected in ((events, ["2026-03-01 10:00:00", "2026-03-01 10:00:00.5"]), (offsets, ["2026-03-01 10:00:00"] * 2)):
        for con in (duckdb_con, spark_con):
            got = from_frames({"events": frame}, con=con)["events"].order_by("user_id").timestamp.execute()
            assert got.tolist() == [pd.Timestamp(t) for t in expected]


EXPECTED = [
    "table 'nps', column 'user_id': has missing values (blank, null, NA) (1 row); e.g. 'NA'",
    "table 'nps', column 'answered_at': has local times that do not exist in Europe/Berlin (skipped by a "
    "daylight-saving change) (1 row); e.g. '2026-03-29 02:30:00'",
    "table 'nps', column 'score': has missing values (blank, null, NA) (1 row); e.g. ''",
    "table 'nps', column 'score': is not a number (1 row); e.g. '10分'",
    "table 'nps', column 'score': has values outside the range 0-10 (1 row); e.g. 11",
    "table 'nps', column 'response_id': has duplicate ids (1 ids repeated) (2 rows); e.g. 'r1'",
]


def test_contract_errors_are_identical(duckdb_con, spark_con):
    nps = pd.DataFrame({
        "response_id": ["r1", "r1", "r3", "r4"], "user_id": ["u1", "u2", "NA", "u4"],
        "answered_at": ["2026-03-29 02:30:00", "2026-03-01 10:00:00", "2026-03-01 10:00:00", "2026-03-01 10:00:00"],
        "score": ["10分", "11", "3", ""],
    })
    events = EVENTS.rename(columns={"uid": "user_id", "ts": "timestamp", "name": "event"})
    messages = {}
    for backend, con in (("duckdb", duckdb_con), ("spark", spark_con)):
        with pytest.raises(ContractErrors) as info:
            from_frames({"events": events, "nps": nps}, timezone="Europe/Berlin", con=con)
        messages[backend] = [e.args[0] for e in info.value.errors]
    assert messages["duckdb"] == messages["spark"]
    assert messages["spark"] == EXPECTED


def test_load_csv_and_parquet_identical(tmp_path: Path, duckdb_con, spark_con):
    rows = ('编号,时间,渠道,内容\nf1,2026-03-01 09:00:00,app,"物流太慢了,\n客服说""再等等"""\n'
            "f2,2026-03-02 09:00:00,web,𠮷野家 €5\n")
    (tmp_path / "feedback.csv").write_bytes(rows.encode("gb18030"))
    EVENTS.to_parquet(tmp_path / "events.parquet")
    cfg = config_from_dict({"sources": {
        "events": {"path": "events.parquet", "timezone": "Europe/Berlin",
                   "columns": {"uid": "user_id", "ts": "timestamp", "name": "event"}},
        "feedback": {"path": "feedback.csv",
                     "columns": {"编号": "feedback_id", "时间": "created_at", "渠道": "channel", "内容": "text"}},
    }}, base_dir=tmp_path)
    duck, spark = load(cfg, con=duckdb_con), load(cfg, con=spark_con)
    for name in ("events", "feedback"):
        pd.testing.assert_frame_equal(canonical(duck, name), canonical(spark, name), check_dtype=False)
    assert canonical(spark, "feedback")["text"].tolist() == ['物流太慢了,\n客服说"再等等"', "𠮷野家 €5"]
    # The one difference: DuckDB numbers a single Parquet file's rows, so only there the source order
    # is known and the out-of-order warning can be computed (u3's 07:00 event after its 08:00 one).
    assert [w.n for w in duck.warnings] == [1] and spark.warnings == []
    pd.testing.assert_frame_equal(duck.summary().drop(columns="warnings"), spark.summary().drop(columns="warnings"),
                                  check_dtype=False)
    assert duck.fingerprint() == spark.fingerprint()


def test_parquet_and_frame_times_with_and_without_zone_are_identical(tmp_path: Path, duckdb_con, spark_con):
    aware = pd.DataFrame({"user_id": ["u1"], "timestamp": [pd.Timestamp("2026-03-01 02:00:00", tz="UTC")], "event": ["a"]})
    naive = aware.assign(timestamp=[pd.Timestamp("2026-03-01 10:00:00")])
    aware.to_parquet(tmp_path / "aware.parquet")
    naive.to_parquet(tmp_path / "naive.parquet")
    expected = [pd.Timestamp("2026-03-01 10:00:00")]
    for con in (duckdb_con, spark_con):
        for name in ("aware", "naive"):
            ds = load(config_from_dict({"sources": {"events": {"path": f"{name}.parquet"}}}, base_dir=tmp_path), con=con)
            assert ds["events"].timestamp.execute().tolist() == expected, (con.name, name)
        for frame in (aware, naive):
            assert from_frames({"events": frame}, con=con)["events"].timestamp.execute().tolist() == expected


def test_duckdb_file_source_is_identical(tmp_path: Path, duckdb_con, spark_con):
    db = duckdb.connect(str(tmp_path / "shop.duckdb"))
    db.execute("CREATE TABLE ev AS SELECT * FROM (VALUES ('007', TIMESTAMP '2026-03-01 10:00:00', 'a'), "
               "('8', TIMESTAMP '2026-03-02 10:00:00', 'b')) t(user_id, timestamp, event)")
    db.close()
    cfg = config_from_dict({"sources": {"events": {"path": "shop.duckdb", "table": "ev"}}}, base_dir=tmp_path)
    duck, spark = canonical(load(cfg, con=duckdb_con), "events"), canonical(load(cfg, con=spark_con), "events")
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
    assert duck["user_id"].tolist() == ["007", "8"]


def test_an_expression_holding_an_in_memory_table_caches_on_spark(spark_con):
    # ibis 12's PySpark backend compiled a cached expression without registering its in-memory tables
    # (TABLE_OR_VIEW_NOT_FOUND); the engine's backend registers them first (engine._pyspark_backend)
    import ibis

    base = from_frames({"events": EVENTS.rename(columns={"uid": "user_id", "ts": "timestamp", "name": "event"})},
                       con=spark_con, validate=False)["events"]
    extra = ibis.memtable(pd.DataFrame({"user_id": ["u3"], "flag": [1]}))
    joined = base.left_join(extra, "user_id").select("user_id", "event", "flag")
    with joined.cache() as cached:
        flags = cached.execute().sort_values(["user_id", "event"])["flag"].fillna(0).tolist()
    assert flags == [0, 0, 0, 1, 1]
