"""Data quality: every check counts exactly what was planted in a small log, and only that."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from uem_helpers.data.quality import DataQualityError, data_quality
from uem_helpers.data.sources import from_frames

BIDI = "\u202e"  # right-to-left override


def _frames() -> dict[str, pd.DataFrame]:
    events = pd.DataFrame(
        [
            ("u1", "2026-10-01 10:00:00", "app_open", "s1"),
            ("u1", "2026-10-01 10:00:00", "app_open", "s1"),   # exact duplicate row
            ("u1", "2026-10-01 10:00:00", "search", "s1"),     # tie with the two above
            ("u2", "2026-10-01 11:00:00", "app_open", "s1"),   # s1 now has two users
            ("u3", "1970-01-01 08:00:00", "app_open", "s3"),   # an epoch default
            ("u3", "2026-10-02 09:00:00", "app_open", "s4"),
            ("u4", "2026-10-31 23:50:00", "app_open", "s5"),   # the data ends 10 minutes later
            ("u4", "2026-11-01 00:00:00", "search", "s5"),     # outside October
        ],
        columns=["user_id", "timestamp", "event", "session_id"],
    )
    carts = pd.DataFrame({
        "cart_id": ["c1", "c2", "c3"], "user_id": ["u1", "u2", "u3"],
        "created_at": ["2026-10-01 10:00:00", "2026-10-01 11:00:00", "2026-10-02 09:00:00"],
        "checked_out_at": ["2026-10-01 10:05:00", "2026-10-01 10:30:00", None],  # c2 before its cart
        "cart_value": [100.0, 50.0, 20.0],
    })
    nps = pd.DataFrame({"response_id": ["r1", "r2"], "user_id": ["u1", "u3"],
                        "answered_at": ["2026-10-01 09:00:00", "2026-10-03 09:00:00"],  # r1 before u1's first event
                        "score": [9, 3]})
    feedback = pd.DataFrame({"feedback_id": ["f1", "f2"], "created_at": ["2026-10-01 12:00:00"] * 2,
                             "channel": ["app", "app"], "text": [f"good{BIDI}txt.exe", "fine"], "user_id": ["u1", "u2"]})
    assignments = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "experiment": ["x", "x", "x"],
                                "variant": ["control", "treatment", "control"],
                                "assigned_at": ["2026-10-01 00:00:00"] * 3})
    return {"events": events, "carts": carts, "nps": nps, "feedback": feedback, "assignments": assignments}


@pytest.fixture(scope="module")
def quality():
    data = from_frames(_frames(), validate=False)
    return data_quality(data, "2026-10-01", "2026-10-31", gap=timedelta(minutes=30))


def _found(quality) -> dict:
    return {(f.check, f.table): (f.n, f.of) for f in quality.findings if f.n}


def test_every_planted_problem_is_counted_exactly(quality):
    assert _found(quality) == {
        ("duplicate_rows", "events"): (1, 8),
        ("early_times", "events"): (1, 8),
        ("outside_period", "events"): (2, 8),
        ("shared_sessions", "events"): (1, 4),  # s1, s3, s4, s5
        ("cut_off_sessions", "events"): (1, 4),
        ("same_time_ties", "events"): (3, 8),
        ("checkout_before_cart", "carts"): (1, 2),
        ("nps_before_first_event", "nps"): (1, 2),
        ("several_variants", "assignments"): (1, 2),
        ("hidden_characters", "feedback"): (1, 8),  # 2 rows x 4 text columns
    }


def test_examples_name_the_affected_ids(quality):
    examples = {f.check: f.examples for f in quality.findings if f.n}
    assert examples["checkout_before_cart"] == ["u2"]
    assert examples["several_variants"] == ["u1"]
    assert examples["shared_sessions"] == ["s1"]
    assert examples["hidden_characters"] == ["u1"]
    assert examples["early_times"] == ["u3"]


def test_findings_above_threshold_say_what_they_mean_for_the_numbers(quality):
    exceeded = {f.check: f.sentence() for f in quality.exceeded}
    assert set(exceeded) == {"duplicate_rows", "early_times", "shared_sessions", "cut_off_sessions",
                             "checkout_before_cart", "nps_before_first_event", "several_variants", "hidden_characters"}
    assert exceeded["checkout_before_cart"].startswith("50.0% of checkouts precede their cart: the cart table's clock")
    assert "1 users are in more than one variant" in exceeded["several_variants"]


def test_thresholds_from_the_config_and_strict_mode():
    data = from_frames(_frames(), validate=False)
    relaxed = data_quality(data, thresholds={k: 1.0 for k in ("duplicate_rows", "early_times", "shared_sessions",
                                                               "cut_off_sessions", "checkout_before_cart",
                                                               "nps_before_first_event", "several_variants",
                                                               "hidden_characters")})
    assert relaxed.exceeded == []
    with pytest.raises(DataQualityError) as caught:
        data_quality(data, thresholds={"several_variants": 0.0}, strict=True)
    assert "validate.strict" in str(caught.value) and "more than one variant" in str(caught.value)


def test_a_clean_log_has_nothing_above_a_threshold():
    hours = pd.date_range("2026-10-01 08:00", periods=100, freq="h")  # 100 users, one an hour
    events = pd.DataFrame({"user_id": [f"u{i:03d}" for i in range(100)], "timestamp": hours, "event": "x"})
    quality = data_quality(from_frames({"events": events}), "2026-10-01", "2026-10-31")
    assert quality.exceeded == []
    # the last user is still in a session when the data ends: 1 of 100, under the 5% threshold
    assert quality.frame()[["check", "n", "of"]].to_dict("records") == [{"check": "cut_off_sessions", "n": 1, "of": 100}]


@pytest.mark.spark
def test_the_same_counts_on_spark(spark_con, quality):
    data = from_frames(_frames(), con=spark_con, validate=False)
    on_spark = data_quality(data, "2026-10-01", "2026-10-31", gap=timedelta(minutes=30))
    assert _found(on_spark) == _found(quality)
