"""Known answers for every number format, including NaN, zero, negatives and the unit thresholds."""

from __future__ import annotations

import math

import pytest

from uem_helpers.core import formats as f

NAN = float("nan")


def test_percent_digits_and_missing():
    assert (f.percent(0.4512), f.percent(0.4512, 1), f.percent(0), f.percent(1)) == ("45%", "45.1%", "0%", "100%")
    assert (f.percent(NAN), f.percent(NAN, na="")) == ("n/a", "")


def test_signed_percent_uses_a_true_minus():
    assert (f.signed_percent(0.123), f.signed_percent(-0.05), f.signed_percent(0.0)) == ("+12.3%", "\u22125.0%", "+0.0%")
    assert f.signed_percent(NAN) == "n/a"


def test_intervals():
    assert f.percent_interval(0.42, 0.48) == "95% CI 42% to 48%"
    assert f.percent_interval(0.637, 0.666, 1) == "95% CI 63.7% to 66.6%"
    assert f.percent_interval(NAN, 0.5) == "95% CI n/a to 50%"
    assert f.rate_with_interval(0.123, 0.11, 0.135) == "12.3% (11.0% to 13.5%)"
    assert f.rate_with_interval(0.123, 0.11, 0.135, 0, sep="–") == "12% (11%–14%)"
    assert (f.rate_with_interval(NAN, 0.1, 0.2), f.rate_with_interval(NAN, 0.1, 0.2, na="")) == ("n/a", "")


def test_points_and_whole_numbers():
    assert (f.signed_points(0.0456), f.signed_points(-0.031), f.signed_points(0)) == ("+4.6 pts", "\u22123.1 pts", "+0.0 pts")
    assert f.signed_points(-0.031, unit="") == "\u22123.1"
    assert (f.whole(-16.4), f.whole(8, "+"), f.whole(0)) == ("\u221216", "+8", "0")
    assert f.with_minus("-1 to -2") == "\u22121 to \u22122"


@pytest.mark.parametrize(
    ("seconds", "kwargs", "expected"),
    [
        (45, {}, "45 s"),
        (59.4, {}, "59 s"),
        (60, {}, "1.0 min"),          # minutes from 60 s by default
        (119, {"minutes_from": 120}, "119 s"),
        (120, {"minutes_from": 120}, "2.0 min"),
        (30, {"minutes_from": 0}, "0.5 min"),
        (5399, {"hours_from": 5400}, "90.0 min"),
        (5400, {"hours_from": 5400}, "1.5 h"),
        (472.1, {"minutes_from": 120, "unit": False}, "7.9"),
        (7199, {}, "120.0 min"),      # hours from 2 h by default ...
        (5.2 * 3600, {}, "5.2 h"),
        (172799, {}, "48.0 h"),       # ... and days from 2 days
        (19910.3 * 60, {}, "13.8 days"),  # the real log's median opening time, once "19910.3 min"
        (3 * 86400, {"days_from": None}, "72.0 h"),
        (-5.2 * 3600, {}, "-5.2 h"),
        (NAN, {}, "n/a"),
        (NAN, {"na": ""}, ""),
    ],
)
def test_duration_thresholds(seconds, kwargs, expected):
    assert f.duration(seconds, **kwargs) == expected


def test_readout_numbers():
    assert (f.significant_decimals(45.2, 15.0), f.significant_decimals(0.0123), f.significant_decimals(0)) == (1, 4, 0)
    assert f.significant_decimals(1e-12) == 6 and f.significant_decimals(NAN, 2500) == 0
    assert (f.number(-1234.5, 2), f.number(3.0, 2), f.number(math.inf, 1)) == ("1,234.5", "3", "inf")
    assert (f.sign(2), f.sign(-2), f.sign(0)) == ("+", "\u2212", "")
    assert (f.signed(-0.26, 1), f.signed(0.01, 1), f.signed(12, 0)) == ("\u22120.3", "0", "+12")
    assert (f.with_unit("12", "¥", f.MINUS), f.with_unit("12", "%"), f.with_unit("12", "min")) == ("\u2212¥12", "12%", "12 min")
    assert (f.p_value(0.0004), f.p_value(0.02213), f.p_value(0.5)) == ("p < 0.001", "p = 0.022", "p = 0.5")


@pytest.mark.parametrize(("seconds", "text"), [
    (45, "45 s"), (60, "1 min"), (1800, "30 min"), (3600, "1 h"), (5400, "90 min"), (7200, "2 h"),
    (86400, "1 day"), (86400 * 3, "3 days"), (86400 * 7, "1 week"), (86400 * 180, "180 days"), (1.5, "1.5 s"),
])
def test_a_configured_window_reads_in_the_unit_a_person_would_use(seconds, text):
    assert f.span(seconds) == text


def test_duration_unit_is_chosen_by_size_and_shared_by_a_range():
    assert [f.duration_unit(x) for x in (0, 59, 60, 7200, 172800)] == [
        (1, "s"), (1, "s"), (60, "min"), (3600, "h"), (86400, "days")]
    assert f.duration_unit(-90000 * 2) == (86400, "days")
    assert f.duration_unit(30, minutes_from=0) == (60, "min")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (9.99, "0:09"), (102.9, "1:42"), (3599, "59:59"),
                                                (3600, "1:00:00"), (3723, "1:02:03"), (-1, "0:00")])
def test_clock_ticks_in_whole_seconds(seconds, text):
    assert f.clock(seconds) == text
