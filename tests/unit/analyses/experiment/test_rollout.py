"""The staged-rollout readout (uem_helpers.analyses.experiment.rollout): every branch of the decision rule, and the sample's rollout."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from uem_helpers.analyses.cart import cart_table
from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.analyses.experiment.rollout import HOLD, ROLL_BACK, SHIP, Guardrail, decide, rollout_readout
from uem_helpers.data.sources import load
from uem_helpers.stats import sample_ratio_mismatch

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["rollout"]
SHARES = {"control": 0.95, "treatment": 0.05}
Z95 = norm.isf(0.025)
BALANCED = sample_ratio_mismatch({"control": 950, "treatment": 50}, SHARES)  # exactly as designed
BROKEN = sample_ratio_mismatch({"control": 900, "treatment": 100}, SHARES)  # 10% treated, 5% planned


def readout(effect: float, se: float, *, higher_is_better: bool | None = True, metric: str = "cart conversion",
            kind: str = "rate", unit: str = "%") -> Readout:
    """A readout of conversion 0.40 (control) vs 0.40 + effect with the Wald interval effect ± 1.96·se."""
    return Readout(
        metric=metric, kind=kind, group_a="control", group_b="treatment", value_a=0.40, value_b=0.40 + effect,
        n_a=1900, n_b=100, abs_effect=effect, rel_effect=effect / 0.40, ci_low=effect - Z95 * se,
        ci_high=effect + Z95 * se, rel_ci_low=(effect - Z95 * se) / 0.4, rel_ci_high=(effect + Z95 * se) / 0.4,
        p_value=float(2 * norm.sf(abs(effect) / se)) if effect else 1.0, alpha=0.05, unit=unit,
        higher_is_better=higher_is_better,
    )


BETTER = readout(0.10, 0.03)  # z 3.3
WORSE = readout(-0.10, 0.03)
FLAT = readout(0.03, 0.02)  # z 1.5: not significant
AOV_WORSE = replace(readout(-12.0, 4.0, metric="average order value", kind="mean", unit="¥"), value_a=140.0,
                    value_b=128.0)
AOV_FLAT = replace(AOV_WORSE, abs_effect=-2.0, ci_low=-2.0 - Z95 * 4, ci_high=-2.0 + Z95 * 4, p_value=0.6)


def test_a_sample_ratio_mismatch_holds_whatever_the_result():
    recommendation, reason, needed = decide(BETTER, [AOV_FLAT], BROKEN, users=1000)
    assert (recommendation, needed) == (HOLD, None)
    assert reason.startswith("fix the split before reading the result. Sample ratio mismatch: control 900")


def test_a_significantly_worse_primary_rolls_back():
    recommendation, reason, _ = decide(WORSE, [AOV_FLAT], BALANCED, users=1000)
    assert recommendation == ROLL_BACK
    assert reason.startswith("cart conversion got significantly worse. Cart conversion fell from 40%")


def test_a_significantly_worse_guardrail_rolls_back_even_a_better_primary():
    recommendation, reason, _ = decide(BETTER, [AOV_WORSE], BALANCED, users=1000)
    assert recommendation == ROLL_BACK
    assert reason.startswith("average order value got significantly worse. Average order value fell from ¥140")


def test_a_significantly_better_primary_with_no_worse_guardrail_ships():
    recommendation, reason, needed = decide(BETTER, [AOV_FLAT], BALANCED, users=1000)
    assert (recommendation, needed) == (SHIP, None)
    assert reason == BETTER.sentence() + " No guardrail got significantly worse (average order value)."
    assert decide(BETTER, [], BALANCED, users=1000)[1] == BETTER.sentence()


def test_an_inconclusive_result_holds_with_the_users_needed_for_the_observed_effect():
    recommendation, reason, needed = decide(FLAT, [AOV_FLAT], BALANCED, users=1000)
    # se 0.02 at 1,000 users, effect 0.03: 1000 · 0.02² · (1.95996 + 0.84162)² / 0.03² = 3,488.4 in all
    assert recommendation == HOLD
    assert needed == pytest.approx(1000 * 0.02**2 * (Z95 + norm.ppf(0.8)) ** 2 / 0.03**2, rel=1e-9)
    assert "Keep collecting: about 2,489 more users (about 3,489 in all, at the same split) would give 80% power " \
           "to detect an effect of 3.0 pts (the one observed)." in reason
    assert reason.startswith("Cart conversion did not change significantly")


def test_an_inconclusive_result_with_an_mde_already_powered_says_the_effect_is_smaller():
    recommendation, reason, needed = decide(FLAT, [], BALANCED, users=1000, mde=0.10)
    assert recommendation == HOLD and needed < 1000  # 1000 · 0.0004 · 7.85 / 0.01 = 314
    assert "already give 80% power to detect an effect of 10.0 pts, so the true effect is probably smaller" in reason


def test_no_effect_at_all_says_keep_collecting():
    recommendation, reason, needed = decide(readout(0.0, 0.02), [], BALANCED, users=1000)
    assert (recommendation, needed) == (HOLD, math.inf)
    assert reason.endswith("No effect was observed to size a longer test by: keep collecting.")


def test_a_primary_without_a_direction_is_refused():
    with pytest.raises(ParameterError, match="the primary metric 'cart conversion' needs higher_is_better"):
        decide(replace(BETTER, higher_is_better=None), [], BALANCED, users=1000)


# --- rollout_readout end to end -------------------------------------------------------------


def _rollout_tables(seed: int = 7, users: int = 2000, lift: float = 0.0):
    """Users 95/5 control/treatment, 1 to 4 carts each after assignment, conversion 0.3 (+ lift when treated)."""
    rng = np.random.default_rng(seed)
    uid = [f"u{i}" for i in range(users)]
    treated = np.arange(users) % 20 == 0
    assigned = pd.DataFrame({"user_id": uid, "experiment": "r", "variant": np.where(treated, "treatment", "control"),
                             "assigned_at": pd.Timestamp("2026-10-01")})
    n = rng.integers(1, 5, users)
    user = np.repeat(np.arange(users), n)
    p = 0.3 + lift * treated[user]
    carts = pd.DataFrame({"user_id": np.array(uid)[user], "created_at": pd.Timestamp("2026-10-02"),
                          "checked_out": rng.random(len(user)) < p, "paid": rng.choice([80.0, 120.0], len(user))})
    carts["paid"] = carts["paid"].where(carts["checked_out"], 0.0)
    return ibis.memtable(carts), ibis.memtable(assigned)


def test_rollout_readout_reads_the_primary_and_guardrails():
    carts, assigned = _rollout_tables(lift=0.0)
    aov = Guardrail("average order value", carts, numerator="paid", denominator="checked_out", unit="¥")
    r = rollout_readout(carts, assigned, "r", metric="cart conversion", outcome="checked_out", guardrails=[aov],
                        expected_shares=SHARES)
    assert r.recommendation == HOLD and not r.srm.mismatch
    assert r.users_so_far == 2000 and r.users_needed is not None and r.users_needed > 2000
    assert [x.metric for x in r.readouts()] == ["cart conversion", "average order value"]
    assert r.sentence().startswith("Hold: Cart conversion did not change significantly")
    with pytest.raises(ParameterError, match="mde must be a positive absolute change"):
        rollout_readout(carts, assigned, "r", metric="m", outcome="checked_out", mde=0)


def test_rollout_readout_holds_on_a_broken_split():
    carts, assigned = _rollout_tables(lift=0.3)
    r = rollout_readout(carts, assigned, "r", metric="cart conversion", outcome="checked_out")  # 50/50 assumed
    assert r.srm.mismatch and r.recommendation == HOLD and r.primary.verdict == "better"


@pytest.fixture(scope="module")
def sample_carts():
    data = load(load_config(CONFIG_PATH), tables=["carts", "assignments"])
    return cart_table(data["carts"]), data["assignments"]


def test_sample_one_tap_checkout_ships_with_the_planted_conversions_in_the_intervals(sample_carts):
    carts, assignments = sample_carts
    aov = Guardrail("average order value", carts, numerator="paid", denominator="checked_out", unit="¥")
    r = rollout_readout(carts, assignments, TRUTH["experiment"], metric="cart conversion", outcome="checked_out",
                        guardrails=[aov], expected_shares=SHARES)
    realised = TRUTH["realised"]
    assert r.recommendation == SHIP and not r.srm.mismatch
    assert r.users_so_far == realised["assigned_users"]
    p = r.primary
    assert (p.n_a, p.n_b) == (realised["control"]["carts_after_assignment"],
                              realised["treatment"]["carts_after_assignment"])
    assert p.value_b - p.value_a == pytest.approx(realised["conversion_difference"], abs=1e-6)
    expected = {arm: realised[arm]["model_expected_conversion"] for arm in ("control", "treatment")}
    assert p.value_a_low < expected["control"] < p.value_a_high
    assert p.value_b_low < expected["treatment"] < p.value_b_high
    assert p.ci_low < expected["treatment"] - expected["control"] < p.ci_high
    assert r.guardrails[0].verdict != "worse"
    assert r.sentence().startswith("Ship: Cart conversion rose from 37.4% (control) to 60.6% (treatment)")
