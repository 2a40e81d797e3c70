"""Sources -> canonical tables: files, encodings, ids, timestamps, and the errors a user reads."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigError, ContractError, ContractErrors, EncodingError, MissingTableError, SourceError
from uem_helpers.data.sources import from_frames, load


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def config(tmp_path: Path, timezone: str = "Asia/Shanghai", **sources) -> object:
    return config_from_dict({"timezone": timezone, "sources": sources}, base_dir=tmp_path)


EVENTS_CSV = "user_id,timestamp,event\nu1,2026-03-01 10:00:00,app_open\nu2,2026-03-01 11:00:00,app_open\n"


def events_source(tmp_path: Path) -> dict:
    return {"path": str(write(tmp_path / "events.csv", EVENTS_CSV))}


def frames_events(**cols) -> pd.DataFrame:
    base = {"user_id": ["u1", "u2"], "timestamp": ["2026-03-01 10:00:00", "2026-03-01 11:00:00"], "event": ["a", "b"]}
    return pd.DataFrame({**base, **cols})


def problems(exc: ContractErrors) -> list[str]:
    return [e.args[0] for e in exc.errors]


# --------------------------------------------------------------------------- encodings

FEEDBACK_TEXT = ["物流太慢了", "𠮷野家的优惠券 €5 用不了", "客服回复很快"]


def feedback_csv(path: Path, encoding: str, texts=FEEDBACK_TEXT) -> Path:
    rows = "".join(f"f{i},2026-03-0{i + 1} 09:00:00,app,{t}\n" for i, t in enumerate(texts))
    return write(path, "编号,时间,渠道,内容\n" + rows, encoding)


FEEDBACK_MAP = {"编号": "feedback_id", "时间": "created_at", "渠道": "channel", "内容": "text"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_loads_in_every_supported_encoding_with_chinese_headers_and_gb18030_only_characters(tmp_path, encoding):
    path = feedback_csv(tmp_path / "feedback.csv", encoding)
    cfg = config(tmp_path, events=events_source(tmp_path), feedback={"path": str(path), "columns": FEEDBACK_MAP})
    ds = load(cfg)
    got = ds["feedback"].order_by("feedback_id").execute()
    assert got["text"].tolist() == FEEDBACK_TEXT
    assert got["feedback_id"].tolist() == ["f0", "f1", "f2"]


def test_gbk_file_loads_and_utf8_text_is_not_read_as_gbk_mojibake(tmp_path):
    gbk = feedback_csv(tmp_path / "gbk.csv", "gbk", ["用户反馈", "发货慢"])
    utf8 = feedback_csv(tmp_path / "utf8.csv", "utf-8", ["用户反馈", "发货慢"])
    for path in (gbk, utf8):
        cfg = config(tmp_path, events=events_source(tmp_path), feedback={"path": str(path), "columns": FEEDBACK_MAP})
        texts = load(cfg)["feedback"].order_by("feedback_id").text.execute().tolist()
        assert texts == ["用户反馈", "发货慢"]  # not 鐢ㄦ埛鍙嶉 (UTF-8 bytes decoded as GBK)


def test_transcoded_copy_is_written_once_to_the_cache_and_reused(tmp_path):
    path = feedback_csv(tmp_path / "feedback.csv", "gbk", ["用户"])
    cfg = config(tmp_path, events=events_source(tmp_path), feedback={"path": str(path), "columns": FEEDBACK_MAP})
    load(cfg)
    cached = list((tmp_path / "data" / "cache").iterdir())
    assert len(cached) == 1 and cached[0].read_text(encoding="utf-8").startswith("编号,时间")
    first_mtime = cached[0].stat().st_mtime_ns
    load(cfg)
    assert list((tmp_path / "data" / "cache").iterdir()) == cached
    assert cached[0].stat().st_mtime_ns == first_mtime
    feedback_csv(path, "gbk", ["新版"])  # a new version of the file replaces the old copy
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load(cfg)["feedback"].text.execute().tolist() == ["新版"]
    (copy,) = (tmp_path / "data" / "cache").iterdir()
    assert copy != cached[0]


def test_undecodable_file_raises_encoding_error_with_path_offset_and_encodings(tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_bytes("编号,时间\n".encode() + b"f1,\xff\xff\n")
    cfg = config(tmp_path, events=events_source(tmp_path), feedback={"path": str(path)})
    with pytest.raises(EncodingError) as info:
        load(cfg)
    prefix = len("编号,时间\nf1,".encode())  # the first \xff (UTF-8 and GB18030 both reject it)
    assert info.value.offset == prefix
    assert info.value.tried == ["utf-8", "gb18030"]
    assert str(path) in str(info.value) and f"byte offset {prefix}" in str(info.value)


def test_forced_encoding_is_the_only_one_tried(tmp_path):
    path = feedback_csv(tmp_path / "feedback.csv", "gb18030", ["𠮷"])  # 𠮷 is not in GBK
    cfg = config(tmp_path, events=events_source(tmp_path),
                 feedback={"path": str(path), "encoding": "gbk", "columns": FEEDBACK_MAP})
    with pytest.raises(EncodingError) as info:
        load(cfg)
    assert info.value.tried == ["gbk"]


# --------------------------------------------------------------------------- paths, mapping, required columns

def test_missing_path_and_empty_glob_raise_source_error_naming_table_and_path(tmp_path):
    cfg = config(tmp_path, events={"path": "nowhere/events.parquet"})
    with pytest.raises(SourceError, match=r"table 'events': no parquet file at .*nowhere/events.parquet"):
        load(cfg)
    cfg = config(tmp_path, events={"path": "logs/*.csv"})
    with pytest.raises(SourceError, match=r"table 'events': no csv file at .*logs/\*\.csv"):
        load(cfg)


def test_mapping_a_column_the_source_lacks_names_it_and_the_columns_present(tmp_path):
    cfg = config(tmp_path, events={**events_source(tmp_path), "columns": {"uid": "user_id"}})
    with pytest.raises(ContractErrors) as info:
        load(cfg)
    assert problems(info.value) == [
        "table 'events', column 'uid': the config maps column 'uid' to 'user_id', but the source has no such "
        "column; columns present: user_id, timestamp, event"
    ]


def test_missing_required_column_lists_the_columns_present(tmp_path):
    path = write(tmp_path / "events.csv", "uid,ts,event\nu1,2026-03-01 10:00:00,a\n")
    with pytest.raises(ContractErrors) as info:
        load(config(tmp_path, events={"path": str(path)}))
    message = problems(info.value)[0]
    assert message.startswith("table 'events', column 'user_id': required column(s) user_id, timestamp missing")
    assert "columns present: uid, ts, event" in message


def test_empty_table_is_a_contract_error(tmp_path):
    path = write(tmp_path / "events.csv", "user_id,timestamp,event\n")
    with pytest.raises(ContractErrors, match=r"table 'events': the table is empty"):
        load(config(tmp_path, events={"path": str(path)}))


def test_column_and_event_names_are_mapped_from_the_config(tmp_path):
    path = write(tmp_path / "events.csv", "uid,ts,name,城市\n7,2026-03-01 10:00:00,开户开始,上海\n")
    cfg = config(tmp_path, events={"path": str(path), "columns": {"uid": "user_id", "ts": "timestamp", "name": "event"},
                                   "event_names": {"开户开始": "open_start"}})
    row = load(cfg)["events"].execute().iloc[0]
    assert (row["user_id"], row["event"], row["城市"]) == ("7", "open_start", "上海")


def test_unconfigured_table_is_left_out_and_explained_when_needed(tmp_path):
    cfg = config(tmp_path, events=events_source(tmp_path))
    asked = load(cfg, tables=["events", "nps"])  # a notebook asks for what it can use
    assert asked.has("events") and not asked.has("nps")
    with pytest.raises(MissingTableError, match="No 'nps' table is configured, so the NPS detail is skipped"):
        asked.require("nps", "the NPS detail")
    ds = load(cfg)
    assert not ds.has("nps") and ds.has("events")
    with pytest.raises(MissingTableError, match="No 'carts' table is configured, so the cart analysis is skipped"):
        ds.require("carts", "the cart analysis")
    with pytest.raises(MissingTableError, match="so this analysis is skipped"):
        ds["users"]


def test_unknown_frame_table_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown table; tables are: events, users"):
        from_frames({"clicks": frames_events()})


# --------------------------------------------------------------------------- ids

def test_ids_keep_leading_zeros_and_17_plus_digits_and_a_blank_does_not_make_them_floats(tmp_path):
    path = write(
        tmp_path / "carts.csv",
        "cart_id,user_id,created_at,cart_value\n"
        "c1,00123,2026-03-01 10:00:00,99.5\n"
        "c2,123456789012345678,2026-03-01 10:00:00,100\n"
        "c3,9007199254740993,2026-03-01 10:00:00,1\n",
    )
    feedback = write(tmp_path / "feedback.csv", "feedback_id,created_at,channel,text,user_id\n"
                     "f1,2026-03-01 10:00:00,app,ok,00123\nf2,2026-03-01 10:00:00,app,ok,\n")
    sources = {"events": events_source(tmp_path), "carts": {"path": str(path)}, "feedback": {"path": str(feedback)}}
    # these users have no events: the id-overlap check is switched off to look at the ids alone
    ds = load(config_from_dict({"sources": sources, "validate": {"min_id_overlap": 0}}, base_dir=tmp_path))
    carts = ds["carts"].order_by("cart_id").execute()
    assert carts["user_id"].tolist() == ["00123", "123456789012345678", "9007199254740993"]
    assert carts["cart_value"].tolist() == [99.5, 100.0, 1.0]
    assert ds["feedback"].order_by("feedback_id").user_id.execute().tolist()[0] == "00123"
    assert ds["feedback"].user_id.isnull().sum().execute() == 1


def test_null_like_ids_are_counted_as_missing_not_merged_into_one_user(tmp_path):
    rows = "".join(f"{uid},2026-03-01 10:00:00,a\n" for uid in ["u1", "null", "None", "NA", "NaN", " "])
    path = write(tmp_path / "events.csv", "user_id,timestamp,event\n" + rows + ",2026-03-01 10:00:00,a\n")
    with pytest.raises(ContractErrors) as info:
        load(config(tmp_path, events={"path": str(path)}))
    (err,) = info.value.errors
    assert (err.table, err.column, err.n_bad) == ("events", "user_id", 6)
    assert "has missing values (blank, null, NA) (6 rows)" in str(info.value)
    assert err.examples == [" ", "NA", "NaN", "None", "null"]  # five distinct raw values, sorted


def test_duplicate_primary_ids_are_reported_with_counts(tmp_path):
    path = write(tmp_path / "carts.csv", "cart_id,user_id,created_at,cart_value\n"
                 "c1,u1,2026-03-01 10:00:00,1\nc1,u2,2026-03-01 10:00:00,2\nc1,u3,2026-03-01 10:00:00,3\n"
                 "c2,u1,2026-03-01 10:00:00,1\nc2,u1,2026-03-01 10:00:00,1\nc3,u1,2026-03-01 10:00:00,1\n")
    with pytest.raises(ContractErrors) as info:
        load(config(tmp_path, events=events_source(tmp_path), carts={"path": str(path)}))
    assert problems(info.value) == ["table 'carts', column 'cart_id': has duplicate ids (2 ids repeated) (5 rows); e.g. 'c1', 'c2'"]


def test_float_ids_from_pandas_become_exact_integer_strings_or_an_error():
    ok = from_frames({"events": frames_events(user_id=[12.0, float("nan")])}, validate=False)
    assert ok["events"].user_id.execute().tolist()[0] == "12"
    with pytest.raises(ContractErrors, match=r"column 'user_id': holds ids stored as floating point that are not exact"):
        from_frames({"events": frames_events(user_id=[1.5, 2.0])})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text("0123456789", min_size=1, max_size=25), min_size=1, max_size=5, unique=True))
def test_any_digit_string_id_survives_a_csv_load_exactly(tmp_path, ids):
    path = write(tmp_path / "events.csv", "user_id,timestamp,event\n" + "".join(f"{i},2026-03-01 10:00:00,a\n" for i in ids))
    got = load(config(tmp_path, events={"path": str(path)}))["events"].user_id.execute().tolist()
    assert sorted(got) == sorted(ids)


# --------------------------------------------------------------------------- numbers and NPS scores

def test_nps_scores_outside_0_10_with_units_or_blank_are_counted_never_coerced():
    nps = pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "user_id": ["u1"] * 6,
        "answered_at": ["2026-03-01 10:00:00"] * 6,
        "score": ["10", "10分", "11", "-1", "", "7.5"],
    })
    with pytest.raises(ContractErrors) as info:
        from_frames({"events": frames_events(), "nps": nps})
    assert problems(info.value) == [
        "table 'nps', column 'score': has missing values (blank, null, NA) (1 row); e.g. ''",
        "table 'nps', column 'score': is not a number (1 row); e.g. '10分'",
        "table 'nps', column 'score': is not a whole number (1 row); e.g. '7.5'",
        "table 'nps', column 'score': has values outside the range 0-10 (2 rows); e.g. 11, -1",
    ]


def test_negative_cart_value_is_a_range_error():
    carts = pd.DataFrame({"cart_id": ["c1", "c2"], "user_id": ["u1", "u2"],
                          "created_at": ["2026-03-01 10:00:00"] * 2, "cart_value": [-5.0, 10.0]})
    with pytest.raises(ContractErrors, match=r"table 'carts', column 'cart_value': has values below 0 \(1 row\); e.g. -5"):
        from_frames({"events": frames_events(), "carts": carts})


# --------------------------------------------------------------------------- timestamps

def events_with_times(times: list, timezone: str = "Asia/Shanghai", source_tz: str | None = None, **kw):
    df = pd.DataFrame({"user_id": [f"u{i}" for i in range(len(times))], "timestamp": times, "event": ["a"] * len(times)})
    return from_frames({"events": df}, timezone=timezone, **kw)


def times_of(ds) -> list[datetime]:
    return [t.to_pydatetime() for t in ds["events"].order_by("user_id").timestamp.execute()]


def test_text_formats_and_offsets_become_wall_clock_in_the_config_zone():
    ds = events_with_times(["2026-03-01T10:00:00", "2026-03-01 10:00:01", "2026/03/01 10:02"])
    assert times_of(ds) == [datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 0, 1), datetime(2026, 3, 1, 10, 2)]
    # 02:00Z and 10:00+08:00 and 03:00+0900 are all 10:00 in Shanghai; 18:00 in Shanghai is 11:00 in Berlin (CET).
    ds = events_with_times(["2026-03-01T02:00:00Z", "2026-03-01T10:00:00+08:00", "2026-03-01 11:00:00+0900"])
    assert times_of(ds) == [datetime(2026, 3, 1, 10, 0)] * 3
    ds = events_with_times(["2026-03-01T10:00:00+08:00"], timezone="Europe/Berlin")
    assert times_of(ds) == [datetime(2026, 3, 1, 3, 0)]
    # Exports that name the zone: "... UTC" (BigQuery, many SQL clients) and "... GMT".
    ds = events_with_times(["2026-03-01 02:00:00 UTC", "2026-03-01 02:00:00UTC", "2026-03-01T02:00:00 GMT"])
    assert times_of(ds) == [datetime(2026, 3, 1, 10, 0)] * 3


def test_epoch_seconds_and_milliseconds_are_detected_by_magnitude():
    # 1772330400 s = 2026-03-01 02:00:00 UTC = 10:00 in Shanghai
    assert times_of(events_with_times([1772330400, 1772330460])) == [datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 1)]
    assert times_of(events_with_times([1772330400000, 1772330400500]))[1] == datetime(2026, 3, 1, 10, 0, 0, 500000)
    assert times_of(events_with_times(["1772330400000", "1772330400000"]))[0] == datetime(2026, 3, 1, 10, 0)


def test_epoch_values_that_would_land_in_year_55000_or_1970_are_refused():
    with pytest.raises(ContractErrors) as info:
        events_with_times([1772330400, 1772330400000])  # the second read as seconds is year ~58000
    assert problems(info.value) == [
        "table 'events', column 'timestamp': mixes epoch units (s and ms); export one unit (1 row); "
        "e.g. 1772330400, 1772330400000"
    ]
    with pytest.raises(ContractErrors, match=r"not seconds, milliseconds or microseconds between 1973 and 2286 \(1 row\); e.g. 5"):
        events_with_times([5, 1772330400])


def test_unparseable_times_are_counted_with_five_examples():
    bad = ["soon", "2026-13-01 10:00:00", "yesterday", "3/1", "n.d.", "later"]
    with pytest.raises(ContractErrors) as info:
        events_with_times(["2026-03-01 10:00:00"] + bad)
    (err,) = info.value.errors
    assert (err.column, err.n_bad, len(err.examples)) == ("timestamp", 6, 5)
    assert ("has values that are not times (expected e.g. 2026-03-01 08:30:00; for another layout set "
            "sources.events.time_format, e.g. '%d/%m/%Y %H:%M') (6 rows)") in str(err)


def test_mixed_offsets_are_an_error():
    with pytest.raises(ContractErrors) as info:
        events_with_times(["2026-03-01T10:00:00+08:00", "2026-03-01 10:00:00", "2026-03-01 11:00:00"])
    assert problems(info.value) == [
        "table 'events', column 'timestamp': mixes times with a UTC offset and times without one; give every "
        "value an offset, or none (2 rows); e.g. '2026-03-01T10:00:00+08:00', '2026-03-01 10:00:00', '2026-03-01 11:00:00'"
    ]


def berlin_config(tmp_path, times: list[str]):
    rows = "".join(f"u{i},{t},a\n" for i, t in enumerate(times))
    path = write(tmp_path / "events.csv", "user_id,timestamp,event\n" + rows)
    return config(tmp_path, events={"path": str(path), "timezone": "Europe/Berlin"})


def test_source_zone_naive_times_convert_across_dst(tmp_path):
    # Berlin CET (+1) before 2026-03-29 02:00, CEST (+2) after; Shanghai is +8 all year.
    cfg = berlin_config(tmp_path, ["2026-03-28 12:00:00", "2026-03-29 03:30:00", "2026-10-25 03:30:00"])
    got = [t.to_pydatetime() for t in load(cfg)["events"].order_by("user_id").timestamp.execute()]
    assert got == [datetime(2026, 3, 28, 19, 0), datetime(2026, 3, 29, 9, 30), datetime(2026, 10, 25, 10, 30)]


def test_dst_gap_and_overlap_local_times_are_errors_with_examples(tmp_path):
    cfg = berlin_config(tmp_path, ["2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-10-25 02:10:00", "2026-06-01 12:00:00"])
    with pytest.raises(ContractErrors) as info:
        load(cfg)
    assert problems(info.value) == [
        "table 'events', column 'timestamp': has local times that do not exist in Europe/Berlin (skipped by a "
        "daylight-saving change) (1 row); e.g. '2026-03-29 02:30:00'",
        "table 'events', column 'timestamp': has local times that are ambiguous in Europe/Berlin (repeated by a "
        "daylight-saving change) (2 rows); e.g. '2026-10-25 02:10:00', '2026-10-25 02:30:00'",
    ]


def test_times_more_than_a_day_in_the_future_are_an_error():
    shanghai_now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    soon, far = shanghai_now + timedelta(hours=12), shanghai_now + timedelta(days=3)
    events_with_times([soon.strftime("%Y-%m-%d %H:%M:%S")])  # within a day: accepted
    with pytest.raises(ContractErrors) as info:
        events_with_times(["2026-03-01 10:00:00", far.strftime("%Y-%m-%d %H:%M:%S")])
    (err,) = info.value.errors
    assert (err.column, err.n_bad) == ("timestamp", 1)
    assert "has times more than a day in the future" in str(err) and far.strftime("%Y-%m-%d %H:%M:%S") in err.examples[0]


def test_parquet_times_with_and_without_zone(tmp_path):
    aware = pd.Timestamp("2026-03-01 02:00:00", tz="UTC")
    df = pd.DataFrame({"user_id": ["u1"], "timestamp": [aware], "event": ["a"]})
    df.to_parquet(tmp_path / "aware.parquet")
    df.assign(timestamp=[pd.Timestamp("2026-03-01 10:00:00")]).to_parquet(tmp_path / "naive.parquet")
    for name in ("aware", "naive"):
        ds = load(config(tmp_path, events={"path": f"{name}.parquet"}))
        assert ds["events"].timestamp.execute().tolist() == [pd.Timestamp("2026-03-01 10:00:00")]


def test_parquet_directory_and_glob_load_every_file(tmp_path):
    (tmp_path / "ev").mkdir()
    for day in (1, 2):
        frames_events(timestamp=[f"2026-03-0{day} 10:00:00"] * 2).to_parquet(tmp_path / "ev" / f"part{day}.parquet")
    for path in ("ev", "ev/*.parquet"):
        assert load(config(tmp_path, events={"path": path})).row_counts() == {"events": 4}


def test_table_in_a_duckdb_database_file(tmp_path):
    db = duckdb.connect(str(tmp_path / "shop.duckdb"))
    db.execute("CREATE TABLE ev AS SELECT 'u1' AS user_id, TIMESTAMP '2026-03-01 10:00:00' AS timestamp, 'a' AS event")
    db.close()
    ds = load(config(tmp_path, events={"path": "shop.duckdb", "table": "ev"}))
    assert ds["events"].execute().to_dict("records") == [
        {"user_id": "u1", "timestamp": pd.Timestamp("2026-03-01 10:00:00"), "event": "a"}
    ]


@settings(max_examples=30, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(lambda d: d.replace(microsecond=0)))
def test_engine_zone_conversion_matches_zoneinfo(instant):
    text = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    expected = instant.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    assert times_of(events_with_times([text], timezone="Europe/Berlin", validate=False)) == [expected]


# --------------------------------------------------------------------------- warnings and the Dataset

def test_warnings_are_counted_not_raised():
    events = pd.DataFrame({
        "user_id": ["u1", "u1", "u1", "u2", "u2"],
        "timestamp": ["2026-03-01 10:00:00", "2026-03-01 10:00:00", "2026-03-01 09:00:00",  # u1: dup, then earlier
                      "2026-02-01 10:00:00", "2026-03-02 10:00:00"],                          # u2: first before signup
        "event": ["a", "a", "b", "a", "a"],
    })
    users = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "signup_at": ["2026-02-01 00:00:00", "2026-02-15 00:00:00", "2026-02-01 00:00:00"]})
    ds = from_frames({"events": events, "users": users})
    assert [(w.table, w.problem, w.n, w.examples) for w in ds.warnings] == [
        ("events", "duplicate events (same user, timestamp and event)", 1, ["u1"]),
        ("events", "events earlier than the user's previous event in the source's row order", 1, ["u1"]),
        ("users", "users with no events", 1, ["u3"]),
        ("events", "events before the user's signup_at", 1, ["u2"]),
    ]
    assert "__uem_row" not in ds["events"].columns
    summary = ds.summary()
    assert summary.to_dict("records")[0] == {
        "table": "events", "rows": 5, "users": 2, "start": pd.Timestamp("2026-02-01 10:00:00"),
        "end": pd.Timestamp("2026-03-02 10:00:00"), "warnings": 3, "timezone": "Asia/Shanghai",
    }
    assert summary.set_index("table").loc["users", "warnings"] == 1


def test_fingerprint_is_stable_for_the_same_files_and_changes_with_them(tmp_path):
    cfg = config(tmp_path, events=events_source(tmp_path))
    first, again = load(cfg).fingerprint(), load(cfg).fingerprint()
    assert first == again and len(first) == 12
    events = tmp_path / "events.csv"
    events.write_text(EVENTS_CSV + "u3,2026-03-01 12:00:00,app_open\n", encoding="utf-8")
    os.utime(events, ns=(events.stat().st_atime_ns, events.stat().st_mtime_ns + 10**9))
    assert load(cfg).fingerprint() != first
    assert from_frames({"events": frames_events()}).fingerprint() == from_frames({"events": frames_events()}).fingerprint()
    assert from_frames({"events": frames_events(event=["a", "c"])}).fingerprint() != from_frames({"events": frames_events()}).fingerprint()


def test_all_problems_of_all_tables_come_in_one_error(tmp_path):
    nps = pd.DataFrame({"response_id": ["r1"], "user_id": ["u1"], "answered_at": ["2026-03-01 10:00:00"], "score": [12]})
    with pytest.raises(ContractErrors) as info:
        from_frames({"events": frames_events(timestamp=["2026-03-01 10:00:00", "never"]), "nps": nps})
    assert [(e.table, e.column) for e in info.value.errors] == [("events", "timestamp"), ("nps", "score")]
    assert isinstance(info.value, ContractError)
    assert str(info.value).startswith("2 data contract problem(s):")


def test_validate_false_skips_the_contract_checks():
    ds = from_frames({"events": frames_events(timestamp=["2026-03-01 10:00:00", "never"])}, validate=False)
    assert ds["events"].timestamp.isnull().sum().execute() == 1


def test_fingerprint_changes_with_the_mapping_and_the_time_zone(tmp_path):
    first = load(config(tmp_path, events=events_source(tmp_path))).fingerprint()
    assert load(config(tmp_path, timezone="UTC", events=events_source(tmp_path))).fingerprint() != first
    mapped = config(tmp_path, events={**events_source(tmp_path), "event_names": {"app_open": "open"}})
    assert load(mapped).fingerprint() != first


def test_missing_values_show_no_null_examples(tmp_path):
    path = write(tmp_path / "events.csv", "user_id,timestamp,event\n,2026-03-01 10:00:00,a\nu2,2026-03-01 10:00:00,a\n")
    with pytest.raises(ContractErrors) as info:
        load(config(tmp_path, events={"path": str(path)}))
    assert problems(info.value) == ["table 'events', column 'user_id': has missing values (blank, null, NA) (1 row)"]


def test_row_counts_in_a_period_use_each_tables_time_column():
    frames = {
        "events": pd.DataFrame({"user_id": ["1", "1", "2"], "event": ["a", "b", "a"],
                                "timestamp": ["2026-09-30 23:59:59", "2026-10-01 00:00:00", "2026-10-31 23:00:00"]}),
        "users": pd.DataFrame({"user_id": ["1", "2"], "signup_at": ["2026-09-01 10:00:00", "2026-10-02 10:00:00"]}),
    }
    data = from_frames(frames)
    assert data.row_counts() == {"events": 3, "users": 2}
    assert data.row_counts("2026-10-01", "2026-10-31") == {"events": 2, "users": 1}
    assert data.row_counts("2025-01-01", "2025-01-31", tables=["events"]) == {"events": 0}


def test_gbk_csv_in_a_folder_that_cannot_be_written_is_transcoded_into_the_user_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would have to be", encoding="utf-8")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    events = write(data_dir / "events.csv", "user_id,timestamp,event\n张三,2026-03-01 10:00:00,开户\n", "gbk")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    settings = config_from_dict({"sources": {"events": {"path": str(events)}}}, base_dir=blocker)  # data/cache impossible
    assert settings.cache_folder() == tmp_path / "user-cache" / "uem"
    assert load(settings)["events"].event.execute().tolist() == ["开户"]
    assert list((tmp_path / "user-cache" / "uem").glob("events.*.utf8.csv"))
    configured = config_from_dict({"sources": {"events": {"path": str(events)}}, "cache_dir": str(tmp_path / "mine")})
    assert configured.cache_folder() == tmp_path / "mine"
