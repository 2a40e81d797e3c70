"""Churn features on the hand-made month: known values, nothing after the cutoff, missing tables named."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from uem_helpers.analyses.churn import FEATURES, definition, payment_errors, user_features
from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigDataError, ConfigError
from tests.unit.analyses.churn.hand_made import CUTOFF, RULE, config, dataset

NUMBERS = ["days_since_active", "active_days", "active_days_recent", "active_days_prior", "activity_trend",
           "sessions", "session_minutes", "tenure_days", "funnel_failures", "payment_errors", "payment_errors_recent",
           "carts_abandoned", "nps_last", "detractor", "complaints", "complaint_payment", "complaint_shipping",
           "support_contacts"]

#: Worked out by hand next to the rows in hand_made.py (NaN: never answered the NPS survey).
EXPECTED = pd.DataFrame.from_dict({
    #      since       days rec prior trend sess min  tenure fun pay rec cart nps  det cmp pay shi sup
    "u1": [49800 / 86400, 5, 3, 2, 1, 5, 7.0, 30.0, 0, 2, 1, 1, math.nan, 0, 2, 1, 1, 1],
    "u2": [8 + 14 / 24, 0, 0, 0, 0, 0, 0.0, 11.0, 0, 0, 0, 0, 4.0, 1, 1, 0, 0, 0],
    "u5": [10.0, 0, 0, 0, 0, 0, 0.0, 30.0, 0, 0, 0, 0, math.nan, 0, 0, 0, 0, 0],
    "u6": [0.5 / 24, 2, 2, 0, 2, 2, 0.0, 5.0, 1, 0, 0, 1, 7.0, 0, 0, 0, 0, 0],
}, orient="index", columns=NUMBERS).rename_axis("user_id")


@pytest.fixture(scope="module")
def features():
    return user_features(dataset(), RULE, CUTOFF, config())


def test_features_match_the_hand_computed_values(features):
    frame = features.to_frame()
    assert list(frame.columns) == NUMBERS + ["segment", "platform"]
    pd.testing.assert_frame_equal(frame[NUMBERS], EXPECTED, check_dtype=False, atol=1e-6)
    assert features.missing == {}
    # segments: the users table's, else '(unknown)'; platform from the events, the last known value before the cutoff
    assert frame["segment"].to_dict() == {"u1": "returning", "u2": "new", "u5": "(unknown)", "u6": "new"}
    assert frame["platform"].to_dict() == {"u1": "ios", "u2": "web", "u5": "android", "u6": "android"}


def test_counts_are_integers_and_only_nps_may_be_missing(features):
    frame = features.to_frame()
    assert frame["active_days"].dtype == "int64" and frame["nps_last"].dtype == "float64"
    assert frame.drop(columns="nps_last").notna().all().all()


def test_nothing_after_the_cutoff_changes_a_feature_and_an_event_just_before_does(features):
    after = CUTOFF + pd.Timedelta(seconds=1)
    planted = [("u1", CUTOFF, "payment", "android"), ("u1", after, "customer_service", "web"),
               ("u2", CUTOFF, "app_open", "android"), ("u5", after, "open_start", "ios"),
               ("u6", after, "open_success", "web")]
    carts = pd.DataFrame({"cart_id": ["c9"], "user_id": ["u2"], "created_at": [CUTOFF], "cart_value": [5.0],
                          "checked_out_at": [pd.NaT]})
    from tests.unit.analyses.churn import hand_made

    more_carts = pd.concat([hand_made.CARTS, carts], ignore_index=True)
    more_nps = pd.concat([hand_made.NPS, pd.DataFrame({"response_id": ["r9"], "user_id": ["u1"], "answered_at": [CUTOFF],
                                                       "score": [0]})], ignore_index=True)
    more_feedback = pd.concat([hand_made.FEEDBACK, pd.DataFrame({
        "feedback_id": ["f9"], "created_at": [CUTOFF], "channel": ["app"], "text": ["payment broken"],
        "user_id": ["u1"], "rating": pd.array([1], dtype="Int64")})], ignore_index=True)
    future = dataset(extra_events=planted, carts=more_carts, nps=more_nps, feedback=more_feedback)
    pd.testing.assert_frame_equal(user_features(future, RULE, CUTOFF, config()).to_frame(), features.to_frame())

    before = CUTOFF - pd.Timedelta(seconds=1)
    changed = user_features(dataset(extra_events=[("u1", before, "customer_service", "ios"),
                                                  ("u2", before, "app_open", "ios")]), RULE, CUTOFF, config()).to_frame()
    assert changed.loc["u1", "support_contacts"] == features.to_frame().loc["u1", "support_contacts"] + 1
    assert changed.loc["u2", "days_since_active"] == pytest.approx(1 / 86400)
    assert changed.loc["u2", ["active_days", "active_days_recent", "sessions"]].tolist() == [1, 1, 1]
    assert changed.loc["u2", "platform"] == "ios"


def test_missing_tables_and_sections_leave_their_features_out_with_the_reason():
    bare = config(payment_error=None, support_events=None, segments=["platform"])
    out = user_features(dataset(tables=()), RULE, CUTOFF, bare)
    assert out.missing == {
        "payment_errors": "no churn.payment_error in the config",
        "payment_errors_recent": "no churn.payment_error in the config",
        "carts_abandoned": "no carts table (and no carts: section to derive one from events)",
        "nps_last": "no nps table", "detractor": "no nps table",
        "complaints": "no feedback table", "complaint_payment": "no feedback table",
        "complaint_shipping": "no feedback table",
        "support_contacts": "no churn.support_events in the config",
    }
    frame = out.to_frame()
    assert list(frame.columns) == ["days_since_active", "active_days", "active_days_recent", "active_days_prior",
                                   "activity_trend", "sessions", "session_minutes", "tenure_days", "funnel_failures",
                                   "platform"]
    # without the users table, tenure runs from the first active event: u1 (09-26 12:00, 4.5 d), u3 and u6 are
    # too young now
    assert frame.index.tolist() == ["u2", "u5"]
    assert frame.loc["u2", "tenure_days"] == pytest.approx(8 + 14 / 24)  # first active 09-22 10:00
    assert set(FEATURES) >= {c for c in frame.columns if c != "platform"}


def test_an_explicit_error_event_and_a_payment_in_another_session():
    events = dataset()["events"]
    cfg = config(payment_error={"event": "payment"})
    assert payment_errors(events, cfg.churn.payment_error).count().execute() == 3  # every payment row
    attempts = payment_errors(events, config().churn.payment_error, gap="3min").execute()
    # with a 3-minute gap the 09-28 09:05 payment is alone in its session, the 09-26 12:05 one shares a session
    # with the earlier success only, the 09-30 10:15 one has its success at the same instant: two errors
    assert sorted(attempts["timestamp"].astype(str)) == ["2026-09-26 12:05:00", "2026-09-28 09:05:00"]


def test_feedback_without_a_taxonomy_counts_rated_complaints_only():
    raw = config().model_dump(by_alias=True, exclude={"base_dir"})
    raw["feedback_taxonomy"] = {}
    out = user_features(dataset(), RULE, CUTOFF, config_from_dict(raw))
    assert out.missing == {"complaint_<theme>": "no feedback_taxonomy in the config"}
    assert out.to_frame()["complaints"].to_dict() == {"u1": 1, "u2": 1, "u5": 0, "u6": 0}


def test_an_unknown_segment_column_is_named_with_the_nearest_one():
    with pytest.raises(ConfigDataError) as caught:
        user_features(dataset(), RULE, CUTOFF, config(segments=["platfrom"]))
    (problem,) = caught.value.problems
    assert (problem.key, problem.name, problem.suggestions) == ("churn.segments[0]", "platfrom", ("platform",))


def test_a_config_without_a_churn_section_says_what_to_add():
    raw = config().model_dump(by_alias=True, exclude={"base_dir"})
    raw.pop("churn")
    with pytest.raises(ConfigError, match=r"config key 'churn'.*needs a 'churn' section.*active_events"):
        user_features(dataset(), RULE, CUTOFF, config_from_dict(raw))


def test_every_feature_has_a_definition(features):
    for column in features.to_frame().columns:
        assert definition(column).endswith(".")
    assert "theme" in definition("complaint_shipping")
