"""The outreach test: its design, the hashed assignment, and a past campaign read out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.churn import ChurnRule, assign_outreach, design_outreach, outreach_readout
from uem_helpers.core.errors import ConfigDataError, ParameterError
from uem_helpers.data.sources import from_frames

RULE = ChurnRule(inactive=timedelta(days=10), active_events=("app_open",), min_tenure=timedelta(days=0),
                 trend=timedelta(days=3))
SETTINGS = SimpleNamespace(experiment="save_them", treatment="outreach", holdout="holdout", holdout_share=0.4)
AT = datetime(2026, 9, 1, 10)


def _data(variants, back):
    """Users u0.. with a variant each; ``back[i]`` days after assignment they open the app again (None: never)."""
    users = [f"u{i}" for i in range(len(variants))]
    assignments = pd.DataFrame({"user_id": users, "experiment": "save_them", "variant": variants,
                                "assigned_at": AT})
    rows = [(u, AT - timedelta(days=1), "app_open") for u in users]
    rows += [(u, AT + timedelta(days=d), "app_open") for u, d in zip(users, back) if d is not None]
    rows += [(users[0], AT + timedelta(days=2), "home_view")]  # not an active event
    events = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    return from_frames({"events": events, "assignments": assignments}, timezone="Asia/Shanghai")


def test_a_past_campaign_is_read_out_by_hand():
    # holdout u0-u3: back on day 2, never, day 10 (outside [0, 10) -> churned), day 0 -> 2 of 4 churned
    # outreach u4-u9: back on days 1, 3, 5, 9.9, never, never -> 2 of 6 churned
    variants = ["holdout"] * 4 + ["outreach"] * 6
    back = [2, None, 10, 0, 1, 3, 5, 9.9, None, None]
    result = outreach_readout(_data(variants, back), RULE, SETTINGS, datetime(2026, 10, 1))
    r = result.readout
    assert (r.group_a, r.n_a, r.value_a) == ("holdout", 4, 0.5)
    assert (r.group_b, r.n_b) == ("outreach", 6) and r.value_b == pytest.approx(2 / 6)
    assert r.abs_effect == pytest.approx(2 / 6 - 0.5)
    assert r.ci_low < r.abs_effect < r.ci_high
    assert not result.srm.mismatch and result.by_decile is None


def test_risk_deciles_split_the_assigned_users():
    variants = ["holdout", "outreach"] * 10
    back = [None if i % 3 == 0 else 1 for i in range(20)]
    risk = pd.Series(np.linspace(0, 1, 20), index=[f"u{i}" for i in range(20)])
    table = outreach_readout(_data(variants, back), RULE, SETTINGS, datetime(2026, 10, 1), risk).by_decile
    assert table["users"].sum() == 20 and sorted(table["decile"].unique()) == list(range(1, 11))
    assert table.set_index(["decile", "variant"]).loc[(10, "outreach"), "users"] == 1


def test_the_wrong_experiment_a_missing_variant_and_a_recent_campaign_are_clear_errors():
    data = _data(["holdout", "outreach"], [1, 1])
    with pytest.raises(ConfigDataError, match="churn.outreach.experiment.*save_them"):
        outreach_readout(data, RULE, SimpleNamespace(**{**vars(SETTINGS), "experiment": "save_me"}), AT + timedelta(days=30))
    with pytest.raises(ConfigDataError, match="variant 'treated'"):
        outreach_readout(data, RULE, SimpleNamespace(**{**vars(SETTINGS), "treatment": "treated"}), AT + timedelta(days=30))
    with pytest.raises(ParameterError, match="too recent"):
        outreach_readout(data, RULE, SETTINGS, AT + timedelta(days=5))


def test_a_skewed_split_is_a_sample_ratio_mismatch():
    variants = ["holdout"] * 5 + ["outreach"] * 95
    result = outreach_readout(_data(variants, [1] * 100), RULE, SETTINGS, datetime(2026, 10, 1))
    assert result.srm.mismatch


def test_assignment_is_stable_salted_and_near_its_share():
    ids = [f"{i:07d}" for i in range(4000)]
    first = assign_outreach(ids, "c1", "c1", 0.2, AT)
    assert first.equals(assign_outreach(ids, "c1", "c1", 0.2, AT))
    assert abs((first["variant"] == "holdout").mean() - 0.2) < 0.02
    other = assign_outreach(ids, "c2", "c2", 0.2, AT)
    assert (first["variant"] != other["variant"]).any()
    assert list(first.columns) == ["user_id", "experiment", "variant", "assigned_at"]


def test_design_matches_the_two_proportion_formula():
    d = design_outreach(500, 0.4, 0.2, 0.05)
    se = np.sqrt(0.4 * 0.6 * (1 / 100 + 1 / 400))
    assert d.detectable_effect == pytest.approx((1.959964 + 0.841621) * se, rel=1e-4)
    assert d.users_needed == pytest.approx(500 * (d.detectable_effect / 0.05) ** 2, rel=1e-3)
    with pytest.raises(ParameterError, match="holdout_share"):
        design_outreach(500, 0.4, 1.0, 0.05)
