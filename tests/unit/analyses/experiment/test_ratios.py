"""Ratio metrics per variant, clustered by user (uem_helpers.analyses.experiment.ratios): by hand, several metrics, refusals, Spark."""

from __future__ import annotations


import ibis
import numpy as np
import pandas as pd
import pytest

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.analyses.experiment import RatioMetric, variant_ratio, variant_ratios
from uem_helpers.stats import ClusterSums, clustered_wilson_ci, ratio_metric_difference

from tests.unit.analyses.experiment.hand_made import table


AB_ASSIGNED = pd.DataFrame(
    [("a1", "control", "2026-10-01"), ("a2", "control", "2026-10-01"), ("a3", "control", "2026-10-05"),
     ("a4", "control", "2026-10-01"), ("b1", "treatment", "2026-10-01"), ("b2", "treatment", "2026-10-01"),
     ("b3", "treatment", "2026-10-03"), ("a1", "control", "2026-10-02"), ("b1", "other_test", "2026-09-01")],
    columns=["user_id", "variant", "assigned_at"],
).assign(experiment=lambda d: np.where(d["variant"] == "other_test", "other", "one_tap"),
         assigned_at=lambda d: pd.to_datetime(d["assigned_at"]).astype("datetime64[us]"))


AB_CARTS = pd.DataFrame(
    [
        ("a1", "2026-09-30", True, 50.0),   # before a1's (earliest) assignment 10-01: not counted
        ("a1", "2026-10-01", True, 100.0),  # at the assignment instant: counted
        ("a1", "2026-10-02", False, 0.0),
        ("a2", "2026-10-03", False, 0.0),
        ("a3", "2026-10-04", True, 80.0),   # before a3's assignment 10-05: not counted
        ("a3", "2026-10-06", True, 60.0),
        ("a3", "2026-10-07", None, 0.0),    # outcome missing: not a unit of the rate
        ("b1", "2026-10-02", True, 120.0),
        ("b1", "2026-10-02", True, 100.0),
        ("b2", "2026-10-04", False, 0.0),
        ("b3", "2026-10-04", True, 90.0),
        ("zz", "2026-10-04", True, 70.0),   # not assigned: not counted
    ],
    columns=["user_id", "created_at", "checked_out", "paid"],
).astype({"created_at": "datetime64[us]", "checked_out": "boolean"})


# one_tap, per user (checked-out carts y, carts n, paid):
#   control:   a1 (1, 2, 100), a2 (0, 1, 0), a3 (1, 1, 60; plus the cart without outcome, paid 0),
#              a4 no cart (0, 0, 0)
#   treatment: b1 (2, 2, 220), b2 (0, 1, 0), b3 (1, 1, 90)
AB_RATE = {"control": [(1, 2), (0, 1), (1, 1), (0, 0)], "treatment": [(2, 2), (0, 1), (1, 1)]}


def _sums(pairs) -> ClusterSums:
    y, n = (np.array(v, dtype=float) for v in zip(*pairs))
    return ClusterSums(len(y), y.sum(), n.sum(), (y * y).sum(), (n * n).sum(), (y * n).sum())


def test_variant_ratio_counts_units_from_each_users_assignment_by_hand():
    r, srm = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="cart conversion",
                           outcome="checked_out", higher_is_better=True)
    assert (r.kind, r.group_a, r.group_b, r.n_a, r.n_b) == ("rate", "control", "treatment", 4, 4)
    assert (r.value_a, r.value_b) == (0.5, 0.75)
    want = ratio_metric_difference(_sums(AB_RATE["control"]), _sums(AB_RATE["treatment"]))
    assert (r.abs_effect, r.ci_low, r.ci_high, r.rel_ci_low, r.rel_ci_high, r.p_value) == pytest.approx(
        (want.diff, want.diff_low, want.diff_high, want.rel_low, want.rel_high, want.p_value), rel=1e-12)
    assert (r.value_a_low, r.value_a_high) == pytest.approx(clustered_wilson_ci(0.5, want.se_a, 4))
    # The SRM counts assigned users, with a cart or not (a4): 4 vs 3 against 50/50.
    assert srm.observed == {"control": 4, "treatment": 3} and not srm.mismatch


def test_variant_ratios_reads_several_metrics_in_one_go():
    aov = RatioMetric("average order value", numerator="paid", denominator="checked_out", unit="¥")
    rpc = RatioMetric("revenue per cart", numerator="paid", unit="¥")
    (r_aov, r_rpc), _ = variant_ratios(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", [aov, rpc])
    # AOV: control 160 / 2 checked out (a3's 10-07 cart has no outcome: not in the denominator), treatment 310 / 3;
    # revenue per cart: control 160 / 5 carts (a3's 10-07 cart paid 0 and counts), treatment 310 / 4.
    assert (r_aov.kind, r_aov.value_a, r_aov.value_b, r_aov.n_a) == ("mean", 80.0, pytest.approx(310 / 3), 2)
    assert (r_rpc.value_a, r_rpc.n_a, r_rpc.value_b) == (32.0, 5, pytest.approx(310 / 4))
    want = ratio_metric_difference(_sums([(100, 1), (0, 0), (60, 1), (0, 0)]), _sums([(220, 2), (0, 0), (90, 1)]))
    assert (r_aov.ci_low, r_aov.ci_high, r_aov.value_a_low) == pytest.approx(
        (want.diff_low, want.diff_high, want.ratio_a_low), rel=1e-12)


def test_variant_ratio_refuses_bad_metrics_and_missing_groups_in_words():
    carts, assigned = ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED)
    with pytest.raises(ParameterError, match="give either outcome .* or numerator"):
        variant_ratio(carts, assigned, "one_tap", metric="m")
    with pytest.raises(ParameterError, match="metric 'm': column 'price' is not in the units table"):
        variant_ratio(carts, assigned, "one_tap", metric="m", numerator="price")
    with pytest.raises(ParameterError, match="outcome column 'paid' must be boolean"):
        variant_ratio(carts, assigned, "one_tap", metric="m", outcome="paid")
    aware = ibis.memtable(AB_CARTS.assign(created_at=AB_CARTS["created_at"].dt.tz_localize("UTC")))
    with pytest.raises(ParameterError, match=r"time column 'created_at' must be a naive timestamp .* timestamp\('UTC'\)"):
        variant_ratio(aware, assigned, "one_tap", metric="m", outcome="checked_out")
    with pytest.raises(ParameterError, match="experiment 'nope' is not in the assignments table; experiments present: "
                                             "one_tap, other"):
        variant_ratio(carts, assigned, "nope", metric="m", outcome="checked_out")
    with pytest.raises(ParameterError, match="variant 'control' is not in experiment 'other'"):
        variant_ratio(carts, assigned, "other", metric="m", outcome="checked_out")
    with pytest.raises(ContractError, match="table 'assignments', column 'assigned_at': required column is missing"):
        variant_ratio(carts, ibis.memtable(AB_ASSIGNED.drop(columns="assigned_at")), "one_tap", metric="m",
                      outcome="checked_out")
    late = AB_CARTS.assign(created_at=pd.Timestamp("2026-09-01"))  # every cart before every assignment
    with pytest.raises(ParameterError, match="m: variant 'control' of experiment 'one_tap' has 4 assigned user"):
        variant_ratio(ibis.memtable(late), assigned, "one_tap", metric="m", outcome="checked_out")
    two = pd.concat([AB_ASSIGNED, AB_ASSIGNED.iloc[[1]].assign(variant="treatment")])
    with pytest.raises(ContractError, match="users in more than one variant"):
        variant_ratio(carts, ibis.memtable(two), "one_tap", metric="m", outcome="checked_out")


def test_variant_ratio_flags_a_sample_ratio_mismatch_on_users():
    r, srm = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="m",
                           outcome="checked_out", expected_shares={"control": 0.95, "treatment": 0.05}, srm_alpha=0.05)
    # expected 6.65 / 0.35 of 7 users: chi² = 2.65² / 6.65 + 2.65² / 0.35
    assert srm.statistic == pytest.approx(2.65**2 / 6.65 + 2.65**2 / 0.35) and srm.mismatch
    assert (r.value_a, r.value_b) == (0.5, 0.75)  # the readout is still given; the SRM says not to trust it


@pytest.mark.spark
def test_variant_ratio_gives_identical_numbers_on_spark(spark_con):
    spark = variant_ratio(table(spark_con, "ab_carts", AB_CARTS), table(spark_con, "ab_assigned", AB_ASSIGNED),
                          "one_tap", metric="cart conversion", outcome="checked_out")
    duck = variant_ratio(ibis.memtable(AB_CARTS), ibis.memtable(AB_ASSIGNED), "one_tap", metric="cart conversion",
                         outcome="checked_out")
    assert spark[1] == duck[1]
    for field in ("value_a", "value_b", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "p_value", "value_a_low"):
        assert getattr(spark[0], field) == pytest.approx(getattr(duck[0], field), rel=1e-12), field
