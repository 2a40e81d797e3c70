"""Journey map: touchpoint reach, exits and dwell, satisfaction links, bottleneck ranking."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CONFIG_PATH, SAMPLE_DIR
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.analyses.journey import BOTTLENECK_COLUMNS, MAP_COLUMNS, TOUCHPOINT_COLUMNS, bottlenecks, journey_map, touchpoints

T0 = datetime(2026, 10, 1, 9, 0, 0)


def frame(rows, **extra) -> pd.DataFrame:
    """Events from (user, seconds after T0, event) triples."""
    return pd.DataFrame(
        {
            "user_id": pd.Series([r[0] for r in rows], dtype="string"),
            "timestamp": pd.Series([T0 + timedelta(seconds=r[1]) for r in rows], dtype="datetime64[us]"),
            "event": pd.Series([r[2] for r in rows], dtype="string"),
            **extra,
        }
    )


# Gap 30 min, no session ids. Dwell = seconds to the next event of the session.
HAND = [
    ("u1", 0, "a"), ("u1", 10, "b"), ("u1", 40, "c"),   # session 1: a 10 s, b 30 s, c exit
    ("u1", 4000, "a"), ("u1", 4020, "b"),               # session 2 (66 min later): a 20 s, b exit
    ("u2", 0, "a"), ("u2", 60, "b"), ("u2", 100, "a"),  # a 60 s, b 40 s, a exit
    ("u3", 0, "b"),                                     # bounce: b exit
]


def hand_log() -> ibis.Table:
    return ibis.memtable(frame(HAND))


def t_half(values) -> float:
    """Half-width of the Student-t 95% interval of the mean, from the raw values (the definition)."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    return stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))


def test_touchpoints_known_answers():
    out = touchpoints(prepare_sessions(hand_log())).set_index("touchpoint")
    assert list(out.reset_index().columns) == TOUCHPOINT_COLUMNS
    assert list(out.index) == ["a", "b", "c"]  # busiest first, then by name
    a, b, c = out.loc["a"], out.loc["b"], out.loc["c"]
    # a: 4 events in 3 sessions of 2 users; u2's last a ends a session; dwell 10, 20, 60 s.
    assert (a.events, a.sessions, a.users, a.exits, a.users_lost) == (4, 3, 2, 1, 1)
    assert a.exit_rate == pytest.approx(0.25)
    assert a.mean_dwell_seconds == pytest.approx(30.0)
    assert a.median_dwell_seconds == pytest.approx(20.0)
    assert a.p90_dwell_seconds == pytest.approx(52.0)  # 20 + 0.8 * (60 - 20), linear interpolation
    assert (a.dwell_low, a.dwell_high) == pytest.approx((30 - t_half([10, 20, 60]), 30 + t_half([10, 20, 60])))
    assert a.dwell_low == pytest.approx(30 - 4.302653 * math.sqrt(700) / math.sqrt(3), abs=1e-4)
    assert a.hours_spent == pytest.approx(90 / 3600)
    # b: 4 events, 4 sessions, 3 users; dwell 30, 40 s. u3's bounce is an exit; u1's 2nd session ends at b
    # at the last event of the data (4020 s), so it is cut off: not an exit, and out of the rate's denominator.
    assert (b.events, b.sessions, b.users, b.exits, b.cut_off, b.users_lost) == (4, 4, 3, 1, 1, 1)
    assert b.exit_rate == pytest.approx(1 / 3)
    assert b.mean_dwell_seconds == pytest.approx(35.0)
    assert (b.dwell_low, b.dwell_high) == pytest.approx((35 - t_half([30, 40]), 35 + t_half([30, 40])))
    assert b.median_dwell_seconds == pytest.approx(35.0)
    assert b.p90_dwell_seconds == pytest.approx(39.0)
    # c: one event, the end of u1's first session (3980 s before the end of the data): no dwell at all.
    assert (c.events, c.exits, c.cut_off, c.exit_rate) == (1, 1, 0, 1.0)
    assert math.isnan(c.mean_dwell_seconds) and math.isnan(c.dwell_low) and c.hours_spent == 0.0


def test_exit_interval_is_wilson():
    from uem_helpers.stats import wilson_ci

    out = touchpoints(prepare_sessions(hand_log())).set_index("touchpoint")
    assert (out.loc["a", "exit_low"], out.loc["a", "exit_high"]) == pytest.approx(wilson_ci(1, 4))
    assert (out.loc["b", "exit_low"], out.loc["b", "exit_high"]) == pytest.approx(wilson_ci(1, 3))  # 1 cut off


def test_touchpoints_subset_keeps_order_and_zero_rows():
    out = touchpoints(prepare_sessions(hand_log()), touchpoints=["c", "nowhere", "a"])
    assert out["touchpoint"].tolist() == ["c", "nowhere", "a"]
    row = out.set_index("touchpoint").loc["nowhere"]
    assert (row.events, row.users, row.exits, row.hours_spent) == (0, 0, 0, 0.0)
    assert math.isnan(row.exit_rate) and math.isnan(row.exit_low) and math.isnan(row.mean_dwell_seconds)
    # Exits and dwell come from the whole session, not from the listed touchpoints only.
    assert out.set_index("touchpoint").loc["a", "exits"] == 1


def test_given_session_ids_and_period():
    df = frame([("7", 0, "a"), ("7", 5, "b"), ("7", 10, "a"), ("7", 86_400 * 3, "a")])
    df["session_id"] = ["s1", "s1", "s2", "s3"]  # the source cuts a session after 5 s
    out = touchpoints(prepare_sessions(ibis.memtable(df), period_end="2026-10-02")).set_index("touchpoint")
    assert out.loc["a", "events"] == 2 and out.loc["a", "sessions"] == 2
    assert out.loc["b", "exits"] == 1 and out.loc["a", "exits"] == 1
    assert out.loc["a", "mean_dwell_seconds"] == pytest.approx(5.0)


def test_integer_user_ids_and_other_event_names():
    df = pd.DataFrame({
        "user_id": [1, 1, 2],
        "timestamp": pd.to_datetime([T0, T0 + timedelta(seconds=90), T0]),
        "event": ["开户开始", "实名认证", "开户开始"],
    })
    out = touchpoints(prepare_sessions(ibis.memtable(df))).set_index("touchpoint")
    # user 2's one-event session ends 90 s before the end of the data: cut off, so no known exit of one known
    assert out.loc["开户开始", "exit_rate"] == pytest.approx(0.0) and out.loc["开户开始", "cut_off"] == 1
    assert out.loc["实名认证", "cut_off"] == 1 and pd.isna(out.loc["实名认证", "exit_rate"])
    assert out.loc["开户开始", "mean_dwell_seconds"] == pytest.approx(90.0)


def test_empty_period_gives_empty_frame():
    out = touchpoints(prepare_sessions(hand_log(), period_start="2030-01-01"))
    assert out.empty and list(out.columns) == TOUCHPOINT_COLUMNS


def test_missing_column_is_a_contract_error():
    with pytest.raises(ContractError, match="'event'"):
        touchpoints(prepare_sessions(hand_log().drop("event")))


# --- journey map -----------------------------------------------------------------------

STAGES = {"first": ["a", "b"], "second": ["c", "d"]}


def satisfaction_tables():
    nps = pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
        "user_id": ["u1"] * 7,
        "answered_at": pd.to_datetime([T0] * 6 + [T0 + timedelta(days=5)]),
        "score": [10, 9, 7, 3, 5, 8, 0],
        "touchpoint": ["b", "b", "b", "b", "zzz", None, "b"],  # r7 is after the period
    })
    feedback = pd.DataFrame({
        "feedback_id": ["f1", "f2", "f3", "f4", "f5"],
        "created_at": pd.to_datetime([T0] * 5),
        "channel": ["app"] * 5,
        "text": ["slow", "bad", "fine", "ok", "crash"],
        "rating": pd.array([1, 2, 5, None, 1], dtype="Int64"),
        "touchpoint": ["a", "a", "a", "a", "app"],
    })
    return ibis.memtable(nps), ibis.memtable(feedback)


def test_journey_map_known_answers():
    nps, feedback = satisfaction_tables()
    jm = journey_map(prepare_sessions(hand_log(), period_start="2026-10-01", period_end="2026-10-01"), STAGES, nps=nps, feedback=feedback)
    table = jm.table
    assert list(table.columns) == MAP_COLUMNS
    assert list(zip(table["stage"], table["touchpoint"])) == [("first", "a"), ("first", "b"), ("second", "c"),
                                                               ("second", "d")]
    t = table.set_index("touchpoint")
    # Stage "first" reaches u1, u2, u3; "second" only u1 (at c).
    assert t["stage_users"].tolist() == [3, 3, 1, 1]
    assert t["users"].tolist() == [2, 3, 1, 0]
    assert t["stage_share"].tolist() == pytest.approx([2 / 3, 1.0, 1.0, 0.0])
    assert t.loc["b", "exit_rate"] == pytest.approx(1 / 3) and t.loc["a", "mean_dwell_seconds"] == pytest.approx(30)
    # NPS at b: 2 promoters, 1 passive, 1 detractor of 4 (the 5th answer is after the period).
    se = 100 * math.sqrt((0.5 + 0.25 - 0.25**2) / 4)
    assert t.loc["b", "nps"] == pytest.approx(25.0)
    assert t.loc["b", "nps_responses"] == 4
    assert t.loc["b", "nps_low"] == pytest.approx(25 - 1.959964 * se, abs=1e-4)
    assert t.loc["b", "nps_high"] == 100.0  # clipped
    assert t.loc["a", "nps_responses"] == 0 and math.isnan(t.loc["a", "nps"])
    # Feedback at a: 4 items, 3 rated, 2 of them <= 2.
    assert (t.loc["a", "feedback_items"], t.loc["a", "feedback_rated"]) == (4, 3)
    assert t.loc["a", "low_rating_share"] == pytest.approx(2 / 3)
    assert t.loc["b", "feedback_items"] == 0
    assert any("app, zzz" in n for n in jm.notes)
    assert any("No events in the period at: d." == n for n in jm.notes)
    grid = jm.matrix("exit_rate")
    assert list(grid.index) == ["first", "second"] and list(grid.columns) == ["a", "b", "c", "d"]
    assert math.isnan(grid.loc["second", "a"]) and grid.loc["first", "b"] == pytest.approx(1 / 3)


def test_journey_map_of_an_empty_period_is_well_formed():
    nps, feedback = satisfaction_tables()
    jm = journey_map(prepare_sessions(hand_log(), period_start="2030-01-01"), STAGES, nps=nps, feedback=feedback)
    assert list(jm.table.columns) == MAP_COLUMNS and len(jm.table) == 4
    assert (jm.table["users"] == 0).all() and jm.table["exit_rate"].isna().all()
    assert (jm.table["nps_responses"] == 0).all()
    assert "No events in the period at: a, b, c, d." in jm.notes
    assert bottlenecks(jm.table).empty


def test_journey_map_without_satisfaction_tables():
    jm = journey_map(prepare_sessions(hand_log()), STAGES)
    assert "No NPS table: satisfaction by NPS is not shown." in jm.notes
    assert any(n.startswith("No feedback table") for n in jm.notes)
    assert jm.table[["nps", "nps_responses", "feedback_items", "low_rating_share"]].isna().all().all()
    assert jm.table["users"].tolist() == [2, 3, 1, 0]


def test_journey_map_tables_without_touchpoint_column():
    nps, feedback = satisfaction_tables()
    jm = journey_map(prepare_sessions(hand_log()), STAGES, nps=nps.drop("touchpoint"), feedback=feedback.drop("rating"))
    assert any("NPS table has no 'touchpoint'" in n for n in jm.notes)
    assert any("no 'rating' column" in n for n in jm.notes)
    t = jm.table.set_index("touchpoint")
    assert t.loc["a", "feedback_items"] == 4 and math.isnan(t.loc["a", "low_rating_share"])


@pytest.mark.parametrize("stages", [None, {}, ["a", "b"], {"s": "a"}, {"s": []}, {"s": [1]}])
def test_bad_stages_are_parameter_errors(stages):
    with pytest.raises(ParameterError, match="stage"):
        journey_map(prepare_sessions(hand_log()), stages)


def test_matrix_rejects_unknown_column():
    with pytest.raises(ParameterError, match="'nope'"):
        journey_map(prepare_sessions(hand_log()), STAGES).matrix("nope")


# --- bottlenecks -----------------------------------------------------------------------


def ranked_table() -> pd.DataFrame:
    rows = [
        # touchpoint, events, exit_rate, exit_low, mean dwell, dwell_low
        ("x", 1000, 0.50, 0.47, 150.0, 100.0),
        ("y", 1000, 0.33, 0.30, 260.0, 200.0),
        ("z", 1000, 0.12, 0.10, 60.0, 50.0),
        ("w", 50, 0.60, 0.20, 90.0, 60.0),     # highest exit rate, but its lower bound is low
        ("tiny", 10, 1.00, 0.72, 900.0, 500.0),  # too few events to rank
        ("goal", 1000, 0.97, 0.95, 12.0, 10.0),  # a goal: leaving here is no loss
    ]
    df = pd.DataFrame(rows, columns=["touchpoint", "events", "exit_rate", "exit_low", "mean_dwell_seconds",
                                     "dwell_low"])
    df["exit_high"] = df["exit_rate"] + 0.03
    df["dwell_high"] = df["mean_dwell_seconds"] + 50
    df["median_dwell_seconds"] = df["mean_dwell_seconds"] * 0.8
    df["users_lost"] = (df["events"] * df["exit_rate"]).astype(int)
    df["hours_spent"] = df["events"] * df["mean_dwell_seconds"] / 3600
    return df


def test_bottlenecks_rank_by_sum_of_lower_bound_ranks():
    out = bottlenecks(ranked_table(), exclude=["goal"])
    assert list(out.columns) == BOTTLENECK_COLUMNS
    # exit_low ranks: x 1, y 2, w 3, z 4; dwell_low ranks: y 1, x 2, w 3, z 4.
    # Scores x 3, y 3 (tie: higher exit bound first), w 6, z 8.
    assert out["touchpoint"].tolist() == ["x", "y", "w", "z"]
    assert out["score"].tolist() == [3, 3, 6, 8]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out.loc[0, "reason"].startswith("highest exit rate (50%, 95% CI 47%–53%) and 2nd-longest mean dwell")
    assert "tiny (10)" in out.attrs["notes"][0]


def test_bottlenecks_candidates_and_min_events():
    out = bottlenecks(ranked_table(), candidates=["z", "tiny", "goal", "absent"], exclude=["goal"], min_events=5)
    assert out["touchpoint"].tolist() == ["tiny", "z"]
    assert out.attrs["notes"] == ["Bottleneck candidates without a row in the touchpoint table: absent."]


def test_bottlenecks_empty_and_bad_input():
    out = bottlenecks(ranked_table(), candidates=["tiny"])
    assert out.empty and list(out.columns) == BOTTLENECK_COLUMNS
    with pytest.raises(ParameterError, match="dwell_low"):
        bottlenecks(ranked_table().drop(columns="dwell_low"))
    with pytest.raises(ParameterError, match="exclude"):
        bottlenecks(ranked_table(), exclude="goal")


def test_sessions_cut_off_at_a_page_do_not_make_it_the_bottleneck():
    # product: 40 early sessions home -> product (100 s) -> home; 10 of them end at product instead.
    # promo: 10 early sessions home -> promo (50 s) -> home, and 30 sessions at the very end of the data
    # that stop at promo: the export stopped while those users looked at it.
    rows = []
    for i in range(40):
        u, t = f"p{i}", i * 60
        rows += [(u, t, "home"), (u, t + 10, "product")] + ([(u, t + 110, "home")] if i >= 10 else [])
    for i in range(10):
        u, t = f"q{i}", 3000 + i * 60
        rows += [(u, t, "home"), (u, t + 10, "promo"), (u, t + 60, "home")]
    for i in range(30):
        u, t = f"c{i}", 20_000 + i * 10
        rows += [(u, t, "home"), (u, t + 5, "promo")]
    table = touchpoints(prepare_sessions(ibis.memtable(frame(rows)))).set_index("touchpoint")
    assert (table.loc["promo", "events"], table.loc["promo", "exits"], table.loc["promo", "cut_off"]) == (40, 0, 30)
    assert table.loc["promo", "exit_rate"] == 0.0                       # 0 exits of the 10 visits with an outcome
    assert table.loc["product", "exit_rate"] == pytest.approx(10 / 40)
    ranking = bottlenecks(table.reset_index(), candidates=["product", "promo"])
    assert ranking["touchpoint"].tolist() == ["product", "promo"]
    # Counted as exits, the 30 cut-off visits would have made promo the bottleneck (75% exits).
    naive = table.reset_index()
    naive["exits"] = naive["exits"] + naive["cut_off"]
    naive["exit_rate"] = naive["exits"] / naive["events"]
    from uem_helpers.stats import wilson_ci
    naive["exit_low"], naive["exit_high"] = wilson_ci(naive["exits"], naive["events"])
    assert bottlenecks(naive, candidates=["product", "promo"])["touchpoint"].iloc[0] == "promo"


# --- properties ------------------------------------------------------------------------

events_strategy = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 6 * 3600), st.sampled_from(["a", "b", "c"])),
    min_size=1, max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events_strategy)
def test_every_session_exits_once_and_dwell_adds_up_to_session_length(rows):
    from uem_helpers.analyses.sessions import sessionize

    events = ibis.memtable(frame(rows))
    out = touchpoints(prepare_sessions(events))
    s = sessionize(events)
    spans = s.group_by("session").aggregate(
        span=s.timestamp.max().epoch_seconds() - s.timestamp.min().epoch_seconds()
    ).execute()
    assert out["exits"].sum() + out["cut_off"].sum() == len(spans)  # each session exits or is cut off, once
    ends = s.group_by("session").aggregate(last=s.timestamp.max()).execute()["last"]
    assert out["cut_off"].sum() == ((ends.max() - ends).dt.total_seconds() <= 1800).sum() >= 1
    assert out["events"].sum() == len(rows)
    assert out["hours_spent"].sum() * 3600 == pytest.approx(spans["span"].sum())
    known = out.dropna(subset=["exit_rate"])  # a touchpoint whose every visit was cut off has no rate
    assert (known["exit_low"] <= known["exit_rate"]).all() and (known["exit_rate"] <= known["exit_high"]).all()
    assert out["exit_rate"].isna().equals(out["events"] == out["cut_off"])
    assert (out["users_lost"] <= out["users"]).all() and (out["sessions"] <= out["events"]).all()


# --- DuckDB and Spark ------------------------------------------------------------------


@pytest.mark.spark
def test_identical_numbers_on_duckdb_and_spark(spark_con):
    df = frame(HAND)
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_journey_map")
    spark = spark_con.table("ev_journey_map")
    # The journey map's table holds every touchpoint metric, plus the stage counts.
    a = journey_map(prepare_sessions(ibis.memtable(df)), STAGES).table
    b = journey_map(prepare_sessions(spark), STAGES).table
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


# --- the sample's planted bottleneck ----------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    config = load_config(CONFIG_PATH)
    return config, load(config)


def test_sample_names_the_planted_bottleneck(sample):
    config, ds = sample
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["journey"]
    goals = [f.steps[-1] for f in config.funnels.values()]
    table = touchpoints(prepare_sessions(ds["events"], gap=config.sessions.gap))
    ranking = bottlenecks(table, candidates=config.journey.bottleneck_candidates or None, exclude=goals)
    top = ranking.iloc[0]
    assert top["touchpoint"] == truth["bottleneck_touchpoint"] == "customer_service"
    design = truth["design"]
    assert top["exit_low"] <= design["exit_probability"]["customer_service"] <= top["exit_high"]
    assert top["dwell_low"] <= design["mean_dwell_seconds"]["customer_service"] <= top["dwell_high"]
    assert table.set_index("touchpoint").loc["app_open", "sessions"] == truth["realised"]["sessions"]


def test_sample_journey_map_links_satisfaction(sample):
    config, ds = sample
    jm = journey_map(prepare_sessions(ds["events"], gap=config.sessions.gap), config.journey.stages, nps=ds["nps"], feedback=ds["feedback"])
    assert len(jm.table) == sum(len(v) for v in config.journey.stages.values())
    assert any("account_opening, app, delivery" in n for n in jm.notes)
    t = jm.table.set_index("touchpoint")
    assert t.loc["customer_service", "nps_responses"] > 0 and t.loc["customer_service", "feedback_items"] > 0
    assert (jm.table["stage_share"] <= 1).all()
