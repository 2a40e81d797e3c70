"""A failed cell says what went wrong in words a report user can act on."""

from pathlib import Path

from uem_helpers.pipeline.failures import NotebookCellError

#: DuckDB's message when a query outgrew its memory limit (from a journey report at ~120M events).
DUCKDB_OUT_OF_MEMORY = (
    "Out of Memory Error: could not allocate block of size 256.0 KiB (13.0 GiB/13.0 GiB used)\n\n"
    "Possible solutions:\n* Reducing the number of threads (SET threads=X)\n"
    "* Disabling insertion-order preservation (SET preserve_insertion_order=false)\n"
    "* Increasing the memory limit (SET memory_limit='...GB')\n"
)


def test_duckdb_out_of_memory_names_the_config_keys_not_sql_settings():
    error = NotebookCellError("journey_analysis", 10, "analysis = analyse_journey(data, config)", "OutOfMemoryException",
                              DUCKDB_OUT_OF_MEMORY, Path("reports/.runs/x.ipynb"))
    message = str(error)
    assert "report 'journey_analysis' failed at cell 10 (analysis = analyse_journey(data, config))" in message
    assert "(13.0 GiB/13.0 GiB used)" in message  # DuckDB's own measure of it
    assert "engine.memory_limit" in message and "engine.temp_directory" in message and "docs/engine.md" in message
    assert "SET threads" not in message and "Possible solutions" not in message
    assert error.error_message == DUCKDB_OUT_OF_MEMORY  # kept whole for whoever inspects the error


def test_any_other_cell_error_is_its_name_and_message():
    error = NotebookCellError("cart", 4, "x = 1", "ValueError", "boom", Path("k.ipynb"))
    assert "failed at cell 4 (x = 1): ValueError: boom." in str(error)
