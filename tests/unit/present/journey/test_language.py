"""The journey report in Chinese: the same numbers in Chinese sentences, dates as 2025年2月3日, and the config's
display names (``labels:``) in place of event names, in sentences, tables and chart tick labels.

These tests read the compiled catalog of the repository (``make install`` or ``pybabel compile`` builds it).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from uem_helpers.analyses.journey import OTHER, USER_END, watch_incidents  # noqa: E402
from uem_helpers.core.i18n import current_language, in_language  # noqa: E402
from uem_helpers.present import journey as jp  # noqa: E402
from tests.unit.present.journey._charts import ticks  # noqa: E402
from tests.unit.present.journey.test_incident_words import _analysis, _daily  # noqa: E402

LABELS = {"pay": {"en": "Payment", "zh": "支付"}, "paid": {"zh": "支付成功"}}
#: Words of the English sentences that must not be left in a Chinese one.
ENGLISH = re.compile(r"\b(against|usual|attempts|conversions|lost|from|to|on|incident|sharp|sustained|day)\b")


def _watch():
    n = np.full(60, 100)
    small, big = np.full(60, 80), np.full(60, 80)
    small[10] = 50  # one sharp day on 2026-08-11, 30 conversions lost
    big[30:35] = 30  # 2026-08-31 to 2026-09-04 at 30%, 250 lost
    return watch_incidents(pd.concat([_daily(small, n, "cart → pay"), _daily(big, n, "pay → paid")]))


def test_the_incident_sentence_in_chinese_has_the_same_numbers_and_chinese_dates():
    analysis = _analysis(_watch())
    english = jp.incident_finding(analysis)
    with in_language("zh"):
        chinese = jp.incident_finding(analysis)
    assert current_language() == "en"
    assert "pay → paid，2026年8月31日至2026年9月4日：转化率 30%，平常为 80%（−50.0 个百分点，95% 置信区间 " in chinese
    assert "cart → pay，2026年8月11日：" in chinese
    assert "500 次尝试，约损失 250 次转化；单日骤降 + 持续偏移" in chinese
    assert chinese.startswith("发现 **2** 个可能的异常，按损失从大到小：")
    assert not ENGLISH.search(chinese.replace("cart → pay", "").replace("pay → paid", ""))
    assert jp.incident_finding(analysis) == english  # back in English, word for word as before
    assert english.startswith("**2** possible incident(s), largest loss first: pay → paid from 2026-08-31 to "
                              "2026-09-04: 30% against a usual 80% (−50.0 pts, 95% CI ")


def test_the_incident_table_in_chinese_has_chinese_headers_dates_and_methods():
    with in_language("zh"):
        table = jp.incidents_table(_analysis(_watch()))
    assert list(table.columns) == ["步骤或告警事件", "日期", "发现方式", "尝试次数或会话数", "转化率", "平常水平",
                                   "差值（95% 置信区间）", "损失的转化数"]
    assert table["日期"].tolist() == ["2026年8月31日 至 2026年9月4日", "2026年8月11日"]
    assert table["发现方式"].tolist() == ["单日骤降 + 持续偏移"] * 2
    assert table["损失的转化数"].tolist() == ["250", "30"]


def test_labels_from_the_config_replace_event_names_in_sentences_and_tables():
    analysis = _analysis(_watch())
    with in_language("zh", LABELS):
        chinese = jp.incident_finding(analysis)
        table = jp.incidents_table(analysis)
    assert "支付 → 支付成功，2026年8月31日至2026年9月4日" in chinese
    assert "cart → 支付，2026年8月11日" in chinese  # an event without a label keeps its name
    assert table["步骤或告警事件"].tolist() == ["支付 → 支付成功", "cart → 支付"]
    with in_language("en", LABELS):
        english = jp.incident_finding(analysis)
    assert "Payment → paid from 2026-08-31 to 2026-09-04" in english  # no English label: the event name


TRANSITIONS = pd.DataFrame({  # a user's last event ends both sessions (USER_END, a marker of the journey analyses)
    "source": ["pay", "pay", "cart", "cart"],
    "target": ["paid", USER_END, "pay", USER_END],
    "transitions": [80, 20, 60, 40],
    "share": [0.8, 0.2, 0.6, 0.4],
})


def test_a_chart_in_chinese_names_events_by_their_labels_and_the_end_marker_in_chinese():
    with in_language("zh", LABELS):
        ax = jp.transition_heatmap(TRANSITIONS)
    assert ticks(ax.get_yticklabels()) == ["支付", "cart"]
    assert ticks(ax.get_xticklabels()) == ["支付", "支付成功", "（最后一个事件）"]
    assert ax.get_xlabel() == "下一个事件（红色为会话结束）"
    assert ax.get_title() == "各事件之后的下一步：会话最常在“cart”之后结束（占其下一步的 40%）"
    ax.figure.canvas.draw()  # the CJK glyphs render (a missing glyph warning fails the test run)
    with in_language("en"):
        ax = jp.transition_heatmap(TRANSITIONS)
    assert ticks(ax.get_xticklabels()) == ["pay", "paid", USER_END]
    assert ax.get_title() == "Next step after each event: sessions end most often after 'cart' (40% of its next steps)"


def test_the_p_chart_in_chinese_dates_its_title_and_axis_in_chinese():
    watch = _watch()
    with in_language("zh", LABELS):
        ax = jp.p_chart(watch.chart, "pay → paid", shifts=watch.shifts)
        ax.figure.canvas.draw()
        dates = ticks(ax.get_xticklabels())
    assert ax.get_title().startswith("“支付 → 支付成功”：")
    assert "2026年8月31日" in ax.get_title()
    assert any(text.endswith("月") for text in dates), dates
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["控制限（3σ）", "中心线 76%", "每日转化率"]


def test_the_sankey_in_chinese_names_its_steps_events_and_markers_in_chinese():
    links = pd.DataFrame({"step": [1, 1, 1], "source": ["pay", "pay", "pay"], "target": ["paid", OTHER, USER_END],
                          "sessions": [60, 30, 10]})
    with in_language("zh", LABELS):
        fig = jp.sankey(links)
    assert list(fig.data[0].node.label) == ["第 1 步：支付", "第 2 步：支付成功", "第 2 步：（其他）", "第 2 步：（最后一个事件）"]
    assert fig.layout.title.text == "从“支付”开始的前 2 步：10% 的会话在这几步内结束（红色）"
    assert fig.data[0].link.hovertemplate.startswith("%{source.label} → %{target.label}<br>%{value:,} 个会话（占来源节点")
