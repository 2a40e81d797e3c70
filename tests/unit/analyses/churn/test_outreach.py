"""The outreach test: its design by hand, a deterministic salted assignment, and a readout of hand-made data."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from uem_helpers.analyses.churn import (
    OutreachTooRecent,
    assign_outreach,
    design_outreach,
    hash_share,
    outreach_readout,
)
from uem_helpers.core.churn_config import OutreachConfig
from uem_helpers.core.errors import ConfigDataError, ContractError, ParameterError
from uem_helpers.data.sources import from_frames
from tests.unit.analyses.churn.hand_made import RULE  # 10 days inactive; app_open and open_start are active

pytestmark = pytest.mark.filterwarnings("error::FutureWarning")

AS_OF = datetime(2026, 10, 20)
SETTINGS = OutreachConfig(experiment="churn_outreach", treatment="outreach", holdout="holdout", holdout_share=0.4)

ASSIGNED = [  # (user, variant, assigned_at)
    ("h1", "holdout", "2026-10-01 00:00"), ("h2", "holdout", "2026-10-01 00:00"),
    ("h3", "holdout", "2026-10-01 00:00"), ("h4", "holdout", "2026-10-01 00:00"),
    ("t1", "outreach", "2026-10-01 00:00"), ("t2", "outreach", "2026-10-01 00:00"),
    ("t3", "outreach", "2026-10-01 12:00"), ("t4", "outreach", "2026-10-01 00:00"),
    ("t5", "outreach", "2026-10-01 00:00"), ("t6", "outreach", "2026-10-01 00:00"),
    ("x1", "control", "2026-09-01 00:00"),   # another experiment's user
]
EVENTS = [
    ("h1", "2026-09-28 10:00", "app_open"), ("h1", "2026-10-05 10:00", "app_open"),    # kept
    ("h2", "2026-09-28 10:00", "app_open"),                                           # churned: nothing after
    ("h3", "2026-10-01 00:00", "app_open"),                                           # kept: at assigned_at counts
    ("h4", "2026-10-03 10:00", "home_view"), ("h4", "2026-10-11 00:00", "app_open"),  # churned: not active; too late
    ("t1", "2026-10-02 10:00", "app_open"),                                           # kept
    ("t2", "2026-10-09 10:00", "app_open"),                                           # kept
    ("t3", "2026-10-01 06:00", "app_open"),                                           # churned: before its assignment
    ("t4", "2026-10-06 10:00", "app_open"),                                           # kept
    ("t5", "2026-10-04 10:00", "open_start"),                                         # kept: also an active event
    ("t6", "2026-10-25 10:00", "app_open"),                                           # churned: after the window
]
# holdout: 2 of 4 churned (h2, h4); outreach: 2 of 6 (t3, t6)


def _data(assigned=ASSIGNED, events=EVENTS, con=None):
    assignments = pd.DataFrame(assigned, columns=["user_id", "variant", "assigned_at"]).assign(
        experiment=lambda f: np.where(f["variant"] == "control", "other_test", "churn_outreach"),
        assigned_at=lambda f: pd.to_datetime(f["assigned_at"]))
    frame = pd.DataFrame(events, columns=["user_id", "timestamp", "event"]).assign(
        timestamp=lambda f: pd.to_datetime(f["timestamp"]))
    return from_frames({"events": frame, "assignments": assignments[["user_id", "experiment", "variant",
                                                                      "assigned_at"]]}, con=con)


def _wilson(k: int, n: int, z: float = norm.isf(0.025)) -> tuple[float, float]:
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_readout_counts_churn_in_the_window_after_assignment_and_gives_newcombes_interval():
    result = outreach_readout(_data(), RULE, SETTINGS, AS_OF)
    r = result.readout
    assert (r.metric, r.group_a, r.group_b, r.higher_is_better) == ("churn", "holdout", "outreach", False)
    assert (r.n_a, r.n_b) == (4, 6)
    assert r.value_a == pytest.approx(2 / 4) and r.value_b == pytest.approx(2 / 6)
    assert r.abs_effect == pytest.approx(2 / 6 - 2 / 4)
    # Newcombe's hybrid score interval from the two Wilson intervals
    (l1, u1), (l2, u2) = _wilson(2, 4), _wilson(2, 6)
    d = 2 / 6 - 2 / 4
    assert r.ci_low == pytest.approx(d - math.sqrt((2 / 6 - l2) ** 2 + (u1 - 2 / 4) ** 2), rel=1e-6)
    assert r.ci_high == pytest.approx(d + math.sqrt((u2 - 2 / 6) ** 2 + (2 / 4 - l1) ** 2), rel=1e-6)
    assert r.verdict == "no significant change"
    assert (result.users, result.experiment, result.start, result.end) == (
        10, "churn_outreach", datetime(2026, 10, 1), datetime(2026, 10, 1, 12))
    assert result.by_decile is None and result.scored == 0
    assert result.srm.observed == {"holdout": 4, "outreach": 6} and not result.srm.mismatch
    assert result.srm_sentence().startswith("No sample ratio mismatch: holdout 4 (40.0% vs 40.0% expected)")


def test_by_risk_decile_with_wilson_intervals():
    risk = pd.Series([0.95, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99],
                     index=["h2", "h1", "h3", "h4", "t1", "t2", "t3", "t4", "t5", "t6", "nobody"])
    result = outreach_readout(_data(), RULE, SETTINGS, AS_OF, risk=risk)
    table = result.by_decile.set_index("decile")
    assert result.scored == 10 and table.index.tolist() == list(range(1, 11))  # "nobody" is not in the campaign
    top = table.loc[10]  # h2, the riskiest assigned user, churned
    assert (top["variant"], top["users"], top["churned"], top["churn"]) == ("holdout", 1, 1, 1.0)
    assert (top["low"], top["high"]) == pytest.approx(_wilson(1, 1))
    assert table.loc[9, "variant"] == "outreach" and table.loc[9, "churned"] == 1  # t6 (0.9) churned
    assert table.loc[1, "churned"] == 0  # h1 (0.1) kept
    no_overlap = outreach_readout(_data(), RULE, SETTINGS, AS_OF, risk=pd.Series([0.5], index=["nobody"]))
    assert no_overlap.by_decile.empty and no_overlap.scored == 0


def test_a_skewed_split_is_flagged_by_the_rollouts_sample_ratio_check():
    skewed = [(f"u{i}", "holdout" if i < 60 else "outreach", "2026-10-01 00:00") for i in range(120)]
    result = outreach_readout(_data(skewed, EVENTS), RULE, SETTINGS.model_copy(update={"holdout_share": 0.2}), AS_OF)
    assert result.srm.mismatch and result.srm.p_value < 0.001
    assert result.srm_sentence().startswith("Sample ratio mismatch: holdout 60 (50.0% vs 20.0% expected)")
    assert result.readout.n_a == 60 and result.readout.value_a == 1.0  # nobody of them has events


def test_errors_name_the_experiment_the_variant_and_what_to_do():
    with pytest.raises(ConfigDataError, match=r"churn\.outreach\.experiment.*'winback'.*experiments there: "
                                              r"churn_outreach, other_test"):
        outreach_readout(_data(), RULE, SETTINGS.model_copy(update={"experiment": "winback"}), AS_OF)
    with pytest.raises(ConfigDataError, match=r"churn\.outreach\.holdout.*'control'.*variants there: holdout, "
                                              r"outreach"):
        outreach_readout(_data(), RULE, SETTINGS.model_copy(update={"holdout": "control"}), AS_OF)
    with pytest.raises(OutreachTooRecent, match=r"too recent to read out.*ends 2026-10-11 12:00, after as_of 2026-10-11 06:00.*as_of at or "
                                                r"after 2026-10-11 12:00"):
        outreach_readout(_data(), RULE, SETTINGS, datetime(2026, 10, 11, 6))
    assert issubclass(OutreachTooRecent, ParameterError)
    both = [*ASSIGNED, ("h1", "outreach", "2026-10-01 00:00")]
    with pytest.raises(ContractError, match="both 'outreach' and 'holdout'"):
        outreach_readout(_data(both), RULE, SETTINGS, AS_OF)


def test_design_by_hand():
    d = design_outreach(1000, 0.3, 0.2, 0.05)
    se2 = 0.3 * 0.7 * (1 / 200 + 1 / 800)
    z = norm.isf(0.025) + norm.ppf(0.8)
    needed = 1000 * se2 * z**2 / 0.05**2  # 4120.7
    assert d.users_needed == math.ceil(needed) == 4121
    assert d.users_per_arm == math.ceil(needed * 0.2) == 825
    assert d.detectable_effect == pytest.approx(z * math.sqrt(se2))  # 0.1015
    assert (d.users, d.holdout_share, d.churn_rate, d.mde, d.alpha, d.power) == (1000, 0.2, 0.3, 0.05, 0.05, 0.8)
    # with users_needed users, the detectable effect is the mde
    assert design_outreach(d.users_needed, 0.3, 0.2, 0.05).detectable_effect == pytest.approx(0.05, rel=1e-3)
    with pytest.raises(ParameterError, match="mde .* at most the churn rate 0.03"):
        design_outreach(1000, 0.03, 0.2, 0.05)
    with pytest.raises(ParameterError, match="holdout_share must be between 0 and 1"):
        design_outreach(1000, 0.3, 1.0, 0.05)


def test_assignment_is_a_deterministic_salted_hash_with_the_asked_share():
    ids = [f"user{i}" for i in range(20000)]
    first = assign_outreach(ids, "churn_outreach_202610", "s1", 0.2, "2026-10-01")
    assert first.equals(assign_outreach(ids, "churn_outreach_202610", "s1", 0.2, "2026-10-01"))
    assert list(first.columns) == ["user_id", "experiment", "variant", "assigned_at"]
    share = (first["variant"] == "holdout").mean()
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / len(ids))
    expected = int.from_bytes(hashlib.sha256(b"s1:user7").digest()[:8], "big") / 2**64
    assert hash_share("s1", "user7") == expected
    assert first.loc[7, "variant"] == ("holdout" if expected < 0.2 else "outreach")
    other = assign_outreach(ids, "churn_outreach_202610", "s2", 0.2, "2026-10-01")
    assert 0.2 < (other["variant"] != first["variant"]).mean() < 0.4  # an independent split: 2 x 0.2 x 0.8 differ
    named = assign_outreach(ids[:3], "e", "s1", 0.5, "2026-10-01", treatment="call", holdout="wait")
    assert set(named["variant"]) <= {"call", "wait"}
    assert (first["assigned_at"] == pd.Timestamp("2026-10-01")).all()
    with pytest.raises(ParameterError, match="user 'user1' is given more than once"):
        assign_outreach(["user1", "user1"], "e", "s", 0.2, "2026-10-01")


def test_assignments_load_as_the_assignments_table_and_read_out():
    frame = assign_outreach(["h1", "h2", "h3", "h4", "t1"], "churn_outreach", "s", 0.4, "2026-10-01")
    # salt "s": h4 draws 0.245 (< 0.4, holdout), the others 0.56 to 0.96 (outreach)
    assert frame.set_index("user_id")["variant"].to_dict() == {"h1": "outreach", "h2": "outreach",
                                                                "h3": "outreach", "h4": "holdout", "t1": "outreach"}
    events = pd.DataFrame(EVENTS, columns=["user_id", "timestamp", "event"]).assign(
        timestamp=lambda f: pd.to_datetime(f["timestamp"]))
    result = outreach_readout(from_frames({"events": events, "assignments": frame}), RULE, SETTINGS, AS_OF)
    # holdout: h4 churned (1 of 1); outreach: h2 churned (1 of 4)
    assert (result.readout.n_a, result.readout.value_a, result.readout.n_b, result.readout.value_b) == (1, 1.0, 4, 0.25)


@pytest.mark.spark
def test_the_readout_counts_the_same_on_spark(spark_con):
    result = outreach_readout(_data(con=spark_con), RULE, SETTINGS, AS_OF, risk=pd.Series([0.9], index=["h2"]))
    assert (result.readout.n_a, result.readout.value_a, result.readout.n_b) == (4, 0.5, 6)
    assert result.readout.value_b == pytest.approx(2 / 6)
    assert result.by_decile[["variant", "users", "churned"]].values.tolist() == [["holdout", 1, 1]]

