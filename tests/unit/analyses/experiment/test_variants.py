"""Rollout vs control on a rate (uem_helpers.analyses.experiment.variants): counts by hand, the split checked, refusals in words."""

from __future__ import annotations


import ibis
import pandas as pd
import pytest

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.analyses.experiment import compare_rates, variant_rate

from tests.unit.analyses.experiment.hand_made import ASSIGNMENTS, OUTCOMES


def test_variant_rate_counts_users_with_an_outcome_by_hand():
    r, srm = variant_rate(ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS), "free_ship", "converted",
                          metric="cart conversion", higher_is_better=True)
    assert (r.group_a, r.n_a, r.value_a, r.group_b, r.n_b, r.value_b) == ("control", 5, 0.4, "treatment", 4, 0.75)
    assert r == compare_rates(2, 5, 3, 4, metric="cart conversion", group_a="control", group_b="treatment",
                              higher_is_better=True)
    # equal shares by default: expected 4.5 each, chi² = 2 · 0.5² / 4.5 = 0.111
    assert srm.observed == {"control": 5, "treatment": 4}
    assert srm.statistic == pytest.approx(1 / 9) and not srm.mismatch


def test_variant_rate_flags_a_sample_ratio_mismatch_of_a_5_percent_rollout():
    users = [f"u{i}" for i in range(1000)]
    variants = ["treatment" if i < 100 else "control" for i in range(1000)]  # 10% treated, 5% planned
    assignments = pd.DataFrame({"user_id": users, "experiment": "rollout", "variant": variants})
    outcomes = pd.DataFrame({"user_id": users, "done": [i % 2 == 0 for i in range(1000)]})
    r, srm = variant_rate(ibis.memtable(outcomes), ibis.memtable(assignments), "rollout", "done", metric="completion",
                          expected_shares={"treatment": 0.05, "control": 0.95})
    # expected 50 / 950: chi² = 50²/50 + 50²/950 = 52.63
    assert srm.statistic == pytest.approx(50 + 2500 / 950) and srm.mismatch
    assert (r.n_a, r.n_b, r.value_a, r.value_b) == (900, 100, 0.5, 0.5)


def test_variant_rate_lists_experiments_and_variants_present():
    outcomes, assignments = ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS)
    missing = "experiment 'nope' is not in the assignments table; experiments present: free_ship, other"
    with pytest.raises(ParameterError, match=missing):
        variant_rate(outcomes, assignments, "nope", "converted", metric="m")
    missing = "variant 'b' is not in experiment 'free_ship'; variants present: control, treatment"
    with pytest.raises(ParameterError, match=missing):
        variant_rate(outcomes, assignments, "free_ship", "converted", metric="m", treatment="b")
    with pytest.raises(ParameterError, match="expected shares must be positive and sum to 1"):
        variant_rate(outcomes, assignments, "free_ship", "converted", metric="m",
                     expected_shares={"control": 0.5, "treatment": 0.6})


def test_variant_rate_refuses_users_in_two_variants_and_duplicate_outcomes():
    u3_again = pd.DataFrame([("u3", "free_ship", "treatment", pd.Timestamp("2026-08-02"))], columns=ASSIGNMENTS.columns)
    two_variants = pd.concat([ASSIGNMENTS, u3_again])
    words = r"table 'assignments', column 'variant': users in more than one variant of experiment 'free_ship' \(1 row\)"
    with pytest.raises(ContractError, match=words):
        variant_rate(ibis.memtable(OUTCOMES), ibis.memtable(two_variants), "free_ship", "converted", metric="m")
    duplicated = pd.concat([OUTCOMES, OUTCOMES.iloc[[0, 6]]])
    with pytest.raises(ContractError, match=r"several rows per user; one row per user is expected \(2 rows\)"):
        variant_rate(ibis.memtable(duplicated), ibis.memtable(ASSIGNMENTS), "free_ship", "converted", metric="m")
    with pytest.raises(ContractError, match="table 'assignments', column 'variant': required column is missing"):
        variant_rate(
            ibis.memtable(OUTCOMES), ibis.memtable(ASSIGNMENTS.drop(columns="variant")), "free_ship", "converted", metric="m"
        )
