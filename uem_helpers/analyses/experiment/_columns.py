"""Column helpers shared by the experiment readouts: boolean outcome columns and engine counts."""

from __future__ import annotations

import ibis
import pandas as pd

from uem_helpers.core.errors import ParameterError


def _boolean_column(table: ibis.Table, column: str) -> ibis.BooleanColumn:
    if column not in table.columns:
        raise ParameterError(f"outcome column '{column}' is not in the table; columns are: {', '.join(table.columns)}")
    if not table[column].type().is_boolean():
        raise ParameterError(f"outcome column '{column}' must be boolean (true/false); it is {table[column].type()}")
    return table[column]


def _count(x) -> int:
    """An integer count from an engine result; a SUM over no rows comes back missing and means 0."""
    return 0 if pd.isna(x) else int(x)
