"""Annual plan: reading and validating it, the status rule, and the scorecard on hand-made values."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from tests.conftest import SAMPLE_DIR
from uem_helpers.core.errors import ConfigError, ParameterError
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.analyses.plan import SCORECARD_COLUMNS, expected_progress, goal_status, plan_from_dict, read_plan, scorecard

Z = 1.959963984540054


def goal(**over):
    g = {"metric": "nps", "baseline": 18, "target": 30, "owner": "王敏", "due": date(2026, 12, 31)}
    g.update(over)
    return {k: v for k, v in g.items() if v is not None}


# --- reading -----------------------------------------------------------------------------


def test_read_sample_plan():
    plan = read_plan(SAMPLE_DIR / "plan.yml")
    assert plan.start == date(2026, 1, 1)  # no start: key -> January 1 of the earliest due's year
    assert len(plan.goals) == 9
    assert list(plan.goals.columns) == ["metric", "baseline", "target", "owner", "due", "notes"]
    first = plan.goals.iloc[0]
    got = (first.metric, first.baseline, first.target, first.owner, first.due)
    assert got == ("nps", 18.0, 30.0, "王敏", date(2026, 12, 31))
    assert "Li Qiang" in plan.goals["owner"].tolist()
    assert plan.goals.set_index("metric").loc["bounce_rate", "due"] == date(2026, 12, 15)


def test_read_plan_with_start_bom_and_string_dates(tmp_path):
    path = tmp_path / "plan.yml"
    text = "start: 2026-03-01\ngoals:\n  - {metric: nps, baseline: 18, target: 30, owner: 陈静, due: '2026-12-31'}\n"
    path.write_text(text, encoding="utf-8-sig")
    plan = read_plan(path)
    assert plan.start == date(2026, 3, 1) and plan.goals.iloc[0].owner == "陈静"
    assert plan.goals.iloc[0].due == date(2026, 12, 31) and plan.goals.iloc[0].notes == ""


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"goals": [goal(), goal(metric="bounce_rate", baseline=0.1, target=0.08, owner=None)]},
         "'goals[1] (bounce_rate).owner' in plan.yml: got None; the goal needs the key 'owner'"),
        ({"goals": [goal(target=18)]},
         "'goals[0] (nps).target' in plan.yml: got 18; a target different from the baseline"),
        ({"goals": [goal(due="2026-13-01")]},
         "'goals[0] (nps).due' in plan.yml: got '2026-13-01'; a date written as YYYY-MM-DD"),
        ({"goals": [goal(baseline="high")]},
         "'goals[0] (nps).baseline' in plan.yml: got 'high'; a number"),
        ({"goals": [goal(tagret=30)]},
         "'goals[0] (nps).tagret' in plan.yml: got 30; unknown key; a goal's keys are: metric"),
        ({"goals": [goal(), goal()]},
         "'goals[1] (nps).metric' in plan.yml: got 'nps'; the metric already has a goal (goals[0])"),
        ({"goals": []}, "'goals' in plan.yml: got []; a list of goals"),
        ({"goal": [goal()]}, "'goal' in plan.yml"),
        ({"start": "2027-01-01", "goals": [goal()]},
         "'start' in plan.yml: got '2027-01-01'; a date before the earliest due"),
        ([goal()], "the plan must be a mapping"),
    ],
)
def test_plan_errors_name_goal_key_and_value(raw, words):
    with pytest.raises(ConfigError) as err:
        plan_from_dict(raw, source="plan.yml")
    assert words in str(err.value)
    assert "plan.yml" in str(err.value)


def test_unknown_metric_when_known_metrics_given():
    words = r"goals\[0\] \(nsp\)\.metric'.*got 'nsp'; known metrics are: nps, bounce_rate"
    with pytest.raises(ConfigError, match=words):
        plan_from_dict({"goals": [goal(metric="nsp")]}, known_metrics=["nps", "bounce_rate"])


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="the plan file does not exist"):
        read_plan(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("goals: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_plan(bad)


# --- the status rule ---------------------------------------------------------------------


def test_expected_progress_is_share_of_time_elapsed():
    assert expected_progress(date(2026, 1, 1), date(2026, 12, 31), date(2026, 10, 31)) == pytest.approx(304 / 365)
    assert expected_progress(date(2026, 1, 1), date(2026, 12, 31), date(2027, 3, 31)) == 1.0
    assert expected_progress(date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 1)) == 0.0


@pytest.mark.parametrize(
    ("progress", "expected", "low", "high", "higher", "no_data", "status", "words"),
    [
        (0.5, 0.8, -1, 1, True, "no value for 2026-10", "no data", "no value for 2026-10"),
        (1.2, 0.8, -3, -1, True, None, "on track", "target reached"),        # reached, even if it fell this month
        (0.85, 0.8, -1, 1, True, None, "on track", "progress 85% of the way to target vs 80%"),
        (0.8, 0.8, -1, 1, True, None, "on track", ""),                       # exactly on schedule
        (0.5, 0.8, -1, 1, True, None, "off track", "more than 25% behind"),   # 30 points behind
        (0.7, 0.8, -3, -1, True, None, "off track", "fell significantly"),    # wrong way, higher is better
        (0.7, 0.8, 0.01, 0.03, False, None, "off track", "rose significantly"),  # wrong way, lower is better
        (0.7, 0.8, -0.03, -0.01, False, None, "at risk", "behind, by less than 25%"),  # right way when lower is better
        (0.7, 0.8, -1, 1, True, None, "at risk", "behind"),
        (0.7, 0.8, math.nan, math.nan, True, None, "at risk", "behind"),      # no last month: never significant
    ],
)
def test_goal_status_every_branch(progress, expected, low, high, higher, no_data, status, words):
    got, reason = goal_status(progress, expected, low, high, higher_is_better=higher, no_data=no_data)
    assert got == status and words in reason


# --- the scorecard -----------------------------------------------------------------------

PLAN = plan_from_dict({"goals": [
    goal(),
    goal(metric="bounce_rate", baseline=0.10, target=0.08, owner="Li Qiang", due=date(2026, 12, 15)),
    goal(metric="stickiness", baseline=0.12, target=0.15, owner="Amy Wu"),
    goal(metric="feedback_sla", baseline=0.85, target=0.95, owner="Kevin Lin"),
]})

VALUES = pd.DataFrame([
    # NPS: 2026-10 at 24 (se 5) vs 20 (se 4) in September
    {"metric": "nps", "month": "2026-09", "value": 20.0, "low": 12.2, "high": 27.8, "se": 4.0},
    {"metric": "nps", "month": "2026-10", "value": 24.0, "low": 14.2, "high": 33.8, "se": 5.0},
    # bounce: 9% of 1000 sessions vs 10% of 1000
    {"metric": "bounce_rate", "month": "2026-09", "value": 0.10, "successes": 100, "trials": 1000},
    {"metric": "bounce_rate", "month": "2026-10", "value": 0.09, "successes": 90, "trials": 1000},
    # stickiness: only September
    {"metric": "stickiness", "month": "2026-09", "value": 0.13, "se": 0.002},
])


def test_scorecard_known_answer():
    sc = scorecard(PLAN, VALUES, "2026-10").set_index("metric")
    assert list(sc.reset_index().columns) == SCORECARD_COLUMNS
    expected = 304 / 365  # Jan 1 .. Oct 31 of Jan 1 .. Dec 31
    n = sc.loc["nps"]
    assert (n.this_month, n.last_month, n.change) == pytest.approx((24, 20, 4))
    assert (n.change_low, n.change_high) == pytest.approx((4 - Z * math.hypot(4, 5), 4 + Z * math.hypot(4, 5)))
    assert n.progress == pytest.approx((24 - 18) / (30 - 18))  # 0.5
    assert n.expected_progress == pytest.approx(expected)
    assert n.status == "off track"  # 50% vs 83%: more than 25 points behind
    assert (n.owner, n.due, n.days_to_due) == ("王敏", date(2026, 12, 31), 61)  # from Oct 31
    assert (n.this_month_low, n.this_month_high) == (14.2, 33.8)

    b = sc.loc["bounce_rate"]
    r = compare_rates(100, 1000, 90, 1000, metric="bounce")
    assert (b.change, b.change_low, b.change_high) == pytest.approx((r.abs_effect, r.ci_low, r.ci_high))
    assert b.progress == pytest.approx(0.5)  # lower is better: 10% -> 9% is half way to 8%
    assert b.expected_progress == pytest.approx(304 / 349)  # due Dec 15
    assert b.status == "off track" and b.days_to_due == 45

    s = sc.loc["stickiness"]
    assert s.status == "no data" and s.reason == "no value for 2026-10" and math.isnan(s.progress)
    assert sc.loc["feedback_sla", "reason"] == "no values for the metric 'feedback_sla'"


def test_scorecard_statuses_on_track_and_at_risk_and_today():
    values = pd.concat([VALUES, pd.DataFrame([
        {"metric": "stickiness", "month": "2026-10", "value": 0.146, "se": 0.002},   # 87% of the way: on track
        {"metric": "feedback_sla", "month": "2026-10", "value": 0.92, "successes": 92, "trials": 100},  # 70%: at risk
    ])])
    sc = scorecard(PLAN, values, "2026-10", today="2026-11-05").set_index("metric")
    assert sc.loc["stickiness", "status"] == "on track"
    assert sc.loc["feedback_sla", "status"] == "at risk" and math.isnan(sc.loc["feedback_sla", "change"])
    assert sc.loc["nps", "days_to_due"] == 56


def test_scorecard_accepts_metric_frames_and_rejects_bad_values():
    frames = {"nps": VALUES[VALUES.metric == "nps"].drop(columns="metric")}
    sc = scorecard(PLAN, frames, "2026-10")
    assert sc.set_index("metric").loc["nps", "this_month"] == 24
    with pytest.raises(ParameterError, match="lack the column"):
        scorecard(PLAN, pd.DataFrame({"metric": ["nps"], "value": [1.0]}), "2026-10")
    with pytest.raises(ParameterError, match="hold 2 rows for 'nps' in 2026-10"):
        scorecard(PLAN, pd.concat([VALUES, VALUES.iloc[[1]]]), "2026-10")
    with pytest.raises(ParameterError, match="is not a month"):
        scorecard(PLAN, VALUES, "October")


def test_scorecard_on_the_sample():
    from uem_helpers.analyses import metrics as M
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    ds = load(load_config(SAMPLE_DIR.parent.parent / "uem.yml"), tables=["nps"])
    plan = read_plan(SAMPLE_DIR / "plan.yml")
    sc = scorecard(plan, {"nps": M.nps(ds["nps"], by="month")}, "2026-10").set_index("metric")
    nps = sc.loc["nps"]
    assert nps.change_high < 0 and nps.progress < 0  # the planted drop: below the baseline, significantly down
    assert nps.status == "off track"
    assert (sc.drop(index="nps")["status"] == "no data").all()
