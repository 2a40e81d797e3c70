"""Process logs with a lifecycle column, mapped through sources.events.lifecycle; the case id is the user."""

from __future__ import annotations

import pytest
import yaml

from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ContractErrors, ContractError
from uem_helpers.data.quality import data_quality
from uem_helpers.data.sources import load

XES_CSV = """case:concept:name,concept:name,lifecycle:transition,time:timestamp
173688,A_SUBMITTED,COMPLETE,2011-10-01 00:38:44.546000+02:00
173688,W_Completeren aanvraag,SCHEDULE,2011-10-01 00:38:45.000000+02:00
173688,W_Completeren aanvraag,START,2011-10-01 11:36:46.437000+02:00
173688,W_Completeren aanvraag,COMPLETE,2011-10-01 11:45:13.917000+02:00
173691,A_SUBMITTED,COMPLETE,2011-10-01 08:08:58.256000+02:00
173691,W_Completeren aanvraag,START,2011-10-01 08:09:02.000000+02:00
"""


def _config(tmp_path, lifecycle=None):
    (tmp_path / "log.csv").write_text(XES_CSV, encoding="utf-8")
    source = {"path": "log.csv", "columns": {"case:concept:name": "user_id", "concept:name": "event",
                                             "time:timestamp": "timestamp"}}
    if lifecycle:
        source["lifecycle"] = lifecycle
    (tmp_path / "uem.yml").write_text(yaml.safe_dump({"timezone": "Europe/Amsterdam", "sources": {"events": source}}))
    return load_config(tmp_path / "uem.yml")


def test_activity_mode_keeps_one_row_per_activity_done(tmp_path):
    events = load(_config(tmp_path, {"column": "lifecycle:transition"}))["events"].execute()
    assert sorted(zip(events["user_id"], events["event"])) == [
        ("173688", "A_SUBMITTED"), ("173688", "W_Completeren aanvraag"), ("173691", "A_SUBMITTED")]
    assert "lifecycle:transition" not in events.columns


def test_activity_plus_lifecycle_names_every_transition(tmp_path):
    config = _config(tmp_path, {"column": "lifecycle:transition", "mode": "activity+lifecycle"})
    events = load(config)["events"].execute()
    assert sorted(events.loc[events["user_id"] == "173688", "event"]) == [
        "A_SUBMITTED+complete", "W_Completeren aanvraag+complete", "W_Completeren aanvraag+schedule",
        "W_Completeren aanvraag+start"]


def test_without_the_setting_the_quality_finding_points_to_it(tmp_path):
    config = _config(tmp_path)
    found = {f.check: f for f in data_quality(load(config), config=config).findings}
    assert "sources.events.lifecycle" in found["lifecycle_rows"].sentence()


def test_a_lifecycle_column_that_is_not_there_is_named(tmp_path):
    with pytest.raises((ContractError, ContractErrors), match="is sources.events.lifecycle.column but"):
        load(_config(tmp_path, {"column": "lifecycle"}))
