"""The data-quality block, the shared tables and the privacy footer in Chinese, with the same counts."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from uem_helpers.core.i18n import in_language
from uem_helpers.data.coverage import Coverage, TableCoverage
from uem_helpers.data.quality import DataQuality, QualityFinding
from uem_helpers.present import privacy
from uem_helpers.present import quality as quality_words
from uem_helpers.present.tables import step_changes_table


@pytest.fixture(autouse=True)
def _policy():
    privacy.use(None)


@pytest.fixture
def quality() -> DataQuality:
    cover = Coverage(datetime(2025, 1, 1, 0, 2), datetime(2025, 3, 31, 14, 10), datetime(2025, 1, 1),
                     datetime(2025, 4, 1), tables=[TableCoverage("events", "timestamp", datetime(2025, 1, 1, 0, 2),
                                                                 datetime(2025, 3, 31, 14, 10), 1200),
                                                   TableCoverage("users", "signup_at", None, None, 0)])
    return DataQuality([QualityFinding("cut_off_sessions", "events", 12, 100, ["u1"], 0.05),
                        QualityFinding("same_time_ties", "events", 3, 1200, ["u2"], None),
                        QualityFinding("duplicate_rows", "events", 0, 1200, [], 0.01)], cover)


def test_opening_and_summary_in_chinese(quality):
    with in_language("zh"):
        assert quality_words.summary(quality) == "数据质量：2 项发现，其中 1 项超过阈值；数据未覆盖整个统计期"
        opening = quality_words.opening(quality).splitlines()
    assert opening[0].startswith("- **数据覆盖：** 事件数据覆盖 2025年1月1日 00:02 至 2025年3月31日 14:10")
    assert opening[1].startswith("- **数据质量：** 12.0% 的用户在数据结束时仍处于会话中")
    assert quality_words.summary(quality) == ("Data quality: 2 findings, 1 above threshold; the data covers less "
                                              "than the period")


def test_the_block_in_chinese(quality):
    with in_language("zh"):
        html = quality_words.section(quality)._repr_html_()
    for words in ("<th>发现</th>", "<th>示例（已假名化）</th>", "12 / 100", "<strong>5.0%，已超过</strong>", "仅供参考",
                  "各表覆盖范围：events（timestamp）2025年1月1日 00:02 至 2025年3月31日 14:10，本期内 1,200 行；users（signup_at）本期内无数据。",
                  "已检查、未发现问题：完全重复的行。"):
        assert words in html
    assert "<th>Finding" not in html and "above threshold" not in html and "Checked" not in html


def test_step_changes_table_headers_in_chinese():
    steps = pd.DataFrame({"step_index": [2], "step": ["v"], "value_a": [0.6917], "value_b": [0.9191],
                          "abs_effect": [0.2273], "ci_low": [0.1893], "ci_high": [0.2639], "p_value": [4.9e-27]})
    with in_language("zh"):
        table = step_changes_table(steps)
    assert list(table.columns) == ["上线前", "上线后", "变化（百分点）", "95% 置信区间（百分点）", "p 值"]
    assert table.index.name == "转化至"
    assert table.iloc[0].tolist() == ["69.2%", "91.9%", "+22.7", "+18.9 至 +26.4", "< 0.001"]


def test_privacy_footer_in_chinese():
    facts = {"key": privacy.KEY_PER_RUN, "key_env": "UEM_PRIVACY_KEY", "min_cell_size": 10, "masked": ["phone"]}
    with in_language("zh"):
        lines = privacy.footer_text(facts)
    assert lines[1] == "涉及不足 10 名用户的细分、类别和计数已并入“其他”或显示为“< 10”。"
    assert lines[2] == "数据文本中已遮蔽的个人信息：手机号码。"
    assert privacy.footer_text(facts)[2] == "Personal data masked in text from the data: mobile numbers."
