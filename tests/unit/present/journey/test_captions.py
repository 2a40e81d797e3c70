"""The sentence under each journey chart, on frames in the shape of the analyses' outputs, counted by hand,
in English and Chinese; and each figure function returning its chart with that sentence."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from uem_helpers.core.i18n import in_language
from uem_helpers.present import privacy
from uem_helpers.present.captions import Captioned
from uem_helpers.present.journey import captions, map_heatmap

from ._charts import END

LABELS = {"cart": {"en": "Cart", "zh": "购物车"}, "pay": {"en": "Payment", "zh": "支付"},
          "home": {"en": "Home", "zh": "首页"}, "service": {"en": "Service", "zh": "服务"}}


def journey(**fields) -> SimpleNamespace:
    privacy.use(None)
    return SimpleNamespace(start_event="home", max_steps=3, conversion_event="pay", segment_a="new",
                           segment_b="returning", **fields)


def test_the_map_caption_names_the_touchpoint_whose_visits_end_most_sessions():
    table = pd.DataFrame({"stage": ["browse", "browse", "buy"], "touchpoint": ["home", "cart", "pay"],
                          "events": [100, 50, 0], "exit_rate": [0.2, 0.45, 0.9]})  # pay has no events: not counted
    a = journey(journey=SimpleNamespace(table=table))
    with in_language("en", LABELS):
        assert captions.map_caption(a) == ("The darkest cell is Cart in browse: 45% of its visits are the session's "
                                           "last event.")
    with in_language("zh", LABELS):
        assert captions.map_caption(a) == "颜色最深的是“browse”阶段的“购物车”：其访问中有 45% 是会话的最后一个事件。"


def test_the_sankey_caption_reads_the_widest_first_band_and_the_sessions_that_end():
    # 200 sessions start at home: 120 go to cart (60%), 80 end; 30 more end after cart: 110 of 200 end (55%)
    links = pd.DataFrame({"step": [1, 1, 2, 2], "source": ["home", "home", "cart", "cart"],
                          "target": ["cart", END, "pay", END], "sessions": [120, 80, 90, 30]})
    a = journey(sankey=links)
    with in_language("en", LABELS):
        assert captions.sankey_caption(a) == (
            "The widest band from Home goes to Cart (60% of sessions), and the red bands show that 55% of sessions "
            "end within the first 3 steps.")
    with in_language("zh", LABELS):
        assert captions.sankey_caption(a) == (
            "从“首页”出发最宽的流向是“购物车”（占会话的 60%），红色流向表明 55% 的会话在前 3 步内结束。")


def test_the_transitions_caption_reads_the_busiest_row_and_the_exit_column():
    # home is the busiest source (100 transitions): 70% to cart; sessions end most often after cart (40%)
    frame = pd.DataFrame({"source": ["home", "home", "home", "cart", "cart"],
                          "target": ["cart", "pay", END, "pay", END], "transitions": [70, 20, 10, 30, 20],
                          "share": [0.7, 0.2, 0.1, 0.6, 0.4]})
    a = journey(transitions=frame)
    with in_language("en", LABELS):
        assert captions.transitions_caption(a) == (
            "After Home, the busiest event, sessions go on most often to Cart (70%); in the red column, sessions end "
            "most often after Cart (40%).")
    with in_language("zh", LABELS):
        assert captions.transitions_caption(a) == (
            "在最频繁的事件“首页”之后，会话最常进入“购物车”（70%）；红色列显示，会话最常在“购物车”之后结束（40%）。")


def loops(difference: float) -> pd.DataFrame:
    return pd.DataFrame({"loop": ["cart → home → cart", "home → cart → home"], "users": [40, 5],
                         "session_conversion": [0.12, 0.3], "baseline_conversion": [0.12 - difference, 0.3],
                         "difference": [difference, 0.0], "same_cycle_as": [None, None]})


def test_the_loops_caption_compares_the_first_loop_with_comparable_sessions():
    with in_language("en", LABELS):
        assert captions.loops_caption(journey(loops=loops(-0.036))) == (
            "Sessions with Cart → Home → Cart convert at 12.0% against 15.6% for comparable sessions without a loop "
            "(−3.6 pts): the bar left of its diamond is what the loop costs.")
        assert captions.loops_caption(journey(loops=loops(0.01))).endswith("this loop costs no conversions.")
        no_goal = journey(loops=loops(-0.036))
        no_goal.conversion_event = None
        assert captions.loops_caption(no_goal) == "The top bar is Cart → Home → Cart, made by 40 users."
    with in_language("zh", LABELS):
        assert captions.loops_caption(journey(loops=loops(-0.036))) == (
            "包含循环“购物车 → 首页 → 购物车”的会话转化率为 12.0%，没有循环的可比会话为 15.6%（−3.6 个百分点）："
            "条形短于菱形的部分就是该循环造成的损失。")


def test_the_bottleneck_caption_reads_the_top_ranked_touchpoint():
    ranked = pd.DataFrame({"touchpoint": ["service", "cart"], "exit_rate": [0.65, 0.3],
                           "mean_dwell_seconds": [480.0, 30.0]})
    with in_language("en", LABELS):
        assert captions.bottlenecks_caption(journey(bottlenecks=ranked)) == (
            "Service ranks first: 65% of its visits end the session and users stay 8.0 min there on average.")
    with in_language("zh", LABELS):
        assert captions.bottlenecks_caption(journey(bottlenecks=ranked)) == (
            "排名第一的是“服务”：其访问中有 65% 结束了会话，用户平均停留 8分钟。")


def test_the_segment_caption_reads_the_largest_significant_difference():
    diff = pd.DataFrame({"source": ["home", "cart", "cart"], "target": ["cart", "pay", "home"],
                         "share_a": [0.5, 0.3, 0.1], "share_b": [0.9, 0.4, 0.2], "difference": [0.4, 0.1, 0.1],
                         "significant": [False, True, True]})  # the largest gap is not significant: not chosen
    with in_language("en", LABELS):
        assert captions.segments_caption(journey(segment_diff=diff)) == (
            "Cart → Payment differs most between the segments: 30.0% for new against 40.0% for returning "
            "(+10.0 pts).")
    with in_language("zh", LABELS):
        assert captions.segments_caption(journey(segment_diff=diff)) == (
            "两个分群差异最大的是“购物车 → 支付”：“new”为 30.0%，“returning”为 40.0%（+10.0 个百分点）。")


def test_the_incident_caption_counts_the_days_below_the_limits_and_names_the_lowest():
    chart = pd.DataFrame({"date": pd.date_range("2026-10-01", periods=4), "step": "cart → pay",
                          "rate": [0.6, 0.3, 0.4, 0.62], "center": 0.6, "outside": [np.nan, "below", "below", np.nan]})
    a = journey(p_chart=chart)
    with in_language("en", LABELS):
        assert captions.incident_caption(a, "cart → pay") == (
            "Cart → Payment fell below its control limits on 2 days, lowest on 2026-10-02 at 30% against a usual 60%.")
        calm = journey(p_chart=chart.assign(outside=np.nan))
        assert captions.incident_caption(calm, "cart → pay") == (
            "Cart → Payment stayed within its control limits every day: no sharp drop in the period.")
    with in_language("zh", LABELS):
        assert captions.incident_caption(a, "cart → pay") == (
            "“购物车 → 支付”有 2 天低于控制下限，最低的一天是2026年10月2日，为 30%，通常为 60%。")


def test_a_journey_figure_is_its_chart_with_its_caption():
    table = pd.DataFrame({"stage": ["browse", "buy"], "touchpoint": ["home", "pay"], "events": [100, 40],
                          "exit_rate": [0.2, 0.5], "users": [80, 30], "share": [1.0, 0.4],
                          "median_dwell_seconds": [10.0, 20.0]})
    with in_language("en", LABELS):
        a = journey(journey=SimpleNamespace(table=table, notes=[]))
        figure = map_heatmap(a)
        assert isinstance(figure, Captioned) and figure.caption == captions.map_caption(a)
    assert figure.chart.get_title()
