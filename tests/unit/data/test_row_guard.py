"""The row guard: a result above the limit raises, naming its rows, the limit and the caller; below, nothing changes."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from uem_helpers.core.config import EngineConfig
from uem_helpers.core.errors import ConfigError, ResultTooLargeError
from uem_helpers.data import row_guard
from uem_helpers.data.engine import connect
from uem_helpers.data.sources import from_frames

ROWS = pd.DataFrame({"user_id": [f"u{i}" for i in range(6)], "value": [3, 1, 4, 1, 5, 9]})


@pytest.fixture(autouse=True)
def lift_the_default_backends_guard():
    """A test that turns the guard on through the environment also guards Ibis's default backend: lift it after."""
    yield
    default = ibis.options.default_backend
    if default is not None and hasattr(default, "_uem_max_result_rows"):
        row_guard.guard(default, None)


def events_table(con: ibis.BaseBackend) -> ibis.Table:
    return con.create_table("events_like", ROWS, overwrite=True)


def pull_every_row(table: ibis.Table) -> pd.DataFrame:
    """What an analysis must not do: bring the rows back and aggregate in pandas."""
    return table.to_pandas()


@pytest.mark.parametrize("limit", [1, 5])
@pytest.mark.parametrize("how", ["execute", "to_pandas", "to_pyarrow", "column", "to_list", "memtable_join"])
def test_a_result_above_the_limit_raises_with_rows_limit_and_caller(duckdb_con, how, limit):
    t = events_table(row_guard.guard(duckdb_con, limit))
    pulls = {
        "execute": t.execute, "to_pandas": lambda: pull_every_row(t), "to_pyarrow": t.to_pyarrow,
        "column": t.value.execute, "to_list": t.user_id.to_list,
        "memtable_join": lambda: t.join(ibis.memtable(ROWS[["user_id"]]), "user_id").execute(),
    }
    with pytest.raises(ResultTooLargeError) as info:
        pulls[how]()
    error, message = info.value, str(info.value)
    assert (error.rows, error.limit, error.exact) == (limit + 1, limit, False)  # read with LIMIT limit + 1
    assert f"brought back more than {limit:,} rows" in message and f"allows {limit:,}" in message
    assert "UEM_MAX_RESULT_ROWS" in message
    caller = "pull_every_row" if how == "to_pandas" else "test_a_result_above_the_limit_raises"
    assert error.where.startswith(f"{__name__}.{caller}") and "(line " in error.where


def test_a_result_within_the_limit_is_the_unguarded_result(duckdb_con):
    t = events_table(duckdb_con)
    queries = [
        lambda: t.order_by("value").execute(),
        lambda: t.group_by("value").aggregate(n=t.count()).order_by("value").to_pandas(),
        lambda: t.value.execute(),
        lambda: t.to_pyarrow(),
        lambda: t.user_id.to_list(),
        lambda: t.value.sum().execute(),
    ]
    plain = [q() for q in queries]
    row_guard.guard(duckdb_con, len(ROWS))  # exactly the table's rows: allowed
    guarded = [q() for q in queries]
    pd.testing.assert_frame_equal(guarded[0], plain[0])
    pd.testing.assert_frame_equal(guarded[1], plain[1])
    pd.testing.assert_series_equal(guarded[2], plain[2])
    assert guarded[3].equals(plain[3]) and guarded[4] == plain[4] and guarded[5] == plain[5] == 23


def test_scalars_and_small_aggregates_pass_a_limit_of_one(duckdb_con):
    t = events_table(row_guard.guard(duckdb_con, 1))
    assert t.count().execute() == 6 and t.value.max().to_pyarrow().as_py() == 9
    assert t.aggregate(n=t.count()).execute()["n"].tolist() == [6]


def test_a_limit_the_caller_gives_is_kept_and_the_rows_are_counted_exactly(duckdb_con):
    t = events_table(row_guard.guard(duckdb_con, 3))
    assert len(t.execute(limit=2)) == 2
    with pytest.raises(ResultTooLargeError, match=r"brought back 5 rows into memory, and the row guard \(UEM_MAX_RESULT_ROWS\) allows 3: ") as info:
        t.execute(limit=5)
    assert info.value.exact


def test_the_limit_can_change_and_be_lifted(duckdb_con):
    t = events_table(row_guard.guard(duckdb_con, 2))
    with pytest.raises(ResultTooLargeError):
        t.execute()
    assert row_guard.guard(duckdb_con, 6) is duckdb_con and len(t.execute()) == 6
    row_guard.guard(duckdb_con, None)
    assert len(t.execute()) == 6


def test_the_environment_variable_turns_it_on_for_every_connection(monkeypatch):
    monkeypatch.setenv(row_guard.ENV, "4")
    con = connect()
    with pytest.raises(ResultTooLargeError, match="allows 4"):
        events_table(con).execute()
    data = from_frames({"events": pd.DataFrame({
        "user_id": list("abcde"), "event": ["open"] * 5, "timestamp": pd.date_range("2026-05-01", periods=5, freq="h"),
    })})  # a dataset's default connection
    assert data["events"].count().execute() == 5
    with pytest.raises(ResultTooLargeError):
        data["events"].execute()
    with pytest.raises(ResultTooLargeError):
        ibis.memtable(ROWS).execute()  # in-memory tables alone run on Ibis's default backend: guarded too
    monkeypatch.delenv(row_guard.ENV)
    assert len(events_table(connect()).execute()) == 6  # a connection opened with the variable unset: no guard,
    assert len(ibis.memtable(ROWS).execute()) == 6  # and the default backend's is lifted


def test_off_by_default_the_backend_is_untouched(monkeypatch):
    monkeypatch.delenv(row_guard.ENV, raising=False)
    con = connect(EngineConfig())
    assert not hasattr(con, "_uem_max_result_rows") and "execute" not in vars(con)
    assert len(events_table(con).execute()) == 6


@pytest.mark.parametrize(("value", "limit"), [("", None), ("0", None), (" 20_000 ", 20_000), ("5", 5)])
def test_the_variable_reads_a_whole_number_of_rows(value, limit):
    assert row_guard.limit_from_env({row_guard.ENV: value}) == limit
    assert row_guard.limit_from_env({}) is None


@pytest.mark.parametrize("value", ["-1", "1e6", "many"])
def test_a_wrong_value_is_a_config_error_naming_the_variable(value):
    with pytest.raises(ConfigError, match=f"UEM_MAX_RESULT_ROWS.*{value!r}.*whole number of rows"):
        row_guard.limit_from_env({row_guard.ENV: value})


@pytest.mark.spark
def test_spark_results_are_guarded_too(spark_con):
    try:
        t = spark_con.create_table("uem_row_guard_rows", ROWS, overwrite=True)
        row_guard.guard(spark_con, 3)
        assert t.count().execute() == 6 and len(t.limit(3).execute()) == 3
        with pytest.raises(ResultTooLargeError, match="more than 3 rows"):
            t.execute()
        with pytest.raises(ResultTooLargeError, match="more than 3 rows"):
            t.to_pyarrow()
    finally:
        row_guard.guard(spark_con, None)  # the one Spark session is shared by the whole run
