"""The policy: bunching of a constructed distribution, the impact by hand and from counts, one mode at a time."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.cart import policy_impact, prepare_carts, threshold_bunching
from uem_helpers.analyses.experiment import compare_means, compare_rates
from uem_helpers.core.errors import ParameterError
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import SMALL, _carts


def _bunching_carts(seed: int = 5):
    """Uniform values 60..140 before and after; after, 300 of the 1,000 carts in [80, 99) move to [99, 109)."""
    rng = np.random.default_rng(seed)
    before = rng.uniform(60, 140, 4000)
    after = rng.uniform(60, 140, 4000)
    reach = np.flatnonzero((after >= 80) & (after < 99))
    moved = reach[:300]
    after[moved] = rng.uniform(99, 109, moved.size)
    values = np.round(np.concatenate([before, after]), 2)
    created = pd.to_datetime(["2026-08-15"] * 4000 + ["2026-09-15"] * 4000)
    return pd.DataFrame({"cart_id": [f"C{i}" for i in range(8000)], "user_id": "U", "created_at": created,
                         "cart_value": values, "shipping_fee": 0.0}), len(reach)


def test_bunching_recovers_the_excess_mass_of_a_constructed_distribution():
    frame, within = _bunching_carts()
    data = from_frames({"carts": frame})
    b = threshold_bunching(prepare_carts(data["carts"]), 99, "2026-09-01")
    # Excess mass: 300 of 4,000 carts = 7.5 pts, up to the sampling noise of the band's share in each group.
    assert b.excess.ci_low < 0.075 < b.excess.ci_high
    assert b.excess.n_a == b.excess.n_b == 4000
    # Topped up: 300 of the `within` after-launch carts that were within reach, up to the same noise.
    assert b.topped_up_share == pytest.approx(300 / within, abs=0.08)
    h = b.histogram
    assert h.groupby("group")["carts"].sum().to_dict() == {"after": 4000, "before": 4000}  # span covers 60..140
    assert "an excess of +" in b.sentence()


def test_policy_impact_by_hand():
    frame = _carts([
        ("2026-08-30 10:00", 100, 10, True, 110), ("2026-08-30 11:00", 100, 10, True, 90),
        ("2026-08-30 12:00", 100, 10, False, None), ("2026-08-30 13:00", 100, 10, False, None),
        ("2026-09-02 10:00", 120, 0, True, 120), ("2026-09-02 11:00", 120, 0, True, 140),
        ("2026-09-02 12:00", 120, 0, True, 130), ("2026-09-02 13:00", 120, 0, False, None),
    ])
    impact = policy_impact(prepare_carts(from_frames({"carts": frame})["carts"]), "2026-09-01")
    assert (impact.conversion.value_a, impact.conversion.value_b) == (0.5, 0.75)
    assert (impact.aov.value_a, impact.aov.value_b) == (100.0, 130.0)  # (110 + 90) / 2, (120 + 140 + 130) / 3
    assert impact.revenue_per_cart.value_a == 50.0 and impact.revenue_per_cart.value_b == 97.5  # 200 / 4, 390 / 4
    assert impact.aov.rel_effect == pytest.approx(0.3)
    # Ratio 1.3; variances with divisor n: 100 and 200/3, so var(log ratio) = 100 / (2 · 100²) + (200/3) / (3 · 130²).
    half = 1.959963984540054 * np.sqrt(100 / (2 * 100**2) + (200 / 3) / (3 * 130**2))
    assert (impact.aov.rel_ci_low, impact.aov.rel_ci_high) == pytest.approx((1.3 * np.exp(-half) - 1,
                                                                              1.3 * np.exp(half) - 1), rel=1e-9)
    assert "+30.0% relative (95% CI" in impact.aov.sentence()


def _random_carts(seed: int, n: int) -> pd.DataFrame:
    """Carts over August-September 2026, their values in cents: nearly every amount paid distinct."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-08-01") + pd.to_timedelta(rng.integers(0, 61 * 86400, n), unit="s")
    checked = rng.random(n) < 0.4
    value = np.round(rng.uniform(9.9, 300.0, n), 2)
    fee = rng.choice([0.0, 6.0, 10.0], n)
    return pd.DataFrame({
        "cart_id": [f"C{i}" for i in range(n)], "user_id": [f"U{i % 50}" for i in range(n)],
        "created_at": created, "cart_value": value, "shipping_fee": fee,
        "checked_out_at": created.where(checked) + pd.Timedelta(minutes=3),
        "order_value": np.where(checked, value + fee, np.nan),
    })


@pytest.mark.parametrize(("seed", "n", "guard_days"), [(1, 40, 0), (2, 3000, 1), (3, 20_000, 0)])
def test_policy_impact_from_moments_equals_the_comparison_of_every_cart(seed, n, guard_days):
    frame = _random_carts(seed, n)
    impact = policy_impact(prepare_carts(from_frames({"carts": frame})["carts"]), "2026-09-01", guard_days=guard_days)
    # The value-based path: every cart's amount paid, compared row by row.
    launch, guard = pd.Timestamp("2026-09-01"), pd.Timedelta(days=guard_days)
    paid = frame["order_value"].where(frame["checked_out_at"].notna(), 0.0).to_numpy()
    ok = frame["checked_out_at"].notna().to_numpy()
    before = (frame["created_at"] < launch - guard).to_numpy()
    after = (frame["created_at"] >= launch + guard).to_numpy()
    expected = [
        compare_rates(int(ok[before].sum()), int(before.sum()), int(ok[after].sum()), int(after.sum()),
                      metric="cart conversion", higher_is_better=True),
        compare_means(paid[before & ok], paid[after & ok], metric="average order value", unit="¥",
                      higher_is_better=True),
        compare_means(paid[before], paid[after], metric="revenue per cart", unit="¥", higher_is_better=True),
    ]
    for got, want in zip(impact.readouts(), expected):
        assert (got.metric, got.n_a, got.n_b) == (want.metric, want.n_a, want.n_b)
        for field in ("value_a", "value_b", "abs_effect", "rel_effect", "ci_low", "ci_high", "rel_ci_low",
                      "rel_ci_high", "p_value", "value_a_low", "value_a_high", "value_b_low", "value_b_high"):
            assert getattr(got, field) == pytest.approx(getattr(want, field), rel=1e-9, abs=1e-9), (want.metric, field)
        assert got.sentence() == want.sentence()


def test_a_window_with_one_checked_out_cart_has_no_average_order_value():
    frame = _carts([
        ("2026-08-30 10:00", 100, 10, True, 110), ("2026-08-30 11:00", 100, 10, False, None),
        ("2026-09-02 10:00", 120, 0, True, 120), ("2026-09-02 11:00", 120, 0, True, 140),
    ])
    with pytest.raises(ParameterError, match="average order value: group 'before' has 1 value"):
        policy_impact(prepare_carts(from_frames({"carts": frame})["carts"]), "2026-09-01")


def test_policy_impact_takes_exactly_one_mode():
    carts = from_frames({"carts": SMALL})["carts"]
    assignments = ibis_assignments()
    with pytest.raises(ParameterError, match="give exactly one of launch_date .* and experiment"):
        policy_impact(prepare_carts(carts))
    with pytest.raises(ParameterError, match="give exactly one of launch_date"):
        policy_impact(prepare_carts(carts), "2026-06-02", assignments=assignments, experiment="x")
    with pytest.raises(ParameterError, match="experiment 'x' needs the assignments table"):
        policy_impact(prepare_carts(carts), experiment="x")
    with pytest.raises(ParameterError, match="guard_days applies before/after a launch"):
        policy_impact(prepare_carts(carts), experiment="x", assignments=assignments, guard_days=1)


def ibis_assignments():
    return ibis.memtable(pd.DataFrame({"user_id": ["U0", "U1", "U2"], "experiment": "x",
                                       "variant": ["control", "treatment", "control"],
                                       "assigned_at": pd.Timestamp("2026-05-01")}))
