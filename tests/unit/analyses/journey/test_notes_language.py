"""The journey analyses' notes to the reader are written in the report's language, events by their display names.

They read the compiled catalog of the repository (``make install`` or ``pybabel compile`` builds it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.unit.analyses.journey.test_map import STAGES, hand_log
from uem_helpers.analyses.journey import journey_map, watch_incidents
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.core.i18n import in_language


def _daily(days: int) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range("2026-08-01", periods=days), "step_index": 1, "step": "pay → paid",
                         "trials": 100, "successes": np.full(days, 80)}).assign(rate=0.8)


def test_the_incident_watch_says_in_chinese_how_many_days_it_needs():
    with in_language("zh"):
        assert watch_incidents(_daily(3)).notes == ["异常监测至少需要 14 天的数据（仅监测单日骤降需要 7 天）；本期只有 3 天。"]
        assert watch_incidents(_daily(9)).notes == ["持续偏移监测至少需要 14 天的数据；本期只有 9 天，因此只检查了单日骤降。"]
    assert watch_incidents(_daily(9)).notes == [
        "The sustained-shift watch needs at least 14 days of data; this period has 9, so only sharp days were checked."]


def test_the_journey_maps_notes_in_chinese_name_touchpoints_by_their_labels():
    sessions = prepare_sessions(hand_log(), period_start="2030-01-01")
    with in_language("zh", {"a": {"zh": "首页"}, "d": {"zh": "订单完成"}}):
        notes = journey_map(sessions, STAGES).notes
    assert "以下触点在本期内没有事件：首页, b, c, 订单完成。" in notes
    assert "没有 NPS 数据表，不显示基于 NPS 的满意度。" in notes
