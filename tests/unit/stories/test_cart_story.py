"""The cart story: it types the carts once, says why a section is empty, and recovers the sample's planted truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses.cart import table
from uem_helpers.core.config import load_config
from uem_helpers.analyses.experiment.readout import srm_sentence
from uem_helpers.data.sources import from_frames, load
from uem_helpers.present import cart as cart_report
from uem_helpers.present.narrative import md_escape
from uem_helpers.stories.cart import analyse_carts

from tests.conftest import CONFIG_PATH, SAMPLE_DIR
from tests.unit.analyses.cart.hand_made import SMALL, small  # noqa: F401 (a fixture)

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["cart"]


def test_the_story_builds_the_typed_cart_table_once(monkeypatch):
    calls = []
    real = table.cart_table

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(table, "cart_table", counting)
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["carts", "events", "users"])
    result = analyse_carts(data, config.funnels["checkout"], launch_date="2026-09-01", threshold=99,
                           period_start="2026-05-01", period_end="2026-10-31", segment_by="platform")
    assert len(calls) == 1
    assert result.by_segment is not None and result.fee_bins is not None and result.bunching is not None
    assert result.impact is not None and result.drivers is not None


def test_no_carts_in_the_period_and_no_checkouts_say_so(small):
    empty = analyse_carts(small, launch_date="2026-06-02", period_start="2025-01-01", period_end="2025-01-31")
    assert not empty.has_data and empty.carts == 0
    assert r"no cart was created between 2025\-01\-01 and 2025\-01\-31" in cart_report.key_findings(empty)
    assert cart_report.headline(empty) == "carts: 0\nchecked out: 0"

    none_checked = from_frames({"carts": SMALL.assign(checked_out_at=pd.NaT, order_value=np.nan)})
    a = analyse_carts(none_checked, launch_date="2026-06-02", period_start="2026-06-01", period_end="2026-06-02",
                      min_side_days=0.1)
    assert a.fee_fit is None and a.impact is None
    assert "No cart was checked out at all" in cart_report.overview_finding(a)
    assert "0 checked out" in cart_report.fee_finding(a)
    assert "average order value" in cart_report.impact_finding(a)


def test_a_launch_with_too_few_days_of_carts_on_a_side_says_what_the_comparison_needs(small):
    a = analyse_carts(small, launch_date="2026-06-02", period_start="2026-06-01", period_end="2026-06-02")
    assert a.impact is None and a.bunching is None
    assert cart_report.impact_finding(a).startswith(
        r"The before/after comparison needs at least 7 days of data on each side of the launch \(2026\-06\-02\)")


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


def test_ab_mode_without_an_assignments_table_says_why(small):
    a = analyse_carts(small, launch_date=None, experiment="one_tap_checkout")
    assert a.impact is None
    assert "No A/B readout of experiment 'one_tap_checkout'" in a.notes["impact"]
    assert "assignments" in cart_report.impact_finding(a)


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


def test_before_after_headline_is_unchanged(sample):
    assert "conversion before: 0.2973 after: 0.3754" in cart_report.headline(sample)
    assert sample.impact.srm is None and not sample.impact.is_experiment


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
    srm = srm_sentence(sample_ab.impact.srm)
    assert srm.startswith("No sample ratio mismatch: control 1,174 (94.0% vs 95.0% expected)")
    assert md_escape(srm) in text
    assert md_escape("Cart conversion rose from 37.4% (control) to 60.6% (treatment)") in text
    assert cart_report.impact_table(sample_ab).columns[:2].tolist() == ["Control", "Treatment"]
    assert "conversion control: 0.3743 treatment: 0.6061" in cart_report.headline(sample_ab)


def test_next_tests_rest_on_findings_and_keep_no_policy_the_report_did_not_read(sample):
    from dataclasses import replace

    steps = cart_report.next_tests(sample).splitlines()
    lost = int(sample.checkout.iloc[1:]["lost"].max())
    assert any(s.startswith("- Simplify the checkout step") and f"({lost:,} of those who reached" in s for s in steps)
    assert any("size\\_guide" in s for s in steps)  # the top driver with a lower bound above 1
    bare = replace(sample, fee_fit=None, bunching=None, checkout=None, drivers=None, impact=None)
    assert cart_report.next_tests(bare) == "- No clear lever stands out; re-run this report next month."
    assert "keep the policy" in cart_report.next_tests(replace(bare, impact=sample.impact))


def test_carts_derived_without_a_value_never_print_a_value_effect(tmp_path):
    import yaml

    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    rows = []
    for day in range(1, 29):  # one cart a day for four weeks; every other one paid within the hour
        rows += [(f"u{day}", f"2026-06-{day:02d} 10:00:00", "add")]
        rows += [(f"u{day}", f"2026-06-{day:02d} 10:30:00", "paid")] if day % 2 else []
    pd.DataFrame(rows, columns=["uid", "ts", "ev"]).to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "uem.yml").write_text(yaml.safe_dump({
        "sources": {"events": {"path": "events.csv", "columns": {"uid": "user_id", "ts": "timestamp", "ev": "event"}}},
        "carts": {"cart_event": "add", "checkout_event": "paid"}}))
    config = load_config(tmp_path / "uem.yml")
    a = analyse_carts(load(config), launch_date="2026-06-15", period_start="2026-06-01", period_end="2026-06-30")
    assert (a.carts, a.checked_out) == (28, 14)
    assert a.impact is None and a.bunching is None and a.fee_bins is None
    words = cart_report.key_findings(a)
    assert "the log has no amount" in words and "cannot be read" in words
    assert "¥" not in words and "nan" not in words
