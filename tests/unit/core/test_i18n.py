"""The reader's language: switching it, display names, and numbers written for a Chinese reader."""

from __future__ import annotations

from datetime import datetime

import pytest

from uem_helpers.core import formats, i18n
from uem_helpers.core.i18n import _, current_language, in_language, label, use_language


@pytest.fixture(autouse=True)
def _english_after():
    yield
    use_language("en")


def test_english_is_the_source_and_the_default():
    assert current_language() == "en"
    assert _("95% CI") == "95% CI"


def test_chinese_comes_from_the_compiled_catalog():
    with in_language("zh"):
        assert _("95% CI") == "95% 置信区间"
        assert formats.percent_interval(0.42, 0.48) == "95% 置信区间 42% 至 48%"
    assert _("95% CI") == "95% CI"  # the block gave the language back


def test_an_unknown_language_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown language 'fr'; use one of en, zh"):
        use_language("fr")
    assert current_language() == "en"


def test_a_missing_compiled_catalog_says_how_to_build_it(monkeypatch, tmp_path):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translations.cache_clear()
    try:
        with pytest.raises(i18n.CatalogMissing, match=r"make install"):
            use_language("zh")
        assert current_language() == "en"
    finally:
        monkeypatch.undo()
        i18n._translations.cache_clear()


def test_labels_name_events_in_the_readers_language_and_fall_back_to_the_name():
    labels = {"open_start": {"en": "Open started", "zh": "开始开户"}, "kyc": {"en": "Identity check"}}
    with in_language("zh", labels):
        assert label("open_start") == "开始开户"
        assert label("kyc") == "kyc"  # no Chinese name: the event name itself
        assert label("other_event") == "other_event"
    with in_language("en", labels):
        assert label("open_start") == "Open started"
        assert label("kyc") == "Identity check"
    assert label("open_start") == "open_start"  # labels belong to the report that set them


def test_durations_dates_and_months_for_a_chinese_reader():
    with in_language("zh"):
        assert formats.duration(150) == "2.5分钟"
        assert formats.duration(45) == "45秒"
        assert formats.duration(19910.3 * 60) == "13.8天"
        assert formats.span(86400 * 14) == "2周"
        assert formats.span(3600) == "1小时"
        assert formats.elapsed(86400 * 3 + 3600 * 4) == "3天4小时"
        assert formats.day("2026-10-05") == "2026年10月5日"
        assert formats.month("2026-10") == "2026年10月"
        assert formats.instant(datetime(2025, 3, 31, 14, 10)) == "2025年3月31日 14:10"
        assert formats.signed_points(-0.031) == "−3.1 个百分点"
        assert formats.percent(float("nan")) == "无数据"
        assert formats.percent(0.4512, 1) == "45.1%"


def test_english_numbers_keep_the_workbenchs_style():
    assert (formats.duration(150), formats.span(86400 * 14), formats.day("2026-10-05"), formats.month("2026-10-05"),
            formats.signed_points(-0.031), formats.percent(float("nan"))) == (
        "2.5 min", "2 weeks", "2026-10-05", "2026-10", "−3.1 pts", "n/a")
