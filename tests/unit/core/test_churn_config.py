"""The churn: section of the config: defaults, the two forms of a payment error, and errors naming the key."""

from __future__ import annotations

import pytest

from uem_helpers.core.churn_config import require_churn
from uem_helpers.core.config import config_from_dict, load_config
from uem_helpers.core.errors import ConfigError
from tests.conftest import CONFIG_PATH


def _config(churn=None):
    raw = {"sources": {"events": {"path": "e.parquet"}}}
    return config_from_dict(raw if churn is None else {**raw, "churn": churn})


def test_defaults_and_the_sample_s_section():
    churn = _config({"active_events": ["app_open"]}).churn
    assert (churn.inactive_days, churn.min_tenure_days, churn.trend_days, churn.top_k) == (30, 14, 14, 50)
    assert churn.payment_error is None and churn.outreach is None and churn.segments == []
    sample = load_config(CONFIG_PATH).churn
    assert sample.active_events == ["app_open", "open_start"] and sample.segments == ["segment", "platform", "channel"]
    assert (sample.outreach.experiment, sample.outreach.treatment, sample.outreach.holdout,
            sample.outreach.holdout_share) == ("churn_outreach", "outreach", "holdout", 0.2)
    assert sample.named_events() == [("churn.active_events[0]", "app_open"), ("churn.active_events[1]", "open_start"),
                                     ("churn.support_events[0]", "customer_service"),
                                     ("churn.payment_error.attempt", "payment"),
                                     ("churn.payment_error.success", "order_success")]


@pytest.mark.parametrize("churn, message", [
    ({"active_events": []}, r"'churn.active_events': got \[\]; at least one event that means the user is active"),
    ({"inactive_days": 30}, r"'churn.active_events': got None; this key is required"),
    ({"active_events": ["a"], "payment_error": {"attempt": "payment"}},
     r"'churn.payment_error'.*both an attempt and a success"),
    ({"active_events": ["a"], "payment_error": {"event": "x", "attempt": "payment", "success": "ok"}},
     r"'churn.payment_error'.*not both"),
    ({"active_events": ["a"], "inactiv_days": 3}, r"'churn.inactiv_days'.*allowed keys here are: inactive_days, "),
    ({"active_events": ["a"], "outreach": {"experiment": "x", "holdot": "h"}},
     r"'churn.outreach.holdot'.*allowed keys here are: experiment, treatment, holdout, holdout_share"),
    ({"active_events": ["a"], "outreach": {"experiment": "x", "holdout_share": 1.5}}, r"'churn.outreach.holdout_share'"),
    ({"active_events": ["a"], "inactive_days": 0}, r"'churn.inactive_days': got 0"),
])
def test_a_wrong_churn_section_names_the_key(churn, message):
    with pytest.raises(ConfigError, match=message):
        _config(churn)


def test_asking_for_churn_without_the_section_shows_one():
    with pytest.raises(ConfigError, match=r"config key 'churn' in my.yml: got None; the churn analysis needs a 'churn' "
                                          r"section .* e.g. churn: \{inactive_days: 30, active_events: \[app_open\]"):
        require_churn(_config(), source="my.yml")
    assert require_churn(_config({"active_events": ["a"]})).active_events == ["a"]
