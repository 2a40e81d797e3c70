"""The sample-ratio-mismatch check (uem_helpers.stats._srm): known answers and refused inputs."""

from __future__ import annotations


import pytest

from uem_helpers.stats import sample_ratio_mismatch


def test_srm_flags_56_vs_944_against_5_95_on_large_n():
    # n = 100,000: expected 5,000 / 95,000; chi² = 600²/5000 + 600²/95000 = 72 + 3.7895 = 75.79
    r = sample_ratio_mismatch({"treatment": 5_600, "control": 94_400}, {"treatment": 0.05, "control": 0.95})
    assert r.statistic == pytest.approx(72 + 360_000 / 95_000, abs=1e-9)
    assert r.expected == pytest.approx({"treatment": 5_000.0, "control": 95_000.0})
    assert r.p_value < 1e-15 and r.mismatch


def test_srm_does_not_flag_the_same_split_on_small_n():
    # n = 1,000: expected 50 / 950; chi² = 6²/50 + 6²/950 = 0.72 + 0.0379 = 0.7579, p = 0.384
    r = sample_ratio_mismatch([56, 944], [0.05, 0.95])
    assert r.statistic == pytest.approx(0.72 + 36 / 950, abs=1e-9)
    assert r.p_value == pytest.approx(0.3840, abs=1e-4)
    assert not r.mismatch
    assert r.observed == {"0": 56, "1": 944}


def test_srm_threshold_is_0001_by_default():
    # chi² = 10.83 is the 0.001 critical value with 1 df: 5165 vs 4835 gives chi² = 2·165²/5000 = 10.89
    r = sample_ratio_mismatch({"a": 5_165, "b": 4_835}, {"a": 0.5, "b": 0.5})
    assert r.statistic == pytest.approx(10.89, abs=1e-9)
    assert r.alpha == 0.001 and r.p_value < 0.001 and r.mismatch
    assert not sample_ratio_mismatch({"a": 5_150, "b": 4_850}, {"a": 0.5, "b": 0.5}).mismatch  # chi² 9.0


@pytest.mark.parametrize(
    ("observed", "shares", "words"),
    [
        ({"a": 1, "b": 2}, {"a": 0.5, "c": 0.5}, "differ from the groups"),
        ({"a": 1, "b": 2}, {"a": 0.5, "b": 0.4}, "sum to 1"),
        ({"a": 1, "b": 2}, {"a": 0.0, "b": 1.0}, "positive"),
        ({"a": 0, "b": 0}, {"a": 0.5, "b": 0.5}, "no units"),
        ({"a": 10}, {"a": 1.0}, "at least two groups"),
    ],
)
def test_srm_rejects_inconsistent_inputs(observed, shares, words):
    with pytest.raises(ValueError, match=words):
        sample_ratio_mismatch(observed, shares)
