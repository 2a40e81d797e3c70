"""Funnel: known answers on hand-made logs, and properties that must always hold."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.funnel import completion_times, daily_completion, funnel, user_funnel

T0 = datetime(2026, 10, 1, 9, 0, 0)
STEPS = ["a", "b", "c"]


def log(rows, **extra) -> ibis.Table:
    """Events from (user, seconds after T0, event) triples."""
    df = pd.DataFrame(
        {
            "user_id": pd.Series([r[0] for r in rows], dtype="string"),
            "timestamp": pd.Series([T0 + timedelta(seconds=r[1]) for r in rows], dtype="datetime64[us]"),
            "event": pd.Series([r[2] for r in rows], dtype="string"),
            **extra,
        }
    )
    return ibis.memtable(df)


def reached(events, steps=STEPS, **kw) -> list[int]:
    return funnel(events, steps, **kw)["reached"].tolist()


def test_ordered_basic_known_answer():
    ev = log([
        ("u1", 0, "a"), ("u1", 10, "b"), ("u1", 20, "c"),     # completes: 10 s + 10 s
        ("u2", 0, "a"), ("u2", 5, "c"), ("u2", 10, "b"),      # c before b: stops at b
        ("u3", 0, "a"), ("u3", 30, "x"), ("u3", 40, "b"),     # other events in between are fine
        ("u4", 5, "b"), ("u4", 6, "c"),                       # never did a: not entered
    ])
    out = funnel(ev, STEPS, window="1h")
    assert out["entered"].tolist() == [3, 3, 3]
    assert out["reached"].tolist() == [3, 3, 1]
    assert out["lost"].tolist() == [0, 0, 2]
    assert out["step_conversion"].tolist() == pytest.approx([1.0, 1.0, 1 / 3])
    assert out["conversion"].tolist() == pytest.approx([1.0, 1.0, 1 / 3])
    # time from a to b: u1 10 s, u2 10 s, u3 40 s -> median 10, p75 25 (linear), p90 34
    assert out.loc[1, "median_seconds"] == pytest.approx(10)
    assert out.loc[1, "p75_seconds"] == pytest.approx(25)
    assert out.loc[1, "p90_seconds"] == pytest.approx(34)
    assert out.loc[2, "median_seconds"] == pytest.approx(10)
    # Wilson bounds bracket the estimate
    assert (out["conversion_low"] <= out["conversion"]).all() and (out["conversion"] <= out["conversion_high"]).all()


def test_same_second_counts_as_after_and_one_event_never_fills_two_steps():
    ev = log([
        ("u1", 0, "a"), ("u1", 0, "b"), ("u1", 0, "c"),        # all in one second: completes
        ("u2", 0, "v"), ("u2", 9, "buy"),                       # one view cannot fill both view steps
        ("u3", 0, "v"), ("u3", 0, "v"), ("u3", 1, "buy"),       # two identical rows fill both
        ("u4", 0, "v"), ("u4", 4, "v"), ("u4", 4, "buy"),
    ])
    assert reached(ev) == [1, 1, 1]
    assert reached(ev, ["v", "v", "buy"]) == [3, 2, 2]


def test_window_is_inclusive_from_entry():
    ev = log([
        ("u1", 0, "a"), ("u1", 3600, "b"),            # exactly 1 h: reached
        ("u2", 0, "a"), ("u2", 3601, "b"),            # 1 h 1 s: not reached
        ("u3", 0, "a"), ("u3", 1800, "b"), ("u3", 3601, "c"),  # window counts from entry, not from b
    ])
    assert reached(ev, window="1h") == [3, 2, 0]
    assert reached(ev, window="2h") == [3, 3, 1]


def test_entry_is_first_step1_event_in_period_and_steps_may_end_after_it():
    day = 86400
    ev = log([
        ("u1", -day, "a"), ("u1", -day + 5, "b"),          # before the period: ignored
        ("u1", 10, "a"), ("u1", 20, "a"), ("u1", 60, "b"),  # entry at 10, not 20
        ("u2", 15 * 3600 - 1, "a"), ("u2", 15 * 3600 + 30, "b"),  # enters 23:59:59 on the last day, b after it
    ])
    per_user = user_funnel(ev, ["a", "b"], period_start="2026-10-01", period_end="2026-10-01").execute()
    per_user = per_user.set_index("user_id")
    assert per_user.loc["u1", "entered_at"] == pd.Timestamp(T0 + timedelta(seconds=10))
    assert per_user.loc["u1", "seconds_to_complete"] == 50
    assert bool(per_user.loc["u2", "completed"])
    assert len(per_user) == 2


def test_repeated_steps_pick_the_first_match_after_the_previous():
    ev = log([("u1", 0, "a"), ("u1", 5, "b"), ("u1", 7, "b"), ("u1", 9, "c"), ("u1", 20, "c")])
    per_user = user_funnel(ev, STEPS).execute()
    assert per_user["seconds_from_previous_2"].tolist() == [5]
    assert per_user["seconds_from_previous_3"].tolist() == [4]


def test_strict_ordered_any_order_known_answers():
    ev = log([
        ("u1", 0, "a"), ("u1", 1, "b"), ("u1", 2, "c"),       # clean: all modes complete
        ("u2", 0, "a"), ("u2", 1, "c"), ("u2", 2, "b"), ("u2", 3, "c"),  # stray c between a and b
        ("u3", 0, "a"), ("u3", 1, "c"), ("u3", 2, "b"),       # reversed: only any-order completes
        ("u4", 0, "a"), ("u4", 0, "c"), ("u4", 0, "b"),       # one instant: ties in funnel order
    ])
    assert reached(ev, mode="strict") == [4, 2, 2]
    assert reached(ev, mode="ordered") == [4, 4, 3]
    assert reached(ev, mode="any_order") == [4, 4, 4]


def test_any_order_reached_at_the_latest_needed_event():
    ev = log([("u1", 0, "a"), ("u1", 30, "c"), ("u1", 50, "b")])
    per_user = user_funnel(ev, STEPS, mode="any_order").execute()
    assert per_user["seconds_to_complete"].tolist() == [50]


def test_exclusion_ends_the_funnel_after_entry():
    ev = log([
        ("u1", 0, "a"), ("u1", 5, "cancel"), ("u1", 10, "b"), ("u1", 20, "c"),  # excluded before b
        ("u2", 0, "a"), ("u2", 10, "b"), ("u2", 15, "cancel"), ("u2", 20, "c"),  # keeps b, loses c
        ("u3", 0, "cancel"), ("u3", 0, "a"), ("u3", 10, "b"), ("u3", 20, "c"),   # same instant as entry: not after
        ("u4", 0, "a"), ("u4", 10, "b"), ("u4", 20, "c"), ("u4", 30, "cancel"),  # after completion: no effect
    ])
    assert reached(ev, exclude=["cancel"]) == [4, 3, 2]
    assert reached(ev) == [4, 4, 4]


def test_breakdown_by_segment_from_events_and_from_users():
    ev = log(
        [("u1", 0, "a"), ("u1", 9, "b"), ("u2", 0, "a"), ("u3", 0, "a"), ("u3", 1, "b")],
        platform=["ios", "ios", "android", "ios", "ios"],
    )
    out = funnel(ev, ["a", "b"], segment_by="platform")
    assert out[["platform", "step", "reached"]].values.tolist() == [
        ["android", "a", 1], ["android", "b", 0], ["ios", "a", 2], ["ios", "b", 2],
    ]
    users = ibis.memtable(pd.DataFrame({"user_id": ["u1", "u2"], "region": ["上海", "广东"]}))
    out = funnel(ev, ["a", "b"], segment_by="region", users=users)
    assert set(out["region"]) == {"上海", "广东", "(unknown)"}
    with pytest.raises(ParameterError, match="segment_by='plan'.*columns are: .*event"):
        funnel(ev, ["a", "b"], segment_by="plan", users=users)


def test_bad_parameters_are_named():
    ev = log([("u1", 0, "a")])
    with pytest.raises(ParameterError, match="at least two steps"):
        funnel(ev, ["a"])
    with pytest.raises(ParameterError, match="mode='loose'.*ordered, strict, any_order"):
        funnel(ev, STEPS, mode="loose")


def test_no_entries_gives_zero_counts_not_a_crash():
    out = funnel(log([("u1", 0, "b")]), STEPS)
    assert out["entered"].tolist() == [0, 0, 0]
    assert out["conversion"].isna().all()


def test_completion_times_per_user():
    ev = log([("u1", 0, "a"), ("u1", 60, "b"), ("u1", 180, "c"), ("u2", 0, "a")])
    times = completion_times(ev, STEPS)
    assert times["completed"].tolist() == [True, False] or times["completed"].tolist() == [False, True]
    done = times.set_index("user_id").loc["u1"]
    assert done["seconds_to_complete"] == 180 and done["seconds_from_previous_3"] == 120


# --- properties ----------------------------------------------------------------------

event_rows = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 40), st.sampled_from(["a", "b", "c", "x"])),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows, seed=st.integers(0, 10_000))
def test_properties_monotone_modes_nested_and_row_order_free(rows, seed):
    ev_df = log(rows).execute()
    shuffled = ibis.memtable(ev_df.sample(frac=1, random_state=seed).reset_index(drop=True))
    ordered = reached(ibis.memtable(ev_df), window=20)
    assert ordered == sorted(ordered, reverse=True), "counts never increase along the funnel"
    assert reached(shuffled, window=20) == ordered, "row order never matters"
    strict = reached(ibis.memtable(ev_df), window=20, mode="strict")
    any_order = reached(ibis.memtable(ev_df), window=20, mode="any_order")
    assert all(s <= o <= a for s, o, a in zip(strict, ordered, any_order)), (strict, ordered, any_order)


@pytest.mark.spark
@pytest.mark.parametrize("mode", ["ordered", "strict", "any_order"])
def test_identical_numbers_on_duckdb_and_spark(spark_con, duckdb_con, mode):
    rows = [
        ("0001", 0, "a"), ("0001", 0, "b"), ("0001", 30, "c"), ("0002", 0, "a"), ("0002", 5, "c"),
        ("0002", 9, "b"), ("0003", 0, "a"), ("0003", 0, "a"), ("0003", 12, "b"), ("0003", 99, "cancel"),
        ("0004", 0, "a"), ("0004", 4000, "b"), ("0005", 3, "a"), ("0005", 8, "b"), ("0005", 9, "c"),
    ]
    df = log(rows, platform=["ios", "ios", "ios", "web", "web", "web", "ios", "ios", "ios", "ios",
                             "web", "web", "ios", "ios", "ios"]).execute()
    duck = duckdb_con.create_table("ev", df)
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_funnel")
    spark = spark_con.table("ev_funnel")
    kwargs = dict(window="1h", mode=mode, exclude=["cancel"], segment_by="platform")
    pd.testing.assert_frame_equal(funnel(duck, STEPS, **kwargs), funnel(spark, STEPS, **kwargs))


def test_daily_completion_and_pooled_seven_day_rate():
    day = 86400
    ev = log([
        ("u1", 0, "a"), ("u1", 5, "b"), ("u1", 9, "c"),    # day 1: 1 of 2 complete
        ("u2", 0, "a"),
        ("u3", 3 * day, "a"),                              # day 4: 0 of 1
        ("u4", 9 * day, "a"), ("u4", 9 * day + 1, "b"), ("u4", 9 * day + 2, "c"),  # day 10: 1 of 1
    ])
    daily = daily_completion(ev, STEPS)
    assert daily["date"].dt.strftime("%m-%d").tolist() == ["10-01", "10-04", "10-10"]
    assert daily["rate"].tolist() == [0.5, 0.0, 1.0]
    # pooled over the day and the six before: day 4 sees days 1-4 (1 of 3), day 10 sees days 4-10 (1 of 2)
    assert daily["rate_7d"].tolist() == pytest.approx([0.5, 1 / 3, 0.5])
    assert (daily["rate_7d_low"] <= daily["rate_7d"]).all()


@pytest.mark.spark
def test_daily_and_per_user_times_identical_on_duckdb_and_spark(spark_con, duckdb_con):
    day = 86400
    rows = [("0001", 0, "a"), ("0001", 5, "b"), ("0001", 9, "c"), ("0002", day, "a"), ("0002", day + 70, "b"),
            ("0003", 3 * day, "a"), ("0003", 3 * day, "b"), ("0003", 3 * day + 1, "c")]
    df = log(rows).execute()
    duck = duckdb_con.create_table("ev_daily", df)
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_daily")
    spark = spark_con.table("ev_daily")
    pd.testing.assert_frame_equal(daily_completion(duck, STEPS), daily_completion(spark, STEPS))
    pd.testing.assert_frame_equal(completion_times(duck, STEPS), completion_times(spark, STEPS), check_dtype=False)
