"""The data contract: schemas, failure-case normalisation, zone changes, warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from uem_helpers.data import schema, timezones
from uem_helpers.data.sources import from_frames


def test_every_table_declares_its_required_columns_once():
    assert schema.required_columns("events") == ["user_id", "timestamp", "event"]
    assert schema.required_columns("nps") == ["response_id", "user_id", "answered_at", "score"]
    assert schema.required_columns("carts") == ["cart_id", "user_id", "created_at", "cart_value"]
    assert set(schema.CONTRACT) == set(schema.TIME_COLUMN)
    assert all(schema.CONTRACT[t][c].kind == "id" for t, c in schema.PRIMARY_KEY.items())


def test_pandera_schema_has_required_and_present_optional_columns_with_canonical_types():
    s = schema.pandera_schema("carts", ["cart_id", "user_id", "created_at", "cart_value", "shipping_fee", "extra"])
    assert list(s.columns) == ["cart_id", "user_id", "created_at", "cart_value", "shipping_fee"]
    assert str(s.columns["user_id"].dtype) == "string" and str(s.columns["cart_value"].dtype) == "float64"
    assert str(s.columns["created_at"].dtype).startswith("timestamp")


def test_range_failures_are_mapped_back_from_failure_case_to_the_column():
    nps = ibis.memtable(pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4"], "user_id": ["u"] * 4,
        "answered_at": pd.to_datetime(["2026-03-01"] * 4), "score": [11, -1, 5, 11],
    }))
    (err,) = schema.validate_table("nps", nps)
    assert (err.table, err.column, err.n_bad, err.examples) == ("nps", "score", 3, [11, -1])
    assert str(err) == "table 'nps', column 'score': has values outside the range 0-10 (3 rows); e.g. 11, -1"


def test_a_valid_table_has_no_errors_and_duplicates_are_counted():
    users = pd.DataFrame({"user_id": ["a", "b", "b", "c", "c", "c"], "signup_at": pd.to_datetime(["2026-03-01"] * 6)})
    (err,) = schema.validate_table("users", ibis.memtable(users))
    assert (err.column, err.n_bad, err.examples) == ("user_id", 5, ["b", "c"])
    assert schema.validate_table("users", ibis.memtable(users.drop_duplicates("user_id"))) == []


def test_berlin_dst_changes_in_2026_known_answer():
    changes = timezones.zone_transitions("Europe/Berlin", datetime(2026, 1, 1), datetime(2026, 12, 31))
    assert changes == [
        (datetime(2026, 3, 29, 1, 0), timedelta(hours=1), timedelta(hours=2)),   # 02:00 CET -> 03:00 CEST
        (datetime(2026, 10, 25, 1, 0), timedelta(hours=2), timedelta(hours=1)),  # 03:00 CEST -> 02:00 CET
    ]
    assert timezones.zone_transitions("Asia/Shanghai", datetime(2020, 1, 1), datetime(2026, 12, 31)) == []


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/London"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    st.lists(st.floats(0, 1), min_size=1, max_size=20),
)
def test_zone_transitions_are_exactly_where_the_offset_changes(zone, start, fractions):
    end = start + timedelta(days=400)
    offset = lambda t: t.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()  # noqa: E731
    changes = timezones.zone_transitions(zone, start, end)
    assert changes, "every sampled zone changes offset within 400 days"
    for at, before, after in changes:
        assert offset(at - timedelta(seconds=1)) == before and offset(at) == after and before != after
    for f in fractions:  # between changes the offset is the one the last change set
        t = start + (end - start) * f
        expected = next((after for at, _, after in reversed(changes) if at <= t), changes[0][1])
        assert offset(t) == expected


@settings(max_examples=15, deadline=None)
@given(
    st.datetimes(min_value=datetime(1975, 1, 1), max_value=datetime(2280, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    st.sampled_from(["s", "ms", "us"]),
)
def test_epoch_numbers_in_any_unit_give_the_same_utc_time(instant, unit):
    seconds = int((instant - datetime(1970, 1, 1)).total_seconds())
    value = seconds * {"s": 1, "ms": 1000, "us": 1_000_000}[unit]
    events = pd.DataFrame({"user_id": ["u"], "timestamp": [str(value)], "event": ["a"]})
    got = from_frames({"events": events}, timezone="UTC", validate=False)["events"].timestamp.execute()
    assert got.tolist() == [pd.Timestamp(instant)]


def test_warnings_read_as_sentences():
    w = schema.ContractWarning("users", "user_id", "users with no events", 1234, ["u9"])
    assert str(w) == "table 'users', column 'user_id': users with no events (1,234 rows); e.g. 'u9'"


def test_no_warnings_on_clean_tables():
    events = pd.DataFrame({"user_id": ["u1", "u1"], "timestamp": ["2026-03-01 10:00:00", "2026-03-01 11:00:00"], "event": ["a", "a"]})
    users = pd.DataFrame({"user_id": ["u1"], "signup_at": ["2026-03-01 09:00:00"]})
    assert from_frames({"events": events, "users": users}).warnings == []
