"""Data quality: every check counts exactly what was planted in a small log, and only that."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from uem_helpers.data.quality import DataQualityError, data_quality
from uem_helpers.data.sources import from_frames

from tests.planted_quality import planted_frames as _frames


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
        ("hidden_characters", "feedback"): (2, 8),  # 2 rows x 4 text columns
    }


def test_examples_name_the_affected_ids(quality):
    examples = {f.check: f.examples for f in quality.findings if f.n}
    assert examples["checkout_before_cart"] == ["u2"]
    assert examples["several_variants"] == ["u1"]
    assert examples["shared_sessions"] == ["s1"]
    assert examples["hidden_characters"] == ["u1", "u2"]
    assert examples["early_times"] == ["u3"]
    # the checks that group the whole log count per id once, and take their examples from those counts
    assert examples["duplicate_rows"] == ["u1"]
    assert examples["same_time_ties"] == ["u1"]
    assert examples["cut_off_sessions"] == ["u4"]
    assert examples["nps_before_first_event"] == ["u1"]


def test_findings_above_threshold_say_what_they_mean_for_the_numbers(quality):
    exceeded = {f.check: f.sentence() for f in quality.exceeded}
    assert set(exceeded) == {"duplicate_rows", "early_times", "shared_sessions", "cut_off_sessions",
                             "checkout_before_cart", "nps_before_first_event", "several_variants", "hidden_characters"}
    assert exceeded["checkout_before_cart"].startswith("50.0% of checkouts precede their cart: the cart table's clock")
    assert "1 user is in more than one variant" in exceeded["several_variants"]
    assert exceeded["hidden_characters"].startswith("2 values in table 'feedback' hold invisible")


def test_the_config_gives_thresholds_and_the_session_gap():
    from uem_helpers.core.config import UEMConfig

    config = UEMConfig.model_validate({"sources": {"events": {"path": "events.csv"}}, "sessions": {"gap": "30d"},
                                    "validate": {"thresholds": {"checkout_before_cart": 0.6}}})
    quality = data_quality(from_frames(_frames(), validate=False), "2026-10-01", "2026-10-31", config=config)
    found = {f.check: f for f in quality.findings}
    assert found["checkout_before_cart"].threshold == 0.6 and not found["checkout_before_cart"].exceeded
    assert found["cut_off_sessions"].n == 2  # u3 and u4 end within 30 days of the end of the data (30 min: u4)
    assert found["several_variants"].threshold == 0.0  # the defaults for the rest
    explicit = data_quality(from_frames(_frames(), validate=False), config=config,
                            thresholds={"checkout_before_cart": 0.1})
    assert {f.check: f.threshold for f in explicit.findings}["checkout_before_cart"] == 0.1


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
    assert {f.check: f.examples for f in on_spark.findings} == {f.check: f.examples for f in quality.findings}


def test_lifecycle_rows_of_a_process_log_are_counted_and_said():
    events = pd.DataFrame({
        "user_id": ["c1"] * 4 + ["c2"] * 2,
        "timestamp": pd.date_range("2026-10-01 09:00", periods=6, freq="min"),
        "event": ["apply", "apply", "review", "review", "apply", "apply"],
        "lifecycle:transition": ["start", "complete", "schedule", "COMPLETE", "start", "complete"],
    })
    found = {f.check: f for f in data_quality(from_frames({"events": events}, validate=False)).findings}
    lifecycle = found["lifecycle_rows"]
    assert (lifecycle.n, lifecycle.of, lifecycle.examples) == (3, 6, ["c1", "c2"])
    assert lifecycle.exceeded and lifecycle.sentence().startswith("50.0% of the events are lifecycle rows other than")
    plain = data_quality(from_frames({"events": events.drop(columns="lifecycle:transition")}, validate=False))
    assert "lifecycle_rows" not in {f.check for f in plain.findings}  # only a log with such a column is checked


def test_the_result_carries_the_coverage_of_the_period(quality):
    from datetime import datetime

    # the planted events in October run from 10:00 on the 1st to 23:50 on the 31st (u4's 00:00 is November)
    c = quality.coverage
    assert (c.first, c.last) == (datetime(2026, 10, 1, 10), datetime(2026, 10, 31, 23, 50))
    assert not c.covers_period and c.short_of_start == timedelta(hours=10) and c.short_of_end == timedelta(minutes=10)
    assert {t.table for t in c.tables} >= {"events", "carts", "nps", "feedback", "assignments"}
