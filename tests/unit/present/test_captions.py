"""The sentence under each chart of the onboarding and cart reports, on tiny results computed by hand,
in English and Chinese; and how a captioned chart shows in a notebook cell."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.core.i18n import in_language  # noqa: E402
from uem_helpers.present import captions, cart_figures, onboarding_figures, privacy  # noqa: E402
from uem_helpers.present.captions import Captioned  # noqa: E402

LABELS = {"b": {"en": "Verify identity", "zh": "身份认证"}, "web": {"en": "Web", "zh": "网页端"}}


@pytest.fixture(autouse=True)
def policy():
    privacy.use(None)
    yield
    plt.close("all")


def funnel_readout() -> pd.DataFrame:
    """100 entrants; 60 reach step 2 (40 lost, loss 40%, its interval 30% to 50% as given), 45 reach step 3."""
    return pd.DataFrame({
        "step_index": [1, 2, 3], "step": ["a", "b", "c"], "entered": [100, 100, 100], "reached": [100, 60, 45],
        "lost": [0, 40, 15], "step_conversion": [1.0, 0.6, 0.75], "step_conversion_low": [1.0, 0.5, 0.6],
        "step_conversion_high": [1.0, 0.7, 0.85], "conversion": [1.0, 0.6, 0.45],
        "median_seconds": [np.nan, 30.0, 150.0], "p90_seconds": [np.nan, 60.0, 600.0],
    })


def test_the_funnel_caption_names_the_step_that_loses_most_with_its_interval():
    with in_language("en", LABELS):
        assert captions.funnel_caption(funnel_readout()) == (
            "Most users are lost before '2. Verify identity': 40% of those who reach the step before do not get "
            "there (95% CI 30% to 50%); 45% of entrants reach the last step.")
    with in_language("zh", LABELS):
        assert captions.funnel_caption(funnel_readout()) == (
            "流失最多的是“2. 身份认证”之前：到达上一步的用户中有 40% 没有走到这一步（95% 置信区间 30% 至 50%）；"
            "进入用户中有 45% 到达最后一步。")


def test_a_funnel_that_loses_nobody_says_so():
    readout = funnel_readout().assign(reached=100, lost=0, conversion=1.0)
    with in_language("en"):
        assert captions.funnel_caption(readout) == ("Every user who reached a step went on to the next: 100% of "
                                                    "entrants reach the last step.")


def daily() -> pd.DataFrame:
    """Ten days; the first has no rate yet, the first whole week of rates ends on 8 October (70%), the last day is
    10 October (80%)."""
    rate = [np.nan, 0.5, 0.55, 0.6, 0.6, 0.65, 0.7, 0.7, 0.75, 0.8]
    return pd.DataFrame({"date": pd.date_range("2026-10-01", periods=10), "rate": rate, "rate_7d": rate})


def test_the_daily_caption_reads_the_7_day_rate_at_both_ends_and_names_a_launch_inside_the_chart():
    with in_language("en"):
        assert captions.daily_caption(daily(), launch_date="2026-10-05") == (
            "The 7-day completion rate went from 70% in the week to 2026-10-08 to 80% in the week to 2026-10-10; "
            "the dashed line marks the launch on 2026-10-05.")
        assert captions.daily_caption(daily(), launch_date="2026-08-15", rate="abandonment") == (
            "The 7-day abandonment rate went from 70% in the week to 2026-10-08 to 80% in the week to 2026-10-10.")
    with in_language("zh"):
        assert captions.daily_caption(daily(), launch_date="2026-10-05") == (
            "7 日完成率从截至2026年10月8日一周的 70% 变为截至2026年10月10日一周的 80%；虚线标出2026年10月5日的上线。")


def onboarding(**fields) -> SimpleNamespace:
    return SimpleNamespace(readout=funnel_readout(), steps=["a", "b", "c"], **fields)


def test_the_step_times_caption_names_the_slowest_step():
    with in_language("en", LABELS):
        assert onboarding_figures.times_caption(onboarding()) == (
            "'3. c' takes longest to reach: a median 2.5 min from the step before, and 10.0 min for the slowest tenth "
            "of users.")
    with in_language("zh", LABELS):
        assert onboarding_figures.times_caption(onboarding()) == (
            "到达“3. c”耗时最长：距上一步的中位数为 2.5分钟，最慢的 10% 用户为 10分钟。")


def launch_analysis() -> SimpleNamespace:
    """Completers before 1 October took 10, 20 and 30 min (median 20), after it 5 and 10 min (median 7.5); step 2
    went from 50% to 70% (+20 points), step 3 from 80% to 75%."""
    times = pd.DataFrame({
        "entered_at": pd.to_datetime(["2026-09-01", "2026-09-02", "2026-09-03", "2026-10-02", "2026-10-03",
                                      "2026-10-04"]),
        "completed": [True, True, True, True, True, False],
        "seconds_to_complete": [600.0, 1200.0, 1800.0, 300.0, 600.0, np.nan],
    })
    before = pd.DataFrame({"step_index": [1, 2, 3], "step": ["a", "b", "c"], "step_conversion": [1.0, 0.5, 0.8]})
    after = before.assign(step_conversion=[1.0, 0.7, 0.75])
    launch = SimpleNamespace(launch_date="2026-10-01", before=before, after=after)
    return onboarding(times=times, launch=launch)


def test_the_before_after_captions_compare_medians_and_name_the_step_that_changed_most():
    a = launch_analysis()
    with in_language("en", LABELS):
        assert onboarding_figures.completion_time_caption(a) == (
            "Completers who started after the launch took a median 7.5 min, faster than the 20.0 min before it.")
        assert onboarding_figures.step_changes_caption(a) == (
            "'2. Verify identity' changed most: 50% of those at the step before went on to it before the launch, "
            "70% after (+20.0 pts).")
    with in_language("zh", LABELS):
        assert onboarding_figures.completion_time_caption(a) == (
            "上线后开始的完成用户耗时中位数为 7.5分钟，比上线前（20分钟）更快。")
        assert onboarding_figures.step_changes_caption(a) == (
            "变化最大的是“2. 身份认证”：到达上一步的用户中，上线前有 50% 进入这一步，上线后为 70%（+20.0 个百分点）。")


def test_the_segment_caption_names_the_best_and_worst_segment_and_whether_their_intervals_overlap():
    rows = []
    for segment, done in (("web", 900), ("app", 500)):  # 1,000 starters each: 90% and 50% complete
        rows += [{"platform": segment, "step_index": 1, "step": "a", "entered": 1000, "reached": 1000, "lost": 0,
                  "conversion": 1.0, "conversion_low": 1.0, "conversion_high": 1.0},
                 {"platform": segment, "step_index": 2, "step": "b", "entered": 1000, "reached": done,
                  "lost": 1000 - done, "conversion": done / 1000, "conversion_low": done / 1000 - 0.03,
                  "conversion_high": done / 1000 + 0.03}]
    a = SimpleNamespace(by_segment=pd.DataFrame(rows), segment_by="platform")
    with in_language("en", LABELS):
        assert onboarding_figures.segments_caption(a) == (
            "'Web' completes most often (90%) and 'app' least often (50%); their intervals do not overlap.")
    with in_language("zh", LABELS):
        assert onboarding_figures.segments_caption(a) == (
            "“网页端”的完成率最高（90%），“app”最低（50%）；二者的置信区间不重叠。")


def cart(**fields) -> SimpleNamespace:
    return SimpleNamespace(launch_date=None, **fields)


def test_the_cart_segment_caption_reads_the_folded_segments():
    # 1,000 carts each: web abandons 500 (50%), app 700 (70%); Wilson intervals of +-3 points do not overlap
    by_segment = pd.DataFrame({"platform": ["web", "app"], "carts": [1000, 1000], "checked_out": [500, 300],
                               "abandoned": [500, 700], "users": [800, 800]})
    a = cart(by_segment=by_segment, segment_by="platform")
    with in_language("en", LABELS):
        assert cart_figures.segments_caption(a) == (
            "'app' abandons carts most often (70%) and 'Web' least often (50%); their intervals do not overlap.")
    with in_language("zh", LABELS):
        assert cart_figures.segments_caption(a) == (
            "“app”的购物车放弃率最高（70%），“网页端”最低（50%）；二者的置信区间不重叠。")


def test_the_fee_caption_reads_the_lowest_and_highest_bin():
    bins = pd.DataFrame({"bin": ["[0%, 5%)", "[5%, 10%)", "[30%, 100%]", "[100%, inf)"],
                         "carts": [100, 50, 20, 0], "abandonment_rate": [0.4, 0.5, 0.8, np.nan]})
    with in_language("en"):
        assert cart_figures.fee_caption(cart(fee_bins=bins)) == (
            "Abandonment rises with the fee's share: from 40% when shipping is [0%, 5%) of the cart value to 80% "
            "when it is [30%, 100%].")
    with in_language("zh"):
        assert cart_figures.fee_caption(cart(fee_bins=bins)) == (
            "放弃率随运费占比上升：运费占购物车金额 [0%, 5%) 时为 40%，占 [30%, 100%] 时升至 80%。")


def test_the_bunching_caption_says_whether_carts_pile_up_above_the_threshold():
    excess = SimpleNamespace(value_a=0.05, value_b=0.09, ci_low=0.02)
    a = cart(bunching=SimpleNamespace(threshold=99.0, band=10.0, excess=excess))
    with in_language("en"):
        assert cart_figures.bunching_caption(a) == ("After the launch carts pile up just above the threshold: 9.0% "
                                                    "of carts are valued 99 to 109, against 5.0% before.")
        excess.ci_low = -0.01
        assert cart_figures.bunching_caption(a).startswith("Carts do not pile up above the threshold beyond chance")
    with in_language("zh"):
        excess.ci_low = 0.02
        assert cart_figures.bunching_caption(a) == (
            "上线后购物车金额集中在门槛上方：金额在 99 至 109 的购物车占 9.0%，上线前为 5.0%。")


def test_the_drivers_caption_names_the_strongest_significant_event():
    drivers = pd.DataFrame({"event": ["search", "coupon_fail"], "odds_ratio": [3.0, 2.5],
                            "odds_ratio_low": [0.8, 1.5], "odds_ratio_high": [9.0, 4.0],
                            "abandonment_with": [0.9, 0.8], "abandonment_without": [0.5, 0.5]})
    with in_language("en"):
        assert cart_figures.drivers_caption(cart(drivers=drivers)) == (
            "'coupon_fail' goes with the most abandonment: 80% of carts after it are abandoned against 50% without "
            "it (odds ratio 2.5, 95% CI 1.5 to 4).")
        assert cart_figures.drivers_caption(cart(drivers=drivers.iloc[:1])) == (
            "No event before the cart goes with significantly more abandonment: every interval includes 1.")
    with in_language("zh"):
        assert cart_figures.drivers_caption(cart(drivers=drivers)) == (
            "与放弃关联最强的是“coupon_fail”：发生该事件后的购物车放弃率为 80%，未发生时为 50%（优势比 2.5，"
            "95% 置信区间 1.5 至 4）。")


def test_a_captioned_chart_shows_the_figure_once_then_its_caption_escaped(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    fig, ax = plt.subplots()
    chart = Captioned(ax, "'<b>web</b>' loses 40% & more.")
    assert chart.figure is fig and chart.chart is ax
    chart._ipython_display_()
    assert shown[0] is fig and not plt.fignum_exists(fig.number)  # closed: the cell's end does not show it again
    assert shown[1] == {"text/html": '<p class="uem-caption">&#x27;&lt;b&gt;web&lt;/b&gt;&#x27; loses 40% &amp; '
                                     'more.</p>', "text/plain": "'<b>web</b>' loses 40% & more."}


def test_a_caption_masks_personal_data_like_the_chart_does():
    masked = Captioned(plt.subplots()[1], "'ann@example.com' writes most.").caption
    assert "ann@example.com" not in masked and masked.endswith("writes most.")


def test_a_fee_chart_without_carts_says_so():
    bins = pd.DataFrame({"bin": ["[0%, 5%)"], "carts": [0], "abandonment_rate": [np.nan]})
    with in_language("en"):
        assert cart_figures.fee_caption(cart(fee_bins=bins)) == (
            "No cart had a shipping fee to compare, so the chart has no bars.")
