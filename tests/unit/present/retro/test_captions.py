"""The sentence under each retro chart, on results counted by hand, in English and Chinese."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.core.i18n import in_language  # noqa: E402
from uem_helpers.present import privacy  # noqa: E402
from uem_helpers.present.retro import captions  # noqa: E402

LABELS = {"app": {"en": "App", "zh": "应用内"}}


@pytest.fixture(autouse=True)
def policy():
    privacy.use(None)


def retro(**fields) -> SimpleNamespace:
    return SimpleNamespace(month="2026-10", last_month="2026-09", **fields)


def test_the_kpi_caption_counts_the_goals_by_status():
    scorecard = pd.DataFrame({"metric": ["nps", "bounce_rate", "cart_conversion", "task_completion"],
                              "status": ["on track", "off track", "on track", "at risk"]})
    with in_language("en"):
        assert captions.kpi_caption(retro(scorecard=scorecard)) == (
            "In 2026-10, 2 of the plan's 4 goals are on track (green titles), 1 at risk (orange) and 1 off track "
            "(red).")
        assert captions.kpi_caption(retro(scorecard=None)).startswith("No plan sets goals for 2026-10")
    with in_language("zh"):
        assert captions.kpi_caption(retro(scorecard=scorecard)) == (
            "2026年10月，计划中的 4 个目标里有 2 个达标（绿色标题），1 个有风险（橙色），1 个未达标（红色）。")


def nps() -> pd.DataFrame:
    return pd.DataFrame({"month": ["2026-08", "2026-09", "2026-10"], "nps": [20.0, 17.0, -16.0],
                         "promoter_share": [0.4, 0.38, 0.25], "detractor_share": [0.2, 0.21, 0.42]})


def test_the_nps_caption_reads_the_change_from_last_month_and_this_months_split():
    with in_language("en"):
        assert captions.nps_caption(retro(nps_monthly=nps())) == (
            "NPS moved from 17 in 2026-09 to −16 in 2026-10, with 25% promoters and 42% detractors among the month's "
            "answers.")
        assert captions.nps_caption(retro(nps_monthly=nps().iloc[[0, 2]])) == (
            "NPS was −16 in 2026-10, with 25% promoters and 42% detractors among the month's answers.")
    with in_language("zh"):
        assert captions.nps_caption(retro(nps_monthly=nps())) == (
            "NPS 从2026年9月的 17 变为2026年10月的 −16，本月回答中推荐者占 25%，贬损者占 42%。")


def test_the_retention_caption_reads_the_best_and_worst_cohort_in_week_one():
    r = pd.DataFrame({"cohort_week": pd.to_datetime(["2026-09-07", "2026-09-07", "2026-09-14", "2026-09-21"]),
                      "week": [0, 1, 1, 1], "retention": [1.0, 0.5, 0.78, 0.6]})
    with in_language("en"):
        assert captions.retention_caption(retro(retention=r)) == (
            "In week 1, retention ranges from 50% (cohort of 2026-09-07) to 78% (cohort of 2026-09-14): the darker "
            "a row, the better its cohort stayed.")
    with in_language("zh"):
        assert captions.retention_caption(retro(retention=r)) == (
            "第 1 周的留存率从 50%（2026年9月7日批次）到 78%（2026年9月14日批次）不等：行的颜色越深，该批用户留存越好。")


def test_the_feedback_caption_names_the_spike_or_else_the_months_largest_theme(monkeypatch):
    items = pd.DataFrame({"month": ["2026-10"] * 3 + ["2026-09"], "category": ["delivery", "payment", "delivery",
                                                                              "payment"]})
    a = retro(classified=SimpleNamespace(items=items))
    monkeypatch.setattr(captions, "spiked_theme", lambda _a: pd.Series(
        {"category": "payment", "month": "2026-09", "items": 97, "share": 0.61}))
    with in_language("en"):
        assert captions.feedback_volume_caption(a) == (
            "The jump to look at is 'payment' in 2026-09: 97 items, 61% of that month's feedback.")
    with in_language("zh"):
        assert captions.feedback_volume_caption(a) == "值得关注的跃升是2026年9月的“payment”：97 条，占当月反馈的 61%。"
    monkeypatch.setattr(captions, "spiked_theme", lambda _a: None)
    with in_language("en"):
        assert captions.feedback_volume_caption(a) == (
            "No theme spiked; the largest in 2026-10 is 'delivery' with 2 items.")


def test_the_channel_caption_names_the_largest_channel_with_its_interval():
    v = pd.DataFrame({"channel": ["email", "app"], "items": [30, 50], "share": [0.3, 0.5],
                      "share_low": [0.22, 0.41], "share_high": [0.4, 0.59]})
    with in_language("en", LABELS):
        assert captions.channel_caption(retro(volume_by_channel=v)) == (
            "'App' brings the most feedback in 2026-10: 50% of the items (95% CI 41% to 59%).")
    with in_language("zh", LABELS):
        assert captions.channel_caption(retro(volume_by_channel=v)) == (
            "2026年10月反馈最多的渠道是“应用内”：占全部反馈的 50%（95% 置信区间 41% 至 59%）。")
