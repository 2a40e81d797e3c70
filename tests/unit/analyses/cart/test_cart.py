"""Cart helpers: known answers on hand-made carts, constructed distributions, and the sample's planted truth."""

from __future__ import annotations

import json

import ibis
import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.cart.abandonment import prepare_carts
from uem_helpers.analyses.cart import abandonment as cart
from uem_helpers.present import cart as cart_report
from uem_helpers.analyses.cart.policy import policy_impact, threshold_bunching
from uem_helpers.stories.cart import analyse_carts
from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.analyses.experiment import compare_means, compare_rates
from uem_helpers.present.narrative import md_escape
from uem_helpers.data.sources import from_frames, load

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["cart"]


def _carts(rows):
    """Carts from (created_at, cart_value, shipping_fee, checked_out, order_value) tuples."""
    frame = pd.DataFrame(rows, columns=["created_at", "cart_value", "shipping_fee", "checked", "order_value"])
    return pd.DataFrame({
        "cart_id": [f"C{i}" for i in range(len(frame))],
        "user_id": [f"U{i % 3}" for i in range(len(frame))],
        "created_at": pd.to_datetime(frame["created_at"]),
        "cart_value": frame["cart_value"].astype(float),
        "shipping_fee": frame["shipping_fee"].astype(float),
        "checked_out_at": pd.to_datetime(frame["created_at"]).where(frame["checked"]) + pd.Timedelta(minutes=5),
        "order_value": frame["order_value"].where(frame["checked"]).astype(float),
    })


# Six carts on two days. U0: C0, C3; U1: C1, C4; U2: C2, C5.
SMALL = _carts([
    ("2026-06-01 10:00", 100, 0, True, 100),   # fee share 0
    ("2026-06-01 11:00", 100, 10, False, None),  # 0.10
    ("2026-06-01 12:00", 50, 10, False, None),   # 0.20
    ("2026-06-02 10:00", 200, 10, True, 210),    # 0.05
    ("2026-06-02 11:00", 40, 10, False, None),   # 0.25
    ("2026-06-02 12:00", 80, 8, True, 88),       # 0.10
])


@pytest.fixture
def small():
    users = pd.DataFrame({"user_id": ["U0", "U1", "U2"], "signup_at": pd.to_datetime(["2026-01-01"] * 3),
                          "platform": ["ios", "android", "ios"]})
    return from_frames({"carts": SMALL, "users": users})


def test_outcomes_count_checked_out_and_abandoned(small):
    out = cart.cart_outcomes(prepare_carts(small["carts"])).iloc[0]
    assert (out["carts"], out["checked_out"], out["abandoned"]) == (6, 3, 3)
    assert out["abandonment_rate"] == 0.5
    assert out["abandonment_low"] < 0.5 < out["abandonment_high"]
    only_first_day = cart.cart_outcomes(prepare_carts(small["carts"]), period_start="2026-06-01", period_end="2026-06-01").iloc[0]
    assert (only_first_day["carts"], only_first_day["abandoned"]) == (3, 2)


def test_daily_and_pooled_rates(small):
    daily = cart.daily_abandonment(prepare_carts(small["carts"]))
    assert daily["carts"].tolist() == [3, 3]
    assert daily["rate"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert daily["rate_7d"].tolist() == pytest.approx([2 / 3, 3 / 6])  # day 2 pools both days


def test_segment_from_the_users_table(small):
    seg = cart.abandonment_by_segment(prepare_carts(small["carts"]), "platform", users=small["users"]).set_index("platform")
    # ios: U0 (C0 ok, C3 ok) and U2 (C2 ab, C5 ok) -> 1 of 4; android: U1 (C1 ab, C4 ab) -> 2 of 2
    assert seg.loc["ios", ["carts", "abandoned"]].tolist() == [4, 1]
    assert seg.loc["android", "abandonment_rate"] == 1.0
    with pytest.raises(ParameterError, match="segment_by='region' is not a column of the carts or users table"):
        cart.abandonment_by_segment(prepare_carts(small["carts"]), "region", users=small["users"])


def test_fee_share_bins(small):
    bins = cart.abandonment_by_fee_share(prepare_carts(small["carts"]), bins=[0, 0.1, 0.2, 1]).set_index("bin")
    # [0, 10%): shares 0, 0.05 -> both checked out; [10%, 20%): 0.10 (ab), 0.10 (ok); [20%, 100%]: 0.20, 0.25 both ab
    assert bins["carts"].tolist() == [2, 2, 2]
    assert bins["abandonment_rate"].tolist() == [0.0, 0.5, 1.0]
    assert bins.index.tolist() == ["[0%, 10%)", "[10%, 20%)", "[20%, 100%]"]
    with pytest.raises(ParameterError, match="strictly increasing"):
        cart.abandonment_by_fee_share(prepare_carts(small["carts"]), bins=[0, 0.2, 0.1])


def test_missing_column_names_the_table():
    data = from_frames({"carts": SMALL}, validate=False)
    with pytest.raises(ContractError, match="table 'carts', column 'cart_value'"):
        cart.cart_table(data["carts"].drop("cart_value"))


def _logistic_carts(n: int, slope: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = rng.choice(np.arange(40, 200, 5), n).astype(float)
    fee = rng.choice([0.0, 6.0, 10.0, 14.0, 20.0], n)
    p = 1 / (1 + np.exp(-(0.3 + slope * fee / value)))
    checked = rng.random(n) < p
    created = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s")
    return pd.DataFrame({"cart_id": [f"C{i}" for i in range(n)], "user_id": [f"U{i}" for i in range(n)],
                         "created_at": created, "cart_value": value, "shipping_fee": fee,
                         "checked_out_at": created.where(checked) + pd.Timedelta(minutes=1),
                         "order_value": np.where(checked, value + fee, np.nan)})


def test_fee_share_fit_recovers_a_planted_slope():
    data = from_frames({"carts": _logistic_carts(20_000, slope=-6.0)})
    fit = cart.fee_share_fit(prepare_carts(data["carts"]))
    true_or = np.exp(-0.6)  # +10 pts of fee share: exp(0.1 * -6)
    assert fit.odds_ratio_low < true_or < fit.odds_ratio_high
    assert fit.odds_ratio_100_low < 1.0 < fit.odds_ratio_100_high  # value has no effect of its own
    assert "lowers the odds of checkout by" in fit.sentence()


def test_fee_share_fit_refuses_data_without_checkouts(small):
    no_checkouts = SMALL.assign(checked_out_at=pd.NaT, order_value=np.nan)
    with pytest.raises(ParameterError, match="got 6 carts, 0 checked out"):
        cart.fee_share_fit(prepare_carts(from_frames({"carts": no_checkouts})["carts"]))


def test_drivers_odds_ratio_by_hand():
    # Four carts; 'size_guide' in the 30 min before two of them (one abandoned), 'search' before one (abandoned).
    carts = _carts([("2026-06-01 10:00", 100, 0, True, 100), ("2026-06-01 11:00", 100, 0, False, None),
                    ("2026-06-01 12:00", 100, 0, False, None), ("2026-06-01 13:00", 100, 0, True, 100)])
    carts["user_id"] = ["U0", "U1", "U2", "U3"]
    events = pd.DataFrame({
        "user_id": ["U0", "U1", "U1", "U2", "U3"],
        "timestamp": pd.to_datetime(["2026-06-01 09:50", "2026-06-01 10:45", "2026-06-01 10:50",
                                     "2026-06-01 12:00", "2026-06-01 11:00"]),  # U2's at the cart instant, U3's 2h before
        "event": ["size_guide", "size_guide", "search", "search", "size_guide"],
    })
    data = from_frames({"carts": carts, "events": events})
    drivers = cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=1, min_users=1).set_index("event")
    # size_guide: with = C0 (ok), C1 (ab) -> a=1, b=1; without = C2 (ab), C3 (ok) -> c=1, d=1; OR = 1
    assert drivers.loc["size_guide", ["carts_with", "carts_without"]].tolist() == [2, 2]
    assert drivers.loc["size_guide", "odds_ratio"] == pytest.approx(1.0)
    # search: only before C1 (ab); a=1, b=0 -> 0.5; without: C0 ok, C2 ab, C3 ok -> c=1, d=2: (1/0.5) / (1/2) = 4
    assert drivers.loc["search", "odds_ratio"] == pytest.approx(4.0)
    assert drivers.index[0] == "search"
    assert cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=3, min_users=1).empty


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
    assert "+30% relative (95% CI" in impact.aov.sentence()


def _random_carts(seed: int, n: int) -> pd.DataFrame:
    """Carts over August-September 2026 with few distinct order values, as money has."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-08-01") + pd.to_timedelta(rng.integers(0, 61 * 86400, n), unit="s")
    checked = rng.random(n) < 0.4
    value = rng.choice([19.9, 49.0, 99.0, 101.5, 150.0, 230.0], n)
    fee = rng.choice([0.0, 6.0, 10.0], n)
    return pd.DataFrame({
        "cart_id": [f"C{i}" for i in range(n)], "user_id": [f"U{i % 50}" for i in range(n)],
        "created_at": created, "cart_value": value, "shipping_fee": fee,
        "checked_out_at": created.where(checked) + pd.Timedelta(minutes=3),
        "order_value": np.where(checked, value + fee, np.nan),
    })


@pytest.mark.parametrize(("seed", "n", "guard_days"), [(1, 40, 0), (2, 3000, 1), (3, 20_000, 0)])
def test_policy_impact_from_counts_equals_the_comparison_of_every_cart(seed, n, guard_days):
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


def test_no_carts_in_the_period_and_no_checkouts_say_so(small):
    empty = analyse_carts(small, launch_date="2026-06-02", period_start="2025-01-01", period_end="2025-01-31")
    assert not empty.has_data and empty.carts == 0
    assert r"no cart was created between 2025\-01\-01 and 2025\-01\-31" in cart_report.key_findings(empty)
    assert cart_report.headline(empty) == "carts: 0\nchecked out: 0"

    none_checked = from_frames({"carts": SMALL.assign(checked_out_at=pd.NaT, order_value=np.nan)})
    a = analyse_carts(none_checked, launch_date="2026-06-02", period_start="2026-06-01", period_end="2026-06-02")
    assert a.fee_fit is None and a.impact is None
    assert "No cart was checked out at all" in cart_report.overview_finding(a)
    assert "0 checked out" in cart_report.fee_finding(a)
    assert "average order value" in cart_report.impact_finding(a)


# --- the sample's planted truth ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["carts", "events", "users"])
    return analyse_carts(data, config.funnel("checkout"), launch_date=TRUTH["launch_date"],
                         threshold=TRUTH["threshold_yuan"], period_start="2026-05-01", period_end="2026-10-31",
                         segment_by="platform")


def test_sample_baseline_abandonment_is_about_70_percent(sample):
    before = TRUTH["realised"]["before"]
    c = sample.impact.conversion
    assert (c.n_a, round(c.value_a * c.n_a)) == (before["carts"], before["checked_out"])
    assert c.value_a_low < 1 - 0.70 < c.value_a_high + 0.01  # ~70% abandoned before the policy
    assert 1 - before["model_expected_conversion"] == pytest.approx(0.70, abs=0.01)


def test_sample_abandonment_rises_with_fee_share(sample):
    rates = sample.fee_bins["abandonment_rate"].to_numpy()
    assert np.all(np.diff(rates) > 0)
    coef = TRUTH["design"]["logistic_coefficients"]["fee_share"]
    assert sample.fee_fit.odds_ratio_high < 1
    # The checkout model's fee-share coefficient on intent (payment success attenuates it only slightly).
    assert sample.fee_fit.odds_ratio_low < np.exp(0.1 * coef) < sample.fee_fit.odds_ratio_high


def test_sample_policy_effects_cover_the_model_expectations(sample):
    realised = TRUTH["realised"]
    conv, aov = sample.impact.conversion, sample.impact.aov
    assert conv.rel_ci_low < realised["model_expected_relative_conversion_lift"] < conv.rel_ci_high
    assert aov.rel_ci_low < realised["model_expected_relative_aov_lift"] < aov.rel_ci_high
    expected_aov = [realised[g]["model_expected_aov"] for g in ("before", "after")]
    assert aov.ci_low < expected_aov[1] - expected_aov[0] < aov.ci_high
    assert aov.value_a == pytest.approx(realised["before"]["aov"], abs=1e-4)
    assert aov.value_b == pytest.approx(realised["after"]["aov"], abs=1e-4)


def test_sample_bunching_just_above_99(sample):
    b, truth = sample.bunching, TRUTH["realised"]["bunching"]
    assert b.excess.abs_effect == pytest.approx(truth["excess_mass"], abs=1e-6)
    assert b.excess.ci_low > 0
    assert b.topped_up_share == pytest.approx(truth["topped_up_share"], abs=0.05)
    h = b.histogram[b.histogram["group"] == "after"].set_index("bin_low")["share"]
    assert h.loc[99:107].mean() > 1.5 * h.loc[79:97].mean()  # visible: the bump just above the threshold


def test_sample_drivers_put_the_size_guide_loop_first(sample):
    assert sample.drivers.iloc[0]["event"] == "size_guide" and sample.drivers.iloc[0]["odds_ratio_low"] > 1


def test_sample_charts_draw(sample):
    import matplotlib.pyplot as plt

    for ax in (cart_report.abandonment_trend(sample), cart_report.fee_share_chart(sample.fee_bins),
               cart_report.bunching_chart(sample.bunching), cart_report.drivers_chart(sample.drivers)):
        assert ax.get_title()
        plt.close(ax.figure)
    table = cart_report.impact_table(sample)
    assert table.index.tolist() == ["Cart conversion", "Average order value", "Revenue per cart"]


@pytest.mark.spark
def test_cart_helpers_give_identical_numbers_on_duckdb_and_spark(spark_con):
    users = pd.DataFrame({"user_id": ["U0", "U1", "U2"], "signup_at": pd.to_datetime(["2026-01-01"] * 3),
                          "platform": ["ios", "android", "ios"]})
    frames = {"carts": SMALL, "users": users}
    duck, spark = from_frames(frames), from_frames(frames, con=spark_con)
    for helper in (cart.cart_outcomes, cart.daily_abandonment, cart.abandonment_by_fee_share):
        pd.testing.assert_frame_equal(helper(prepare_carts(duck["carts"])), helper(prepare_carts(spark["carts"])),
                                      check_dtype=False)
    pd.testing.assert_frame_equal(
        cart.abandonment_by_segment(prepare_carts(duck["carts"]), "platform", users=duck["users"]),
        cart.abandonment_by_segment(prepare_carts(spark["carts"]), "platform", users=spark["users"]),
        check_dtype=False,
    )


def test_small_segments_are_folded_so_no_group_under_the_minimum_is_shown():
    from uem_helpers.present import privacy
    from uem_helpers.stories.cart import analyse_carts
    from uem_helpers.core.config import PrivacyConfig

    rows, users = [], []
    for segment, n_users in (("ios", 12), ("android", 11), ("web", 3)):
        for u in range(n_users):
            uid = f"{segment}-{u}"
            users.append({"user_id": uid, "signup_at": pd.Timestamp("2026-01-01"), "platform": segment})
            rows.append({"cart_id": f"c-{uid}", "user_id": uid, "created_at": pd.Timestamp("2026-06-01 10:00"),
                         "cart_value": 100.0, "shipping_fee": 10.0,
                         "checked_out_at": pd.Timestamp("2026-06-01 10:05") if u % 2 else pd.NaT,
                         "order_value": 110.0 if u % 2 else None})
    data = from_frames({"carts": pd.DataFrame(rows), "users": pd.DataFrame(users)})
    privacy.use(PrivacyConfig(min_cell_size=10))
    analysis = analyse_carts(data, None, launch_date=None, segment_by="platform")
    shown = cart_report.shown_segments(analysis)
    # web (3) alone would be shown as "other"; its 3 users could then be read off, so android folds in too.
    assert sorted(shown["platform"]) == ["ios", "other"]
    other = shown.set_index("platform").loc["other"]
    assert (other["users"], other["carts"], other["checked_out"]) == (14, 14, 6)  # android 5 + web 1
    assert other["abandonment_rate"] == pytest.approx(8 / 14)
    text = cart_report.segment_finding(analysis)
    assert "web" not in text and "android" not in text


def test_a_driver_must_describe_at_least_min_users_people():
    # 40 carts before which 'promo' happened, all from 4 users; 40 carts from 40 other users without it.
    carts, events = [], []
    for i in range(80):
        user = f"P{i % 4}" if i < 40 else f"Q{i}"
        created = pd.Timestamp("2026-06-01 10:00") + pd.Timedelta(hours=i)
        carts.append({"cart_id": f"c{i}", "user_id": user, "created_at": created, "cart_value": 100.0,
                      "shipping_fee": 10.0, "checked_out_at": created + pd.Timedelta(minutes=5) if i % 3 else pd.NaT,
                      "order_value": 110.0 if i % 3 else None})
        if i < 40:
            events.append({"user_id": user, "timestamp": created - pd.Timedelta(minutes=1), "event": "promo"})
    data = from_frames({"carts": pd.DataFrame(carts), "events": pd.DataFrame(events)})
    kept = cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=30, min_users=4)
    assert kept["event"].tolist() == ["promo"] and kept["carts_with"].tolist() == [40]
    assert cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=30, min_users=5).empty


# --- A/B mode: the policy read from an experiment, clustered by user -------------------------

ROLLOUT = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["rollout"]
SHARES = {"control": 0.95, "treatment": 0.05}


@pytest.fixture(scope="module")
def sample_ab():
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["carts", "events", "users", "assignments"])
    return analyse_carts(data, config.funnel("checkout"), launch_date=TRUTH["launch_date"],
                         threshold=TRUTH["threshold_yuan"], period_start="2026-05-01", period_end="2026-10-31",
                         segment_by="platform", experiment=ROLLOUT["experiment"], expected_shares=SHARES)


def test_sample_ab_mode_recovers_the_planted_rollout(sample_ab):
    impact, realised = sample_ab.impact, ROLLOUT["realised"]
    c = impact.conversion
    assert impact.is_experiment and not impact.srm.mismatch
    assert impact.srm.observed == {"control": realised["control"]["users"], "treatment": realised["treatment"]["users"]}
    assert (c.group_a, c.group_b, c.n_a, c.n_b) == ("control", "treatment", realised["control"]["carts_after_assignment"],
                                                     realised["treatment"]["carts_after_assignment"])
    assert round(c.value_a * c.n_a) == realised["control"]["checked_out"]
    expected = {arm: realised[arm]["model_expected_conversion"] for arm in ("control", "treatment")}
    assert c.value_a_low < expected["control"] < c.value_a_high
    assert c.value_b_low < expected["treatment"] < c.value_b_high
    assert c.ci_low < expected["treatment"] - expected["control"] < c.ci_high
    assert c.verdict == "better"
    # AOV and revenue per cart are ratio metrics of the same carts.
    assert impact.revenue_per_cart.value_a == pytest.approx(c.value_a * impact.aov.value_a)
    # Bunching stays a before/after reading of the launch.
    assert sample_ab.bunching is not None and sample_ab.experiment == "one_tap_checkout"


def test_ab_mode_report_words_show_the_srm_and_the_variants(sample_ab):
    text = cart_report.impact_finding(sample_ab)
    assert "assignment to the experiment **one\\_tap\\_checkout**" in text
    srm = sample_ab.impact.srm.sentence()
    assert srm.startswith("No sample ratio mismatch: control 1,160 (94.5% vs 95.0% expected)")
    assert md_escape(srm) in text
    assert md_escape("Cart conversion rose from 39.4% (control) to 58.9% (treatment)") in text
    assert cart_report.impact_table(sample_ab).columns[:2].tolist() == ["Control", "Treatment"]
    assert "conversion control: 0.3944 treatment: 0.5889" in cart_report.headline(sample_ab)


def test_before_after_headline_is_unchanged(sample):
    assert "conversion before: 0.3057 after: 0.3694" in cart_report.headline(sample)
    assert sample.impact.srm is None and not sample.impact.is_experiment


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


def test_ab_mode_without_an_assignments_table_says_why(small):
    a = analyse_carts(small, launch_date=None, experiment="one_tap_checkout")
    assert a.impact is None
    assert "No A/B readout of experiment 'one_tap_checkout'" in a.notes["impact"]
    assert "assignments" in cart_report.impact_finding(a)
