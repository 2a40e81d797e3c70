"""What the feedback analyses share: the required columns, and months as ``YYYY-MM`` labels."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.period import parse_period


_REQUIRED = ("feedback_id", "created_at", "channel", "text")


def _require(feedback: ibis.Table, columns: Sequence[str], needed_for: str) -> None:
    if not isinstance(feedback, ibis.Table):
        raise ParameterError(f"feedback must be the canonical feedback table (an Ibis table, e.g. "
                             f"ds['feedback']); got {type(feedback).__name__}")
    for column in columns:
        if column not in feedback.columns:
            raise ContractError("feedback", column, f"is missing; it is needed for {needed_for}. "
                                f"Columns present: {', '.join(feedback.columns)}")


def _month(month: object) -> str:
    """``"YYYY-MM"`` checked: one month, not a range."""
    try:
        period = parse_period(month) if isinstance(month, str) else None
    except ParameterError:
        period = None
    if period is None or ".." in period.label:
        raise ParameterError(f"month {month!r}: expected one month as YYYY-MM, e.g. 2026-09")
    return period.label


def _previous(month: str) -> str:
    return (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
