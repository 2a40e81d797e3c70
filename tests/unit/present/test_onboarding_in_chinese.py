"""The onboarding report in Chinese: the same numbers as in English, steps by their display names.

A small hand-made log (two starters a day for eleven days, one of them stopping at the identity
check before the launch on 2026-08-15) is read once; each finding is then written in English
and in Chinese from that one result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from uem_helpers.core.config import FunnelConfig, UEMConfig
from uem_helpers.core.i18n import in_language
from uem_helpers.data.sources import from_frames
from uem_helpers.present import onboarding as report
from uem_helpers.present import plots
from uem_helpers.stories.onboarding import analyse_onboarding

from ...chinese_text import english_runs, numbers

STEPS = ["open_start", "id_check", "open_done"]
FUNNEL = FunnelConfig(steps=STEPS, window="1h")
LABELS = {"open_start": {"zh": "开始开户"}, "id_check": {"zh": "身份认证"}, "open_done": {"zh": "开户成功"}}
PERIOD = {"period_start": "2026-08-01", "period_end": "2026-08-31"}


def _log() -> pd.DataFrame:
    """Eleven days from 2026-08-10 10:00: 'a' (ios) completes in 200 s; 'b' (android) gives up before the
    identity check until the launch (2026-08-15), and completes from then on; one later event ends the data."""
    t0 = datetime(2026, 8, 10, 10)
    rows = []
    for day in range(11):
        after = t0 + timedelta(days=day) >= datetime(2026, 8, 15)
        for user, platform in (("a", "ios"), ("b", "android")):
            steps = STEPS if user == "a" or after else STEPS[:1]
            rows += [(f"{user}{day}", t0 + timedelta(days=day, seconds=100 * i), step, platform)
                     for i, step in enumerate(steps)]
    rows.append(("z", t0 + timedelta(days=20), "other", "ios"))
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])


@pytest.fixture(scope="module")
def analysis():
    return analyse_onboarding(from_frames({"events": _log()}), FUNNEL, launch_date="2026-08-15",
                              segment_by="platform", min_side_days=3, **PERIOD)


FINDINGS = [report.funnel_finding, report.times_finding, report.bottleneck_finding, report.segment_finding,
            report.next_steps]


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.__name__)
def test_a_finding_in_chinese_has_the_english_numbers_and_no_english_sentence(analysis, finding):
    english = finding(analysis)
    with in_language("zh", LABELS):
        chinese = finding(analysis)
    assert sorted(numbers(chinese)) == sorted(numbers(english)) and numbers(english)
    assert english_runs(chinese) == [], chinese
    assert "。 " not in chinese  # sentences follow each other without a space


def test_chinese_findings_name_the_steps_by_their_display_names(analysis):
    with in_language("zh", LABELS):
        funnel, bottleneck, steps = (report.funnel_finding(analysis), report.bottleneck_finding(analysis),
                                     report.next_steps(analysis))
    assert "流失最多的是第 2 步“身份认证”：流失 5 名用户，占到达上一步用户的 23%。" in funnel
    assert bottleneck.startswith("瓶颈是“身份认证”：该步骤流失 5 名用户（占全部流失的 100%）")
    assert steps.splitlines()[0].startswith("- 优先改进“身份认证”：它是瓶颈，流失 5 名用户")
    assert steps.splitlines()[1].startswith("- 保留 2026年8月15日 上线的改动：放弃率从 50.0%（上线前）降至 0.0%（上线后）")
    assert not any(step in text for step in ("open\\_start", "id\\_check", "open\\_done")
                   for text in (funnel, bottleneck, steps))


def test_english_is_unchanged_by_chinese_labels_and_takes_english_ones(analysis):
    plain, plain_steps = report.funnel_finding(analysis), report.next_steps(analysis)
    assert plain == ("Of **22** users who started between 2026\\-08\\-01 and 2026\\-08\\-31, **77%** (95% CI 57% "
                     "to 90%) completed within 1 h. The largest drop is at step 2 'id\\_check': 5 users lost, 23% of "
                     "those who reached the step before.")
    with in_language("en", LABELS):
        assert report.funnel_finding(analysis) == plain
        assert report.next_steps(analysis) == plain_steps
    with in_language("en", {"id_check": {"en": "ID check", "zh": "身份认证"}}):
        assert "at step 2 'ID check': 5 users lost" in report.funnel_finding(analysis)


def test_the_funnel_chart_names_the_steps_by_their_display_names(analysis):
    with in_language("zh", LABELS):
        ax = plots.funnel_chart(analysis.readout, title="开户")
        ticks = [t.get_text() for t in ax.get_yticklabels()]
    plt.close("all")
    assert ticks == ["1. 开始开户", "2. 身份认证", "3. 开户成功"]


OTHER = UEMConfig.model_validate({
    "sources": {"events": {"path": "events.csv.gz"}},
    "funnels": {"loan": {"title": "Loan application", "steps": ["apply_start", "docs_upload", "loan_granted"],
                         "window": "7d"}},
})


def test_the_title_introduction_and_chart_title_read_chinese():
    labels = {"apply_start": {"zh": "提交申请"}, "loan_granted": {"zh": "放款"}}
    with in_language("zh", labels):
        text = report.introduction(OTHER, "loan", period_start="2025-01-01", period_end="2025-03-31",
                                   launch_date="2025-02-03", launch_description="OCR")
        bare = report.introduction(OTHER, "loan", period_start="2025-01-01", period_end="2025-03-31")
        chart = report.funnel_chart_title(OTHER, "loan", period_start="2025-01-01", period_end="2025-03-31")
    assert text.splitlines()[0] == "# Loan application：用户卡在哪里，上线的改进是否奏效？"
    assert "到达“提交申请”" in text and "走完漏斗的 3 个步骤、到达“放款”" in text and "1周" in text
    assert "并检验2025年2月3日（OCR）的上线是否让用户完成得更快、放弃得更少。所有比率都附有 95% 置信区间。" in text
    assert bare.splitlines()[0] == "# Loan application：用户卡在哪里？" and "不做上线前后对比" in bare
    assert chart == "Loan application（2025年1月1日 至 2025年3月31日）"
