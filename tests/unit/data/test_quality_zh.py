"""A data-quality finding in Chinese: what it means for the numbers, with the same share, count and table."""

from __future__ import annotations

import pytest

from uem_helpers.core.i18n import in_language
from uem_helpers.data.quality import DataQualityError, QualityFinding


def test_a_share_finding_reads_in_chinese_with_the_same_share():
    f = QualityFinding("cut_off_sessions", "events", 12, 100, ["u1"], 0.05)
    with in_language("zh"):
        assert f.sentence() == ("12.0% 的用户在数据结束时仍处于会话中：这些会话被截断（最后一页不计为退出），"
                                "其用户旅程和转化并不完整。")
        assert f.what == "数据结束时仍在会话中的用户"
    assert f.sentence().startswith("12.0% of users were still in a session when the data ends:")


@pytest.mark.parametrize("n, english", [(1, "1 row of table 'carts' is dated"), (1234, "1,234 rows of table 'carts' are dated")])
def test_a_counted_finding_agrees_with_its_count_in_english_and_keeps_it_in_chinese(n, english):
    f = QualityFinding("early_times", "carts", n, 5000, [], 0.0)
    assert f.sentence().startswith(english)
    with in_language("zh"):
        assert f.sentence().startswith(f"表“carts”中有 {english.split()[0]} 行的时间早于 2000 年：")


def test_the_strict_error_stays_english_in_a_chinese_report():
    f = QualityFinding("several_variants", "assignments", 2, 100, [], 0.0)
    with in_language("zh"):
        message = str(DataQualityError([f]))
    assert "2 users are in more than one variant of the same experiment" in message
    assert "用户" not in message
