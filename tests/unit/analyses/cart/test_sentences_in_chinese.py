"""The fee-share fit and the bunching at the threshold, said in Chinese with the English numbers."""

from __future__ import annotations

import pandas as pd

from uem_helpers.analyses.cart import Bunching, FeeShareFit
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.core.i18n import in_language

from ....chinese_text import english_runs, numbers

FIT = FeeShareFit(odds_ratio_10pts=0.55, odds_ratio_low=0.504, odds_ratio_high=0.601, odds_ratio_100=1.1,
                  odds_ratio_100_low=1.0, odds_ratio_100_high=1.2, p_value=1e-9, carts=8961, cells=1200, alpha=0.05)


def test_the_fee_share_fit_in_chinese():
    english = FIT.sentence()
    with in_language("zh"):
        chinese = FIT.sentence()
    assert english == ("Each +10 pts of shipping fee as a share of cart value lowers the odds of checkout by 45%: "
                       "odds ratio 0.55 (95% CI 0.50 to 0.60), cart value held fixed; logistic fit on 8,961 carts.")
    assert chinese == ("运费占购物车金额的比例每提高 10 个百分点，结账的几率（odds）降低 45%：优势比 0.55"
                       "（95% 置信区间 0.50 至 0.60），已控制购物车金额；逻辑回归基于 8,961 个购物车。")
    raised = FeeShareFit(**{**FIT.__dict__, "odds_ratio_10pts": 1.2})
    with in_language("zh"):
        assert "结账的几率（odds）提高 20%" in raised.sentence()


def test_the_bunching_in_chinese_reads_as_two_sentences_without_a_space():
    excess = compare_rates(57, 1000, 118, 1000, metric="share of carts valued 99 to 109")
    bunching = Bunching(threshold=99, band=10, reach=19, histogram=pd.DataFrame(), excess=excess,
                        topped_up_share=0.44)
    english = bunching.sentence()
    with in_language("zh"):
        chinese = bunching.sentence()
    assert english.startswith("Carts valued 99 to 109 made up 11.8% of carts after the launch vs 5.7% before: "
                              "an excess of +6.1 pts (95% CI ")
    assert english.endswith(". About 44% of the carts that came within 19 of the threshold were topped up to pass it.")
    assert chinese.startswith("金额在 99 至 109 之间的购物车，上线后占全部购物车的 11.8%，上线前为 5.7%：多出 +6.1 个百分点")
    assert chinese.endswith("）。距门槛不足 19 的购物车中，约有 44% 通过凑单越过了门槛。")
    assert sorted(numbers(chinese)) == sorted(numbers(english)) and english_runs(chinese) == []
