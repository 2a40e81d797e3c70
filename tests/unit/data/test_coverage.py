"""Coverage: the first and last times of small tables in a period, worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from uem_helpers.data.coverage import Coverage, coverage
from uem_helpers.data.sources import from_frames


def events(*stamps: str) -> pd.DataFrame:
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(len(stamps))], "timestamp": pd.to_datetime(list(stamps)),
                         "event": "x"})


def test_data_ending_mid_day_is_short_of_the_period_end_by_hand():
    data = from_frames({"events": events("2025-01-01 00:02", "2025-02-10 12:00", "2025-03-31 14:10")})
    c = coverage(data, "2025-01-01", "2025-03-31")
    assert (c.first, c.last) == (datetime(2025, 1, 1, 0, 2), datetime(2025, 3, 31, 14, 10))
    assert c.short_of_start == timedelta(minutes=2)              # within the tolerance
    assert c.short_of_end == timedelta(hours=9, minutes=50)      # 14:10 to midnight
    assert not c.covers_period
    assert c.days == pytest.approx(89 + (14 * 60 + 8) / 1440)
    assert c.sentence() == ("The events cover 2025-01-01 00:02 to 2025-03-31 14:10, 9 h 50 min short of the "
                            "period's end.")


def test_a_period_longer_than_the_data_is_short_at_both_ends():
    data = from_frames({"events": events("2025-01-04 10:00", "2025-01-04 13:00")})  # three hours of a month
    c = coverage(data, "2025-01-01", "2025-01-31")
    assert c.short_of_start == timedelta(days=3, hours=10)
    assert c.short_of_end == timedelta(days=27, hours=11)
    assert c.days == pytest.approx(3 / 24)
    assert c.sentence() == ("The events cover 2025-01-04 10:00 to 2025-01-04 13:00, starting 3 days 10 h after "
                            "the period's start and 27 days 11 h short of the period's end.")
    # events outside the period are not coverage of it
    wide = from_frames({"events": events("2024-12-20 10:00", "2025-01-01 00:30", "2025-01-31 23:30", "2025-02-02 00:00")})
    c = coverage(wide, "2025-01-01", "2025-01-31")
    assert (c.first, c.last, c.covers_period) == (datetime(2025, 1, 1, 0, 30), datetime(2025, 1, 31, 23, 30), True)
    assert c.sentence() == "The events cover 2025-01-01 00:30 to 2025-01-31 23:30, the whole period."


def test_an_empty_table_covers_nothing():
    data = from_frames({"events": events("2024-05-01 10:00")})
    c = coverage(data, "2025-01-01", "2025-01-31")
    assert c.empty and c.first is None and not c.covers_period and c.days == 0.0
    assert c.short_of_start == timedelta(days=31)
    assert c.sentence() == "No events fall in the period, so every number below is empty."
    assert c.frame()[["table", "rows"]].to_dict("records") == [{"table": "events", "rows": 0}]


def test_other_tables_are_listed_and_the_events_set_the_coverage():
    carts = pd.DataFrame({"cart_id": ["c1", "c2"], "user_id": ["u0", "u1"],
                          "created_at": pd.to_datetime(["2025-01-02 08:00", "2025-01-30 18:00"])})
    data = {"events": ibis.memtable(events("2025-01-01 00:10", "2025-01-31 23:55")), "carts": ibis.memtable(carts)}
    c = coverage(data, "2025-01-01", "2025-01-31")
    assert c.covers_period and c.table == "events"
    assert [(t.table, t.column, t.first, t.last, t.rows) for t in c.tables] == [
        ("events", "timestamp", datetime(2025, 1, 1, 0, 10), datetime(2025, 1, 31, 23, 55), 2),
        ("carts", "created_at", datetime(2025, 1, 2, 8), datetime(2025, 1, 30, 18), 2),
    ]
    # without an events table, the other tables' times are the data's
    alone = coverage({"carts": data["carts"]}, "2025-01-01", "2025-01-31")
    assert (alone.table, alone.first, alone.last) == ("data", datetime(2025, 1, 2, 8), datetime(2025, 1, 30, 18))
    assert alone.sentence().startswith("The data cover 2025-01-02 08:00 to 2025-01-30 18:00, starting 1 day 8 h")


def test_days_between_and_open_periods():
    c = Coverage(datetime(2025, 2, 1), datetime(2025, 2, 18, 12), None, None)
    assert c.covers_period and c.short_by == timedelta(0)
    assert c.days_between(since=datetime(2025, 2, 15)) == pytest.approx(3.5)
    assert c.days_between(until=datetime(2025, 2, 15)) == pytest.approx(14)
    assert c.days_between(since=datetime(2025, 3, 1)) == 0.0
