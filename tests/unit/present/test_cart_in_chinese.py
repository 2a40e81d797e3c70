"""The cart report in Chinese, on the sample: the same numbers as in English, events by their
display names from the config, charts and tables with Chinese words."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from uem_helpers.core.config import load_config
from uem_helpers.core.i18n import in_language
from uem_helpers.data.sources import load
from uem_helpers.present import cart as report
from uem_helpers.present.narrative import funnel_title
from uem_helpers.stories.cart import analyse_carts

from ...chinese_text import english_runs, numbers
from ...conftest import CONFIG_PATH

PERIOD = {"period_start": "2026-05-01", "period_end": "2026-10-31"}


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG_PATH)


@pytest.fixture(scope="module")
def analysis(config):
    data = load(config, tables=["carts", "events", "users"])
    return analyse_carts(data, config.funnel("checkout"), launch_date="2026-09-01", threshold=99,
                         segment_by="platform", **PERIOD)


FINDINGS = [report.overview_finding, report.segment_finding, report.checkout_finding, report.fee_finding,
            report.bunching_finding, report.drivers_finding, report.next_tests]


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.__name__)
def test_a_finding_in_chinese_has_the_english_numbers_and_no_english_sentence(config, analysis, finding):
    english = finding(analysis)
    with in_language("zh", config.labels):
        chinese = finding(analysis)
    assert sorted(numbers(chinese)) == sorted(numbers(english)) and numbers(english)
    assert english_runs(chinese) == [], chinese
    assert "。 " not in chinese


def test_events_and_steps_are_named_by_the_configs_display_names(config, analysis):
    with in_language("zh", config.labels):
        checkout, drivers, tests = (report.checkout_finding(analysis), report.drivers_finding(analysis),
                                    report.next_tests(analysis))
    assert "流失最多的是进入“填写收货信息”之前：流失 738 名用户" in checkout  # shipping_info
    assert drivers.startswith("以下事件发生后，购物车更常被放弃：“查看尺码表”（有该事件时放弃率 72%")  # size_guide
    assert "- 简化结账步骤“填写收货信息”" in tests and "shipping\\_info" not in tests


def test_the_checkout_chart_title_names_the_configured_funnel(config):
    assert report.checkout_chart_title(config) == "Checkout funnel"  # the title the notebook wrote by hand
    with in_language("zh", config.labels):
        assert report.checkout_chart_title(config) == f"{funnel_title(config, 'checkout')}漏斗"


def test_the_introduction_reads_chinese_with_the_launch_day_and_the_rule(config):
    with in_language("zh", config.labels):
        text = report.introduction(config, **PERIOD, launch_date="2026-09-01", threshold=99)
        none = report.introduction(config, **PERIOD)
    assert text.splitlines()[0] == "# 购物车：为什么被放弃，运费政策效果如何？"
    assert "评估 2026年9月1日 上线的运费政策（满 99 包邮）对购物车转化率" in text
    assert none.splitlines()[0] == "# 购物车：为什么被放弃？" and "因此不做政策对比。" in none


def _texts(ax) -> list[str]:
    """Every word a chart shows: title, axis labels, tick labels, annotations and legend."""
    legend = ax.get_legend()
    texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.get_yticklabels()),
             *(t.get_text() for t in ax.get_xticklabels()), *(t.get_text() for t in ax.texts),
             *(t.get_text() for t in (legend.get_texts() if legend else []))]
    plt.close("all")
    return [t for t in texts if t]


def test_the_cart_charts_speak_chinese(config, analysis):
    with in_language("zh", config.labels):
        fee = _texts(report.fee_share_chart(analysis.fee_bins))
        bunching = _texts(report.bunching_chart(analysis.bunching))
        drivers = _texts(report.drivers_chart(analysis.drivers))
        segments = _texts(report.segment_chart(analysis))
    assert fee[:3] == ["按运费占购物车金额比例统计的放弃率", "运费 / 购物车金额", "放弃率（95% 置信区间）"]
    assert "60%\n1,984 个购物车" in fee
    assert bunching[:3] == ["包邮门槛 99 附近的购物车金额分布", "购物车金额（组距 2）", "占该组购物车的比例"]
    assert bunching[-3:] == ["上线前（n=12,168）", "上线后（n=4,603）", "区间 99 至 109"]
    assert drivers[0] == "购物车创建前的事件与放弃率" and "查看尺码表（2,684 个购物车）" in drivers
    assert segments[:2] == ["按平台划分的购物车放弃率", "放弃率（95% 置信区间）"]
    assert "66%（共 1,404 个购物车）" in segments
    assert all(english_runs(t) == [] for t in fee + bunching + drivers + segments)


def test_the_cart_tables_have_chinese_headers_and_the_english_values(config, analysis):
    english = report.impact_table(analysis)
    with in_language("zh", config.labels):
        impact = report.impact_table(analysis)
        drivers = report.drivers_table(analysis.drivers)
    assert list(impact.columns) == ["上线前", "上线后", "变化", "95% 置信区间", "相对变化", "95% 置信区间（相对变化）", "p 值"]
    assert impact.index.name == "指标" and list(impact.index) == ["购物车转化率", "客单价", "每车收入"]
    assert list(english.columns) == ["Before", "After", "Change", "95% CI", "Relative", "95% CI (relative)", "p-value"]
    assert list(english.index) == ["Cart conversion", "Average order value", "Revenue per cart"]
    assert impact.iloc[1].tolist()[:2] == english.iloc[1].tolist()[:2] == ["¥127.20", "¥144.20"]
    assert list(drivers.columns) == ["含该事件的购物车数", "有该事件时的放弃率", "无该事件时的放弃率", "优势比", "95% 置信区间", "p 值"]
    assert drivers.index.name == "购物车创建前的事件" and drivers.index[0] == "查看尺码表"
    assert drivers.iloc[0]["95% 置信区间"] == "1.11 至 1.33"
