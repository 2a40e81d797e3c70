"""The journey story derives sessions once and hands them to every analysis."""

from __future__ import annotations

from uem_helpers.analyses import sessions as sessions_module
from uem_helpers.core.config import load_config
from uem_helpers.data.sources import load
from uem_helpers.stories.journey import analyse_journey
from tests.conftest import CONFIG_PATH


def test_the_story_sessionizes_the_log_once(monkeypatch):
    calls = []
    real = sessions_module.sessionize

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sessions_module, "sessionize", counting)
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["events", "users"])
    result = analyse_journey(data, config, period_start="2026-10-01", period_end="2026-10-31",
                             segment_by="platform", segment_a="ios", segment_b="android")
    assert len(calls) == 1
    assert result.transitions is not None and result.paths is not None and result.segment_diff is not None
    assert result.journey is not None and result.p_chart is not None and not result.loops.empty
