"""The sample-ratio check in words, in English and Chinese, with the numbers of the check."""

from __future__ import annotations

from uem_helpers.core.i18n import in_language
from uem_helpers.analyses.experiment.readout import srm_sentence
from uem_helpers.stats import sample_ratio_mismatch

LABELS = {"treatment": {"zh": "实验组"}, "control": {"zh": "对照组"}}


def test_a_broken_split_is_named_with_each_groups_share():
    # chi² = 600²/5000 + 600²/95000 = 75.79: far beyond the 0.001 alarm
    srm = sample_ratio_mismatch({"treatment": 5_600, "control": 94_400}, {"treatment": 0.05, "control": 0.95})
    assert srm_sentence(srm) == (
        "Sample ratio mismatch: treatment 5,600 (5.6% vs 5.0% expected) / control 94,400 (94.4% vs 95.0% expected); "
        "p < 0.001. Do not trust this comparison until the cause is found.")
    with in_language("zh", LABELS):
        assert srm_sentence(srm) == (
            "样本比例失衡：实验组 5,600（实际 5.6%，设计 5.0%） / 对照组 94,400（实际 94.4%，设计 95.0%）；p < 0.001。"
            "在查明原因之前，不要相信这组对比。")


def test_a_healthy_split_says_so():
    srm = sample_ratio_mismatch({"control": 940, "treatment": 60}, {"control": 0.95, "treatment": 0.05})
    assert srm_sentence(srm) == ("No sample ratio mismatch: control 940 (94.0% vs 95.0% expected) / "
                                 "treatment 60 (6.0% vs 5.0% expected); p = 0.15.")
    with in_language("zh", LABELS):
        assert srm_sentence(srm) == "样本比例无失衡：对照组 940（实际 94.0%，设计 95.0%） / 实验组 60（实际 6.0%，设计 5.0%）；p = 0.15。"
