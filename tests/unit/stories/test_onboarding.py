"""The onboarding story recovers the truth planted in the sample, and says so when it cannot."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from uem_helpers.present import onboarding as report
from uem_helpers.core.config import FunnelConfig, load_config
from uem_helpers.stories.onboarding import analyse_onboarding
from uem_helpers.data.sources import from_frames, load

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["onboarding"]


@pytest.fixture(scope="module")
def sample_analysis():
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["events", "users"])
    return analyse_onboarding(
        data, config.funnel("account_opening"), launch_date=TRUTH["launch_date"],
        period_start="2026-05-01", period_end="2026-10-31", segment_by="platform",
    )


def test_bottleneck_is_identity_verification(sample_analysis):
    assert sample_analysis.bottleneck.step == TRUTH["bottleneck_step"] == "id_verified"
    ranking = sample_analysis.bottleneck.ranking.set_index("step")
    assert ranking.loc["id_verified", "rank_by_loss"] == 1 and ranking.loc["id_verified", "rank_by_time"] == 1


@pytest.mark.parametrize("group, side", [("before", "a"), ("after", "b")])
def test_abandonment_and_opening_time_recover_the_planted_values(sample_analysis, group, side):
    design, realised = TRUTH["design"][group], TRUTH["realised"][group]
    abandonment = sample_analysis.launch.abandonment
    mean = sample_analysis.launch.mean_minutes
    # exactly what the generator counted
    assert getattr(abandonment, f"n_{side}") == realised["starters"]
    assert getattr(abandonment, f"value_{side}") == pytest.approx(realised["abandonment_rate"], abs=1e-6)
    assert getattr(mean, f"value_{side}") == pytest.approx(realised["mean_minutes_to_open"], abs=1e-6)
    # the planted (design) value lies inside the reported 95% interval
    assert getattr(abandonment, f"value_{side}_low") <= design["abandonment_rate"] <= getattr(abandonment, f"value_{side}_high")
    assert getattr(mean, f"value_{side}_low") <= design["mean_minutes_to_open"] <= getattr(mean, f"value_{side}_high")


def test_reference_case_thresholds(sample_analysis):
    launch = sample_analysis.launch
    assert launch.mean_minutes.value_a > 8 and launch.mean_minutes.value_b < 3
    assert launch.abandonment.value_a == pytest.approx(0.45, abs=0.03)
    assert launch.abandonment.value_b == pytest.approx(0.15, abs=0.03)
    assert launch.abandonment.significant and launch.abandonment.abs_effect < 0
    assert "fell" in launch.abandonment.sentence() and "95% CI" in launch.abandonment.sentence()


def test_findings_are_words_from_the_result(sample_analysis):
    text = report.key_findings(sample_analysis)
    assert f"{sample_analysis.entered:,}" in text and "id\\_verified" in text and "Abandonment fell" in text


def _events(rows):
    t0 = datetime(2026, 8, 10, 10)
    return pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "timestamp": [t0 + timedelta(days=r[1], seconds=r[2]) for r in rows],
        "event": [r[3] for r in rows],
    })


FUNNEL = FunnelConfig(steps=["s", "v", "done"], window="1h")


def test_period_without_starters_says_so_and_does_not_crash():
    data = from_frames({"events": _events([("1", 0, 0, "s"), ("1", 0, 60, "done")])})
    result = analyse_onboarding(data, FUNNEL, launch_date="2026-09-01", period_start="2026-10-01", period_end="2026-10-31")
    assert not result.has_data and result.bottleneck is None and result.launch is None
    assert "No data" in report.key_findings(result) and "2026\\-10\\-01" in report.funnel_finding(result)
    assert "Nobody started" in result.launch_note


def test_launch_outside_the_period_is_explained():
    data = from_frames({"events": _events([("1", 0, 0, "s"), ("1", 0, 5, "v"), ("1", 0, 9, "done"), ("2", 3, 0, "x")])})
    result = analyse_onboarding(data, FUNNEL, launch_date="2026-12-01", period_start="2026-08-01", period_end="2026-08-31")
    assert result.launch is None and "outside the period" in result.launch_note
    assert result.completed == 1


def test_a_step_without_events_in_the_period_is_named_not_reported_as_a_full_drop():
    # four starters, three reach 'v'; 'done' is logged, but only in September
    rows = [(u, 0, 0, "s") for u in "1234"] + [(u, 0, 30, "v") for u in "123"] + [("9", 40, 0, "done")]
    data = from_frames({"events": _events(rows)})
    result = analyse_onboarding(data, FUNNEL, period_start="2026-08-01", period_end="2026-08-31")
    assert result.empty_steps == [3] and result.completed == 0
    words = report.funnel_finding(result)
    assert "No users reached step 3 ('done') in this period: the log has no 'done' event between" in words
    assert "The largest drop is at step 2 'v': 1 users lost, 25% of those" in words
    assert "step 3 'done':" not in words and "100%" not in words
    assert result.bottleneck.step == "v" and list(result.bottleneck.ranking["step"]) == ["v"]
    assert report.key_findings(result).count("No users reached step 3") == 1


def test_an_empty_second_step_leaves_no_bottleneck_and_says_why():
    rows = [(u, 0, 0, "s") for u in "12"] + [("9", 40, 0, "v"), ("9", 40, 9, "done")]
    result = analyse_onboarding(from_frames({"events": _events(rows)}), FUNNEL,
                                period_start="2026-08-01", period_end="2026-08-31")
    assert result.empty_steps == [2, 3] and result.bottleneck is None
    assert report.bottleneck_finding(result).startswith("No users reached step 2 ('v') in this period, nor any step")
    findings = report.key_findings(result)
    assert findings.count("No users reached step 2 ('v')") == 1 and "largest drop" not in findings
    assert "No data" not in findings


def test_a_launch_with_too_few_days_of_data_on_a_side_says_what_the_comparison_needs():
    # t0 is 2026-08-10 10:00; starters every day from 08-10 to 08-18 (last event 08-18 10:00:09), launch 08-15.
    rows = [(str(d), d, s, e) for d in range(9) for s, e in ((0, "s"), (5, "v"), (9, "done"))]
    data = from_frames({"events": _events(rows)})
    result = analyse_onboarding(data, FUNNEL, launch_date="2026-08-15", period_start="2026-08-01",
                                period_end="2026-08-31")
    assert result.launch is None
    # before: 08-10 10:00 to 08-15 00:00 = 4 days 14 h; after: 08-15 00:00 to 08-18 10:00 = 3 days 10 h
    assert result.launch_note == ("The before/after comparison needs at least 7 days of data on each side of the "
                                  "launch (2026-08-15); the data has 4 days 14 h before it and 3 days 10 h after it.")
    assert report.launch_finding(result) == report.md_escape(result.launch_note)
    # with a 3-day minimum both sides suffice and the comparison runs
    enough = analyse_onboarding(data, FUNNEL, launch_date="2026-08-15", period_start="2026-08-01",
                                period_end="2026-08-31", min_side_days=3)
    assert enough.launch is not None and enough.launch_note == ""
    # a guard day on each side leaves 3 days 14 h before and 2 days 10 h after
    guarded = analyse_onboarding(data, FUNNEL, launch_date="2026-08-15", period_start="2026-08-01",
                                 period_end="2026-08-31", min_side_days=3, guard_days=1)
    assert guarded.launch_note.endswith("(2026-08-15) (leaving out 1 guard day on each side); the data has "
                                        "2 days 10 h after it.")


def test_starters_within_the_last_window_of_the_data_are_not_counted_as_abandoning():
    # Three starters on 08-10 (two complete); on 08-12 at 10:00 a fourth starts, and the data stops at
    # 10:30: within the 1 h window, so whether they complete is not known yet.
    rows = [("1", 0, 0, "s"), ("1", 0, 60, "v"), ("1", 0, 90, "done"),
            ("2", 0, 0, "s"), ("2", 0, 60, "v"), ("2", 0, 95, "done"),
            ("3", 0, 0, "s"),
            ("4", 2, 0, "s"), ("5", 2, 1800, "x")]
    result = analyse_onboarding(from_frames({"events": _events(rows)}), FUNNEL,
                                period_start="2026-08-01", period_end="2026-08-31")
    assert (result.entered, result.completed, result.still_open) == (3, 2, 1)
    assert result.open_window_note == (
        "1 user started after 2026-08-12 09:30, within the last 1 h of the data (it ends 2026-08-12 10:30): "
        "still inside the conversion window, so not counted as completing or abandoning.")
    # with data going on past the window, the fourth starter counts (and abandons)
    later = analyse_onboarding(from_frames({"events": _events(rows + [("5", 2, 7200, "x")])}), FUNNEL,
                               period_start="2026-08-01", period_end="2026-08-31")
    assert (later.entered, later.completed, later.still_open, later.open_window_note) == (4, 2, 0, "")


def test_next_steps_rest_on_the_sample_findings(sample_analysis):
    steps = report.next_steps(sample_analysis).splitlines()
    b = sample_analysis.bottleneck
    assert steps[0].startswith(f"- Fix 'id\\_verified' first: it is the bottleneck, losing {b.lost:,} users")
    assert steps[1].startswith("- Keep the launch of 2026\\-08\\-15: abandonment fell from 46.0% (before) to 13.5% "
                               "(after), −32.5 pts (95% CI −36.5 to −28.2).")
    words = " ".join(steps).lower()
    assert "feedback" not in words and "nps" not in words  # the report reads no such table


def test_next_steps_without_a_launch_or_a_logged_last_step_say_only_what_the_data_shows():
    rows = [(u, 0, 0, "s") for u in "1234"] + [(u, 0, 30, "v") for u in "123"] + [("9", 40, 0, "done")]
    result = analyse_onboarding(from_frames({"events": _events(rows)}), FUNNEL,
                                period_start="2026-08-01", period_end="2026-08-31")
    steps = report.next_steps(result).splitlines()
    assert steps == [
        "- Fix 'v' first: it is the bottleneck, losing 1 users (100% of all drop-off) and taking a median 30 s. "
        "Test the change on a share of users.",
        "- Check that 'done' is still logged under this name: the period has no such event.",
    ]
    empty = analyse_onboarding(from_frames({"events": _events([("1", 0, 0, "s")])}), FUNNEL,
                               period_start="2026-10-01", period_end="2026-10-31")
    assert "No data" in report.next_steps(empty)


def test_auto_segment_uses_platform_only_when_the_data_has_it():
    rows = [(u, 0, 0, "s") for u in "1234"] + [(u, 0, 30, "v") for u in "123"] + [("9", 3, 0, "x")]
    plain = analyse_onboarding(from_frames({"events": _events(rows)}), FUNNEL, segment_by="auto",
                               period_start="2026-08-01", period_end="2026-08-31")
    assert plain.by_segment is None and plain.segment_by is None
    assert report.segment_finding(plain) == ("No segment breakdown&#58; the data has no 'platform' column; set the "
                                             "segment\\_by parameter to a column to break down by.")
    frame = _events(rows).assign(platform=["ios", "ios", "android", "android"] + ["ios"] * 3 + ["web"])
    with_platform = analyse_onboarding(from_frames({"events": frame}), FUNNEL, segment_by="auto",
                                       period_start="2026-08-01", period_end="2026-08-31")
    assert with_platform.segment_by == "platform" and set(with_platform.by_segment["platform"]) == {"ios", "android"}
