"""Two groups compared (uem_helpers.analyses.experiment.compare): rates, medians and means as readouts, refusals in words."""

from __future__ import annotations

import math

import pytest

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.experiment import compare_medians, compare_rates
from uem_helpers.stats import two_proportions


def test_compare_rates_carries_the_two_proportion_comparison():
    r = compare_rates(45, 100, 15, 100, metric="abandonment", higher_is_better=False)
    expected = two_proportions(45, 100, 15, 100)
    assert (r.value_a, r.value_b, r.n_a, r.n_b) == (0.45, 0.15, 100, 100)
    assert (r.abs_effect, r.ci_low, r.ci_high) == (expected.diff, expected.diff_low, expected.diff_high)
    assert r.p_value == expected.p_value
    assert r.rel_effect == pytest.approx(-2 / 3)
    assert r.sentence().startswith("Abandonment fell from 45% (before) to 15% (after): −30.0 pts")


@pytest.mark.parametrize(
    ("args", "words"),
    [((0, 0, 1, 10), "group 'before' has no units"), ((1, 10, 12, 10), "group 'after' has 12 successes of 10 units")],
)
def test_compare_rates_rejects_empty_groups_naming_them(args, words):
    with pytest.raises(ParameterError, match=words):
        compare_rates(*args, metric="abandonment")


def test_compare_medians_names_the_group_too_small():
    with pytest.raises(ParameterError, match="group 'after' has 1 value"):
        compare_medians([1.0, 2.0], [3.0], metric="median opening time", unit="min")


def test_rates_carry_each_groups_wilson_interval():
    from uem_helpers.stats import wilson_ci

    r = compare_rates(45, 100, 15, 100, metric="abandonment")
    assert (r.value_a_low, r.value_a_high) == pytest.approx(wilson_ci(45, 100))
    assert (r.value_b_low, r.value_b_high) == pytest.approx(wilson_ci(15, 100))


def test_compare_means_takes_counts_and_names_the_group_it_refuses():
    from uem_helpers.analyses.experiment import compare_means

    counted = compare_means([10.0, 20.0], [20.0, 40.0], counts_a=[3, 1], counts_b=[1, 1], metric="AOV", unit="¥")
    listed = compare_means([10.0, 10.0, 10.0, 20.0], [20.0, 40.0], metric="AOV", unit="¥")
    assert (counted.n_a, counted.value_a, counted.value_b) == (4, 12.5, 30.0)
    for field in ("value_a_low", "value_a_high", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "p_value"):
        assert getattr(counted, field) == pytest.approx(getattr(listed, field), rel=1e-12), field
    assert counted.sentence() == listed.sentence()
    with pytest.raises(ParameterError, match="AOV: group 'after' has 1 value"):
        compare_means([1.0, 2.0], [5.0, 6.0], counts_b=[1, 0], metric="AOV", unit="¥")
    with pytest.raises(ParameterError, match="AOV: group 'before' holds 1 NaN"):
        compare_means([1.0, math.nan], [5.0, 6.0], metric="AOV", unit="¥")
