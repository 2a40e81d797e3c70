"""The shared charts in Chinese: titles, axes and legends translated, steps by display name, no missing glyph."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.core.i18n import in_language  # noqa: E402
from uem_helpers.present import plots, privacy  # noqa: E402

from tests.unit.present.test_plots import completion_times, draw, readout  # noqa: E402

LABELS = {"info_submitted": {"en": "Info submitted", "zh": "提交资料"}}


@pytest.fixture(autouse=True)
def style():
    plots.use_report_style()
    privacy.use(None)
    with in_language("zh", LABELS):
        yield
    plt.close("all")


def texts(ax) -> list[str]:
    """Every text a reader sees on the chart: title, axis labels, ticks, notes and legend."""
    found = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
    found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    if ax.get_legend():
        found += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in found if t]


def test_the_font_stack_covers_chinese_and_a_latin_only_stack_would_not():
    assert plots.cjk_font() in plt.rcParams["font.sans-serif"]
    assert plt.rcParams["font.sans-serif"][-1] == "DejaVu Sans"
    ax = plots.funnel_chart(readout())
    with plt.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        ax.set_title("漏斗")  # drawn with a font without Chinese glyphs: the check below must catch it
        with pytest.raises(UserWarning, match="missing"):
            draw(ax)


def test_funnel_chart_in_chinese_with_display_names():
    ax = draw(plots.funnel_chart(readout()))
    assert ax.get_title() == "漏斗：进入用户中到达各步骤的比例"
    assert ax.get_xlabel() == "占进入用户的比例（95% 置信区间）"
    assert "40%（40 人）" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1. 开始开户", "2. 提交资料", "3. id_verified"]


def test_time_charts_in_chinese():
    times = completion_times()
    ax = draw(plots.step_times(times, ["开始开户", "info_submitted", "id_verified"]))
    assert ax.get_title() == "各步骤耗时" and "2. 提交资料" in texts(ax)
    ax = draw(plots.completion_time_before_after(times, "2026-08-15"))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("上线前（n=") and "中位数" in legend[0] and "分钟" in legend[0]
    assert ax.get_xlabel() == "从第一步到完成的时间（分钟，仅完成者）"


def test_daily_rate_compare_steps_and_segments_in_chinese():
    daily = pd.DataFrame({"date": pd.date_range("2026-08-01", periods=30), "rate": 0.5,
                          "rate_7d": 0.5, "rate_7d_low": 0.4, "rate_7d_high": 0.6})
    ax = draw(plots.daily_rate(daily, launch_date="2026-08-15"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["每日", "7 日 95% 置信区间", "7 日比率"]
    assert "上线" in [t.get_text() for t in ax.texts] and ax.get_title() == "按进入日期的完成率"
    ax = draw(plots.compare_steps(readout(), readout()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["上线前", "上线后"]
    seg = pd.concat([readout("region").assign(region=name, entered=size, reached=[size, size, size // 2],
                                              lost=[0, 0, size - size // 2], p75_seconds=np.nan, p90_seconds=np.nan)
                     for name, size in (("广东", 100), ("西藏", 3), ("青海", 8))], ignore_index=True)
    ax = draw(plots.segment_conversion(seg, "region"))
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(["广东", "其他"])
    assert ax.get_title() == "按 region 的完成率"


def test_no_english_words_left_on_the_charts_but_data_and_units():
    ax = draw(plots.funnel_chart(readout()))
    english = [t for t in texts(ax) if any(c.isascii() and c.isalpha() for c in t.replace("id_verified", ""))]
    assert english == []


@pytest.mark.parametrize("periods, english, chinese", [(30, "2026-08-13", "2026年8月13日"), (180, "2026-09", "2026年9月")])
def test_daily_rate_writes_its_dates_for_the_reader(periods, english, chinese):
    daily = pd.DataFrame({"date": pd.date_range("2026-08-01", periods=periods), "rate": 0.5,
                          "rate_7d": 0.5, "rate_7d_low": 0.4, "rate_7d_high": 0.6})
    ax = draw(plots.daily_rate(daily))
    assert chinese in [t.get_text() for t in ax.get_xticklabels()]
    with in_language("en"):
        ax = draw(plots.daily_rate(daily))
        assert english in [t.get_text() for t in ax.get_xticklabels()]
