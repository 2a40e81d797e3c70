"""DuckDB's memory limit and spill folder come from the config (engine.memory_limit, engine.temp_directory)."""

from __future__ import annotations

import duckdb
import pytest

from uem_helpers.core.config import EngineConfig, config_from_dict
from uem_helpers.core.errors import ConfigError, EnvironmentFault
from uem_helpers.data.engine import connect


def _setting(con, name: str) -> str:
    return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]


def test_the_memory_limit_and_spill_folder_reach_duckdb(tmp_path):
    spill = tmp_path / "spill" / "here"
    con = connect(EngineConfig(memory_limit="2GB", temp_directory=str(spill)))
    plain = duckdb.connect()
    plain.execute("SET memory_limit = '2GB'")
    assert _setting(con, "memory_limit") == plain.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert _setting(con, "memory_limit") != _setting(connect(EngineConfig()), "memory_limit")  # not the default
    assert spill.is_dir() and _setting(con, "temp_directory") == str(spill.resolve())


@pytest.mark.parametrize("value", ["20", "lots", "20 GBs", "-1GB"])
def test_a_memory_limit_without_a_unit_names_the_key_and_an_example(value):
    with pytest.raises(ConfigError) as error:
        config_from_dict({"sources": {"events": {"path": "e.parquet"}}, "engine": {"memory_limit": value}})
    assert "engine.memory_limit" in str(error.value) and "'20GB'" in str(error.value)


def test_a_spill_folder_that_cannot_be_made_names_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(EnvironmentFault) as error:
        connect(EngineConfig(temp_directory=str(blocker / "spill")))
    assert "engine.temp_directory" in str(error.value) and str(blocker / "spill") in str(error.value)


def test_a_table_computed_in_parts_from_a_read_only_database(tmp_path):
    # the benchmark opens its prepared log read-only; the parts go to a new file, which must be writable
    import ibis

    from uem_helpers.data.engine import SPILL_CATALOG, cache_in_parts

    path = tmp_path / "log.duckdb"
    with duckdb.connect(str(path)) as writer:
        writer.execute("CREATE TABLE events AS SELECT range AS v FROM range(10)")
    con = ibis.duckdb.connect(str(path), read_only=True, temp_directory=str(tmp_path))
    events = con.table("events")
    table = cache_in_parts(lambda part: events.filter(events.v % (part[1] if part else 1) == (part[0] if part else 0)),
                           ibis.literal(10 ** 9), 10 ** 3)
    assert sorted(table.v.execute()) == list(range(10))
    assert table.get_name().rsplit(".", 1)[-1] in con.list_tables(database=(SPILL_CATALOG, "main"))
