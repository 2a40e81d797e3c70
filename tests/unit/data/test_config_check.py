"""The config held against the data: misspelled events, funnels, columns and experiments are named, with a fix."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigDataError
from uem_helpers.data.config_check import check_config_against_data, configured_events
from uem_helpers.data.sources import from_frames
from tests.conftest import CONFIG_PATH, ROOT

STEPS = ["open_start", "info_submitted", "id_verified", "open_success"]


def _events() -> pd.DataFrame:
    """Two users through the account-opening steps in October; card_bound only in September."""
    rows = [("u1", "2026-10-02 10:00:00", e) for e in STEPS] + [("u2", "2026-10-03 09:00:00", "open_start"),
                                                                   ("u2", "2026-09-03 09:00:00", "card_bound")]
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]).assign(platform="ios")


def _config(**extra) -> object:
    raw = {"sources": {"events": {"path": "events.parquet"}},
           "funnels": {"account_opening": {"steps": STEPS}}, **extra}
    return config_from_dict(raw)


@pytest.fixture(scope="module")
def dataset():
    assignments = pd.DataFrame({"user_id": ["u1", "u2"], "experiment": ["one_tap", "one_tap"],
                                "variant": ["control", "treatment"],
                                "assigned_at": ["2026-10-01 00:00:00", "2026-10-01 00:00:00"]})
    return from_frames({"events": _events(), "assignments": assignments})


def test_a_config_that_matches_the_data_passes(dataset):
    assert check_config_against_data(_config(), dataset, "2026-10-01", "2026-10-31") == []


def test_a_misspelled_step_names_the_key_and_the_nearest_event(dataset):
    config = _config(funnels={"account_opening": {"steps": ["open_start", "info_submitted", "id_verfied", "open_success"]}})
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(config, dataset, source="my.yml")
    (problem,) = caught.value.problems
    assert (problem.key, problem.name, problem.suggestions) == ("funnels.account_opening.steps[2]", "id_verfied",
                                                                 ("id_verified",))
    message = str(caught.value)
    assert "my.yml" in message and "config key 'funnels.account_opening.steps[2]'" in message
    assert "did you mean 'id_verified'?" in message


def test_every_problem_is_listed_at_once_across_sections(dataset):
    config = _config(
        journey={"start_event": "app_open", "stages": {"open": ["open_start", "info_submited"]}},
        metrics={"task_completion": {"start": "open_start", "success": "open_sucess"},
                 "first_success": {"event": "open_success"}, "account_opening_funnel": "acount_opening"},
        rollouts={"one_tap": {"treatment": "treatmnt"}, "two_tap": {}},
        report={"parameters": {"journey_analysis": {"segment_by": "platfrom", "start_event": "open_start"}}},
    )
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(config, dataset)
    found = {p.key: (p.kind, p.name, p.suggestions) for p in caught.value.problems}
    assert found == {
        "journey.start_event": ("event", "app_open", ()),
        "journey.stages.open[1]": ("event", "info_submited", ("info_submitted",)),
        "metrics.task_completion.success": ("event", "open_sucess", ("open_success",)),
        "metrics.account_opening_funnel": ("funnel", "acount_opening", ("account_opening",)),
        "report.parameters.journey_analysis.segment_by": ("column", "platfrom", ("platform",)),
        "rollouts.one_tap.treatment": ("variant", "treatmnt", ("treatment",)),
        "rollouts.two_tap": ("experiment", "two_tap", ("one_tap",)),
    }


def test_an_event_without_rows_in_the_period_is_a_warning_not_an_error(dataset):
    config = _config(funnels={"account_opening": {"steps": ["open_start", "card_bound"]}})
    (warning,) = check_config_against_data(config, dataset, "2026-10-01", "2026-10-31")
    assert (warning.key, warning.name) == ("funnels.account_opening.steps[1]", "card_bound")
    assert "no rows between 2026-10-01 and 2026-10-31" in str(warning)
    assert check_config_against_data(config, dataset) == []  # no period: every row counts


def test_mapped_event_names_are_checked_after_the_mapping():
    events = _events().replace({"event": {"id_verified": "实名认证"}})
    data = from_frames({"events": events}, event_names={"实名认证": "id_verified"})
    assert check_config_against_data(_config(), data) == []


def test_configured_events_follow_the_config_order():
    config = _config(journey={"start_event": "open_start", "stages": {"s": ["open_start"]}})
    assert [key for key, _ in configured_events(config)][:5] == [
        "funnels.account_opening.steps[0]", "funnels.account_opening.steps[1]", "funnels.account_opening.steps[2]",
        "funnels.account_opening.steps[3]", "journey.start_event"]


def test_uem_validate_exits_2_naming_the_key_on_the_sample(tmp_path):
    raw = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["funnels"]["account_opening"]["steps"][2] = "id_verfied"
    for source in raw["sources"].values():
        source["path"] = str(ROOT / source["path"])
    raw["plan"] = str(ROOT / raw["plan"])
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", "from uem_helpers.cli import app; app()", "validate", "--config",
                             str(bad)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "funnels.account_opening.steps[2]" in result.stderr and "did you mean 'id_verified'?" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_misspelled_goal_event_names_its_key(dataset):
    config = _config(journey={"goal_events": ["open_success", "open_sucess"]})
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(config, dataset)
    (problem,) = caught.value.problems
    assert (problem.key, problem.name, problem.suggestions) == ("journey.goal_events[1]", "open_sucess",
                                                                 ("open_success",))
    assert config.journey.goals(config.funnels) == ["open_success", "open_sucess"]
    assert _config().journey.goals(_config().funnels) == ["open_success"]  # default: each funnel's last step


def test_alarm_events_are_checked_against_the_data(dataset):
    config = _config(journey={"alarm_events": ["card_bound", "paymnet_error"]})
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(config, dataset)
    (problem,) = caught.value.problems
    assert (problem.key, problem.name) == ("journey.alarm_events[1]", "paymnet_error")
    assert config.journey.alarm_events == ["card_bound", "paymnet_error"]
    assert _config().journey.alarm_events == []  # off unless configured


def test_labels_must_name_an_event_or_a_configured_name(dataset):
    """A display name for an event, a funnel or a parameter's text is fine; a misspelled key names itself."""
    labels = {"open_start": {"zh": "开始开户"}, "account_opening": {"zh": "开户"}, "id_verfied": {"zh": "身份认证"}}
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(_config(labels=labels), dataset)
    (problem,) = caught.value.problems
    assert (problem.key, problem.name, problem.suggestions[0]) == ("labels.id_verfied", "id_verfied", "id_verified")
    given = _config(labels={"New ID screen": {"zh": "新的身份认证页"}},
                    report={"parameters": {"onboarding_funnel": {"launch_description": "New ID screen"}}})
    assert check_config_against_data(given, dataset) == []


def test_the_churn_section_s_events_and_segment_columns_are_checked(dataset):
    churn = {"active_events": ["open_start", "app_opn"], "support_events": ["custmer_service"],
             "payment_error": {"attempt": "open_start", "success": "open_sucess"}, "segments": ["platfrom", "platform"],
             "outreach": {"experiment": "churn_outreach"}}
    labels = {"outreach": {"zh": "触达组"}, "holdout": {"zh": "对照组"}, "churn_outreach": {"zh": "流失预警触达"}}
    with pytest.raises(ConfigDataError) as caught:
        check_config_against_data(_config(churn=churn, labels=labels), dataset)
    found = {p.key: (p.kind, p.name, p.suggestions) for p in caught.value.problems}
    assert found == {
        "churn.active_events[1]": ("event", "app_opn", ()),
        "churn.support_events[0]": ("event", "custmer_service", ()),
        "churn.payment_error.success": ("event", "open_sucess", ("open_success",)),
        "churn.segments[0]": ("column", "platfrom", ("platform",)),
        # the outreach's experiment must be in the assignments table (its variants may be given display names)
        "churn.outreach.experiment": ("experiment", "churn_outreach", ()),
    }
    ok = {"active_events": ["open_start"], "payment_error": {"event": "card_bound"}, "segments": ["platform"]}
    assert check_config_against_data(_config(churn=ok), dataset) == []
