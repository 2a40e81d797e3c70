"""Incident watch: daily step conversion and its p-chart, on hand-made logs and on the sample."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from tests.conftest import CONFIG_PATH, SAMPLE_DIR
from uem_helpers.analyses.sessions import SessionRule, prepare_sessions
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.journey import CHART_COLUMNS, DAILY_COLUMNS, INCIDENT_COLUMNS, p_chart, possible_incidents, step_conversion_daily

T0 = datetime(2026, 10, 1, 9, 0, 0)
DAY = 86_400


def frame(rows) -> pd.DataFrame:
    """Events from (user, seconds after T0, event) triples."""
    return pd.DataFrame({
        "user_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + timedelta(seconds=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
    })


HAND = [
    # 2026-10-01
    ("u1", 0, "a"), ("u1", 10, "b"), ("u1", 20, "c"),   # a→b yes, b→c yes
    ("u2", 0, "a"), ("u2", 5, "x"), ("u2", 10, "b"),    # a→b yes (b later, not next), b→c no
    ("u3", 0, "b"), ("u3", 10, "a"),                    # a→b no (b came before), b→c no
    ("u4", 0, "a"), ("u4", 3600, "b"),                  # a→b no (b in the next session), b→c no
    ("u6", 53_990, "a"), ("u6", 54_010, "b"),           # a at 23:59:50, b at 00:00:10: a's day, yes
    # 2026-10-02                                        # (u6's b→c trial is on 10-02: no)
    ("u1", DAY, "a"),                                   # a→b no
    ("u5", DAY, "a"), ("u5", DAY + 10, "b"), ("u5", DAY + 20, "a"),  # first a yes, second a no; b→c no
]


def test_daily_step_conversion_known_answers():
    out = step_conversion_daily(prepare_sessions(ibis.memtable(frame(HAND))), ["a", "b", "c"])
    assert list(out.columns) == DAILY_COLUMNS
    got = {(r.step, r.date.strftime("%m-%d")): (r.trials, r.successes) for r in out.itertuples()}
    assert got == {
        ("a → b", "10-01"): (5, 3),  # u1, u2, u6 of u1..u4, u6
        ("a → b", "10-02"): (3, 1),  # u5's first a
        ("b → c", "10-01"): (4, 1),  # u1 of u1..u4
        ("b → c", "10-02"): (2, 0),  # u6 (after midnight), u5
    }
    assert out["step_index"].tolist() == [1, 1, 2, 2]
    assert out["rate"].tolist() == pytest.approx([3 / 5, 1 / 3, 1 / 4, 0.0])


def test_given_session_ids_decide_what_follows():
    df = frame([(7, 0, "a"), (7, 10, "b"), (7, 20, "a"), (7, 30, "b")])
    df["session_id"] = ["s1", "s2", "s3", "s3"]  # the source's sessions, not the 30-minute gap
    out = step_conversion_daily(prepare_sessions(ibis.memtable(df)), ["a", "b"])
    assert out[["trials", "successes"]].values.tolist() == [[2, 1]]


TIES = [
    ("u1", 0, "b"), ("u1", 0, "a"), ("u1", 5, "x"),           # a and b at one instant: the rule's tie order
    ("u2", 0, "a"), ("u2", 5, "x"), ("u2", 6, "y"), ("u2", 10, "b"),  # other events between; b ends the session
    ("u4", 0, "a"), ("u4", 10, "b"),                          # a in the source's session s9, b in a gap session
    ("u5", 0, "c"), ("u5", 0, "b"),                           # c is not in the tie order: after b
    ("u6", 0, "a"), ("u6", 0, "a"), ("u6", 20, "a"),          # the same step twice at one instant
]


@pytest.mark.parametrize("cache", [False, True])
@pytest.mark.parametrize("tie_order, a_b", [(("a", "b"), 2), (("b", "a"), 1)])
def test_ties_other_events_and_mixed_session_ids(cache, tie_order, a_b):
    df = frame(TIES).assign(session_id=["s9" if (u, t) == ("u4", 0) else None for u, t, _ in TIES])
    sessions = prepare_sessions(ibis.memtable(df), gap=SessionRule("30min", tie_order=tie_order), cache=cache)
    out = step_conversion_daily(sessions, ["a", "b", "c"])
    assert out[["step", "trials", "successes"]].values.tolist() == [["a → b", 6, a_b], ["b → c", 4, 1]]
    again = step_conversion_daily(sessions, ["a", "a"])  # each a but the session's last is followed by an a
    assert again[["trials", "successes"]].values.tolist() == [[6, 2]]


def test_period_and_repeated_step_names():
    out = step_conversion_daily(prepare_sessions(ibis.memtable(frame(HAND)), period_start="2026-10-02"), ["a", "b", "a"])
    assert out["date"].dt.strftime("%m-%d").unique().tolist() == ["10-02"]
    b_a = out[out["step"] == "b → a"].iloc[0]
    assert (b_a.trials, b_a.successes) == (2, 1)  # u6's b (00:00:10, nothing after) and u5's b (a follows)


def test_empty_period_gives_empty_frame():
    out = step_conversion_daily(prepare_sessions(ibis.memtable(frame(HAND)), period_start="2030-01-01"), ["a", "b"])
    assert out.empty and list(out.columns) == DAILY_COLUMNS
    chart = p_chart(out)
    assert chart.empty and list(chart.columns) == CHART_COLUMNS
    assert possible_incidents(chart).empty


@pytest.mark.parametrize("steps", ["ab", ["a"], ["a", 3], ("a", "")])
def test_bad_steps_are_parameter_errors(steps):
    with pytest.raises(ParameterError, match="steps"):
        step_conversion_daily(prepare_sessions(ibis.memtable(frame(HAND))), steps)


# --- p-chart ---------------------------------------------------------------------------


def daily(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "step", "trials", "successes"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_p_chart_known_answers():
    chart = p_chart(daily([
        ("2026-10-01", "a → b", 100, 50),
        ("2026-10-02", "a → b", 100, 90),
        ("2026-10-03", "a → b", 100, 70),
        ("2026-10-01", "c → d", 4, 2),
    ]))
    assert list(chart.columns) == CHART_COLUMNS
    ab = chart[chart["step"] == "a → b"]
    # center = 210 / 300 = 0.7; limits 0.7 ± 3·sqrt(0.7·0.3/100) = 0.7 ± 0.137477
    assert ab["center"].tolist() == pytest.approx([0.7] * 3)
    assert ab["lcl"].tolist() == pytest.approx([0.7 - 3 * math.sqrt(0.21 / 100)] * 3)
    assert ab["ucl"].iloc[0] == pytest.approx(0.837477, abs=1e-6)
    assert ab["outside"].tolist() == ["below", "above", None]
    cd = chart[chart["step"] == "c → d"].iloc[0]
    # center 0.5; 0.5 ± 3·sqrt(0.25/4) = 0.5 ± 0.75, clipped to [0, 1]
    assert (cd.lcl, cd.ucl, cd.outside) == (0.0, 1.0, None)
    assert chart["step_index"].tolist() == [1, 1, 1, 2]


def test_p_chart_sigmas_and_bad_input():
    frame_ = daily([("2026-10-01", "s", 100, 60), ("2026-10-02", "s", 100, 80)])
    assert p_chart(frame_, sigmas=1)["outside"].tolist() == ["below", "above"]  # 0.7 ± 0.0458
    assert p_chart(frame_)["outside"].isna().all()
    with pytest.raises(ParameterError, match="successes"):
        p_chart(frame_.drop(columns="successes"))
    with pytest.raises(ParameterError, match="sigmas"):
        p_chart(frame_, sigmas=0)
    with pytest.raises(ParameterError, match="successes <= trials"):
        p_chart(daily([("2026-10-01", "s", 2, 3)]))


def test_possible_incidents_groups_consecutive_days():
    rows = [(f"2026-10-{d:02d}", "s", 100, 70) for d in range(1, 21)]
    rows[4] = ("2026-10-05", "s", 100, 10)
    rows[5] = ("2026-10-06", "s", 100, 20)
    rows[9] = ("2026-10-10", "s", 100, 15)
    runs = possible_incidents(p_chart(daily(rows)))
    assert list(runs.columns) == INCIDENT_COLUMNS
    assert runs[["outside", "days", "trials", "successes"]].values.tolist() == [
        ["below", 2, 200, 30], ["below", 1, 100, 15],
    ]
    assert runs["first_date"].dt.day.tolist() == [5, 10] and runs["last_date"].dt.day.tolist() == [6, 10]
    assert runs["rate"].tolist() == pytest.approx([0.15, 0.15])


# --- DuckDB and Spark ------------------------------------------------------------------


@pytest.mark.spark
def test_identical_numbers_on_duckdb_and_spark(spark_con):
    df = frame(HAND)
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_incidents")
    spark = spark_con.table("ev_incidents")
    duck = step_conversion_daily(prepare_sessions(ibis.memtable(df)), ["a", "b", "c"])
    pd.testing.assert_frame_equal(duck, step_conversion_daily(prepare_sessions(spark), ["a", "b", "c"]), check_dtype=False)


# --- the sample's planted payment incident ----------------------------------------------


def test_sample_flags_the_payment_incident():
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    config = load_config(CONFIG_PATH)
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text())["journey"]["design"]["payment_incident"]
    ds = load(config)
    chart = p_chart(step_conversion_daily(prepare_sessions(ds["events"], gap=config.sessions.gap), config.funnel("checkout").steps))
    pay = chart[chart["step"] == "payment → order_success"].set_index("date")
    incident = pd.date_range(truth["from"], truth["to"])
    assert (pay.loc[incident, "outside"] == "below").all()
    runs = possible_incidents(chart)
    planted = runs[(runs["step"] == "payment → order_success") & (runs["first_date"] == incident[0])]
    assert planted["last_date"].tolist() == [incident[-1]] and planted["rate"].iloc[0] < 0.3
    # Few false alarms elsewhere: at 3 sigmas ~0.3% of ~550 step-days, plus some real day-to-day spread.
    others = chart[chart["outside"].notna() & ~((chart["step"] == "payment → order_success")
                                               & chart["date"].isin(incident))]
    assert len(others) <= 8
