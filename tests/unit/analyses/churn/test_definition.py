"""The churn rule: eligibility and labels at their edges, cutoffs, and the errors a user can cause."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from uem_helpers.analyses.churn import ChurnRule, as_of_instant, cutoffs, eligible_users, labelled_users
from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigDataError, ConfigError
from tests.unit.analyses.churn.hand_made import CUTOFF, RULE, config, dataset


@pytest.fixture(scope="module")
def data():
    return dataset()


def test_eligible_users_at_the_edges(data):
    out = eligible_users(data, RULE, CUTOFF).execute().set_index("user_id").sort_index()
    # u3 is 4 days old (< 5), u4 was last active 10.5 days ago; u5 exactly 10 days ago and u6 exactly 5 days old count
    assert out.index.tolist() == ["u1", "u2", "u5", "u6"]
    assert out.loc["u5", "days_since_active"] == pytest.approx(10.0)
    assert out.loc["u6", "tenure_days"] == pytest.approx(5.0)
    assert out.loc["u5", "started_at"] == datetime(2026, 9, 1)  # not in users: the first active event
    # u6's app_open at the cutoff itself is not seen: last active is the 23:30 open_start
    assert out.loc["u6", "last_active_at"] == datetime(2026, 9, 30, 23, 30)


def test_one_second_earlier_the_user_at_exactly_ten_days_is_gone_and_the_five_day_old_too_young(data):
    earlier = eligible_users(data, RULE, CUTOFF + timedelta(seconds=1)).execute()
    assert "u5" not in set(earlier["user_id"])  # 10 days and 1 second since the last active event
    younger = eligible_users(data, RULE, CUTOFF - timedelta(seconds=1)).execute()
    assert "u6" not in set(younger["user_id"])  # tenure 1 second short of 5 days


def test_labels_at_the_edges(data):
    labels = labelled_users(data, RULE, CUTOFF).execute().set_index("user_id")["churned"].sort_index()
    # u1 back on 10-05; u2 back exactly 10 days after (too late); u5 one second before that; u6 at the cutoff itself
    assert labels.to_dict() == {"u1": False, "u2": True, "u5": False, "u6": False}


def test_cutoffs_step_back_one_and_two_inactive_windows(data):
    as_of = as_of_instant("2026-09-30")
    assert as_of == CUTOFF  # a date means the end of that day
    assert as_of_instant("2026-09-30 12:00") == datetime(2026, 9, 30, 12)
    points = cutoffs(data, RULE, as_of)
    assert (points.score, points.validate, points.train) == (CUTOFF, datetime(2026, 9, 21), datetime(2026, 9, 11))


def test_a_churn_window_longer_than_the_data_says_what_is_needed(data):
    long = ChurnRule(timedelta(days=14), RULE.active_events, RULE.min_tenure, RULE.trend)
    # the data start 2026-09-01: 30 days before the cutoff; 2 x 14 + 2 x 3 = 34 are needed
    with pytest.raises(ConfigError, match=r"config key 'churn.inactive_days': got 14; the churn window is longer than "
                                          r"the data: the first event is at 2026-09-01 00:00, 30.0 days before as_of "
                                          r"2026-10-01 00:00, .* needs 34 days of history"):
        cutoffs(data, long, CUTOFF)


def test_no_active_events_configured_is_a_config_error():
    with pytest.raises(ConfigError, match=r"config key 'churn.active_events': got \[\]; at least one event"):
        config(active_events=[])
    with pytest.raises(ConfigError, match=r"'churn.active_events'.*name at least one event"):
        ChurnRule(timedelta(days=30), ())


def test_a_missing_churn_section_asks_for_one():
    raw = config().model_dump(by_alias=True, exclude={"base_dir"})
    raw.pop("churn")
    with pytest.raises(ConfigError, match=r"the churn analysis needs a 'churn' section .* churn: \{inactive_days: 30"):
        ChurnRule.from_config(config_from_dict(raw))
    assert ChurnRule.from_config(config()) == RULE


def test_an_unknown_active_event_is_named_with_the_nearest_event(data):
    rule = ChurnRule(RULE.inactive, ("app_opn", "open_start"), RULE.min_tenure, RULE.trend)
    with pytest.raises(ConfigDataError) as caught:
        cutoffs(data, rule, CUTOFF)
    (problem,) = caught.value.problems
    assert (problem.key, problem.name, problem.suggestions) == ("churn.active_events[0]", "app_opn", ("app_open",))
    assert "did you mean 'app_open'?" in str(caught.value)


def test_an_active_event_only_after_as_of_has_no_rows(data):
    rule = ChurnRule(RULE.inactive, ("app_open", "open_success"), RULE.min_tenure, RULE.trend)
    with pytest.raises(ConfigDataError, match="open_success"):
        cutoffs(data, rule, datetime(2026, 9, 28, 9, 2))  # u1's open_success is at this instant: not before it


def test_a_rule_given_a_list_of_events_keeps_them_as_a_tuple():
    rule = ChurnRule(timedelta(days=10), ["app_open", "open_start"], timedelta(days=5), timedelta(days=3))
    assert rule == RULE and hash(rule) == hash(RULE) and rule.window == timedelta(days=6)
