"""Before/after a launch (uem_helpers.analyses.experiment.before_after): guarded windows, rates, medians, means.

The same counts and readouts on DuckDB tables and on Spark.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd
import pytest

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment import before_after_median, before_after_rate, compare_rates, split_before_after, variant_rate
from uem_helpers.stats import median_difference

from tests.unit.analyses.experiment.hand_made import ASSIGNMENTS, OUTCOMES, table


LAUNCH = "2026-08-15"


# One row per account-opening start: when it started, whether it was abandoned, minutes taken.
# Launch 2026-08-15 with guard_days=1 leaves out [2026-08-14 00:00, 2026-08-16 00:00).
STARTS = pd.DataFrame(
    [
        ("2026-07-31 23:59:59", True, 9.0),  # before period_start 2026-08-01
        ("2026-08-01 00:00:00", False, 8.0),  # first instant of period_start
        ("2026-08-10 12:00:00", True, 10.0),
        ("2026-08-12 08:00:00", False, 7.0),
        ("2026-08-13 23:59:59", True, 12.0),  # last second before the guard
        ("2026-08-14 00:00:00", True, 11.0),  # guard (before side)
        ("2026-08-15 00:00:00", False, 3.0),  # launch instant: guard (after side)
        ("2026-08-15 23:59:59", False, 2.0),  # guard (after side)
        ("2026-08-16 00:00:00", False, 2.5),  # first instant after the guard
        ("2026-08-17 09:00:00", True, 4.0),
        ("2026-08-18 10:00:00", None, None),  # outcome and value missing: not counted
        ("2026-08-31 23:59:59", False, 1.5),  # last second of period_end 2026-08-31
        ("2026-09-01 00:00:00", True, 6.0),  # after period_end
    ],
    columns=["started_at", "abandoned", "minutes"],
).astype({"started_at": "datetime64[us]", "abandoned": "boolean", "minutes": "float64"})


# Guard 1 day, period 2026-08-01 .. 2026-08-31:
#   before = 08-01 F, 08-10 T, 08-12 F, 08-13 T          -> n 4, abandoned 2; minutes 8, 10, 7, 12
#   after  = 08-16 F, 08-17 T, (08-18 missing), 08-31 F  -> n 3, abandoned 1; minutes 2.5, 4, 1.5
# No guard, no period:
#   before = 07-31 T, 08-01 F, 08-10 T, 08-12 F, 08-13 T, 08-14 T                 -> n 6, abandoned 4
#   after  = 08-15 F, 08-15 23:59:59 F, 08-16 F, 08-17 T, 08-31 F, 09-01 T (08-18 missing) -> n 6, abandoned 2
GUARDED = {"guard_days": 1, "period_start": "2026-08-01", "period_end": "2026-08-31"}


def stamps(t: ibis.Table) -> list[str]:
    return sorted(str(x) for x in t.execute()["started_at"])


def test_split_excludes_guard_days_at_the_exact_boundaries():
    before, after = split_before_after(ibis.memtable(STARTS), "started_at", LAUNCH, **GUARDED)
    assert stamps(before) == [
        "2026-08-01 00:00:00", "2026-08-10 12:00:00", "2026-08-12 08:00:00", "2026-08-13 23:59:59"
    ]
    assert stamps(after) == [
        "2026-08-16 00:00:00", "2026-08-17 09:00:00", "2026-08-18 10:00:00", "2026-08-31 23:59:59"
    ]


def test_split_without_guard_puts_the_launch_instant_after():
    before, after = split_before_after(ibis.memtable(STARTS), "started_at", date(2026, 8, 15))
    assert stamps(before)[-1] == "2026-08-14 00:00:00" and len(stamps(before)) == 6
    assert stamps(after)[0] == "2026-08-15 00:00:00" and len(stamps(after)) == 7


def test_split_with_a_datetime_period_end_is_inclusive_of_that_instant():
    _, after = split_before_after(
        ibis.memtable(STARTS), "started_at", datetime(2026, 8, 15), period_end=datetime(2026, 8, 17, 9)
    )
    assert stamps(after)[-1] == "2026-08-17 09:00:00"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"time_col": "ts"}, "time column 'ts' is not in the table; columns are: started_at, abandoned, minutes"),
        ({"time_col": "minutes"}, "time column 'minutes' must be a timestamp"),
        ({"launch_date": "15/08/2026"}, "launch_date='15/08/2026' is not a date; write it as YYYY-MM-DD"),
        ({"launch_date": "2026-08-15T00:00:00+08:00"}, "carries a time zone offset"),
        ({"guard_days": -1}, "guard_days must be a whole number of days, 0 or more"),
        ({"guard_days": 1, "period_start": "2026-08-14"}, "the before window would be empty"),
        ({"guard_days": 1, "period_end": "2026-08-15"}, "the after window would be empty"),
    ],
)
def test_split_rejects_bad_parameters_in_words(kwargs, words):
    args = {"time_col": "started_at", "launch_date": LAUNCH} | kwargs
    with pytest.raises(ParameterError, match=words):
        split_before_after(ibis.memtable(STARTS), args.pop("time_col"), args.pop("launch_date"), **args)


def test_split_refuses_a_time_zone_aware_column():
    aware = STARTS.assign(started_at=STARTS["started_at"].dt.tz_localize("Asia/Shanghai"))
    with pytest.raises(ParameterError, match="time-zone-aware"):
        split_before_after(ibis.memtable(aware), "started_at", LAUNCH)


def test_before_after_rate_counts_by_hand():
    r = before_after_rate(ibis.memtable(STARTS), "started_at", "abandoned", LAUNCH, metric="abandonment", **GUARDED)
    assert (r.n_a, r.value_a, r.n_b, r.value_b) == (4, 2 / 4, 3, 1 / 3)
    assert r == compare_rates(2, 4, 1, 3, metric="abandonment")
    open_ = before_after_rate(ibis.memtable(STARTS), "started_at", "abandoned", LAUNCH, metric="abandonment")
    assert (open_.n_a, open_.value_a, open_.n_b, open_.value_b) == (6, 4 / 6, 6, 2 / 6)


def test_before_after_rate_errors_name_the_column_and_the_empty_window():
    with pytest.raises(ParameterError, match="outcome column 'minutes' must be boolean"):
        before_after_rate(ibis.memtable(STARTS), "started_at", "minutes", LAUNCH, metric="abandonment")
    with pytest.raises(ParameterError, match="no rows with a 'abandoned' value in the after window"):
        before_after_rate(ibis.memtable(STARTS), "started_at", "abandoned", "2026-09-02", metric="abandonment")


def test_before_after_median_uses_the_guarded_windows():
    r = before_after_median(
        ibis.memtable(STARTS), "started_at", "minutes", LAUNCH, metric="median opening time", unit="min",
        n_resamples=200, **GUARDED,
    )
    # before minutes 8, 10, 7, 12 -> median 9; after 2.5, 4, 1.5 -> median 2.5
    assert (r.n_a, r.value_a, r.n_b, r.value_b, r.abs_effect) == (4, 9.0, 3, 2.5, -6.5)
    expected = median_difference([8, 10, 7, 12], [2.5, 4, 1.5], n_resamples=200)
    assert (r.ci_low, r.ci_high) == (expected.diff_low, expected.diff_high)


def long_durations(n_days: int = 40, per_day: int = 50) -> pd.DataFrame:
    """50 rows a day from 2026-07-26: before launch minutes 5.00-9.99, after 1.00-5.99."""
    ts = pd.date_range("2026-07-26", periods=n_days * per_day, freq=pd.Timedelta(days=1) / per_day)
    minutes = np.arange(len(ts)) % 500 / 100 + np.where(ts < pd.Timestamp(LAUNCH), 5.0, 1.0)
    return pd.DataFrame({"started_at": ts.astype("datetime64[us]"), "minutes": minutes})


def test_before_after_median_samples_at_most_max_values_deterministically():
    t = ibis.memtable(long_durations())  # 1,000 rows before, 1,000 after
    kwargs = {"metric": "median opening time", "unit": "min", "max_values": 300, "n_resamples": 200}
    first = before_after_median(t, "started_at", "minutes", LAUNCH, **kwargs)
    again = before_after_median(t, "started_at", "minutes", LAUNCH, **kwargs)
    other = before_after_median(t, "started_at", "minutes", LAUNCH, seed=1, **kwargs)
    assert (first.n_a, first.n_b) == (300, 300)
    assert first == again
    assert (other.value_a, other.value_b, other.ci_low) != (first.value_a, first.value_b, first.ci_low)
    assert 6 < first.value_a < 9 and 2 < first.value_b < 5 and first.ci_high < 0
    shuffled = ibis.memtable(long_durations().sample(frac=1, random_state=3))
    assert before_after_median(shuffled, "started_at", "minutes", LAUNCH, **kwargs) == first  # row order is irrelevant


def test_before_after_median_needs_two_values_per_window():
    with pytest.raises(ParameterError, match="the after window has 1 'minutes' value"):
        before_after_median(ibis.memtable(STARTS), "started_at", "minutes", LAUNCH, metric="m", unit="min",
                            period_end="2026-08-16", guard_days=1)


def backend_readouts(con) -> dict:
    starts = table(con, "exp_starts", STARTS)
    before, after = split_before_after(starts, "started_at", LAUNCH, **GUARDED)
    return {
        "split": (before.count().execute(), after.count().execute()),
        "rate": before_after_rate(starts, "started_at", "abandoned", LAUNCH, metric="abandonment", **GUARDED),
        "median": before_after_median(starts, "started_at", "minutes", LAUNCH, metric="median opening time",
                                      unit="min", n_resamples=200, **GUARDED),
        "variant": variant_rate(table(con, "exp_outcomes", OUTCOMES), table(con, "exp_assignments", ASSIGNMENTS),
                                "free_ship", "converted", metric="cart conversion"),
    }


def test_duckdb_tables_give_the_memtable_answers(duckdb_con):
    on_tables, on_memtables = backend_readouts(duckdb_con), backend_readouts(None)
    assert on_tables == on_memtables
    assert on_tables["split"] == (4, 4)


@pytest.mark.spark
def test_spark_gives_identical_counts_and_readouts(spark_con):
    on_spark, on_duckdb = backend_readouts(spark_con), backend_readouts(None)
    assert on_spark["split"] == on_duckdb["split"] == (4, 4)
    assert on_spark["rate"] == on_duckdb["rate"]
    assert on_spark["median"] == on_duckdb["median"]
    assert on_spark["variant"] == on_duckdb["variant"]


@pytest.mark.spark
def test_spark_samples_large_windows_deterministically(spark_con):
    t = spark_con.create_table("exp_durations", long_durations(), overwrite=True)
    kwargs = {"metric": "median opening time", "unit": "min", "max_values": 300, "n_resamples": 200}
    first = before_after_median(t, "started_at", "minutes", LAUNCH, **kwargs)
    assert (first.n_a, first.n_b) == (300, 300)
    assert before_after_median(t, "started_at", "minutes", LAUNCH, **kwargs) == first
    assert 6 < first.value_a < 9 and 2 < first.value_b < 5 and first.ci_high < 0


def test_before_after_mean_known_answer_and_sentence():
    from uem_helpers.analyses.experiment import before_after_mean

    stamps = pd.to_datetime(["2026-08-13", "2026-08-14", "2026-08-14", "2026-08-15", "2026-08-16", "2026-08-17"])
    table = ibis.memtable(pd.DataFrame({"t": stamps.astype("datetime64[us]"), "minutes": [8.0, 9.0, 10.0, 2.0, 3.0, 4.0]}))
    r = before_after_mean(table, "t", "minutes", "2026-08-15", metric="mean opening time", unit="min",
                          higher_is_better=False)
    assert (r.kind, r.value_a, r.value_b, r.n_a, r.n_b) == ("mean", 9.0, 3.0, 3, 3)
    assert r.abs_effect == pytest.approx(-6.0)
    assert r.value_a_low < 9.0 < r.value_a_high
    assert r.sentence().startswith("Mean opening time fell from 9 min (before) to 3 min (after): −6.00 min (95% CI")
    # Ratio 3 / 9; variances with divisor n are 2/3 on both sides: var(log ratio) = (2/3) / (3 · 9²) + (2/3) / (3 · 3²).
    half = 1.959963984540054 * math.sqrt((2 / 3) / (3 * 81) + (2 / 3) / (3 * 9))
    assert (r.rel_ci_low, r.rel_ci_high) == pytest.approx((math.exp(-half) / 3 - 1, math.exp(half) / 3 - 1), rel=1e-9)
    assert "−66.7% relative (95% CI −75.9% to −53.9%)" in r.sentence()
