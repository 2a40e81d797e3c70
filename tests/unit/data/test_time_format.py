"""sources.<table>.time_format: text times in a layout detection cannot read, read by strptime."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ConfigError, ContractError, ContractErrors
from uem_helpers.data.casting import format_pattern
from uem_helpers.data.sources import load


def _config(tmp_path, times, time_format=None):
    pd.DataFrame({"uid": ["1", "2", "3"][: len(times)], "ts": times, "ev": ["a"] * len(times)}).to_csv(
        tmp_path / "events.csv", index=False)
    source = {"path": "events.csv", "columns": {"uid": "user_id", "ts": "timestamp", "ev": "event"},
              "timezone": "UTC"}
    if time_format:
        source["time_format"] = time_format
    (tmp_path / "uem.yml").write_text(yaml.safe_dump({"timezone": "Asia/Shanghai", "sources": {"events": source}}))
    return load_config(tmp_path / "uem.yml")


def test_day_first_times_read_by_the_configured_layout_in_the_sources_zone(tmp_path):
    config = _config(tmp_path, ["03/02/2025 10:04", "13/12/2024 23:59"], "%d/%m/%Y %H:%M")
    events = load(config)["events"].order_by("user_id").execute()
    assert events["timestamp"].tolist() == [pd.Timestamp("2025-02-03 18:04"), pd.Timestamp("2024-12-14 07:59")]


def test_without_the_setting_the_error_shows_the_value_and_the_setting_to_use(tmp_path):
    with pytest.raises(ContractErrors) as caught:
        load(_config(tmp_path, ["03/02/2025 10:04", "13/12/2024 23:59"]))
    text = str(caught.value)
    assert "sources.events.time_format" in text and "'13/12/2024 23:59'" in text


def test_a_value_that_does_not_match_the_layout_is_named_with_the_layout(tmp_path):
    with pytest.raises(ContractErrors) as caught:
        load(_config(tmp_path, ["03/02/2025 10:04", "2025-02-03 10:00"], "%d/%m/%Y %H:%M"))
    assert ("table 'events', column 'timestamp': has values that do not match time_format '%d/%m/%Y %H:%M' "
            "(1 row); e.g. '2025-02-03 10:00'") in str(caught.value)


def test_the_layout_becomes_an_anchored_pattern_and_an_unknown_directive_is_named():
    assert format_pattern("%Y-%m-%dT%H:%M:%S.%f%z") == (
        "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}\\.[0-9]{1,9}(Z|[+-][0-9]{2}:?[0-9]{2})$")
    with pytest.raises(ContractError, match="uses %j"):
        format_pattern("%Y %j")


def test_a_layout_with_an_unknown_directive_is_a_config_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="time_format"):
        _config(tmp_path, ["2025 034"], "%Y %j")
