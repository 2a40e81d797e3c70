"""Story 7 (churn and the outreach campaign): known answers of the building blocks, and the
ground truth recomputed from the written files with pandas (never with the analysis helpers)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from uem_helpers.sample import BUNDLED_SEED, generate
from uem_helpers.sample import churn as c
from uem_helpers.sample import design as d

ACTIVE = ["app_open", "open_start"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("churn")
    generate(out, users=3000, seed=BUNDLED_SEED)
    ev = pq.read_table(out / "events.parquet").to_pandas()
    ev["timestamp"] = ev["timestamp"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    assign = pd.read_csv(out / "assignments.csv", dtype=str, parse_dates=["assigned_at"])
    nps = pd.read_csv(out / "nps.csv", dtype={"user_id": str}, parse_dates=["answered_at"])
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    return ev.reset_index(drop=True), assign, nps, truth


def test_failed_payment_is_a_payment_without_a_later_order_in_its_session():
    pay, ok, home = d.S["payment"], d.S["order_success"], d.S["home_view"]
    # session 0 (user 0): payment, order_success -> not failed; then payment again -> failed at t=30
    # session 1 (user 1): payment, home_view -> failed at t=50; session 2 (user 1): payment, order -> ok
    session = np.array([0, 0, 0, 1, 1, 2, 2])
    code = np.array([pay, ok, pay, pay, home, pay, ok])
    time = np.array([10, 20, 30, 50, 60, 70, 80])
    got = c.failed_payments(np.array([0, 1, 1]), session, code, time, 3)
    assert got.tolist() == [30, 50, c._NEVER]


def test_extra_churn_time_inverts_the_cumulative_hazard():
    start = d.PERIOD_START
    never = np.array([c._NEVER])
    # a new user, no covariates: extra hazard h0 - h_min per second, constant
    rate = c.H0_PER_S - c.H_MIN_PER_S
    got = c._extra_time(np.array([1.0]), np.array([False]), np.array([start]), never, never, np.array([False]))
    assert got[0] == start + int(np.ceil(1.0 / rate))
    # a failed payment after 1 day: the hazard rises to 2.5 h0 - h_min from then on
    pay_at = np.array([start + d.DAY])
    e = rate * d.DAY + (2.5 * c.H0_PER_S - c.H_MIN_PER_S) * 3600
    got = c._extra_time(np.array([e]), np.array([False]), np.array([start]), pay_at, never, np.array([False]))
    assert abs(got[0] - (start + d.DAY + 3600)) <= 1
    # a returning user treated by the outreach has the smallest hazard: no extra hazard left after it
    got = c._extra_time(np.array([50.0]), np.array([True]), np.array([d.OUTREACH_AT]), never, never,
                        np.array([True]))
    assert got[0] == c._NEVER


def test_expected_churn_known_answers():
    assert c.expected_churn(np.array([0.0]), np.array([0.1]), 30)[0] == pytest.approx(np.exp(-3))
    assert c.expected_churn(np.array([5.0]), np.array([0.0]), 30)[0] == pytest.approx(1.0)
    h, r = 0.02, 0.25
    assert c.expected_churn(np.array([h]), np.array([r]), 30, fade_keep=1.0)[0] == pytest.approx(
        h / (h + r) * (1 - np.exp(-(h + r) * 30)) + np.exp(-(h + r) * 30))


def test_expected_churn_with_fading_matches_a_simulation():
    """Sessions thinned to 45% in the 35 days before churn: the integral against 400,000 simulated users."""
    rng = np.random.default_rng(0)
    h, r, days, fade_days, keep, n = 0.05, 0.25, 30, 35, 0.45, 400_000
    churn = rng.exponential(1 / h, n)
    normal = np.clip(churn - fade_days, 0, days)
    faded = np.clip(np.minimum(churn, days) - np.maximum(churn - fade_days, 0), 0, None)
    none = (rng.poisson(r * normal) + rng.poisson(keep * r * faded)) == 0
    expected = c.expected_churn(np.array([h]), np.array([r]), days, fade_days=fade_days, fade_keep=keep)[0]
    assert abs(none.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert expected > c.expected_churn(np.array([h]), np.array([r]), days, fade_keep=1.0)[0]  # fading adds churn


def test_outreach_truth_is_confirmed_by_the_files(sample):
    ev, assign, nps, truth = sample
    out = assign[assign["experiment"] == "churn_outreach"]
    assert out["user_id"].is_unique and set(out["variant"]) == {"outreach", "holdout"}
    assert (out["assigned_at"] == pd.Timestamp("2026-10-01")).all()
    real = truth["churn"]["realised"]["outreach"]
    window = ev[ev["event"].isin(ACTIVE) & (ev["timestamp"] >= pd.Timestamp("2026-10-01"))
                & (ev["timestamp"] < pd.Timestamp("2026-10-31"))]
    for arm in ("outreach", "holdout"):
        users = out.loc[out["variant"] == arm, "user_id"]
        assert real[arm]["users"] == len(users)
        assert real[arm]["churned"] == (~users.isin(window["user_id"])).sum()
    # eligibility: a session in September and a failed payment or a detractor answer before October
    sept = ev[(ev["timestamp"] >= pd.Timestamp("2026-09-01")) & (ev["timestamp"] < pd.Timestamp("2026-10-01"))]
    assert out["user_id"].isin(sept["user_id"]).all()
    e = ev[["session_id", "event", "user_id", "timestamp"]]
    later_ok = (e["event"] == "order_success")[::-1].groupby(e["session_id"][::-1]).cummax()[::-1]
    failed = e[(e["event"] == "payment") & ~later_ok.shift(-1, fill_value=False).where(
        e["session_id"].eq(e["session_id"].shift(-1)), False)]
    risky = set(failed.loc[failed["timestamp"] < pd.Timestamp("2026-10-01"), "user_id"]) | set(
        nps.loc[(nps["score"] <= 6) & (nps["answered_at"] < pd.Timestamp("2026-10-01")), "user_id"])
    assert out["user_id"].isin(risky).all()


def test_churn_design_is_planted(sample):
    _, _, _, truth = sample
    ch = truth["churn"]
    assert ch["design"]["hazard_ratios"] == d.CHURN_HAZARD_RATIO
    real = ch["realised"]["outreach"]
    assert real["treatment_share"] == pytest.approx(d.OUTREACH_TREATMENT_SHARE, abs=0.06)
    expected = ch["design"]["outreach"]["expected_churn_rate"]
    assert expected["outreach"] < expected["holdout"]
    assert ch["design"]["outreach"]["expected_churn_difference"] < 0
    assert real["outreach"]["left_within_window"] / real["outreach"]["users"] < \
        real["holdout"]["left_within_window"] / real["holdout"]["users"]
    seg = ch["realised"]["segments"]
    assert seg["new"]["users"] + seg["returning"]["users"] == truth["meta"]["users"]
