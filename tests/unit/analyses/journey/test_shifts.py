"""Incident watch, sustained shifts and the merged list: simulated logs with planted shifts, and stable ones."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from tests.unit.analyses.journey.hand_made import frame
from uem_helpers.analyses.journey import (
    SHIFT_COLUMNS,
    WATCH_COLUMNS,
    alarm_events_daily,
    sustained_shifts,
    watch_incidents,
)
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.core.errors import ParameterError

START = pd.Timestamp("2025-01-01")
PLANTED = pd.date_range("2025-02-03", "2025-02-23")  # three weeks of a 90-day log


def daily(x, n, step="payment_attempt → payment_ok") -> pd.DataFrame:
    """A daily frame (the days with trials) from arrays of successes and trials."""
    x, n = np.asarray(x), np.asarray(n)
    out = pd.DataFrame({"date": pd.date_range(START, periods=len(n)), "step_index": 1, "step": step,
                        "trials": n, "successes": x})
    out = out[out["trials"] > 0].reset_index(drop=True)
    return out.assign(rate=out["successes"] / out["trials"])


def test_a_three_week_halving_at_five_attempts_a_day_is_found_as_one_incident():
    """0.85 -> 0.40 from 2025-02-03 to 02-23, Poisson(5) attempts a day, 200 seeded logs of 90 days."""
    rng = np.random.default_rng(17)
    days = pd.date_range(START, periods=90)
    rate = np.where(days.isin(PLANTED), 0.40, 0.85)
    found, covered = 0, []
    for _ in range(200):
        n = rng.poisson(5, 90)
        watch = watch_incidents(daily(rng.binomial(n, rate), n))
        inc = watch.incidents
        hits = [r for r in inc.itertuples() if r.last_date >= PLANTED[0] and r.first_date <= PLANTED[-1]]
        if len(hits) != 1:
            continue
        span = pd.date_range(hits[0].first_date, hits[0].last_date)
        overlap = len(span.intersection(PLANTED))
        if overlap >= 0.6 * len(PLANTED) and overlap >= 0.6 * len(span):  # most of the planted weeks, mostly them
            found += 1
            covered.append(overlap / len(PLANTED))
    print(f"\npower {found / 200:.1%}, mean share of the planted days covered {np.mean(covered):.1%}")
    assert found / 200 >= 0.90
    # The p-chart alone (3 sigma at 5 attempts a day) finds almost none of it: the reason for the CUSUM.
    n = rng.poisson(5, 90)
    alone = watch_incidents(daily(rng.binomial(n, rate), n)).chart
    assert (alone["outside"] == "below").sum() < 5


def test_stable_daily_data_gives_about_one_false_alarm_a_year_per_step():
    """Stable years at 5..5000 attempts a day and rates 0.1..0.9: sustained runs per 365 days, measured."""
    rng = np.random.default_rng(2025)
    per_volume = {}
    for volume in (5, 50, 500, 5000):
        alarms = years = 0
        for rate in (0.1, 0.5, 0.9):
            for _ in range(6):
                n = rng.poisson(volume, 365)
                alarms += len(sustained_shifts(daily(rng.binomial(n, rate), n)))
                years += 1
        per_volume[volume] = alarms / years
    overall = float(np.mean(list(per_volume.values())))
    print(f"\nfalse alarms per step-year by daily volume: {per_volume}; overall {overall:.2f}")
    assert overall <= 2.0
    assert all(v <= 3.0 for v in per_volume.values())
    # Calibrated, not merely silent: at low volume, where the binomial is coarse, the rate is near one a year.
    assert 0.2 <= (per_volume[5] + per_volume[50]) / 2 <= 2.0


def test_days_that_spread_more_than_a_binomial_do_not_alarm_every_month():
    """Beta-binomial days (weekday-like spread, about 3 times the binomial variance at 500 a day): alarms per year."""
    rng = np.random.default_rng(8)
    alarms = 0
    for _ in range(10):
        n = rng.poisson(500, 365)
        x = rng.binomial(n, rng.beta(0.7 * 250, 0.3 * 250, 365))
        alarms += len(sustained_shifts(daily(x, n)))
    print(f"\nover-dispersed stable years: {alarms / 10:.1f} false alarms a year")
    assert alarms / 10 <= 2.0


def test_a_rise_of_an_alarm_event_is_found_above():
    """payment_error in 3% of 200 daily sessions, 9% for ten days: one alarm-event incident over those days."""
    rng = np.random.default_rng(3)
    days = pd.date_range(START, periods=90)
    spike = pd.date_range("2025-02-10", "2025-02-19")
    n = rng.poisson(200, 90)
    x = rng.binomial(n, np.where(days.isin(spike), 0.09, 0.03))
    watch = watch_incidents(None, daily(x, n, step="payment_error"))
    inc = watch.incidents
    assert list(inc.columns) == WATCH_COLUMNS
    assert inc["kind"].tolist() == ["alarm event"] and inc["outside"].tolist() == ["above"]
    row = inc.iloc[0]
    overlap = len(pd.date_range(row["first_date"], row["last_date"]).intersection(spike))
    assert overlap >= 8 and "sustained shift" in row["method"]
    assert row["diff_low"] > 0 and row["rate"] > row["center"]
    assert list(watch.shifts.columns) == SHIFT_COLUMNS and (watch.shifts["direction"] == "up").all()


def test_alarm_events_daily_counts_sessions_with_the_event():
    day = 86_400
    events = frame([
        ("u1", 0, "a"), ("u1", 10, "payment_error"), ("u1", 20, "payment_error"),  # one session, counted once
        ("u2", 0, "a"), ("u2", 5, "support_chat"),
        ("u3", 0, "a"),
        ("u1", day, "a"), ("u1", day + 10, "payment_error"),
    ])
    out = alarm_events_daily(prepare_sessions(ibis.memtable(events)), ["payment_error", "support_chat"])
    got = {(r.step, f"{r.date:%m-%d}"): (r.trials, r.successes) for r in out.itertuples()}
    assert got == {("payment_error", "10-01"): (3, 1), ("payment_error", "10-02"): (1, 1),
                   ("support_chat", "10-01"): (3, 1), ("support_chat", "10-02"): (1, 0)}
    with pytest.raises(ParameterError, match="alarm_events"):
        alarm_events_daily(prepare_sessions(ibis.memtable(events)), [])


def test_merged_incident_keeps_both_methods_and_a_newcombe_interval():
    # 60 days at 100 attempts and 80%, then days 30..34 at 30%: both methods see it; one incident.
    n = np.full(60, 100)
    x = np.full(60, 80)
    x[30:35] = 30
    inc = watch_incidents(daily(x, n)).incidents
    assert len(inc) == 1
    row = inc.iloc[0]
    assert row["method"] == "sharp day + sustained shift"
    assert (row["first_date"], row["last_date"]) == (START + pd.Timedelta(days=30), START + pd.Timedelta(days=34))
    assert (row["trials"], row["successes"], row["center"]) == (500, 150, pytest.approx(0.8))
    assert row["diff"] == pytest.approx(-0.5) and row["diff_low"] < -0.5 < row["diff_high"] < 0
    assert row["excess"] == pytest.approx(250)  # conversions lost: 0.5 × 500


def test_a_short_period_says_what_the_watch_needs():
    one = watch_incidents(daily([4], [5]))
    assert one.incidents is None and one.chart is None
    assert one.notes == ["The incident watch needs at least 14 days of data, 7 for sharp days alone; "
                         "this period has 1."]
    ten = watch_incidents(daily(np.full(10, 4), np.full(10, 5)))
    assert ten.chart is not None and ten.shifts is None and ten.incidents.empty
    assert ten.notes == ["The sustained-shift watch needs at least 14 days of data; this period has 10, so only "
                         "sharp days were checked."]
    with pytest.raises(ParameterError, match="direction"):
        sustained_shifts(daily(np.full(20, 4), np.full(20, 5)), direction="sideways")


@pytest.mark.spark
def test_alarm_events_daily_identical_on_duckdb_and_spark(spark_con):
    day = 86_400
    df = frame([("u1", 0, "a"), ("u1", 10, "payment_error"), ("u2", 0, "a"), ("u2", 5, "support_chat"),
                ("u1", day, "a"), ("u1", day + 10, "payment_error")])
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_alarms")
    names = ["payment_error", "support_chat"]
    duck = alarm_events_daily(prepare_sessions(ibis.memtable(df)), names)
    spark = alarm_events_daily(prepare_sessions(spark_con.table("ev_alarms")), names)
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
