"""Survival fits: Kaplan-Meier against a hand computation, Cox hazard ratios against a simulated truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.churn import hazard_ratios, kaplan_meier

pytestmark = pytest.mark.filterwarnings("error")

ENTRY = pd.Timestamp("2026-01-01")


def _table(durations, churned, *, payment=None, detractor=None, segment=None) -> pd.DataFrame:
    """A survival table with the columns the fits read; covariate times in days since entry (None: never)."""
    n = len(durations)

    def times(days):
        days = [None] * n if days is None else days
        return pd.to_datetime([ENTRY + pd.Timedelta(days=d) if d is not None and not pd.isna(d) else pd.NaT
                               for d in days]).astype("datetime64[us]")

    frame = pd.DataFrame({
        "user_id": [f"u{i}" for i in range(n)], "entered_at": pd.to_datetime([ENTRY] * n).astype("datetime64[us]"),
        "churned": np.asarray(churned, dtype=bool), "duration_days": np.asarray(durations, dtype=float),
        "payment_error_at": times(payment), "detractor_at": times(detractor)})
    if segment is not None:
        frame["segment"] = segment
    return frame


def test_kaplan_meier_by_hand():
    # lifetimes 1, 2, 2+, 3, 4+ (+ censored). Day 1: 5 at risk, 1 churns -> 4/5 = 0.8.
    # Day 2: 4 at risk, 1 churns (1 censored) -> 0.8 * 3/4 = 0.6. Day 3: 2 at risk, 1 churns -> 0.3. Day 4: 0.3.
    curve = kaplan_meier(_table([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]), None)
    assert curve["group"].unique().tolist() == ["all"]
    assert curve["day"].tolist() == [0, 1, 2, 3, 4]
    assert curve["survival"].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]
    # Exponential Greenwood: v = sum d / (n (n - d)) / log(S)^2, bounds S ** exp(+-1.96 sqrt(v)).
    z = 1.959963984540054
    greenwood = np.cumsum([1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1)])
    s = np.array([0.8, 0.6, 0.3])
    v = greenwood / np.log(s) ** 2
    assert curve["lower"].iloc[1:4].tolist() == pytest.approx((s ** np.exp(z * np.sqrt(v))).tolist(), rel=1e-6)
    assert curve["upper"].iloc[1:4].tolist() == pytest.approx((s ** np.exp(-z * np.sqrt(v))).tolist(), rel=1e-6)
    assert curve.loc[0, ["lower", "upper"]].tolist() == [1.0, 1.0]


def test_kaplan_meier_by_segment_largest_first_and_a_curve_that_reaches_zero():
    table = _table([0, 1.5, 2, 0.5, 3], [1, 1, 1, 0, 0], segment=["b", "a", "a", "b", "b"])
    curve = kaplan_meier(table, "segment")
    assert curve["group"].unique().tolist() == ["b", "a"]  # 3 users before 2
    a = curve[curve["group"] == "a"]
    # a: churn at 1.5 and 2 of 2 users -> day 0: 1, day 1: 1, day 2: 0 (both gone; the interval is 0 too)
    assert a["survival"].tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert a["at_risk"].tolist() == [2, 2, 1]
    assert a[["lower", "upper"]].iloc[-1].tolist() == [0.0, 0.0]
    b = curve[curve["group"] == "b"]
    # b: one churns at entry (day 0: 2/3), the others are censored at 0.5 and 3
    assert b["survival"].tolist() == pytest.approx([2 / 3] * 4)
    assert b["at_risk"].tolist() == [3, 1, 1, 1]


def _simulate(n: int, seed: int) -> pd.DataFrame:
    """Lifetimes from a known proportional-hazards model with time-varying flags and a segment.

    Baseline hazard 0.02 a day; a payment error at an exponential time (mean 40 d, 60% of users ever)
    multiplies it by 2.5 from then on, a detractor answer (mean 60 d, 40% of users) by 1.8, the "loyal"
    segment (a third of users; "new" is the largest and the reference) by 0.5. The churn time inverts the
    piecewise-constant cumulative hazard at an exponential(1) draw; censoring at uniform(30, 200) days.
    """
    rng = np.random.default_rng(seed)
    loyal = rng.random(n) < 1 / 3
    pay = np.where(rng.random(n) < 0.6, rng.exponential(40, n), np.inf)
    bad = np.where(rng.random(n) < 0.4, rng.exponential(60, n), np.inf)
    target = rng.exponential(1.0, n)
    censor = rng.uniform(30, 200, n)
    durations, churned = np.empty(n), np.empty(n, dtype=bool)
    for i in range(n):
        cuts = sorted({0.0, pay[i], bad[i]} - {np.inf})
        edges = [*cuts, np.inf]
        spent, t = 0.0, np.inf
        for start, stop in zip(edges[:-1], edges[1:]):
            rate = 0.02 * (0.5 if loyal[i] else 1.0) * (2.5 if pay[i] <= start else 1.0) * (
                1.8 if bad[i] <= start else 1.0)
            if spent + rate * (stop - start) >= target[i]:
                t = start + (target[i] - spent) / rate
                break
            spent += rate * (stop - start)
        durations[i], churned[i] = min(t, censor[i]), t <= censor[i]
    seen = lambda at: [a if a < d else None for a, d in zip(at, durations)]  # noqa: E731 - after the end: unseen
    return _table(durations, churned, payment=seen(pay), detractor=seen(bad),
                  segment=np.where(loyal, "loyal", "new"))


def test_cox_recovers_the_planted_hazard_ratios():
    table = _simulate(3000, seed=19)
    frame, notes = hazard_ratios(table, ["segment"])
    assert notes == []
    got = frame.set_index("covariate")
    truth = {"payment_error": 2.5, "detractor": 1.8, "segment": 0.5}
    for covariate, ratio in truth.items():
        assert got.loc[covariate, "lower"] < ratio < got.loc[covariate, "upper"], (covariate, got.loc[covariate])
        assert got.loc[covariate, "p_value"] < 0.001
    assert got.loc["segment", "level"] == "loyal" and got.loc["segment", "reference"] == "new"
    assert got.loc["payment_error", "level"] == ""
    assert got.loc["segment", "users"] == (table["segment"] == "loyal").sum()
    assert got.loc["segment", "events"] == table.loc[table["segment"] == "loyal", "churned"].sum()
    paid = table["payment_error_at"].notna()
    assert got.loc["payment_error", "users"] == paid.sum()
    assert 0 < got.loc["payment_error", "events"] <= table.loc[paid, "churned"].sum()


def test_the_split_counts_a_flag_from_entry_or_from_when_it_happens():
    # u0: error 2 days before entry (counts from day 0); u1: error on day 3 of 5 (split there);
    # u2: error on day 5, the day it churned (after the end: not counted); u3: none.
    table = _table([4, 5, 5, 6, 2, 7], [1, 1, 1, 0, 1, 1], payment=[-2, 3, 5, None, None, 1])
    frame, notes = hazard_ratios(table, [])
    row = frame.set_index("covariate").loc["payment_error"]
    assert row["users"] == 3  # u0, u1, u5
    assert row["events"] == 3  # u0 churns at 4, u1 at 5, u5 at 7, all flagged by then
    assert any("detractor" in n for n in notes)
    assert math.isfinite(row["hazard_ratio"])


def test_covariates_without_variation_or_churn_are_left_out_with_a_sentence():
    table = _table([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 1], payment=[0, 0, 0, 0, 0, 0],
                   segment=["x"] * 6)
    frame, notes = hazard_ratios(table, ["segment"])
    assert frame.empty and list(frame.columns)[:4] == ["covariate", "level", "reference", "hazard_ratio"]
    assert any(n.startswith("Every user had a payment error from the start") for n in notes)
    assert any(n.startswith("No user had a detractor NPS answer") for n in notes)
    assert any(n.startswith("Every user has the same segment (x)") for n in notes)

    table = _table([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 0], segment=["a", "a", "a", "a", "z", "z"])
    frame, notes = hazard_ratios(table, ["segment"])
    assert "None of the 2 users with segment z churned, so they are left out of the Cox model." in notes
    assert frame.empty


def test_a_fit_that_does_not_converge_gets_a_penalty_or_a_note_never_an_error():
    # the flag separates churn perfectly: every flagged user churns right after, nobody else churns
    n = 40
    durations = np.arange(1, n + 1, dtype=float)
    churned = np.arange(n) % 2 == 0
    payment = [d - 0.5 if c else None for d, c in zip(durations, churned)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame, notes = hazard_ratios(_table(durations, churned, payment=payment), [])
    assert any("penalty" in n for n in notes), notes
    if not frame.empty:
        assert np.isfinite(frame["hazard_ratio"]).all()


def test_nobody_churned_gives_an_empty_frame_and_a_note():
    frame, notes = hazard_ratios(_table([3, 4], [0, 0], payment=[1, None]), [])
    assert frame.empty and notes == ["The Cox model cannot be fitted: nobody churned."]
