"""One rule for "in the period": both ends inclusive, a date as period_end means the whole day."""

from datetime import date, datetime

import ibis
import pandas as pd
import pytest

from uem_helpers.core.errors import ParameterError
from uem_helpers.core.period import in_period, period_bounds, to_datetime


def test_date_end_includes_the_whole_day_and_datetime_end_the_instant():
    assert period_bounds("2026-10-01", "2026-10-31") == (datetime(2026, 10, 1), datetime(2026, 11, 1))
    assert period_bounds(date(2026, 10, 1), None) == (datetime(2026, 10, 1), None)
    assert period_bounds(None, "2026-10-31 12:00")[1] == datetime(2026, 10, 31, 12, 0, 0, 1)


def test_in_period_filters_with_inclusive_ends():
    stamps = pd.Series(pd.to_datetime(["2026-09-30 23:59:59", "2026-10-01 00:00:00", "2026-10-31 23:59:59", "2026-11-01 00:00:00"]))
    t = ibis.memtable(pd.DataFrame({"ts": stamps.astype("datetime64[us]")}))
    kept = t.filter(in_period(t.ts, "2026-10-01", "2026-10-31")).execute()["ts"]
    assert kept.dt.strftime("%m-%d %H:%M:%S").tolist() == ["10-01 00:00:00", "10-31 23:59:59"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("05/08/2026", "is not a date; write it as YYYY-MM-DD"),
        ("2026-10-01T00:00+08:00", "carries a time zone offset"),
        (20261001, "is not a date"),
    ],
)
def test_ambiguous_or_zoned_dates_are_refused(value, words):
    with pytest.raises(ParameterError, match=words):
        to_datetime(value, "period_start")


def test_end_before_start_is_refused():
    with pytest.raises(ParameterError, match=r"period_end \(2026-09-01\) is before period_start \(2026-10-01\)"):
        period_bounds("2026-10-01", "2026-09-01")
