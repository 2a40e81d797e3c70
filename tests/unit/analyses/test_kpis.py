"""Monthly KPI values for the plan: known answers on tiny tables, missing KPIs noted, the sample's planted NPS."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from uem_helpers.analyses.cart import prepare_carts
from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.kpis import KPIS, account_opening_completion, cart_conversion, feedback_sla, kpi_values, month_bounds, month_range
from uem_helpers.data.sources import from_frames, load
from uem_helpers.stats import wilson_ci

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

T = pd.Timestamp


def _config(tmp_path, **extra):
    config = {"sources": {"events": {"path": "events.parquet"}},
              "funnels": {"opening": {"steps": ["open_start", "open_success"], "window": "1h"}},
              "metrics": {"account_opening_funnel": "opening", "feedback_sla_hours": 24,
                          "task_completion": {"start": "open_start", "success": "open_success", "window": "1h"}},
              **extra}
    (tmp_path / "uem.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_config(tmp_path / "uem.yml")


def _events():
    return pd.DataFrame([
        # October: u1 opens an account in 5 minutes, u2 starts and leaves -> completion 1/2
        ("u1", T("2026-10-05 10:00"), "open_start"), ("u1", T("2026-10-05 10:05"), "open_success"),
        ("u2", T("2026-10-06 11:00"), "open_start"),
        # September: u3 completes -> 1/1
        ("u3", T("2026-09-10 09:00"), "open_start"), ("u3", T("2026-09-10 09:10"), "open_success"),
    ], columns=["user_id", "timestamp", "event"])


def _carts():
    # October: 3 carts, 2 checked out; September: 1 cart, not checked out
    return pd.DataFrame({
        "cart_id": ["c1", "c2", "c3", "c4"], "user_id": ["u1", "u2", "u1", "u3"],
        "created_at": [T("2026-10-02"), T("2026-10-03"), T("2026-10-30 23:00"), T("2026-09-15")],
        "cart_value": [50.0, 60.0, 70.0, 80.0],
        "checked_out_at": [T("2026-10-02 01:00"), pd.NaT, T("2026-10-31 08:00"), pd.NaT],
    })


def _nps():
    # October: 10, 9, 7, 3 -> 2 promoters, 1 detractor of 4 = NPS 25; September: one 0 -> -100
    return pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5"], "user_id": ["u1", "u2", "u3", "u4", "u5"],
        "answered_at": [T("2026-10-01"), T("2026-10-02"), T("2026-10-03"), T("2026-10-04"), T("2026-09-20")],
        "score": [10, 9, 7, 3, 0],
    })


def _feedback():
    # October: f1 answered in 2 h (within 24 h), f2 in 30 h (late) -> 1/2; September: f3 in 1 h -> 1/1
    return pd.DataFrame({
        "feedback_id": ["f1", "f2", "f3"], "channel": ["app", "app", "email"], "text": ["a", "b", "c"],
        "created_at": [T("2026-10-02 10:00"), T("2026-10-03 10:00"), T("2026-09-10 10:00")],
        "first_reply_at": [T("2026-10-02 12:00"), T("2026-10-04 16:00"), T("2026-09-10 11:00")],
        "resolved_at": [pd.NaT, pd.NaT, pd.NaT],
    })


def test_month_range_and_bounds():
    assert month_range("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert month_bounds("2024-02") == ("2024-02-01", "2024-02-29")


def test_known_answers_on_tiny_tables(tmp_path):
    data = from_frames({"events": _events(), "carts": _carts(), "nps": _nps(), "feedback": _feedback()})
    result = kpi_values(data, _config(tmp_path), "2026-10", months=2)
    v = result.values.set_index(["metric", "month"])
    assert list(result.values.columns) == ["metric", "month", "value", "low", "high", "successes", "trials", "se"]
    for metric, month, successes, trials in [("cart_conversion", "2026-10", 2, 3), ("cart_conversion", "2026-09", 0, 1),
                                             ("account_opening_completion", "2026-10", 1, 2),
                                             ("account_opening_completion", "2026-09", 1, 1),
                                             ("task_completion", "2026-10", 1, 2),
                                             ("feedback_sla", "2026-10", 1, 2), ("feedback_sla", "2026-09", 1, 1)]:
        row = v.loc[(metric, month)]
        assert (row["successes"], row["trials"]) == (successes, trials), (metric, month)
        assert row["value"] == pytest.approx(successes / trials)
        low, high = wilson_ci(np.array([successes]), np.array([trials]))
        assert (row["low"], row["high"]) == pytest.approx((low[0], high[0])), (metric, month)
    assert v.loc[("nps", "2026-10"), "value"] == pytest.approx(25.0)
    assert v.loc[("nps", "2026-09"), "value"] == pytest.approx(-100.0)
    assert v.loc[("nps", "2026-10"), "low"] < 25 < v.loc[("nps", "2026-10"), "high"]
    # metrics in scorecard order, months in order within each
    assert list(dict.fromkeys(result.values["metric"])) == [m for m in KPIS if m in set(result.values["metric"])]
    assert "first_success_rate" in result.notes  # no users table


def test_missing_tables_and_settings_leave_their_kpis_out_with_a_note(tmp_path):
    data = from_frames({"events": _events()})
    config = _config(tmp_path, metrics={"feedback_sla_hours": 24})
    result = kpi_values(data, config, "2026-10", months=2)
    assert set(result.values["metric"]) == {"stickiness", "bounce_rate"}
    assert set(result.notes) == {"nps", "task_completion", "first_success_rate", "cart_conversion",
                                 "account_opening_completion", "feedback_sla"}
    assert "sources.carts" in result.notes["cart_conversion"]
    assert "metrics.account_opening_funnel" in result.notes["account_opening_completion"]


def test_a_month_without_data_has_no_rows(tmp_path):
    data = from_frames({"events": _events(), "carts": _carts(), "nps": _nps(), "feedback": _feedback()})
    result = kpi_values(data, _config(tmp_path), "2025-01", months=3)
    assert result.values.empty and list(result.values.columns)[:3] == ["metric", "month", "value"]


def test_the_sample_nps_matches_the_planted_counts():
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["nps"]["realised"]
    config = load_config(CONFIG_PATH)
    result = kpi_values(load(config, tables=["events", "nps", "carts"]), config, "2026-10")
    nps = result.series("nps")
    assert list(nps["month"]) == month_range("2026-10", 6)
    for row in nps.itertuples():
        assert row.value == pytest.approx(truth[row.month]["nps"], abs=1e-5)
    assert result.series("cart_conversion")["trials"].sum() > 0


def test_cart_conversion_by_month_and_segment_known_answers():
    users = pd.DataFrame({"user_id": ["u1", "u2"], "signup_at": [T("2026-01-01")] * 2, "region": ["north", "south"]})
    carts = _carts().assign(platform=["ios", "ios", "web", "web"])
    data = from_frames({"carts": carts, "users": users})
    # by month: October c1 (done), c2, c3 (done) -> 2/3 by 2 users; September c4 -> 0/1
    out = cart_conversion(prepare_carts(data["carts"]), period_start="2026-09-01", period_end="2026-10-31")
    assert out[["month", "carts", "checked_out", "users"]].values.tolist() == [["2026-09", 1, 0, 1],
                                                                               ["2026-10", 3, 2, 2]]
    assert list(out.columns) == ["month", "carts", "checked_out", "users", "rate", "low", "high", "successes",
                                 "trials", "value"]
    low, high = wilson_ci(np.array([0, 2]), np.array([1, 3]))
    assert out["low"].tolist() == pytest.approx(low) and out["high"].tolist() == pytest.approx(high)
    # a users column: u1's carts c1, c3 are north (2/2), u2's c2 south (0/1), u3 is not in users -> (unknown)
    out = cart_conversion(prepare_carts(data["carts"]), segment_by="region", users=data["users"])
    assert out[["month", "region", "carts", "checked_out"]].values.tolist() == [
        ["2026-09", "(unknown)", 1, 0], ["2026-10", "north", 2, 2], ["2026-10", "south", 1, 0]]
    # a carts column wins; the whole period in one row
    out = cart_conversion(prepare_carts(data["carts"]), by=None, segment_by="platform", users=data["users"])
    assert out[["platform", "carts", "checked_out", "value"]].values.tolist() == [["ios", 2, 1, 0.5],
                                                                                ["web", 2, 1, 0.5]]
    assert cart_conversion(prepare_carts(data["carts"]), period_start="2030-01-01").empty


def test_cart_conversion_refuses_an_unknown_segment_or_grouping():
    data = from_frames({"carts": _carts()})
    with pytest.raises(ParameterError, match="segment_by='region' is not a column of the carts or users table; "
                                             "columns there are: cart_id, cart_value"):
        cart_conversion(prepare_carts(data["carts"]), segment_by="region")
    with pytest.raises(ParameterError, match="by='week': cart_conversion is by 'month' or None"):
        cart_conversion(prepare_carts(data["carts"]), by="week")


def test_account_opening_and_feedback_sla_by_month_known_answers(tmp_path):
    data = from_frames({"events": _events(), "feedback": _feedback()})
    config = _config(tmp_path)
    opening = account_opening_completion(data["events"], config.funnels["opening"], ["2026-08", "2026-09", "2026-10"])
    assert opening[["month", "successes", "trials"]].values.tolist() == [["2026-09", 1, 1], ["2026-10", 1, 2]]
    sla = feedback_sla(data["feedback"], sla_hours=24, months=["2026-09", "2026-10"])
    assert sla[["month", "successes", "trials"]].values.tolist() == [["2026-09", 1, 1], ["2026-10", 1, 2]]
