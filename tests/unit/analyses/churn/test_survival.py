"""Kaplan-Meier by hand on a tiny table; Cox hazard ratios recovered from a simulated proportional-hazards log."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.churn import hazard_ratios, kaplan_meier
from uem_helpers.analyses.churn.survival import _intervals

START = pd.Timestamp("2026-01-01")


def _table(duration, churned, segment=None, payment_after=None, detractor_after=None) -> pd.DataFrame:
    n = len(duration)
    days = lambda values: [pd.NaT if v is None or np.isnan(v) else START + pd.Timedelta(days=float(v))  # noqa: E731
                           for v in (values if values is not None else [None] * n)]
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "entered_at": START,
                         "duration_days": np.asarray(duration, float), "churned": np.asarray(churned, bool),
                         "payment_error_at": days(payment_after), "detractor_at": days(detractor_after),
                         "segment": segment if segment is not None else ["new"] * n})


def test_kaplan_meier_matches_a_hand_computation():
    # durations 2 (churn), 3 (censored), 5 (churn), 8 (churn): S = 3/4 after day 2, 3/4 * 1/2 after 5, 0 after 8
    curve = kaplan_meier(_table([2, 3, 5, 8], [1, 0, 1, 1]), None)
    at = curve.set_index("day")
    assert at.loc[1, "survival"] == 1.0 and at.loc[2, "survival"] == pytest.approx(0.75)
    assert at.loc[4, "survival"] == pytest.approx(0.75) and at.loc[5, "survival"] == pytest.approx(0.375)
    assert at.loc[8, "survival"] == pytest.approx(0.0)
    assert list(at.loc[[0, 3, 4, 6], "at_risk"]) == [4, 3, 2, 1]  # followed at least that long
    assert (curve["lower"] <= curve["survival"] + 1e-12).all() and (curve["survival"] <= curve["upper"] + 1e-12).all()


def test_kaplan_meier_by_segment_largest_group_first():
    curve = kaplan_meier(_table([1, 2, 3], [1, 1, 0], segment=["b", "a", "a"]), "segment")
    assert list(curve["group"].unique()) == ["a", "b"]


def test_intervals_switch_a_flag_on_when_it_happens():
    rows = _intervals(_table([10, 4, 0], [1, 0, 1], payment_after=[3, 6, None], detractor_after=[None, 0, None]))
    u0 = rows[rows.user_id == "u0"]
    assert u0[["start", "stop", "event", "payment_error"]].values.tolist() == [[0, 3, False, 0], [3, 10, True, 1]]
    u1 = rows[rows.user_id == "u1"]  # payment after the follow-up ends: never on; detractor from day 0
    assert u1[["start", "stop", "payment_error", "detractor"]].values.tolist() == [[0, 4, 0, 1]]
    assert rows[rows.user_id == "u2"]["stop"].iloc[0] > 0  # seen once: a positive follow-up


def _simulate(n=4000, seed=1, hr_pay=2.5, hr_ret=0.5, base=1 / 40, horizon=150.0) -> pd.DataFrame:
    """Piecewise-constant hazards: base x hr_ret if returning, x hr_pay from the payment error on."""
    rng = np.random.default_rng(seed)
    returning = rng.random(n) < 0.4
    pay_at = np.where(rng.random(n) < 0.5, rng.uniform(0, 100, n), np.inf)
    h0 = base * np.where(returning, hr_ret, 1.0)
    target = rng.exponential(1.0, n)  # cumulative hazard at the event
    before = h0 * np.minimum(pay_at, horizon)
    t = np.where(target <= before, target / h0, pay_at + (target - before) / (h0 * hr_pay))
    churned = t < horizon
    duration = np.minimum(t, horizon)
    return _table(duration, churned, segment=np.where(returning, "returning", "new"),
                  payment_after=np.where(np.isfinite(pay_at), pay_at, np.nan))


def test_cox_recovers_planted_hazard_ratios_with_time_varying_payment_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        frame, notes = hazard_ratios(_simulate(), ["segment"])
    rows = frame.set_index(["covariate", "level"])
    pay, ret = rows.loc[("payment_error", "")], rows.loc[("segment", "returning")]
    assert pay["lower"] <= 2.5 <= pay["upper"], pay.to_dict()
    assert ret["lower"] <= 0.5 <= ret["upper"], ret.to_dict()
    assert "detractor is left out of the Cox model: every user has the same value" in notes


def test_no_churn_gives_an_empty_frame_and_a_note():
    frame, notes = hazard_ratios(_table([3, 4], [0, 0], payment_after=[1, None]), [])
    assert frame.empty and any("nobody churned" in n for n in notes)
