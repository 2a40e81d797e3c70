"""The cart story types the carts once and hands the table to every analysis."""

from __future__ import annotations

from uem_helpers.analyses.cart import abandonment
from uem_helpers.core.config import load_config
from uem_helpers.data.sources import load
from uem_helpers.stories.cart import analyse_carts
from tests.conftest import CONFIG_PATH


def test_the_story_builds_the_typed_cart_table_once(monkeypatch):
    calls = []
    real = abandonment.cart_table

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(abandonment, "cart_table", counting)
    config = load_config(CONFIG_PATH)
    data = load(config, tables=["carts", "events", "users"])
    result = analyse_carts(data, config.funnels["checkout"], launch_date="2026-09-01", threshold=99,
                           period_start="2026-05-01", period_end="2026-10-31", segment_by="platform")
    assert len(calls) == 1
    assert result.by_segment is not None and result.fee_bins is not None and result.bunching is not None
    assert result.impact is not None and result.drivers is not None
