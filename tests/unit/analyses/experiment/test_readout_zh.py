"""A readout's sentence in Chinese: the same numbers as the English one, in sentences a Chinese analyst writes."""

from __future__ import annotations

import re
from dataclasses import replace

from uem_helpers.analyses.experiment import compare_medians
from uem_helpers.core.i18n import in_language

from tests.unit.analyses.experiment.test_readout import readout

NUMBER = re.compile(r"[+−]?\d+(?:[.,]\d+)*%?")


def numbers(text: str) -> list[str]:
    """The numbers of a sentence, sorted (word order differs between the languages, the numbers do not)."""
    return sorted(NUMBER.findall(text))


def test_a_fall_in_a_rate_reads_in_chinese_with_the_same_numbers():
    r = readout()
    english = r.sentence()
    with in_language("zh"):
        chinese = r.sentence()
    assert chinese == ("Abandonment从 45%（上线前）降至 15%（上线后）：−30 个百分点（95% 置信区间 −32 至 −28），"
                       "相对变化 −66.7%（95% 置信区间 −70.0% 至 −62.0%）；p < 0.001。")
    assert numbers(chinese) == numbers(english)
    assert r.sentence() == english  # back in English after the block


def test_no_significant_change_and_a_second_test_in_chinese():
    r = readout(value_b=0.44, abs_effect=-0.01, rel_effect=-1 / 45, ci_low=-0.053, ci_high=0.034,
                rel_ci_low=-0.113, rel_ci_high=0.078, p_value=0.03)
    english = r.sentence()
    with in_language("zh"):
        chinese = r.sentence()
    assert chinese.startswith("Abandonment无显著变化，45%（上线前）对比 44%（上线后）：")
    assert chinese.endswith("单看检验，差异显著（p = 0.03）；但检验与置信区间的结论不一致，这一变化应视为临界结果。")
    assert "borderline" in english and numbers(chinese) == numbers(english)


def test_durations_and_the_rank_test_are_named_in_chinese():
    r = compare_medians([300.0, 320, 340, 360, 380] * 8, [200.0, 210, 220, 230, 240] * 8,
                        metric="median opening time", unit="s")
    with in_language("zh"):
        chinese = r.sentence()
    assert "分钟（上线前）" in chinese and " min" not in chinese
    assert "Mann-Whitney 秩和检验显示差异显著（p < 0.001）。" in chinese
    assert "。 " not in chinese  # Chinese sentences follow each other without a space


def test_group_names_that_are_not_before_or_after_stay_as_configured():
    r = replace(readout(), group_a="control", group_b="treatment")
    with in_language("zh"):
        assert "45%（control）降至 15%（treatment）" in r.sentence()
