"""Known answers of the experiment readouts (uem_helpers.analyses.experiment), on DuckDB and on Spark."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.analyses.experiment import RatioMetric, before_after_median, before_after_rate, compare_medians, compare_rates, split_before_after, variant_rate, variant_ratio, variant_ratios
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.stats import ClusterSums, clustered_wilson_ci, median_difference, ratio_metric_difference, two_proportions

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


# Assignments of two experiments and per-user outcomes.
ASSIGNMENTS = pd.DataFrame(
    [(f"u{i}", "free_ship", "control") for i in range(1, 7)]
    + [(f"u{i}", "free_ship", "treatment") for i in range(7, 11)]
    + [("u2", "free_ship", "control"), ("u11", "free_ship", "control"), ("u1", "other", "treatment")],
    columns=["user_id", "experiment", "variant"],
).assign(assigned_at=pd.Timestamp("2026-08-01"))
OUTCOMES = pd.DataFrame(
    {
        "user_id": ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u12"],
        "converted": pd.array([True, False, False, True, False, None, True, True, False, True, True], dtype="boolean"),
    }
)
# free_ship control: u1 T, u2 F (assigned twice, same variant: counted once), u3 F, u4 T, u5 F,
#   u6 missing outcome, u11 no outcome row -> n 5, converted 2.
# free_ship treatment: u7 T, u8 T, u9 F, u10 T -> n 4, converted 3. u12 is not assigned.


def table(con, name: str, df: pd.DataFrame) -> ibis.Table:
    """The frame as a table of the backend (an ibis.memtable on the default DuckDB)."""
    if con is None:
        return ibis.memtable(df)
    return con.create_table(name, df, overwrite=True)


# ---------------------------------------------------------------- Readout.sentence


def readout(**changes) -> Readout:
    base = Readout(
        metric="abandonment",
        kind="rate",
        group_a="before",
        group_b="after",
        value_a=0.45,
        value_b=0.15,
        n_a=1000,
        n_b=1000,
        abs_effect=-0.30,
        rel_effect=-2 / 3,
        ci_low=-0.32,
        ci_high=-0.28,
        rel_ci_low=-0.70,
        rel_ci_high=-0.62,
        p_value=1e-9,
        alpha=0.05,
        unit="%",
        higher_is_better=False,
    )
    return replace(base, **changes)


def test_sentence_for_a_fall_in_a_rate_uses_points_and_both_intervals():
    r = readout()
    assert r.sentence() == (
        "Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −32 to −28), "
        "−66.7% relative (95% CI −70% to −62%); p < 0.001."
    )
    assert r.significant and r.verdict == "better"


def test_sentence_for_a_rise_between_variants():
    r = readout(
        metric="cart conversion",
        group_a="control",
        group_b="treatment",
        value_a=0.30,
        value_b=0.375,
        abs_effect=0.075,
        rel_effect=0.25,
        ci_low=0.034,
        ci_high=0.116,
        rel_ci_low=0.104,
        rel_ci_high=0.414,
        p_value=0.0004,
        higher_is_better=True,
    )
    assert r.sentence() == (
        "Cart conversion rose from 30% (control) to 37.5% (treatment): +7.5 pts (95% CI +3.4 to +11.6), "
        "+25% relative (95% CI +10.4% to +41.4%); p < 0.001."
    )
    assert r.verdict == "better"
    assert replace(r, higher_is_better=None).verdict == "changed"


def test_sentence_for_no_significant_change_says_so_and_keeps_the_interval():
    r = readout(value_b=0.44, abs_effect=-0.01, rel_effect=-1 / 45, ci_low=-0.053, ci_high=0.034,
                rel_ci_low=-0.113, rel_ci_high=0.078, p_value=0.65)
    assert r.sentence() == (
        "Abandonment did not change significantly, 45% (before) vs 44% (after): −1 pt (95% CI −5.3 to +3.4), "
        "−2.2% relative (95% CI −11.3% to +7.8%); p = 0.65."
    )
    assert not r.significant and r.verdict == "no significant change"


def test_a_p_value_below_alpha_with_an_interval_across_zero_is_not_called_a_change():
    r = readout(p_value=0.04, ci_low=-0.33, ci_high=0.01)
    assert not r.significant
    assert "did not change significantly" in r.sentence()


def test_sentence_for_medians_uses_the_unit_and_a_currency_prefix():
    minutes = readout(
        metric="median opening time", kind="median", unit="min", value_a=8.2, value_b=2.9, abs_effect=-5.3,
        rel_effect=-0.646, ci_low=-5.6, ci_high=-5.0, rel_ci_low=-0.68, rel_ci_high=-0.61, alpha=0.1,
    )
    assert minutes.sentence() == (
        "Median opening time fell from 8.2 min (before) to 2.9 min (after): −5.3 min (90% CI −5.6 to −5), "
        "−64.6% relative (90% CI −68% to −61%); p < 0.001."
    )
    money = replace(minutes, metric="median order value", unit="¥", value_a=102.0, value_b=111.0, abs_effect=9.0,
                    ci_low=5.2, ci_high=12.3, rel_effect=0.088, rel_ci_low=0.05, rel_ci_high=0.12, p_value=0.002)
    assert money.sentence().startswith(
        "Median order value rose from ¥102 (before) to ¥111 (after): +¥9 (90% CI +5.2 to +12.3)"
    )
    assert money.sentence().endswith("; p = 0.002.")


def test_sentence_leaves_out_an_undefined_relative_change():
    r = readout(value_a=0.0, value_b=0.05, abs_effect=0.05, ci_low=0.02, ci_high=0.11,
                rel_effect=math.nan, rel_ci_low=math.nan, rel_ci_high=math.nan, p_value=0.02)
    assert r.sentence() == "Abandonment rose from 0% (before) to 5% (after): +5 pts (95% CI +2 to +11); p = 0.02."
    assert "relative" not in r.sentence()


group_counts = st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=100, deadline=None)
@given(group_counts, group_counts)
def test_every_rate_sentence_states_its_interval_and_matches_its_verdict(a, b):
    r = compare_rates(*a, *b, metric="conversion", higher_is_better=True)
    text = r.sentence()
    assert "% CI " in text and ("p < 0.001." in text or "; p = " in text)
    assert ("relative" in text) == (a[0] > 0 and not (a[0] == a[1] and b[0] == b[1]))
    verb = "rose" if r.abs_effect > 0 else "fell"
    assert text.startswith(f"Conversion {verb} from") == r.significant
    assert r.verdict == ("no significant change" if not r.significant else "better" if r.abs_effect > 0 else "worse")


def test_to_frame_is_one_tidy_row():
    frame = readout().to_frame()
    assert frame.shape[0] == 1
    assert frame.loc[0, "n_a"] == 1000 and frame.loc[0, "verdict"] == "better"
    assert frame.loc[0, "sentence"] == readout().sentence()


# ---------------------------------------------------------------- compare_rates / compare_medians


def test_compare_rates_carries_the_two_proportion_comparison():
    r = compare_rates(45, 100, 15, 100, metric="abandonment", higher_is_better=False)
    expected = two_proportions(45, 100, 15, 100)
    assert (r.value_a, r.value_b, r.n_a, r.n_b) == (0.45, 0.15, 100, 100)
    assert (r.abs_effect, r.ci_low, r.ci_high) == (expected.diff, expected.diff_low, expected.diff_high)
    assert r.p_value == expected.p_value
    assert r.rel_effect == pytest.approx(-2 / 3)
    assert r.sentence().startswith("Abandonment fell from 45% (before) to 15% (after): −30 pts")


@pytest.mark.parametrize(
    ("args", "words"),
    [((0, 0, 1, 10), "group 'before' has no units"), ((1, 10, 12, 10), "group 'after' has 12 successes of 10 units")],
)
def test_compare_rates_rejects_empty_groups_naming_them(args, words):
    with pytest.raises(ParameterError, match=words):
        compare_rates(*args, metric="abandonment")


def test_compare_medians_names_the_group_too_small():
    with pytest.raises(ParameterError, match="group 'after' has 1 value"):
        compare_medians([1.0, 2.0], [3.0], metric="median opening time", unit="min")


# ---------------------------------------------------------------- split_before_after


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


# ---------------------------------------------------------------- before_after_rate / before_after_median


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


# ---------------------------------------------------------------- variant_rate


def test_variant_rate_counts_users_with_an_outcome_by_hand():
    r, srm = variant_rate(ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS), "free_ship", "converted",
                          metric="cart conversion", higher_is_better=True)
    assert (r.group_a, r.n_a, r.value_a, r.group_b, r.n_b, r.value_b) == ("control", 5, 0.4, "treatment", 4, 0.75)
    assert r == compare_rates(2, 5, 3, 4, metric="cart conversion", group_a="control", group_b="treatment",
                              higher_is_better=True)
    # equal shares by default: expected 4.5 each, chi² = 2 · 0.5² / 4.5 = 0.111
    assert srm.observed == {"control": 5, "treatment": 4}
    assert srm.statistic == pytest.approx(1 / 9) and not srm.mismatch


def test_variant_rate_flags_a_sample_ratio_mismatch_of_a_5_percent_rollout():
    users = [f"u{i}" for i in range(1000)]
    variants = ["treatment" if i < 100 else "control" for i in range(1000)]  # 10% treated, 5% planned
    assignments = pd.DataFrame({"user_id": users, "experiment": "rollout", "variant": variants})
    outcomes = pd.DataFrame({"user_id": users, "done": [i % 2 == 0 for i in range(1000)]})
    r, srm = variant_rate(ibis.memtable(outcomes), ibis.memtable(assignments), "rollout", "done", metric="completion",
                          expected_shares={"treatment": 0.05, "control": 0.95})
    # expected 50 / 950: chi² = 50²/50 + 50²/950 = 52.63
    assert srm.statistic == pytest.approx(50 + 2500 / 950) and srm.mismatch
    assert (r.n_a, r.n_b, r.value_a, r.value_b) == (900, 100, 0.5, 0.5)


def test_variant_rate_lists_experiments_and_variants_present():
    outcomes, assignments = ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS)
    missing = "experiment 'nope' is not in the assignments table; experiments present: free_ship, other"
    with pytest.raises(ParameterError, match=missing):
        variant_rate(outcomes, assignments, "nope", "converted", metric="m")
    missing = "variant 'b' is not in experiment 'free_ship'; variants present: control, treatment"
    with pytest.raises(ParameterError, match=missing):
        variant_rate(outcomes, assignments, "free_ship", "converted", metric="m", treatment="b")
    with pytest.raises(ParameterError, match="expected shares must be positive and sum to 1"):
        variant_rate(outcomes, assignments, "free_ship", "converted", metric="m",
                     expected_shares={"control": 0.5, "treatment": 0.6})


def test_variant_rate_refuses_users_in_two_variants_and_duplicate_outcomes():
    u3_again = pd.DataFrame([("u3", "free_ship", "treatment", pd.Timestamp("2026-08-02"))], columns=ASSIGNMENTS.columns)
    two_variants = pd.concat([ASSIGNMENTS, u3_again])
    words = r"table 'assignments', column 'variant': users in more than one variant of experiment 'free_ship' \(1 rows\)"
    with pytest.raises(ContractError, match=words):
        variant_rate(ibis.memtable(OUTCOMES), ibis.memtable(two_variants), "free_ship", "converted", metric="m")
    duplicated = pd.concat([OUTCOMES, OUTCOMES.iloc[[0, 6]]])
    with pytest.raises(ContractError, match=r"several rows per user; one row per user is expected \(2 rows\)"):
        variant_rate(ibis.memtable(duplicated), ibis.memtable(ASSIGNMENTS), "free_ship", "converted", metric="m")
    with pytest.raises(ContractError, match="table 'assignments', column 'variant': required column is missing"):
        variant_rate(
            ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS.drop(columns="variant")), "free_ship", "converted", metric="m"
        )


# ---------------------------------------------------------------- the same counts on DuckDB tables and Spark


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


def test_rates_carry_each_groups_wilson_interval():
    from uem_helpers.stats import wilson_ci

    r = compare_rates(45, 100, 15, 100, metric="abandonment")
    assert (r.value_a_low, r.value_a_high) == pytest.approx(wilson_ci(45, 100))
    assert (r.value_b_low, r.value_b_high) == pytest.approx(wilson_ci(15, 100))


def test_compare_means_takes_counts_and_names_the_group_it_refuses():
    from uem_helpers.analyses.experiment import compare_means

    counted = compare_means([10.0, 20.0], [20.0, 40.0], counts_a=[3, 1], counts_b=[1, 1], metric="AOV", unit="¥")
    listed = compare_means([10.0, 10.0, 10.0, 20.0], [20.0, 40.0], metric="AOV", unit="¥")
    assert (counted.n_a, counted.value_a, counted.value_b) == (4, 12.5, 30.0)
    for field in ("value_a_low", "value_a_high", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "p_value"):
        assert getattr(counted, field) == pytest.approx(getattr(listed, field), rel=1e-12), field
    assert counted.sentence() == listed.sentence()
    with pytest.raises(ParameterError, match="AOV: group 'after' has 1 value"):
        compare_means([1.0, 2.0], [5.0, 6.0], counts_b=[1, 0], metric="AOV", unit="¥")
    with pytest.raises(ParameterError, match="AOV: group 'before' holds 1 NaN"):
        compare_means([1.0, math.nan], [5.0, 6.0], metric="AOV", unit="¥")


def test_before_after_mean_known_answer_and_sentence():
    from uem_helpers.analyses.experiment import before_after_mean

    stamps = pd.to_datetime(["2026-08-13", "2026-08-14", "2026-08-14", "2026-08-15", "2026-08-16", "2026-08-17"])
    table = ibis.memtable(pd.DataFrame({"t": stamps.astype("datetime64[us]"), "minutes": [8.0, 9.0, 10.0, 2.0, 3.0, 4.0]}))
    r = before_after_mean(table, "t", "minutes", "2026-08-15", metric="mean opening time", unit="min",
                          higher_is_better=False)
    assert (r.kind, r.value_a, r.value_b, r.n_a, r.n_b) == ("mean", 9.0, 3.0, 3, 3)
    assert r.abs_effect == pytest.approx(-6.0)
    assert r.value_a_low < 9.0 < r.value_a_high
    assert r.sentence().startswith("Mean opening time fell from 9 min (before) to 3 min (after): −6 min (95% CI")
    # Ratio 3 / 9; variances with divisor n are 2/3 on both sides: var(log ratio) = (2/3) / (3 · 9²) + (2/3) / (3 · 3²).
    half = 1.959963984540054 * math.sqrt((2 / 3) / (3 * 81) + (2 / 3) / (3 * 9))
    assert (r.rel_ci_low, r.rel_ci_high) == pytest.approx((math.exp(-half) / 3 - 1, math.exp(half) / 3 - 1), rel=1e-9)
    assert "−66.7% relative (95% CI −75.9% to −53.9%)" in r.sentence()


# ---------------------------------------------------------------- variant_ratio: unit-level metrics, clustered by user

AB_ASSIGNED = pd.DataFrame(
    [("a1", "control", "2026-10-01"), ("a2", "control", "2026-10-01"), ("a3", "control", "2026-10-05"),
     ("a4", "control", "2026-10-01"), ("b1", "treatment", "2026-10-01"), ("b2", "treatment", "2026-10-01"),
     ("b3", "treatment", "2026-10-03"), ("a1", "control", "2026-10-02"), ("b1", "other_test", "2026-09-01")],
    columns=["user_id", "variant", "assigned_at"],
).assign(experiment=lambda d: np.where(d["variant"] == "other_test", "other", "one_tap"),
         assigned_at=lambda d: pd.to_datetime(d["assigned_at"]).astype("datetime64[us]"))
AB_CARTS = pd.DataFrame(
    [
        ("a1", "2026-09-30", True, 50.0),   # before a1's (earliest) assignment 10-01: not counted
        ("a1", "2026-10-01", True, 100.0),  # at the assignment instant: counted
        ("a1", "2026-10-02", False, 0.0),
        ("a2", "2026-10-03", False, 0.0),
        ("a3", "2026-10-04", True, 80.0),   # before a3's assignment 10-05: not counted
        ("a3", "2026-10-06", True, 60.0),
        ("a3", "2026-10-07", None, 0.0),    # outcome missing: not a unit of the rate
        ("b1", "2026-10-02", True, 120.0),
        ("b1", "2026-10-02", True, 100.0),
        ("b2", "2026-10-04", False, 0.0),
        ("b3", "2026-10-04", True, 90.0),
        ("zz", "2026-10-04", True, 70.0),   # not assigned: not counted
    ],
    columns=["user_id", "created_at", "checked_out", "paid"],
).astype({"created_at": "datetime64[us]", "checked_out": "boolean"})
# one_tap, per user (checked-out carts y, carts n, paid):
#   control:   a1 (1, 2, 100), a2 (0, 1, 0), a3 (1, 1, 60; plus the cart without outcome, paid 0),
#              a4 no cart (0, 0, 0)
#   treatment: b1 (2, 2, 220), b2 (0, 1, 0), b3 (1, 1, 90)
AB_RATE = {"control": [(1, 2), (0, 1), (1, 1), (0, 0)], "treatment": [(2, 2), (0, 1), (1, 1)]}


def _sums(pairs) -> ClusterSums:
    y, n = (np.array(v, dtype=float) for v in zip(*pairs))
    return ClusterSums(len(y), y.sum(), n.sum(), (y * y).sum(), (n * n).sum(), (y * n).sum())


def test_variant_ratio_counts_units_from_each_users_assignment_by_hand():
    r, srm = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="cart conversion",
                           outcome="checked_out", higher_is_better=True)
    assert (r.kind, r.group_a, r.group_b, r.n_a, r.n_b) == ("rate", "control", "treatment", 4, 4)
    assert (r.value_a, r.value_b) == (0.5, 0.75)
    want = ratio_metric_difference(_sums(AB_RATE["control"]), _sums(AB_RATE["treatment"]))
    assert (r.abs_effect, r.ci_low, r.ci_high, r.rel_ci_low, r.rel_ci_high, r.p_value) == pytest.approx(
        (want.diff, want.diff_low, want.diff_high, want.rel_low, want.rel_high, want.p_value), rel=1e-12)
    assert (r.value_a_low, r.value_a_high) == pytest.approx(clustered_wilson_ci(0.5, want.se_a, 4))
    # The SRM counts assigned users, with a cart or not (a4): 4 vs 3 against 50/50.
    assert srm.observed == {"control": 4, "treatment": 3} and not srm.mismatch


def test_variant_ratios_reads_several_metrics_in_one_go():
    aov = RatioMetric("average order value", numerator="paid", denominator="checked_out", unit="¥")
    rpc = RatioMetric("revenue per cart", numerator="paid", unit="¥")
    (r_aov, r_rpc), _ = variant_ratios(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", [aov, rpc])
    # AOV: control 160 / 2 checked out (a3's 10-07 cart has no outcome: not in the denominator), treatment 310 / 3;
    # revenue per cart: control 160 / 5 carts (a3's 10-07 cart paid 0 and counts), treatment 310 / 4.
    assert (r_aov.kind, r_aov.value_a, r_aov.value_b, r_aov.n_a) == ("mean", 80.0, pytest.approx(310 / 3), 2)
    assert (r_rpc.value_a, r_rpc.n_a, r_rpc.value_b) == (32.0, 5, pytest.approx(310 / 4))
    want = ratio_metric_difference(_sums([(100, 1), (0, 0), (60, 1), (0, 0)]), _sums([(220, 2), (0, 0), (90, 1)]))
    assert (r_aov.ci_low, r_aov.ci_high, r_aov.value_a_low) == pytest.approx(
        (want.diff_low, want.diff_high, want.ratio_a_low), rel=1e-12)


def test_variant_ratio_refuses_bad_metrics_and_missing_groups_in_words():
    carts, assigned = ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED)
    with pytest.raises(ParameterError, match="give either outcome .* or numerator"):
        variant_ratio(carts, assigned, "one_tap", metric="m")
    with pytest.raises(ParameterError, match="metric 'm': column 'price' is not in the units table"):
        variant_ratio(carts, assigned, "one_tap", metric="m", numerator="price")
    with pytest.raises(ParameterError, match="outcome column 'paid' must be boolean"):
        variant_ratio(carts, assigned, "one_tap", metric="m", outcome="paid")
    aware = ibis.memtable(AB_CARTS.assign(created_at=AB_CARTS["created_at"].dt.tz_localize("UTC")))
    with pytest.raises(ParameterError, match=r"time column 'created_at' must be a naive timestamp .* timestamp\('UTC'\)"):
        variant_ratio(aware, assigned, "one_tap", metric="m", outcome="checked_out")
    with pytest.raises(ParameterError, match="experiment 'nope' is not in the assignments table; experiments present: "
                                             "one_tap, other"):
        variant_ratio(carts, assigned, "nope", metric="m", outcome="checked_out")
    with pytest.raises(ParameterError, match="variant 'control' is not in experiment 'other'"):
        variant_ratio(carts, assigned, "other", metric="m", outcome="checked_out")
    with pytest.raises(ContractError, match="table 'assignments', column 'assigned_at': required column is missing"):
        variant_ratio(carts, ibis.memtable(AB_ASSIGNED.drop(columns="assigned_at")), "one_tap", metric="m",
                      outcome="checked_out")
    late = AB_CARTS.assign(created_at=pd.Timestamp("2026-09-01"))  # every cart before every assignment
    with pytest.raises(ParameterError, match="m: variant 'control' of experiment 'one_tap' has 4 assigned user"):
        variant_ratio(ibis.memtable(late), assigned, "one_tap", metric="m", outcome="checked_out")
    two = pd.concat([AB_ASSIGNED, AB_ASSIGNED.iloc[[1]].assign(variant="treatment")])
    with pytest.raises(ContractError, match="users in more than one variant"):
        variant_ratio(carts, ibis.memtable(two), "one_tap", metric="m", outcome="checked_out")


def test_variant_ratio_flags_a_sample_ratio_mismatch_on_users():
    r, srm = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="m",
                           outcome="checked_out", expected_shares={"control": 0.95, "treatment": 0.05}, srm_alpha=0.05)
    # expected 6.65 / 0.35 of 7 users: chi² = 2.65² / 6.65 + 2.65² / 0.35
    assert srm.statistic == pytest.approx(2.65**2 / 6.65 + 2.65**2 / 0.35) and srm.mismatch
    assert (r.value_a, r.value_b) == (0.5, 0.75)  # the readout is still given; the SRM says not to trust it


@pytest.mark.spark
def test_variant_ratio_gives_identical_numbers_on_spark(spark_con):
    spark = variant_ratio(table(spark_con, "ab_carts", AB_CARTS), table(spark_con, "ab_assigned", AB_ASSIGNED),
                          "one_tap", metric="cart conversion", outcome="checked_out")
    duck = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="cart conversion",
                         outcome="checked_out")
    assert spark[1] == duck[1]
    for field in ("value_a", "value_b", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "p_value", "value_a_low"):
        assert getattr(spark[0], field) == pytest.approx(getattr(duck[0], field), rel=1e-12), field
