"""Identifiers join: numeric ids in one source and zero-padded text in another stop the load, id_width mends it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ConfigError, ContractErrors
from uem_helpers.data.sources import load

IDS = ["0000056", "0000142", "0000195"]
LONG_IDS = ["1234567890123456789", "9223372036854775807"]  # 19 digits; the second is int64's largest


def _write_events(folder: Path, ids: list[str]) -> Path:
    path = folder / "events.csv"
    rows = "".join(f"{u},2026-10-0{i + 1} 10:00:00,app_open\n" for i, u in enumerate(ids))
    path.write_text("user_id,timestamp,event\n" + rows, encoding="utf-8")
    return path


def _write_carts(folder: Path, ids: list[int]) -> Path:
    path = folder / "carts.parquet"
    pd.DataFrame({"cart_id": [f"c{i}" for i in range(len(ids))], "user_id": pd.Series(ids, dtype="int64"),
                  "created_at": pd.Timestamp("2026-10-01 12:00:00"), "cart_value": 120.0}).to_parquet(path)
    return path


def _config(folder: Path, ids_text: list[str], ids_numbers: list[int], **carts) -> object:
    sources = {"events": {"path": str(_write_events(folder, ids_text))},
               "carts": {"path": str(_write_carts(folder, ids_numbers)), **carts}}
    return config_from_dict({"sources": sources}, base_dir=folder)


def test_numeric_ids_against_padded_text_stop_the_load_naming_both_tables(tmp_path):
    with pytest.raises(ContractErrors) as caught:
        load(_config(tmp_path, IDS, [56, 142, 195]))
    message = str(caught.value)
    assert "table 'carts', column 'user_id'" in message and "table 'events'" in message
    assert "only 0% of its 3 user ids" in message
    assert "'142', '195', '56'" in message and "'0000056', '0000142', '0000195'" in message
    assert "sources.carts.id_width: 7" in message


def test_id_width_pads_numeric_ids_so_the_tables_join(tmp_path):
    data = load(_config(tmp_path, IDS, [56, 142, 195], id_width=7))
    carts = data["carts"].to_pandas()
    assert sorted(carts.user_id) == IDS
    joined = data["carts"].join(data["events"], "user_id").count().execute()
    assert joined == 3


def test_19_digit_ids_survive_text_and_numbers(tmp_path):
    data = load(_config(tmp_path, LONG_IDS, [int(x) for x in LONG_IDS]))
    assert sorted(data["carts"].to_pandas().user_id) == LONG_IDS
    assert sorted(data["events"].to_pandas().user_id) == LONG_IDS


def test_the_threshold_comes_from_the_config(tmp_path):
    folder = tmp_path
    sources = {"events": {"path": str(_write_events(folder, ["1", "2", "3"]))},
               "carts": {"path": str(_write_carts(folder, [1, 7, 8]))}}  # one of three found
    with pytest.raises(ContractErrors, match="only 33% of its 3 user ids"):
        load(config_from_dict({"sources": sources}, base_dir=folder))
    relaxed = config_from_dict({"sources": sources, "validate": {"min_id_overlap": 0.3}}, base_dir=folder)
    assert load(relaxed).has("carts")


def test_a_wrong_validate_key_names_the_allowed_keys(tmp_path):
    with pytest.raises(ConfigError, match="validate.min_overlap.*allowed keys here are: min_id_overlap"):
        config_from_dict({"sources": {"events": {"path": "e.csv"}}, "validate": {"min_overlap": 0.3}})


@pytest.mark.spark
def test_padding_and_the_overlap_check_hold_on_spark(tmp_path, spark_con):
    with pytest.raises(ContractErrors, match="sources.carts.id_width: 7"):
        load(_config(tmp_path, IDS, [56, 142, 195]), con=spark_con)
    data = load(_config(tmp_path, IDS, [56, 142, 195], id_width=7), con=spark_con)
    assert sorted(data["carts"].to_pandas().user_id) == IDS
