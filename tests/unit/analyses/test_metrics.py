"""Metrics: known answers on hand-made answers and logs, properties, and the planted truth of the sample."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CONFIG_PATH, SAMPLE_DIR
from uem_helpers.analyses import metrics as M
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.stats import wilson_ci

Z = 1.959963984540054
T0 = datetime(2026, 10, 1, 9, 0, 0)


def events(rows, **extra) -> ibis.Table:
    """Events from (user, timestamp or seconds after T0, event) triples."""
    stamps = [r[1] if isinstance(r[1], datetime) else T0 + timedelta(seconds=r[1]) for r in rows]
    df = pd.DataFrame({
        "user_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series(stamps, dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        **extra,
    })
    return ibis.memtable(df)


def answers(scores, months=None, touchpoints=None) -> ibis.Table:
    months = months or ["2026-10-15"] * len(scores)
    df = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(len(scores))],
        "user_id": [f"u{i}" for i in range(len(scores))],
        "answered_at": pd.to_datetime(months, format="ISO8601").astype("datetime64[us]"),
        "score": pd.Series(scores, dtype="int64"),
    })
    if touchpoints:
        df["touchpoint"] = touchpoints
    return ibis.memtable(df)


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- NPS ---------------------------------------------------------------------------------


def test_nps_known_answer_and_standard_error():
    # 5 promoters (10, 9, 9, 10, 10), 2 passives (8, 7), 3 detractors (6, 0, 3) of 10
    out = M.nps(answers([10, 9, 9, 10, 10, 8, 7, 6, 0, 3]))
    row = out.iloc[0]
    assert (row.responses, row.promoters, row.passives, row.detractors) == (10, 5, 2, 3)
    assert (row.promoter_share, row.passive_share, row.detractor_share) == pytest.approx((0.5, 0.2, 0.3))
    assert row.nps == pytest.approx(20.0)  # 100 * (0.5 - 0.3)
    se = 100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10)  # = 27.568
    assert row.se == pytest.approx(se) and se == pytest.approx(27.5681, abs=1e-4)
    assert (row.low, row.high) == pytest.approx((20 - Z * se, 20 + Z * se))
    assert row.value == row.nps


def test_nps_interval_is_clipped_and_all_promoters_have_no_spread():
    row = M.nps(answers([10, 9, 10])).iloc[0]
    assert (row.nps, row.se, row.low, row.high) == pytest.approx((100, 0, 100, 100))
    row = M.nps(answers([10, 0])).iloc[0]  # NPS 0, SE 100 * sqrt(1 / 2) = 70.7: interval clipped to -100..100
    assert (row.nps, row.low, row.high) == pytest.approx((0, -100, 100))


def test_nps_by_month_touchpoint_and_period():
    t = answers(
        [10, 0, 9, 9, 7],
        months=["2026-09-30 23:59", "2026-09-01", "2026-10-01 00:00", "2026-10-31 23:59", "2026-11-01"],
        touchpoints=["search", "search", "payment", "search", "payment"],
    )
    by_month = M.nps(t, by="month")
    assert by_month["month"].tolist() == ["2026-09", "2026-10", "2026-11"]
    assert by_month["nps"].tolist() == pytest.approx([0, 100, 0])
    assert by_month["responses"].tolist() == [2, 2, 1]
    tp = M.nps(t, by="touchpoint", period_start="2026-10-01", period_end="2026-10-31")
    assert tp["touchpoint"].tolist() == ["payment", "search"]
    assert tp["responses"].tolist() == [1, 1]


def test_nps_empty_period_gives_empty_frame_with_columns():
    out = M.nps(answers([10, 9]), by="month", period_start="2027-01-01")
    assert out.empty and {"month", "nps", "se", "low", "high", "value"} <= set(out.columns)
    assert M.nps(answers([10]), period_start="2027-01-01").empty


def test_nps_bad_parameters():
    with pytest.raises(ParameterError, match=r"by='week' is not a breakdown; use one of: None, 'month', 'touchpoint'"):
        M.nps(answers([10]), by="week")
    with pytest.raises(ParameterError, match="table 'nps' has no column 'touchpoint'"):
        M.nps(answers([10]), by="touchpoint")
    with pytest.raises(ParameterError, match="alpha"):
        M.nps(answers([10]), alpha=1.5)


def test_nps_change_between_two_months():
    a = {"value": 20.0, "se": 100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 100)}   # 50 P, 30 D of 100
    b = {"value": -20.0, "se": 100 * math.sqrt((0.3 + 0.5 - 0.2**2) / 100)}  # 30 P, 50 D of 100
    ch = M.nps_change(a, b)
    se = math.hypot(a["se"], b["se"])  # 12.33
    assert ch["change"] == pytest.approx(-40)
    assert (ch["change_low"], ch["change_high"]) == pytest.approx((-40 - Z * se, -40 + Z * se))
    assert ch["change_low"] == pytest.approx(-64.165, abs=1e-3)
    assert ch["p_value"] < 0.01 and ch["kind"] == "nps"


def test_nps_score_vectorised():
    score, se = M.nps_score(pd.Series([5, 0]), pd.Series([3, 0]), pd.Series([10, 0]))
    assert score.iloc[0] == pytest.approx(20) and math.isnan(score.iloc[1]) and math.isnan(se.iloc[1])


# --- DAU and stickiness ------------------------------------------------------------------


STICKY = [  # four days of October: DAU 2, 2, 3, 3; four users active in the month
    ("a", d("2026-10-01 09:00"), "x"), ("b", d("2026-10-01 10:00"), "x"), ("a", d("2026-10-01 11:00"), "y"),
    ("a", d("2026-10-02 09:00"), "x"), ("c", d("2026-10-02 23:59"), "x"),
    ("a", d("2026-10-03 09:00"), "x"), ("b", d("2026-10-03 09:00"), "x"), ("c", d("2026-10-03 09:00"), "x"),
    ("b", d("2026-10-04 00:00"), "x"), ("c", d("2026-10-04 09:00"), "x"), ("d", d("2026-10-04 09:00"), "x"),
    ("a", d("2026-11-02 09:00"), "x"),  # November: a single day
]
PLATFORM = {"a": "ios", "b": "ios", "c": "android", "d": "android"}


def test_dau_known_answer():
    out = M.dau(events(STICKY))
    days = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-11-02"]
    assert out["date"].dt.strftime("%Y-%m-%d").tolist() == days
    assert out["dau"].tolist() == [2, 2, 3, 3, 1]


def test_stickiness_known_answer_with_t_interval():
    out = M.stickiness(events(STICKY))
    oct_, nov = out.iloc[0], out.iloc[1]
    assert (oct_.month, oct_.days, oct_.mau) == ("2026-10", 4, 4)
    assert oct_.mean_dau == pytest.approx(2.5) and oct_.stickiness == pytest.approx(0.625)
    sd = math.sqrt(1 / 3)  # DAU 2, 2, 3, 3 around 2.5
    half = 3.1824463 * sd / 2  # t(3) * sd / sqrt(4) = 0.91869
    assert oct_.se == pytest.approx(sd / 2 / 4)
    assert (oct_.low, oct_.high) == pytest.approx(((2.5 - half) / 4, (2.5 + half) / 4))
    assert oct_.low == pytest.approx(0.395327, abs=1e-6)
    # one observed day: a value, no interval
    assert (nov.month, nov.days, nov.mau, nov.stickiness) == ("2026-11", 1, 1, 1.0)
    assert math.isnan(nov.se) and math.isnan(nov.low)


def test_stickiness_segment_counts_days_without_its_users_as_zero():
    ev = events(STICKY[:-1], platform=[PLATFORM[r[0]] for r in STICKY[:-1]])
    out = M.stickiness(ev, segment_by="platform").set_index("platform")
    # ios DAU 2, 1, 2, 1 over 4 days, MAU 2; android DAU 0 (day 1, no android user), 1, 1, 2, MAU 2
    assert out.loc["ios", "stickiness"] == pytest.approx(1.5 / 2)
    assert out.loc["android", "stickiness"] == pytest.approx(1.0 / 2)
    assert out.loc["android", "days"] == 4
    assert out.loc["android", "se"] == pytest.approx(math.sqrt(2 / 3 / 4) / 2)


def test_stickiness_whole_period_and_empty():
    whole = M.stickiness(events(STICKY), by=None)
    assert "month" not in whole.columns
    assert (whole.iloc[0].days, whole.iloc[0].mau) == (5, 4)
    assert whole.iloc[0].mean_dau == pytest.approx(11 / 5)
    empty = M.stickiness(events(STICKY), period_start="2027-01-01")
    assert empty.empty and "stickiness" in empty.columns


# --- bounce ------------------------------------------------------------------------------


def test_bounce_rate_with_session_ids():
    rows = [("u1", 0, "a"), ("u1", 5, "b"), ("u1", 9, "c"),   # s1: 3 events
            ("u1", 100, "a"),                                  # s2: single event -> bounce
            ("u2", 0, "a"),                                    # s3: single event -> bounce
            ("u2", 50, "a"), ("u2", 60, "b")]                  # s4: 2 events
    ev = events(rows, session_id=["s1", "s1", "s1", "s2", "s3", "s4", "s4"])
    row = M.bounce_rate(ev).iloc[0]
    assert (row.sessions, row.bounces, row.rate) == (4, 2, 0.5)
    assert (row.successes, row.trials, row.value) == (2, 4, 0.5)
    assert (row.low, row.high) == pytest.approx(wilson_ci(2, 4))


def test_bounce_rate_by_inactivity_gap_and_month_of_first_event():
    rows = [("u", d("2026-09-30 23:50"), "a"), ("u", d("2026-10-01 00:05"), "b"),  # Sept session of 2 (spans months)
            ("u", d("2026-10-01 00:45"), "a"),                                      # 40 min later: single -> bounce
            ("u", d("2026-10-01 02:00"), "a"), ("u", d("2026-10-01 02:30"), "b")]   # exactly 30 min: same session
    out = M.bounce_rate(events(rows), gap="30min", by="month")
    assert out["month"].tolist() == ["2026-09", "2026-10"]
    assert out["sessions"].tolist() == [1, 2] and out["bounces"].tolist() == [0, 1]
    shorter = M.bounce_rate(events(rows), gap="20min").iloc[0]  # 23:50 00:05 | 00:45 | 02:00 | 02:30
    assert (shorter.sessions, shorter.bounces) == (4, 3)


def test_bounce_rate_segment_and_bad_segment():
    ev = events([("u1", 0, "a"), ("u2", 0, "a"), ("u2", 1, "b")], platform=["ios", "web", "web"])
    out = M.bounce_rate(ev, segment_by="platform").set_index("platform")
    assert out["rate"].to_dict() == {"ios": 1.0, "web": 0.0}
    with pytest.raises(ParameterError, match="table 'events' has no column 'region'"):
        M.bounce_rate(ev, segment_by="region")


# --- task completion ---------------------------------------------------------------------

MIN = 60
TASKS = [
    ("u1", 0, "start"), ("u1", 30 * MIN, "done"),                                  # 1 task, completed
    ("u2", 0, "start"), ("u2", 50 * MIN, "start"), ("u2", 80 * MIN, "start"),      # retries restart the clock:
    ("u2", 130 * MIN, "done"),                                                     # 130 <= 80 + 60: completed
    ("u3", 0, "start"), ("u3", 120 * MIN, "start"),                                # window expired: 2 tasks, none done
    ("u4", 0, "start"), ("u4", 20 * MIN, "done"),                                  # task 1 completed;
    ("u4", 30 * MIN, "start"), ("u4", 100 * MIN, "done"),                          # after a success: new task, 100 > 90
    ("u5", 0, "start"), ("u5", 0, "done"),                                         # same instant: completed
    ("u6", 0, "start"), ("u6", 60 * MIN, "done"),                                  # exactly the window: completed
    ("u7", 0, "start"), ("u7", 0, "start"),                                        # duplicate start: 1 task, 1 retry
    ("u8", 0, "done"),                                                             # a success alone is no task
    ("u9", 0, "start"), ("u9", 60 * MIN, "start"),                                 # exactly the window later: a retry
]


def test_task_completion_known_answer():
    row = M.task_completion(events(TASKS), "start", "done", window="1h").iloc[0]
    # tasks: u1 1, u2 1, u3 2, u4 2, u5 1, u6 1, u7 1, u9 1 = 10; completed u1, u2, u4 (first), u5, u6 = 5
    assert (row.started, row.completed, row.retries) == (10, 5, 4)  # retries: u2 2, u7 1, u9 1
    assert row.rate == 0.5 and (row.successes, row.trials) == (5, 10)
    assert (row.low, row.high) == pytest.approx(wilson_ci(5, 10))


def test_task_completion_does_not_depend_on_row_order():
    shuffled = pd.DataFrame(TASKS).sample(frac=1, random_state=3).itertuples(index=False, name=None)
    row = M.task_completion(events(list(shuffled)), "start", "done", window="1h").iloc[0]
    assert (row.started, row.completed, row.retries) == (10, 5, 4)


def test_task_completion_period_counts_tasks_by_first_start():
    rows = [("u", d("2026-09-30 23:30"), "start"), ("u", d("2026-10-01 00:10"), "start"),  # Sept task, retry in Oct
            ("u", d("2026-10-01 00:50"), "done"),                                            # completes it
            ("v", d("2026-10-01 10:00"), "start")]
    out = M.task_completion(events(rows), "start", "done", window="1h", by="month")
    assert out["month"].tolist() == ["2026-09", "2026-10"]
    assert out["started"].tolist() == [1, 1] and out["completed"].tolist() == [1, 0]
    october = M.task_completion(events(rows), "start", "done", window="1h", period_start="2026-10-01")
    assert october["started"].tolist() == [1]  # the retry on Oct 1 is not a new task


def test_task_completion_bad_parameters():
    with pytest.raises(ParameterError, match="a task needs two different events"):
        M.task_completion(events(TASKS), "start", "start")
    with pytest.raises(ParameterError, match="window='soon'"):
        M.task_completion(events(TASKS), "start", "done", window="soon")
    assert M.task_completion(events(TASKS), "nothing", "done").empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2"]), st.integers(0, 300), st.sampled_from(["start", "done", "x"])),
                min_size=1, max_size=12))
def test_task_completion_properties(rows):
    out = M.task_completion(events([(u, s * MIN, e) for u, s, e in rows]), "start", "done", window="1h")
    n_starts = sum(e == "start" for _, _, e in rows)
    if n_starts == 0:
        assert out.empty
        return
    row = out.iloc[0]
    assert row.started + row.retries == n_starts  # every start is a task or a retry
    assert 0 <= row.completed <= row.started
    assert row.completed <= sum(e == "done" for _, _, e in rows)  # one success completes at most one task


# --- first success -----------------------------------------------------------------------


def first_success_data():
    users = pd.DataFrame({
        "user_id": ["a", "b", "c", "d", "e", "f"],
        "signup_at": pd.to_datetime([
            "2026-10-01 09:00",  # key event exactly 7 days later: success
            "2026-10-02 09:00",  # key event 8 days later: no
            "2026-10-03 10:00",  # key event before signup: no
            "2026-10-28 09:00",  # window ends Nov 4, after the data's end (Oct 31): left out
            "2026-09-20 09:00",  # signed up before the log begins (Oct 1): left out
            "2026-10-05 09:00",  # two key events: one success
        ]).astype("datetime64[us]"),
        "channel": ["ads", "ads", "organic", "ads", "organic", "organic"],
    })
    ev = events([
        ("z", d("2026-10-01 08:00"), "app_open"), ("z", d("2026-10-31 23:00"), "app_open"),  # the data's range
        ("a", d("2026-10-08 09:00"), "order"), ("b", d("2026-10-10 09:00"), "order"),
        ("c", d("2026-10-03 09:00"), "order"), ("d", d("2026-10-29 09:00"), "order"),
        ("f", d("2026-10-06 09:00"), "order"), ("f", d("2026-10-07 09:00"), "order"),
    ])
    return ibis.memtable(users), ev


def test_first_success_known_answer():
    users, ev = first_success_data()
    out = M.first_success(users, ev, "order", days=7)
    assert out["month"].tolist() == ["2026-09", "2026-10"]
    sep, oct_ = out.iloc[0], out.iloc[1]
    assert (sep.new_users, sep.left_out, sep.successes) == (0, 1, 0) and math.isnan(sep.rate)
    assert (oct_.new_users, oct_.left_out, oct_.successes) == (4, 1, 2)  # a, b, c, f; d left out; a and f
    assert oct_.rate == 0.5 and (oct_.low, oct_.high) == pytest.approx(wilson_ci(2, 4))
    assert oct_.trials == 4 and oct_.value == 0.5


def test_first_success_window_segment_and_period():
    users, ev = first_success_data()
    eight = M.first_success(users, ev, "order", days=8, by=None, period_start="2026-10-01").iloc[0]
    assert (eight.new_users, eight.successes) == (4, 3)  # b's order on day 8 now counts
    seg = M.first_success(users, ev, "order", segment_by="channel", period_start="2026-10-01").set_index("channel")
    assert seg.loc["ads", ["new_users", "left_out", "successes"]].tolist() == [2, 1, 1]
    assert seg.loc["organic", ["new_users", "left_out", "successes"]].tolist() == [2, 0, 1]
    with pytest.raises(ParameterError, match="days=0"):
        M.first_success(users, ev, "order", days=0)


# --- retention ---------------------------------------------------------------------------

RETENTION = [
    ("a", d("2026-10-05 09:00"), "x"), ("a", d("2026-10-13 09:00"), "x"), ("a", d("2026-10-28 09:00"), "x"),
    ("b", d("2026-10-07 09:00"), "x"), ("b", d("2026-10-08 09:00"), "x"), ("b", d("2026-10-20 09:00"), "x"),
    ("c", d("2026-10-14 09:00"), "x"), ("c", d("2026-10-22 09:00"), "x"), ("c", d("2026-11-03 09:00"), "x"),
    ("z", d("2026-11-10 09:00"), "x"),  # the data's last event: the week of Nov 9 is not complete
]


def test_retention_first_event_cohorts_known_answer():
    out = M.retention(events(RETENTION), weeks=3)
    got = {(r.cohort_week.strftime("%m-%d"), r.week): (r.cohort_users, r.active_users) for r in out.itertuples()}
    assert got == {
        ("10-05", 0): (2, 2), ("10-05", 1): (2, 1), ("10-05", 2): (2, 1), ("10-05", 3): (2, 1),
        ("10-12", 0): (1, 1), ("10-12", 1): (1, 1), ("10-12", 2): (1, 0), ("10-12", 3): (1, 1),
    }  # z's cohort (week of Nov 9) is not complete yet and is left out
    assert out["retention"].tolist() == pytest.approx([1, 0.5, 0.5, 0.5, 1, 1, 0, 1])
    low, high = wilson_ci(1, 2)
    assert (out.loc[1, "low"], out.loc[1, "high"]) == pytest.approx((low, high))


def test_retention_signup_cohorts_and_period():
    users = ibis.memtable(pd.DataFrame({
        "user_id": ["a", "c"],
        "signup_at": pd.to_datetime(["2026-10-06 00:00", "2026-10-14 09:00"]).astype("datetime64[us]"),
        "segment": ["new", "new"],
    }))
    out = M.retention(events(RETENTION), weeks=1, users=users, segment_by="segment")
    got = {(r.cohort_week.strftime("%m-%d"), r.week): r.active_users for r in out.itertuples()}
    # a's Oct 5 event precedes their signup: not active in week 0
    assert got == {("10-05", 0): 0, ("10-05", 1): 1, ("10-12", 0): 1, ("10-12", 1): 1}
    assert set(out["segment"]) == {"new"}
    in_period = M.retention(events(RETENTION), weeks=0, period_start="2026-10-12")
    sizes = dict(zip(in_period["cohort_week"].dt.strftime("%m-%d"), in_period["cohort_users"], strict=True))
    assert sizes == {"10-12": 2, "10-19": 1}


def test_retention_empty_and_bad_weeks():
    out = M.retention(events(RETENTION), period_start="2027-01-01")
    assert out.empty and list(out.columns)[:3] == ["cohort_week", "week", "cohort_users"]
    with pytest.raises(ParameterError, match="weeks=-1"):
        M.retention(events(RETENTION), weeks=-1)


# --- month changes -----------------------------------------------------------------------


def test_month_change_rate_uses_newcombe():
    frame = pd.DataFrame({"month": ["2026-09", "2026-10"], "value": [0.1, 0.15],
                          "successes": [10, 30], "trials": [100, 200]})
    ch = M.month_change(frame, "2026-10", "2026-09")
    r = compare_rates(10, 100, 30, 200, metric="x")
    assert ch["kind"] == "rate" and ch["change"] == pytest.approx(0.05)
    assert (ch["change_low"], ch["change_high"], ch["p_value"]) == pytest.approx((r.ci_low, r.ci_high, r.p_value))


def test_month_change_normal_and_missing_month():
    frame = pd.DataFrame({"month": ["2026-09", "2026-10"], "value": [0.18, 0.20], "se": [0.003, 0.004]})
    ch = M.month_change(frame, "2026-10", "2026-09", kind="stickiness")
    assert (ch["change_low"], ch["change_high"]) == pytest.approx((0.02 - Z * 0.005, 0.02 + Z * 0.005))
    missing = M.month_change(frame, "2026-10", "2026-08")
    assert math.isnan(missing["change"]) and math.isnan(missing["change_low"])
    with pytest.raises(ParameterError, match="month=.2026/10. is not a month"):
        M.month_change(frame, "2026/10", "2026-09")
    with pytest.raises(ParameterError, match="kind='ratio'"):
        M.month_change(frame, "2026-10", "2026-09", kind="ratio")
    with pytest.raises(ParameterError, match="month 2026-09 has 2 rows"):
        M.month_change(pd.concat([frame, frame]), "2026-10", "2026-09")


# --- the sample's planted truth -------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    return load(load_config(CONFIG_PATH)), json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))


def test_sample_recovers_planted_nps_shift(sample):
    ds, truth = sample
    planted = truth["nps"]
    out = M.nps(ds["nps"], by="month").set_index("month")
    for month, real in planted["realised"].items():  # same definition: the counts match exactly
        assert (out.loc[month, "responses"], out.loc[month, "promoters"], out.loc[month, "detractors"]) == (
            real["responses"], real["promoters"], real["detractors"])
    shift = planted["shift_month"]
    october = out.loc[shift]
    assert october.low <= planted["design"][shift]["nps"] <= october.high  # the design NPS (-8) is inside the CI
    change = M.month_change(out.reset_index(), shift, "2026-09")
    assert change["change_high"] < 0  # the drop from September is significant


def test_sample_bounce_rate_matches_ground_truth(sample):
    ds, truth = sample
    row = M.bounce_rate(ds["events"]).iloc[0]
    realised = truth["journey"]["realised"]
    assert row.sessions == realised["sessions"]
    assert round(row.rate, 6) == realised["bounce_rate"]


# --- Spark: the same numbers -----------------------------------------------------------------


@pytest.mark.spark
def test_spark_gives_the_same_numbers(spark_con):
    from uem_helpers.data.sources import from_frames

    def frame(rows):
        stamps = [r[1] if isinstance(r[1], datetime) else T0 + timedelta(seconds=r[1]) for r in rows]
        return pd.DataFrame({"user_id": [r[0] for r in rows], "timestamp": stamps, "event": [r[2] for r in rows]})

    users, _ = first_success_data()
    tables = {
        "events": pd.concat([frame(TASKS), frame(STICKY), frame(RETENTION)], ignore_index=True),
        "users": users.execute(),
        "nps": answers([10, 9, 9, 10, 10, 8, 7, 6, 0, 3]).execute(),
    }
    results = []
    for con in (None, spark_con):
        ds = from_frames(tables, con=con)
        ev = ds["events"]
        results.append([
            M.nps(ds["nps"], by="month"),
            M.stickiness(ev),
            M.bounce_rate(ev, by="month"),
            M.task_completion(ev, "start", "done", window="1h"),
            M.first_success(ds["users"], ev, "order"),
            M.retention(ev, weeks=3),
            M.dau(ev),
        ])
    for duck, spark in zip(*results, strict=True):
        pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


def test_retention_marks_cohorts_whose_window_passes_the_data_end():
    # weeks=3: a cohort needs 4 full weeks. The data ends 2026-11-10 09:00: the Oct 5 cohort's window ends
    # Nov 2 and the Oct 12 one's Nov 9 (complete); z's cohort (Nov 9) ends Dec 7: incomplete, no week shown.
    out = M.retention(events(RETENTION), weeks=3)
    assert out["complete_cohort"].all()
    assert out.attrs["data_end"] == pd.Timestamp("2026-11-10 09:00")
    assert (out.attrs["incomplete_cohorts"], out.attrs["cohorts"]) == (1, 3)
    assert out.attrs["first_incomplete"] == pd.Timestamp("2026-11-09")
    # weeks=4: the Oct 12 cohort's window ends Nov 16, past the data: incomplete, its weeks 0-3 still shown
    four = M.retention(events(RETENTION), weeks=4)
    flags = four.groupby(four["cohort_week"].dt.strftime("%m-%d"))["complete_cohort"].first().to_dict()
    assert flags == {"10-05": True, "10-12": False}
    assert four.loc[four["cohort_week"] == "2026-10-12", "week"].tolist() == [0, 1, 2, 3]  # week 4 left out
    assert four.attrs["incomplete_cohorts"] == 2
    from uem_helpers.stories.retro import retention_span_note

    assert retention_span_note(four, 4) == (
        "Weekly retention follows each cohort for 5 full weeks (its first week and 4 more), and the data ends "
        "2026-11-10 09:00: 2 of 3 cohorts (from the week of 2026-10-12) have not been followed that long; only "
        "their weeks that ended inside the data are shown and counted.")
    assert retention_span_note(M.retention(events(RETENTION[:3]), weeks=8), 8).endswith(
        "no cohort has been followed that long, so only the weeks that ended inside the data are shown and counted.")
