"""Before/after a launch: the two windows around the launch date (with guard days) and the
readouts of a rate, a median and a mean across them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import numpy as np

from uem_helpers import stats
from uem_helpers.analyses.experiment._columns import _boolean_column, _count
from uem_helpers.analyses.experiment.compare import compare_medians, compare_moments, compare_rates
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.period import is_date_only, to_datetime


def split_before_after(
    table: ibis.Table,
    time_col: str,
    launch_date,
    *,
    guard_days: int = 0,
    period_start=None,
    period_end=None,
) -> tuple[ibis.Table, ibis.Table]:
    """Rows before a launch and rows on/after it, leaving out guard days around the launch.

    With ``launch`` the launch instant and ``guard = guard_days`` days:

    - before = ``[period_start, launch - guard)``
    - after = ``[launch + guard, period_end]``

    A date (``2026-08-15`` or ``"2026-08-15"``) means midnight at the start
    of that day, except for ``period_end``, where a date includes the whole
    day (rows before the next midnight); a datetime is used as given. All
    values are naive wall-clock times in the config's time zone, like the
    canonical timestamps. Without ``period_start``/``period_end`` the windows
    are open on that side.

    Parameters
    ----------
    table : ibis.Table
        Rows with a timestamp column, e.g. canonical ``events``.
    time_col : str
        The naive timestamp column to split on, e.g. ``"timestamp"``.
    launch_date : date, datetime or str
        When the change went live.
    guard_days : int
        Days left out on each side of the launch (rollout, caches, novelty).
    period_start : date, datetime or str, optional
        First instant of the before window.
    period_end : date, datetime or str, optional
        Last instant (or whole last day) of the after window.

    Returns
    -------
    tuple of ibis.Table
        ``(before, after)``, unexecuted.

    Raises
    ------
    ParameterError
        The column is missing or not a naive timestamp, a date is malformed
        or time-zone-aware, ``guard_days`` is negative, or a window is empty
        by construction.
    """
    before, after = _windows(table, time_col, launch_date, guard_days, period_start, period_end)
    return table.filter(before), table.filter(after)


def before_after_label(
    table: ibis.Table,
    time_col: str,
    launch_date,
    *,
    guard_days: int = 0,
    period_start=None,
    period_end=None,
) -> ibis.StringValue:
    """``"before"``, ``"after"`` or NULL per row: the windows of :func:`split_before_after` as one column.

    Grouping by this column reads the table once, where the two tables of
    :func:`split_before_after` read it twice; rows in neither window are NULL.

    Parameters
    ----------
    table, time_col, launch_date, guard_days, period_start, period_end
        As in :func:`split_before_after`.

    Returns
    -------
    ibis.StringValue
        Unexecuted.

    Raises
    ------
    ParameterError
        As :func:`split_before_after`.
    """
    before, after = _windows(table, time_col, launch_date, guard_days, period_start, period_end)
    return ibis.cases((before, "before"), (after, "after"), else_=ibis.null("string"))


def before_after_rate(
    table: ibis.Table,
    time_col: str,
    outcome_col: str,
    launch_date,
    *,
    metric: str,
    guard_days: int = 0,
    period_start=None,
    period_end=None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Readout:
    """Compare a rate before and after a launch: one row is one unit (a start, a cart, a session).

    ``rate = rows whose outcome is true / rows with a non-missing outcome``
    in each window of :func:`split_before_after` (rows with a missing
    outcome are not counted). The four counts come from one aggregate query
    in the engine; the comparison is :func:`compare_rates` (after vs before).

    Parameters
    ----------
    table : ibis.Table
        One row per unit, with a timestamp and a boolean outcome.
    time_col : str
        The naive timestamp column that places a row before or after the launch.
    outcome_col : str
        Boolean column: True counts as a success (e.g. ``abandoned``).
    launch_date : date, datetime or str
        When the change went live.
    metric : str
        Name of the rate for the sentence.
    guard_days : int
        Days left out on each side of the launch.
    period_start, period_end : date, datetime or str, optional
        Outer bounds of the before and after windows.
    higher_is_better : bool, optional
        Whether a higher rate is good news.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    Readout
        ``group_a="before"``, ``group_b="after"``.

    Raises
    ------
    ParameterError
        A column is missing or of the wrong type, a date is wrong, or a window has no rows.
    """
    before, after = _windows(table, time_col, launch_date, guard_days, period_start, period_end)
    outcome = _boolean_column(table, outcome_col)
    success = outcome.cast("int64")
    row = (
        table.aggregate(
            n_a=outcome.count(where=before),
            s_a=success.sum(where=before),
            n_b=outcome.count(where=after),
            s_b=success.sum(where=after),
        )
        .execute()
        .iloc[0]
    )
    n_a, s_a, n_b, s_b = (_count(row[k]) for k in ("n_a", "s_a", "n_b", "s_b"))
    for group, n in (("before", n_a), ("after", n_b)):
        if n == 0:
            raise ParameterError(
                f"{metric}: no rows with a '{outcome_col}' value in the {group} window "
                f"({_describe_windows(launch_date, guard_days, period_start, period_end)}); "
                "check launch_date, guard_days, period_start and period_end"
            )
    return compare_rates(
        s_a, n_a, s_b, n_b, metric=metric, higher_is_better=higher_is_better, alpha=alpha
    )


def before_after_median(
    table: ibis.Table,
    time_col: str,
    value_col: str,
    launch_date,
    *,
    metric: str,
    unit: str,
    guard_days: int = 0,
    period_start=None,
    period_end=None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    max_values: int = 200_000,
    seed: int = 0,
    n_resamples: int = stats.N_RESAMPLES,
) -> Readout:
    """Compare the median of a value (a duration, an order value) before and after a launch.

    Rows with a missing or NaN value are left out. Each window of
    :func:`split_before_after` sends at most ``max_values`` values to Python:
    when a window holds more, the engine keeps the ``max_values`` rows with
    the smallest ``hash(value | timestamp | seed)`` (ties broken by value and
    timestamp), a sample that is fixed for a given backend, data and seed,
    and unrelated to the order of the rows. Backends hash differently, so
    DuckDB and Spark may keep different samples of a large window; windows
    under ``max_values`` are used whole on every backend. The medians, their
    bootstrap intervals and the Mann-Whitney p-value are then computed on
    those values, sorted so the result does not depend on the order the
    engine returns rows in (:func:`compare_medians`); ``n_a``/``n_b`` count them.

    Parameters
    ----------
    table : ibis.Table
        One row per unit with a timestamp and a numeric value.
    time_col : str
        The naive timestamp column that places a row before or after the launch.
    value_col : str
        Numeric column to compare, e.g. ``opening_minutes``.
    launch_date : date, datetime or str
        When the change went live.
    metric : str
        Name for the sentence, e.g. ``"median opening time"``.
    unit : str
        Unit of the values, e.g. ``"min"``.
    guard_days : int
        Days left out on each side of the launch.
    period_start, period_end : date, datetime or str, optional
        Outer bounds of the before and after windows.
    higher_is_better : bool, optional
        Whether a higher value is good news.
    alpha : float
        Two-sided level of the intervals.
    max_values : int
        Most values per window brought back from the engine.
    seed : int
        Seed of the sample and of the bootstrap.
    n_resamples : int
        Bootstrap resamples.

    Returns
    -------
    Readout
        ``group_a="before"``, ``group_b="after"``.

    Raises
    ------
    ParameterError
        A column is missing or not numeric, a date is wrong, ``max_values`` is
        below 2, or a window has fewer than two values.
    """
    samples = _values_before_after(
        table, time_col, value_col, launch_date, metric=metric, guard_days=guard_days,
        period_start=period_start, period_end=period_end, max_values=max_values, seed=seed,
    )
    return compare_medians(
        samples["before"],
        samples["after"],
        metric=metric,
        unit=unit,
        group_a="before",
        group_b="after",
        higher_is_better=higher_is_better,
        alpha=alpha,
        n_resamples=n_resamples,
        seed=seed,
    )


def _values_before_after(
    table: ibis.Table,
    time_col: str,
    value_col: str,
    launch_date,
    *,
    metric: str,
    guard_days: int,
    period_start,
    period_end,
    max_values: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """The values of the before and after windows, at most ``max_values`` each (see :func:`before_after_median`)."""
    if max_values < 2:
        raise ParameterError(f"max_values must be at least 2; got {max_values}")
    period = before_after_label(table, time_col, launch_date, guard_days=guard_days, period_start=period_start,
                                period_end=period_end)
    value = _numeric(table, value_col)
    stamp = table[time_col]
    rows = table.select(
        period=period,
        value=value,
        ts=stamp,
        key=(value.cast("string") + "|" + stamp.cast("string") + f"|{int(seed)}").hash(),
    )
    rows = rows.filter(rows.period.notnull(), rows.value.notnull(), ~rows.value.isnan())
    rows = rows.mutate(rank=ibis.row_number().over(group_by=rows.period, order_by=[rows.key, rows.value, rows.ts]))
    values = rows.filter(rows.rank < max_values).select("period", "value").execute()
    # Sorted: engines return rows in any order, and the bootstrap's resamples depend on the order.
    samples = {
        group: np.sort(values.loc[values["period"] == group, "value"].to_numpy(dtype=float))
        for group in ("before", "after")
    }
    for group, arr in samples.items():
        if arr.size < 2:
            raise ParameterError(
                f"{metric}: the {group} window has {arr.size} '{value_col}' value(s) "
                f"({_describe_windows(launch_date, guard_days, period_start, period_end)}); "
                "a comparison needs at least two"
            )
    return samples


def before_after_mean(
    table: ibis.Table,
    time_col: str,
    value_col: str,
    launch_date,
    *,
    metric: str,
    unit: str,
    guard_days: int = 0,
    period_start=None,
    period_end=None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Readout:
    """Compare the mean of a value before and after a launch (Welch's interval on the difference).

    Every value of each window counts (missing values left out, the windows of
    :func:`split_before_after`): the engine returns each window's count, mean and sample variance,
    and :func:`~uem_helpers.analyses.experiment.compare.compare_moments` does the rest, so nothing
    grows with the data.

    Returns
    -------
    Readout
        ``kind="mean"``, ``group_a="before"``, ``group_b="after"``.

    Raises
    ------
    ParameterError
        A value column that is missing or not numeric, or a window with fewer than two values.
    """
    period = before_after_label(table, time_col, launch_date, guard_days=guard_days, period_start=period_start,
                                period_end=period_end)
    rows = table.select(period=period, value=_numeric(table, value_col))
    rows = rows.filter(rows.period.notnull(), rows.value.notnull(), ~rows.value.isnan())
    found = rows.group_by("period").aggregate(n=rows.count(), mean=rows.value.mean(),
                                              var=rows.value.var(how="sample")).execute().set_index("period")
    moments = {}
    for group in ("before", "after"):
        n = int(found.loc[group, "n"]) if group in found.index else 0
        if n < 2:
            raise ParameterError(
                f"{metric}: the {group} window has {n} '{value_col}' value(s) "
                f"({_describe_windows(launch_date, guard_days, period_start, period_end)}); "
                "a comparison needs at least two"
            )
        mean, var = float(found.loc[group, "mean"]), max(float(found.loc[group, "var"]), 0.0)
        moments[group] = stats.SampleMoments(n, mean, var)
    return compare_moments(
        moments["before"], moments["after"], metric=metric, unit=unit, group_a="before", group_b="after",
        higher_is_better=higher_is_better, alpha=alpha,
    )


def _numeric(table: ibis.Table, value_col: str) -> ibis.Column:
    """The value column as float64, refused when it is missing or not numeric."""
    if value_col not in table.columns:
        raise ParameterError(f"value column '{value_col}' is not in the table; columns are: {', '.join(table.columns)}")
    if not table[value_col].type().is_numeric():
        raise ParameterError(f"value column '{value_col}' must be numeric; it is {table[value_col].type()}")
    return table[value_col].cast("float64")


def _windows(table: ibis.Table, time_col: str, launch_date, guard_days: int, period_start, period_end):
    """Boolean expressions selecting the before and after windows (see :func:`split_before_after`)."""
    if time_col not in table.columns:
        raise ParameterError(f"time column '{time_col}' is not in the table; columns are: {', '.join(table.columns)}")
    dtype = table[time_col].type()
    if not dtype.is_timestamp():
        raise ParameterError(f"time column '{time_col}' must be a timestamp; it is {dtype}")
    if dtype.timezone is not None:
        raise ParameterError(
            f"time column '{time_col}' is time-zone-aware ({dtype.timezone}); canonical timestamps are naive "
            "wall-clock times in the config time zone (load the table through uem_helpers.data.sources)"
        )
    if isinstance(guard_days, bool) or not isinstance(guard_days, int) or guard_days < 0:
        raise ParameterError(f"guard_days must be a whole number of days, 0 or more; got {guard_days!r}")
    launch, _ = _instant(launch_date, "launch_date")
    guard = timedelta(days=guard_days)
    ts = table[time_col]
    before, after = ts < ibis.literal(launch - guard), ts >= ibis.literal(launch + guard)
    if period_start is not None:
        start, _ = _instant(period_start, "period_start")
        if start >= launch - guard:
            raise ParameterError(
                f"period_start {start} is not before the end of the before window {launch - guard} "
                f"(launch_date {launch} minus guard_days {guard_days}); the before window would be empty"
            )
        before = before & (ts >= ibis.literal(start))
    if period_end is not None:
        end, whole_day = _instant(period_end, "period_end")
        if end < launch + guard:
            raise ParameterError(
                f"period_end {end} is before the start of the after window {launch + guard} "
                f"(launch_date {launch} plus guard_days {guard_days}); the after window would be empty"
            )
        after = after & (ts < ibis.literal(end + timedelta(days=1)) if whole_day else ts <= ibis.literal(end))
    return before, after


def _instant(value, name: str) -> tuple[datetime, bool]:
    """A naive datetime from a date, datetime or ISO string, and whether it was a whole day (see :mod:`.period`)."""
    return to_datetime(value, name), is_date_only(value)


def _describe_windows(launch_date, guard_days: int, period_start, period_end) -> str:
    return (
        f"launch_date {launch_date}, guard_days {guard_days}, "
        f"period_start {period_start or 'open'}, period_end {period_end or 'open'}"
    )
