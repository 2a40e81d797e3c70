"""Coverage notes in Chinese: dates and spans in the reader's words, the same times as in English."""

from __future__ import annotations

from datetime import datetime

from uem_helpers.core.i18n import in_language
from uem_helpers.data.coverage import Coverage, launch_span_note


def short_coverage() -> Coverage:
    return Coverage(datetime(2025, 1, 1, 0, 2), datetime(2025, 3, 31, 14, 10), datetime(2025, 1, 1),
                    datetime(2025, 4, 1))


def test_a_short_coverage_reads_in_chinese_with_the_same_times():
    c = short_coverage()
    with in_language("zh"):
        assert c.sentence() == "事件数据覆盖 2025年1月1日 00:02 至 2025年3月31日 14:10，距统计期结束还差 9小时50分钟。"
    assert c.sentence() == "The events cover 2025-01-01 00:02 to 2025-03-31 14:10, 9 h 50 min short of the period's end."


def test_the_launch_span_note_in_both_languages():
    c = short_coverage()
    launch = datetime(2025, 3, 28)
    assert launch_span_note(c, launch, guard_days=1) == (
        "The before/after comparison needs at least 7 days of data on each side of the launch (2025-03-28) "
        "(leaving out 1 guard day on each side); the data has 2 days 14 h after it.")
    with in_language("zh"):
        assert launch_span_note(c, launch, guard_days=1) == (
            "上线前后对比要求上线日（2025年3月28日）前后各有至少 7 天的数据（两侧各剔除 1 天缓冲期）；"
            "现有数据上线后只有 2天14小时。")
        assert launch_span_note(c, datetime(2025, 1, 3)).endswith("现有数据上线前只有 1天23小时。")
