"""The readout of a comparison (uem_helpers.analyses.experiment.readout): its sentence, verdict and tidy row."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.analyses.experiment.readout import Readout


def readout(**changes) -> Readout:
    base = Readout(
        metric="abandonment",
        kind="rate",
        group_a="before",
        group_b="after",
        value_a=0.45,
        value_b=0.15,
        n_a=1000,
        n_b=1000,
        abs_effect=-0.30,
        rel_effect=-2 / 3,
        ci_low=-0.32,
        ci_high=-0.28,
        rel_ci_low=-0.70,
        rel_ci_high=-0.62,
        p_value=1e-9,
        alpha=0.05,
        unit="%",
        higher_is_better=False,
    )
    return replace(base, **changes)


def test_sentence_for_a_fall_in_a_rate_uses_points_and_both_intervals():
    r = readout()
    assert r.sentence() == (
        "Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −32 to −28), "
        "−66.7% relative (95% CI −70.0% to −62.0%); p < 0.001."
    )
    assert r.significant and r.verdict == "better"


def test_sentence_for_a_rise_between_variants():
    r = readout(
        metric="cart conversion",
        group_a="control",
        group_b="treatment",
        value_a=0.30,
        value_b=0.375,
        abs_effect=0.075,
        rel_effect=0.25,
        ci_low=0.034,
        ci_high=0.116,
        rel_ci_low=0.104,
        rel_ci_high=0.414,
        p_value=0.0004,
        higher_is_better=True,
    )
    assert r.sentence() == (
        "Cart conversion rose from 30.0% (control) to 37.5% (treatment): +7.5 pts (95% CI +3.4 to +11.6), "
        "+25.0% relative (95% CI +10.4% to +41.4%); p < 0.001."
    )
    assert r.verdict == "better"
    assert replace(r, higher_is_better=None).verdict == "changed"


def test_sentence_for_no_significant_change_says_so_and_keeps_the_interval():
    r = readout(value_b=0.44, abs_effect=-0.01, rel_effect=-1 / 45, ci_low=-0.053, ci_high=0.034,
                rel_ci_low=-0.113, rel_ci_high=0.078, p_value=0.65)
    assert r.sentence() == (
        "Abandonment did not change significantly, 45% (before) vs 44% (after): −1.0 pts (95% CI −5.3 to +3.4), "
        "−2.2% relative (95% CI −11.3% to +7.8%); p = 0.65."
    )
    assert not r.significant and r.verdict == "no significant change"


def test_a_p_value_below_alpha_with_an_interval_across_zero_is_not_called_a_change():
    r = readout(p_value=0.04, ci_low=-0.33, ci_high=0.01)
    assert not r.significant
    assert "did not change significantly" in r.sentence()


def test_sentence_for_medians_uses_the_unit_and_a_currency_prefix():
    minutes = readout(
        metric="median opening time", kind="median", unit="min", value_a=8.2, value_b=2.9, abs_effect=-5.3,
        rel_effect=-0.646, ci_low=-5.6, ci_high=-5.0, rel_ci_low=-0.68, rel_ci_high=-0.61, alpha=0.1,
    )
    assert minutes.sentence() == (
        "Median opening time fell from 8.2 min (before) to 2.9 min (after): −5.3 min (90% CI −5.6 to −5.0), "
        "−64.6% relative (90% CI −68.0% to −61.0%); p < 0.001."
    )
    money = replace(minutes, metric="median order value", unit="¥", value_a=102.0, value_b=111.0, abs_effect=9.0,
                    ci_low=5.2, ci_high=12.3, rel_effect=0.088, rel_ci_low=0.05, rel_ci_high=0.12, p_value=0.002)
    assert money.sentence().startswith(
        "Median order value rose from ¥102 (before) to ¥111 (after): +¥9.0 (90% CI +5.2 to +12.3)"
    )
    assert money.sentence().endswith("; p = 0.002.")


def test_sentence_leaves_out_an_undefined_relative_change():
    r = readout(value_a=0.0, value_b=0.05, abs_effect=0.05, ci_low=0.02, ci_high=0.11,
                rel_effect=math.nan, rel_ci_low=math.nan, rel_ci_high=math.nan, p_value=0.02)
    assert r.sentence() == "Abandonment rose from 0% (before) to 5% (after): +5 pts (95% CI +2 to +11); p = 0.02."
    assert "relative" not in r.sentence()


group_counts = st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=100, deadline=None)
@given(group_counts, group_counts)
def test_every_rate_sentence_states_its_interval_and_matches_its_verdict(a, b):
    r = compare_rates(*a, *b, metric="conversion", higher_is_better=True)
    text = r.sentence()
    assert "% CI " in text and ("p < 0.001" in text or "p = " in text)
    # the test's p-value closes the interval's sentence only when both give the same verdict
    assert ("; p" in text.split(". ")[0]) == (r.test_significant == r.significant)
    assert ("relative" in text) == (a[0] > 0 and not (a[0] == a[1] and b[0] == b[1]))
    verb = "rose" if r.abs_effect > 0 else "fell"
    assert text.startswith(f"Conversion {verb} from") == r.significant
    assert r.verdict == ("no significant change" if not r.significant else "better" if r.abs_effect > 0 else "worse")


def test_to_frame_is_one_tidy_row():
    frame = readout().to_frame()
    assert frame.shape[0] == 1
    assert frame.loc[0, "n_a"] == 1000 and frame.loc[0, "verdict"] == "better"
    assert frame.loc[0, "sentence"] == readout().sentence()


def test_a_median_with_a_rank_test_gives_each_method_its_own_verdict_and_days_for_long_times():
    """The real-data case of #17: a bootstrap interval across 0 beside a Mann-Whitney p of 0.022."""
    r = readout(metric="median opening time", kind="median", unit="min", value_a=21_500.0, value_b=20_743.0,
                abs_effect=-757.0, rel_effect=-0.035, ci_low=-1690.0, ci_high=176.0, rel_ci_low=-0.08,
                rel_ci_high=0.008, p_value=0.022, p_test="Mann-Whitney rank test")
    assert not r.significant and r.test_significant
    assert r.sentence() == (
        "Median opening time did not change significantly, 14.9 days (before) vs 14.4 days (after): "
        "−12.6 h (95% CI −28.2 to +2.9), −3.5% relative (95% CI −8.0% to +0.8%). "
        "The Mann-Whitney rank test finds a significant difference (p = 0.022)."
    )


def test_a_p_value_that_disagrees_with_its_interval_gets_its_own_sentence():
    text = readout(p_value=0.04, ci_low=-0.33, ci_high=0.01, rel_ci_high=0.02).sentence()
    head, test = text.split(". The ")
    assert head.startswith("Abandonment did not change significantly") and "p = " not in head
    assert test == "test alone finds a significant difference (p = 0.04); it and the interval disagree, " \
                   "so read this change as borderline."
    rel = readout(rel_ci_low=-0.1, rel_ci_high=0.05).sentence()
    assert rel.startswith("Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −32 to −28); p < 0.001.")
    assert rel.endswith("The relative change, −66.7% relative (95% CI −10.0% to +5.0%), is not significant on its own.")


def test_time_units_are_shared_by_an_effect_and_its_interval():
    r = readout(metric="mean wait", kind="mean", unit="s", value_a=30.0, value_b=9000.0, abs_effect=8970.0,
                rel_effect=math.nan, rel_ci_low=math.nan, rel_ci_high=math.nan, ci_low=100.0, ci_high=17000.0)
    assert r.sentence() == ("Mean wait rose from 30 s (before) to 2.5 h (after): +2.49 h (95% CI +0.03 "
                            "to +4.72); p < 0.001.")
