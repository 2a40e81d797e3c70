"""The survival table: first gaps, censoring, users who came back, and the covariates' first times."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from uem_helpers.analyses.churn import ChurnRule, survival_table
from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigDataError
from uem_helpers.data.sources import from_frames

AS_OF = datetime(2026, 10, 1)
RULE = ChurnRule(inactive=timedelta(days=10), active_events=("app_open",))

EVENTS = [
    # a: 09-05 -> 09-20 is a 15-day gap: churned at 09-05 (4 days in), though back on 09-20 and 09-25
    ("a", "2026-09-01 00:00", "app_open"), ("a", "2026-09-03 00:00", "payment_failed"),
    ("a", "2026-09-05 00:00", "app_open"), ("a", "2026-09-20 00:00", "app_open"),
    ("a", "2026-09-21 00:00", "payment_failed"), ("a", "2026-09-25 00:00", "app_open"),
    # b: 09-15 -> 09-25 is exactly 10 days: a gap long enough, churned at 09-15 (5 days in)
    ("b", "2026-09-10 00:00", "app_open"), ("b", "2026-09-15 00:00", "app_open"), ("b", "2026-09-25 00:00", "app_open"),
    # c: gaps of 9 and 7 days, then 3 days to as_of: censored at as_of - 10 days (09-21, 9 days in: a churn after
    # that could not be seen by as_of), not at its last visit (09-28); the event after as_of is not read
    ("c", "2026-09-12 00:00", "app_open"), ("c", "2026-09-21 00:00", "app_open"), ("c", "2026-09-28 00:00", "app_open"),
    ("c", "2026-10-05 00:00", "payment_failed"),
    # d: one visit 15.5 days before as_of: churned at once (0 days)
    ("d", "2026-09-15 12:00", "app_open"), ("d", "2026-09-16 12:00", "home_view"),
    # e: active only at as_of itself: not in the table
    ("e", "2026-10-01 00:00", "app_open"),
]
NPS = pd.DataFrame({"response_id": ["n1", "n2", "n3", "n4"], "user_id": ["b", "b", "c", "a"],
                    "answered_at": pd.to_datetime(["2026-09-12", "2026-09-14", "2026-09-13", "2026-10-02"]),
                    "score": [5, 3, 9, 2]})
USERS = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "signup_at": pd.to_datetime(["2026-08-01"] * 4),
                      "segment": ["new", "returning", "new", None]})


def _config(**churn):
    return config_from_dict({"sources": {"events": {"path": "e.parquet"}},
                             "churn": {"inactive_days": 10, "active_events": ["app_open"],
                                       "payment_error": {"event": "payment_failed"}, "segments": ["segment"], **churn}})


@pytest.fixture(scope="module")
def data():
    events = pd.DataFrame(EVENTS, columns=["user_id", "timestamp", "event"]).assign(
        timestamp=lambda f: pd.to_datetime(f["timestamp"]))
    return from_frames({"events": events, "nps": NPS, "users": USERS})


def test_first_gaps_censoring_and_users_who_came_back(data):
    table = survival_table(data, RULE, AS_OF, _config()).set_index("user_id")
    assert table.index.tolist() == ["a", "b", "c", "d"]
    assert table["churned"].to_dict() == {"a": True, "b": True, "c": False, "d": True}
    assert table["churned_at"].to_dict() == {"a": pd.Timestamp("2026-09-05"), "b": pd.Timestamp("2026-09-15"),
                                             "c": pd.NaT, "d": pd.Timestamp("2026-09-15 12:00")}
    assert table["duration_days"].tolist() == pytest.approx([4.0, 5.0, 9.0, 0.0])
    assert table.loc["a", "last_active_at"] == pd.Timestamp("2026-09-25")  # back after the gap
    assert table.loc["a", "entered_at"] == pd.Timestamp("2026-09-01")
    assert table.loc["c", "last_active_at"] == pd.Timestamp("2026-09-28")


def test_first_payment_error_and_first_detractor_answer(data):
    table = survival_table(data, RULE, AS_OF, _config()).set_index("user_id")
    assert table["payment_error_at"].to_dict() == {"a": pd.Timestamp("2026-09-03"), "b": pd.NaT, "c": pd.NaT,
                                                   "d": pd.NaT}  # c's error is after as_of
    assert table["detractor_at"].to_dict() == {"a": pd.NaT, "b": pd.Timestamp("2026-09-12"), "c": pd.NaT,
                                               "d": pd.NaT}  # a's 2 is after as_of, c's 9 is no detractor
    assert table["segment"].to_dict() == {"a": "new", "b": "returning", "c": "new", "d": "(unknown)"}


def test_a_later_as_of_censors_less_and_without_nps_or_payment_errors_the_columns_stay_empty(data):
    bare = from_frames({"events": data["events"].execute()})
    table = survival_table(bare, RULE, datetime(2026, 10, 8), _config(payment_error=None, segments=[]))
    assert list(table.columns) == ["user_id", "entered_at", "last_active_at", "churned", "churned_at",
                                   "duration_days", "payment_error_at", "detractor_at"]
    assert table["payment_error_at"].isna().all() and table["detractor_at"].isna().all()
    # e now enters on 10-01, after as_of - 10 days (censored at 0 days); c's 3 days to 10-01 are now 10 days to
    # 10-08: churned at 09-28
    row = table.set_index("user_id")
    assert row.loc["c", "churned_at"] == pd.Timestamp("2026-09-28") and row.loc["c", "duration_days"] == 16.0
    assert (row.loc["e", "churned"], row.loc["e", "duration_days"]) == (False, 0.0)


def test_an_unknown_active_event_stops_the_survival_table(data):
    rule = ChurnRule(RULE.inactive, ("app_opne",))
    with pytest.raises(ConfigDataError, match="did you mean 'app_open'"):
        survival_table(data, rule, AS_OF, _config())


def test_payment_attempts_without_a_success_in_their_session_are_errors(data):
    extra = pd.DataFrame([
        ("a", "2026-09-03 10:00", "payment"), ("a", "2026-09-03 10:05", "order_success"),  # paid: no error
        ("a", "2026-09-06 10:00", "payment"),                                                # never paid: error
        ("b", "2026-09-11 10:00", "payment"), ("b", "2026-09-11 11:00", "order_success"),  # paid an hour later,
        ("c", "2026-09-13 10:00", "payment"), ("c", "2026-09-13 10:00", "order_success"),  # in a new session: error
    ], columns=["user_id", "timestamp", "event"]).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"]))
    events = pd.concat([data["events"].execute(), extra], ignore_index=True)
    attempts = _config(payment_error={"attempt": "payment", "success": "order_success"}, segments=[])
    expected = {"a": pd.Timestamp("2026-09-06 10:00"), "b": pd.Timestamp("2026-09-11 10:00"), "c": pd.NaT,
                "d": pd.NaT}  # c paid at the same instant
    table = survival_table(from_frames({"events": events}), RULE, AS_OF, attempts)
    assert table.set_index("user_id")["payment_error_at"].to_dict() == expected
