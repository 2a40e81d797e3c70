"""What every metric shares: argument checks, month/segment keys, aggregation, rate columns with intervals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from uem_helpers.core.config import parse_duration
from uem_helpers.core.errors import ParameterError
from uem_helpers.stats import wilson_ci


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}: give a number between 0 and 1, e.g. 0.05 for 95% intervals")


def _check_by(by: str | None, allowed: tuple[str, ...], function: str) -> None:
    if by is not None and by not in allowed:
        choices = ", ".join(repr(a) for a in (None, *allowed))
        raise ParameterError(f"{function}: by={by!r} is not a breakdown; use one of: {choices}")


def _check_column(table: ibis.Table, column: str, table_name: str, what: str) -> None:
    if column not in table.columns:
        raise ParameterError(
            f"{what}: table '{table_name}' has no column '{column}'; its columns are: {', '.join(table.columns)}"
        )


def _window_seconds(window: str | int | timedelta) -> int:
    try:
        return int(parse_duration(window).total_seconds())
    except ValueError as exc:
        raise ParameterError(f"window={window!r}: give {exc}") from None


def _keys(table: ibis.Table, ts: ibis.Value, by: str | None, segment_by: str | None, table_name: str) -> dict:
    """Grouping expressions: the month key (year * 100 + month), the touchpoint and the segment."""
    keys = {}
    if by == "month":
        keys["month"] = ts.year() * 100 + ts.month()
    elif by == "touchpoint":
        keys["touchpoint"] = table.touchpoint
    if segment_by:
        _check_column(table, segment_by, table_name, "segment_by")
        keys[segment_by] = table[segment_by]
    return keys


def _aggregate(table: ibis.Table, keys: dict, aggs: dict) -> ibis.Table:
    return table.group_by(**keys).aggregate(**aggs) if keys else table.aggregate(**aggs)


def _join(a: ibis.Table, b: ibis.Table, keys: list[str]) -> ibis.Table:
    return a.join(b, keys) if keys else a.cross_join(b)


def _finish_keys(df: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The month key as ``"YYYY-MM"``, rows sorted by their keys, counts as integers."""
    if by == "month" and "month" in df.columns:
        key = df["month"].astype("int64")
        df["month"] = [f"{k // 100:04d}-{k % 100:02d}" for k in key]
    sort = [c for c in ("month", "touchpoint") if c in df.columns]
    if sort:
        df = df.sort_values(sort, kind="stable")
    for c in ("responses", "promoters", "detractors", "sessions", "bounces", "started", "completed",
              "new_users", "left_out", "successes", "mau", "days"):
        if c in df.columns:
            df[c] = df[c].fillna(0).astype("int64")
    return df.reset_index(drop=True)


def _front(by: str | None, segment_by: str | None) -> list[str]:
    return ([by] if by else []) + ([segment_by] if segment_by else [])


def _rate_columns(df: pd.DataFrame, successes: str, trials: str, alpha: float) -> pd.DataFrame:
    """``rate``, Wilson ``low``/``high``, ``successes``, ``trials`` and ``value`` from two count columns."""
    s, n = df[successes].astype("int64"), df[trials].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        df["rate"] = s / n.where(n > 0)
    df["low"], df["high"] = wilson_ci(s, n, alpha=alpha) if len(df) else (pd.Series(dtype=float),) * 2
    df["successes"], df["trials"] = s, n
    df["value"] = df["rate"]
    return df


def _z(alpha: float) -> float:
    return float(sps.norm.ppf(1 - alpha / 2))


def _get(row: Mapping | None, key: str) -> float:
    if row is None:
        return float("nan")
    try:
        value = row[key]
    except (KeyError, IndexError):
        return float("nan")
    return float("nan") if value is None or pd.isna(value) else float(value)
