"""Loops: cycles found by hand on small logs, their harm with its interval, concentration flags, cut-off sessions,
and the planted loops of the sample."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from tests.unit.analyses.journey.hand_made import log, sample  # noqa: F401 (a fixture)
from uem_helpers.analyses.journey import loops
from uem_helpers.analyses.sessions import Sessions, prepare_sessions
from uem_helpers.core.errors import ParameterError
from uem_helpers.stats import wilson_ci

CYCLE_LOG = [
    ("u1", 0, "a"), ("u1", 1, "b"), ("u1", 2, "a"), ("u1", 3, "b"), ("u1", 4, "a"), ("u1", 5, "x"),  # a→b→a twice,
    ("u2", 0, "a"), ("u2", 1, "b"), ("u2", 2, "c"), ("u2", 3, "d"), ("u2", 4, "a"),  # b→a→b once; a 4-step cycle
    ("u3", 0, "a"), ("u3", 1, "b"), ("u3", 2, "b"), ("u3", 3, "a"),                  # inner repeat: no cycle
    ("u4", 0, "a"), ("u4", 1, "b"), ("u4", 2, "c"), ("u4", 3, "a"),                  # a 3-step cycle
    ("u5", 0, "a"), ("u5", 1, "g"), ("u5", 2, "a"),                                  # through the goal g
    ("u6", 0, "g"), ("u6", 1, "a"), ("u6", 2, "g"),                                  # from the goal g
    ("u7", 0, "a"), ("u7", 1, "b"), ("u7", 2, "c"), ("u7", 3, "b"), ("u7", 4, "a"),  # a→…→a repeats b; b→c→b counts
    ("u8", 0, "a"), ("u8", 1, "b"), ("u8", 2, "c"), ("u8", 3, "d"), ("u8", 4, "e"), ("u8", 5, "a"),  # 5 steps
]


def _found(out: pd.DataFrame) -> dict[str, tuple[int, int, int, int]]:
    return {r.loop: (r.length, r.users, r.sessions, r.occurrences) for r in out.itertuples()}


def test_cycles_of_two_to_four_steps_by_hand():
    sessions = prepare_sessions(log(CYCLE_LOG))
    out = loops(sessions, goal_events=["g"], min_users=1)
    assert _found(out) == {
        "a → b → a": (2, 1, 1, 2),              # overlapping: a b a b a holds it twice
        "b → a → b": (2, 1, 1, 1),
        "a → b → c → d → a": (4, 1, 1, 1),
        "a → b → c → a": (3, 1, 1, 1),
        "b → c → b": (2, 1, 1, 1),
    }
    assert set(out["start"]) == {"a", "b"}
    assert out.set_index("loop").loc["b → a → b", "same_cycle_as"] == "a → b → a"  # a rotation of a ranked cycle
    assert pd.isna(out.set_index("loop").loc["a → b → a", "same_cycle_as"])
    # without goals the cycles through g are loops too; max_length bounds the length
    assert {"a → g → a", "g → a → g"} <= set(loops(sessions, min_users=1)["loop"])
    assert set(loops(sessions, max_length=3, goal_events=["g"], min_users=1)["length"]) == {2, 3}
    assert set(loops(sessions, max_length=2, goal_events=["g"], min_users=1)["loop"]) == {
        "a → b → a", "b → a → b", "b → c → b"}
    # the conversion event is always a goal
    assert not any("g" in x.split(" → ") for x in loops(sessions, conversion_event="g", min_users=1)["loop"])
    assert loops(sessions, min_users=2).empty
    with pytest.raises(ParameterError, match="max_length=1"):
        loops(sessions, max_length=1)


def _harm_log(loopers: int, looper_buys: int, others: int, other_buys: int, happy: int = 0) -> list:
    """One session per user: loopers go a→b→a, others only reach a; happy users go c→d→c and all buy."""
    rows = []
    for i in range(loopers):
        rows += [(f"l{i}", 0, "a"), (f"l{i}", 1, "b"), (f"l{i}", 2, "a")] + ([(f"l{i}", 3, "buy")] if i < looper_buys
                                                                                else [])
    for i in range(others):
        rows += [(f"o{i}", 0, "a"), (f"o{i}", 1, "x")] + ([(f"o{i}", 2, "buy")] if i < other_buys else [])
    for i in range(happy):
        rows += [(f"h{i}", 0, "c"), (f"h{i}", 1, "d"), (f"h{i}", 2, "c"), (f"h{i}", 3, "buy")]
    for i in range(happy):  # the happy cycle's baseline: reached c, no loop, half buy
        rows += [(f"k{i}", 0, "c")] + ([(f"k{i}", 1, "buy")] if i % 2 else [])
    return rows + [("z", 7200, "later")]  # the data goes on for two hours: no session above is cut off


def test_harm_sign_interval_and_conversions_lost_by_hand():
    out = loops(prepare_sessions(log(_harm_log(40, 10, 60, 40, happy=20))), conversion_event="buy",
                min_users=1).set_index("loop")
    row = out.loc["a → b → a"]
    assert (row["compared_sessions"], row["converted_sessions"]) == (40, 10)
    assert (row["baseline_sessions"], row["baseline_converted"]) == (60, 40)
    assert row["difference"] == pytest.approx(10 / 40 - 40 / 60)
    # One session per user: the clustered variance is the binomial one times m / (m - 1), so each rate's
    # Wilson interval is taken on n - 1 effective sessions; the gap's interval is their square-and-add.
    low, high = wilson_ci(0.25 * 39, 39)
    b_low, b_high = wilson_ci(40 / 60 * 59, 59)
    assert (row["session_conversion_low"], row["session_conversion_high"]) == pytest.approx((low, high))
    assert (row["baseline_low"], row["baseline_high"]) == pytest.approx((b_low, b_high))
    gap = 0.25 - 40 / 60
    assert row["difference_low"] == pytest.approx(gap - ((0.25 - low) ** 2 + (b_high - 40 / 60) ** 2) ** 0.5)
    assert row["difference_high"] == pytest.approx(gap + ((high - 0.25) ** 2 + (40 / 60 - b_low) ** 2) ** 0.5)
    assert row["difference_high"] < 0 and row["harmful"] and row["interval"] == "clustered by user"
    assert row["conversions_lost"] == pytest.approx((40 / 60 - 0.25) * 40)
    happy = out.loc["c → d → c"]  # 20 of 20 buy against 10 of 20: better, never harmful, ranked last
    assert happy["difference"] == pytest.approx(0.5) and not happy["harmful"] and happy["conversions_lost"] == 0
    assert list(out.index[:1]) == ["a → b → a"] and list(out.index).index("c → d → c") > 0
    # too few to tell: 4 loopers (1 buys) against 6 others (4 buy) is not called harmful
    small = loops(prepare_sessions(log(_harm_log(4, 1, 6, 4))), conversion_event="buy", min_users=1).iloc[0]
    assert small["difference"] < 0 and small["difference_low"] < 0 < small["difference_high"]
    assert not small["harmful"]
    # one user in a group: nothing to cluster, Newcombe's interval on sessions
    one = loops(prepare_sessions(log(_harm_log(1, 0, 6, 4))), conversion_event="buy", min_users=1).iloc[0]
    assert one["interval"] == "Newcombe, sessions" and one["difference"] == pytest.approx(-4 / 6)


def test_cut_off_sessions_count_but_are_not_compared():
    sessions = prepare_sessions(log(_harm_log(40, 10, 60, 40)))
    still_open = [f"l{i}" for i in range(30, 40)] + ["o59"]  # 10 loopers who had not bought yet, one other
    t = sessions.table.mutate(cut_off=sessions.table.user_id.isin(still_open))
    row = loops(Sessions(t), conversion_event="buy", min_users=1).set_index("loop").loc["a → b → a"]
    assert (row["users"], row["sessions"]) == (40, 40)  # still counted as loopers
    assert (row["compared_sessions"], row["converted_sessions"]) == (30, 10)
    assert (row["baseline_sessions"], row["baseline_converted"]) == (59, 40)
    assert row["session_conversion"] == pytest.approx(10 / 30)
    assert row["conversions_lost"] == pytest.approx((40 / 59 - 10 / 30) * 30)


def _planted_log() -> pd.DataFrame:
    """Three months, two platforms, 45 users per month and platform (one session each); see the test."""
    rows = []
    for month in (1, 2, 3):
        for platform in ("android", "ios"):
            t0 = datetime(2025, month, 10, 12)
            cell = f"{month}{platform}"
            defect = month == 3 and platform == "android"

            def session(user, events):
                rows.extend((user, t0 + timedelta(seconds=10 * k), e, platform) for k, e in enumerate(events))

            for i in range(20):  # browsing: item → catalogue → item, 14 of 20 pay
                session(f"b{cell}{i}", ["item", "catalogue", "item", "add", "cart", "ship"]
                        + (["pay", "ok"] if i < 14 else []))
            for i in range(20):  # plain checkout, 14 of 20 pay; the defect: ship → add → cart → ship, 4 of 20 pay
                loop = ["add", "cart", "ship"] if defect else []
                session(f"p{cell}{i}", ["item", "add", "cart", "ship", *loop]
                        + (["pay", "ok"] if i < (4 if defect else 14) else []))
            for i in range(5):  # repeat purchases: ok → pay → ok runs through the goal
                session(f"r{cell}{i}", ["ship", "pay", "ok", "pay", "ok"])
    rows.append(("z", datetime(2025, 3, 31, 12), "launch", "ios"))  # the data goes on: no session above is cut off
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"]).astype(
        {"user_id": "string", "event": "string", "platform": "string", "timestamp": "datetime64[us]"})


def test_a_four_step_cycle_on_android_in_one_month_ranks_first():
    sessions = prepare_sessions(ibis.memtable(_planted_log()))
    out = loops(sessions, conversion_event="ok", goal_events=["ok"], segment_by="platform", min_users=5)
    top = out.iloc[0]
    assert top["loop"] == "ship → add → cart → ship" and top["length"] == 3  # four events, three steps
    assert top["harmful"] and top["flagged"]
    # rate among sessions reaching ship: 20 of 45 in March on android, none elsewhere
    assert (top["worst_segment"], top["segment_rate"], top["segment_rest_rate"]) == ("android", pytest.approx(20 / 135), 0)
    assert (top["period_unit"], top["worst_period"]) == ("month", "2025-03")
    assert (top["period_rate"], top["period_rest_rate"]) == (pytest.approx(20 / 90), 0)
    assert top["segment_q"] < 0.05 and top["period_q"] < 0.05
    # 4 of 20 pay against the sessions reaching ship without a loop (70 of 100 plain and 30 of 30 repeat buyers),
    # weighted to the loop's platform mix (all android): 28 of 40 plain android sessions and 15 of 15 repeat buyers
    assert top["session_conversion"] == pytest.approx(0.2)
    assert (top["baseline_sessions"], top["baseline_converted"]) == (130, 100)
    assert top["baseline_conversion"] == pytest.approx(43 / 55) and top["interval"] == "clustered by user, segment mix"
    # one segment, one session per user: the clustered variance is p(1 - p) / (n - 1), Wilson on 54 sessions
    assert (top["baseline_low"], top["baseline_high"]) == pytest.approx(wilson_ci(43 / 55 * 54, 54))
    pooled = loops(sessions, conversion_event="ok", goal_events=["ok"], min_users=5).set_index("loop")
    assert pooled.loc["ship → add → cart → ship", "baseline_conversion"] == pytest.approx(100 / 130)
    browse = out.set_index("loop").loc["item → catalogue → item"]  # frequent, converts as well as its baseline
    assert browse["users"] == 120 and browse["difference"] == pytest.approx(0) and not browse["harmful"]
    assert not browse["flagged"]
    assert not any("ok" in x.split(" → ") for x in out["loop"])  # no cycle through the goal
    distinct = out[out["same_cycle_as"].isna()]
    assert distinct["loop"].iloc[0] == "ship → add → cart → ship"
    assert list(distinct["loop"]).index("item → catalogue → item") > 0
    rotations = out[out["same_cycle_as"] == "ship → add → cart → ship"]["loop"]
    assert set(rotations) == {"add → cart → ship → add", "cart → ship → add → cart"}


def test_a_short_period_is_split_into_weeks():
    rows = [(f"u{i}", 86400 * 7 * (i % 2) + i, e) for i in range(40) for e in ("a",)]
    rows += [(f"w{i}", 86400 * 7 + k, e) for i in range(20) for k, e in enumerate(("a", "b", "a"))]
    out = loops(prepare_sessions(log(rows)), min_users=1).iloc[0]
    assert out["period_unit"] == "week" and out["worst_period"] == "2026-10-05" and out["flagged"]
    assert out["period_rate"] == pytest.approx(20 / 40)


def test_sample_size_guide_loop_costs_most(sample):
    events, _ = sample
    out = loops(prepare_sessions(events), conversion_event="order_success", goal_events=["order_success"])
    # The planted product_view ↔ size_guide loop costs only when repeated: size_guide → product_view → size_guide
    # needs two product_view → size_guide, the generator's rule; it costs the most conversions.
    assert out["loop"].iloc[0] == "size_guide → product_view → size_guide"
    assert out["difference"].iloc[0] < 0 and out["harmful"].iloc[0]


@pytest.mark.spark
def test_same_loops_on_duckdb_and_spark(spark_con, duckdb_con):
    df = _planted_log()
    df["cut_off"] = df["user_id"].str.endswith("0")
    duck = duckdb_con.create_table("ev_loops", df)
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_loops")
    spark = spark_con.table("ev_loops")
    kwargs = dict(conversion_event="ok", goal_events=["ok"], segment_by="platform", min_users=5)
    pd.testing.assert_frame_equal(loops(prepare_sessions(duck), **kwargs), loops(prepare_sessions(spark), **kwargs),
                                  check_dtype=False)


def test_the_segment_mix_baseline_is_the_same_whatever_order_the_engine_returns_the_segments_in():
    # Added up in the order the rows came, these counts give a standard error one ulp apart for two orders,
    # enough to flip the ranking of two rotations of one cycle with equal counts (DuckDB against Spark).
    from itertools import permutations
    from types import SimpleNamespace

    from uem_helpers.analyses.journey._loop_harm import _mixed_baseline

    counts = {"a": (114.0, 167.0), "b": (24.0, 54.0), "c": (3.0, 44.0)}
    by_segment = pd.DataFrame([dict(start="x", segment=s, m=int(n), sy=y, sn=n, syy=y, snn=n, syn=y)
                               for s, (y, n) in counts.items()])
    shares = {"a": 9, "b": 32, "c": 14}
    results = {_mixed_baseline(SimpleNamespace(loop="L", start="x"), by_segment,
                               pd.DataFrame(dict(loop="L", segment=list(order), n=[shares[s] for s in order])))
               for order in permutations(shares)}
    assert len(results) == 1
    rate, se, units = results.pop()
    assert units == 265.0 and rate == pytest.approx((9 * 114 / 167 + 32 * 24 / 54 + 14 * 3 / 44) / 55)
