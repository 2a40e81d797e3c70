"""Fast validation: did the change work? Before/after a launch, and rollout vs control.

Every comparison returns one :class:`~uem_helpers.analyses.experiment.readout.Readout`: the two values, the absolute
and relative effect with their confidence intervals, the p-value, and a
sentence for the report that never states an effect without its interval.

The event-level work (splitting around a launch date, counting outcomes,
joining outcomes with experiment assignments) is built as Ibis expressions
and executed once, on whichever backend the tables live on (DuckDB, Spark);
only counts or a bounded sample of values come back to Python, where
:mod:`uem_helpers.stats` does the statistics.

Time convention: canonical timestamps are naive wall-clock times in the
config's time zone, so every date and time given here (``launch_date``,
``period_start``, ``period_end``) is read as naive wall-clock time in that
same zone. A time-zone-aware value is refused rather than silently shifted.

Example
-------
>>> r = before_after_rate(opens, "timestamp", "abandoned", "2026-08-15",
...                       metric="abandonment", guard_days=1,
...                       higher_is_better=False)          # doctest: +SKIP
>>> r.sentence()                                           # doctest: +SKIP
'Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −34 to −26), ...'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd

from uem_helpers import stats
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.period import is_date_only, to_datetime
from uem_helpers.analyses.experiment.readout import Readout


def compare_rates(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    *,
    metric: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Readout:
    """Compare two rates given as counts (see :func:`uem_helpers.stats.two_proportions`).

    ``rate = successes / n`` per group; the effect is ``rate_b - rate_a``
    with Newcombe's interval, the relative effect ``rate_b / rate_a - 1``
    with the log-adjusted risk-ratio interval, and the pooled z-test p-value.

    Parameters
    ----------
    successes_a, n_a : int
        Successes and units of the baseline group.
    successes_b, n_b : int
        Successes and units of the comparison group.
    metric : str
        Name of the rate for the sentence, e.g. ``"abandonment"``.
    group_a, group_b : str
        Group names for the sentence.
    higher_is_better : bool, optional
        Whether a higher rate is good news (feeds :attr:`Readout.verdict`).
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    Readout

    Raises
    ------
    ParameterError
        A group has no units, or its successes are negative or exceed its units.
    """
    for group, s, n in ((group_a, successes_a, n_a), (group_b, successes_b, n_b)):
        if n <= 0:
            raise ParameterError(f"{metric}: group '{group}' has no units (n = {n}); a rate needs at least one")
        if not 0 <= s <= n:
            raise ParameterError(f"{metric}: group '{group}' has {s} successes of {n} units; expected 0 to {n}")
    r = stats.two_proportions(successes_a, n_a, successes_b, n_b, alpha=alpha)
    (low_a, low_b), (high_a, high_b) = stats.wilson_ci(
        np.array([successes_a, successes_b]), np.array([n_a, n_b]), alpha=alpha
    )
    return Readout(
        metric=metric,
        kind="rate",
        group_a=group_a,
        group_b=group_b,
        value_a=r.p1,
        value_b=r.p2,
        n_a=r.n1,
        n_b=r.n2,
        abs_effect=r.diff,
        rel_effect=r.rel,
        ci_low=r.diff_low,
        ci_high=r.diff_high,
        rel_ci_low=r.rel_low,
        rel_ci_high=r.rel_high,
        p_value=r.p_value,
        alpha=alpha,
        unit="%",
        higher_is_better=higher_is_better,
        value_a_low=float(low_a),
        value_a_high=float(high_a),
        value_b_low=float(low_b),
        value_b_high=float(high_b),
    )


def compare_medians(
    values_a,
    values_b,
    *,
    metric: str,
    unit: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    n_resamples: int = stats.N_RESAMPLES,
    seed: int = 0,
) -> Readout:
    """Compare the medians of two samples (see :func:`uem_helpers.stats.median_difference`).

    The effect is ``median(b) - median(a)`` and the relative effect
    ``median(b) / median(a) - 1``, both with percentile bootstrap intervals
    (seeded, so reproducible); the p-value is the two-sided Mann-Whitney U test.

    Parameters
    ----------
    values_a, values_b : array-like
        Values of the baseline and the comparison group (at least two each, no NaN).
    metric : str
        Name for the sentence, e.g. ``"median opening time"``.
    unit : str
        Unit of the values, e.g. ``"min"``, ``"s"``, ``"¥"``.
    group_a, group_b : str
        Group names for the sentence.
    higher_is_better : bool, optional
        Whether a higher value is good news.
    alpha : float
        Two-sided level of the intervals.
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    Readout

    Raises
    ------
    ParameterError
        A group has fewer than two values, or holds NaN.
    """
    samples = _two_samples(metric, "median", {group_a: values_a, group_b: values_b})
    r = stats.median_difference(samples[group_a], samples[group_b], alpha=alpha, n_resamples=n_resamples, seed=seed)
    ci_a, ci_b = (stats.median_ci(samples[g], alpha=alpha) for g in (group_a, group_b))
    return Readout(
        metric=metric,
        kind="median",
        group_a=group_a,
        group_b=group_b,
        value_a=r.median_a,
        value_b=r.median_b,
        n_a=r.n_a,
        n_b=r.n_b,
        abs_effect=r.diff,
        rel_effect=r.rel,
        ci_low=r.diff_low,
        ci_high=r.diff_high,
        rel_ci_low=r.rel_low,
        rel_ci_high=r.rel_high,
        p_value=r.p_value,
        alpha=alpha,
        unit=unit,
        higher_is_better=higher_is_better,
        value_a_low=ci_a[0],
        value_a_high=ci_a[1],
        value_b_low=ci_b[0],
        value_b_high=ci_b[1],
    )


def compare_means(
    values_a,
    values_b,
    *,
    metric: str,
    unit: str,
    group_a: str = "before",
    group_b: str = "after",
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    counts_a=None,
    counts_b=None,
) -> Readout:
    """Compare the means of two samples (see :func:`uem_helpers.stats.mean_difference`).

    The effect is ``mean(b) - mean(a)`` with Welch's interval and p-value; the relative effect
    ``mean(b) / mean(a) - 1`` with the interval of the ratio of means
    (:func:`uem_helpers.stats.ratio_of_means_ci`: log-link GLM, robust covariance); each
    group's mean carries its Student-t interval.

    Parameters
    ----------
    values_a, values_b : array-like
        Values of the baseline and the comparison group (at least two observations each, no NaN).
    metric, unit, group_a, group_b, higher_is_better, alpha
        As in :func:`compare_medians`.
    counts_a, counts_b : array-like of int, optional
        How many times each value occurs (frequency weights), so an engine can send
        ``(value, count)`` pairs instead of every row; 1 each when omitted.

    Returns
    -------
    Readout
        ``n_a``, ``n_b`` count observations.

    Raises
    ------
    ParameterError
        A group has fewer than two observations, holds NaN, or has invalid counts.
    """
    try:
        r = stats.mean_difference(values_a, values_b, alpha=alpha, counts_a=counts_a, counts_b=counts_b)
    except ValueError as exc:
        sample = str(exc).replace("sample a", f"group '{group_a}'").replace("sample b", f"group '{group_b}'")
        raise ParameterError(f"{metric}: {sample}") from None
    return Readout(
        metric=metric,
        kind="mean",
        group_a=group_a,
        group_b=group_b,
        value_a=r.mean_a,
        value_b=r.mean_b,
        n_a=r.n_a,
        n_b=r.n_b,
        abs_effect=r.diff,
        rel_effect=r.rel,
        ci_low=r.diff_low,
        ci_high=r.diff_high,
        rel_ci_low=r.rel_low,
        rel_ci_high=r.rel_high,
        p_value=r.p_value,
        alpha=alpha,
        unit=unit,
        higher_is_better=higher_is_better,
        value_a_low=r.mean_a_low,
        value_a_high=r.mean_a_high,
        value_b_low=r.mean_b_low,
        value_b_high=r.mean_b_high,
    )


def _two_samples(metric: str, statistic: str, groups: dict[str, object]) -> dict[str, np.ndarray]:
    """Each group's values as a float array, refusing fewer than two values or NaN."""
    samples = {}
    for group, values in groups.items():
        arr = np.asarray(values, dtype=float).ravel()
        if arr.size < 2 or np.isnan(arr).any():
            raise ParameterError(
                f"{metric}: group '{group}' has {arr.size} value(s) ({int(np.isnan(arr).sum())} NaN); "
                f"a {statistic} comparison needs at least two values per group and no NaN"
            )
        samples[group] = arr
    return samples


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
    if value_col not in table.columns:
        raise ParameterError(f"value column '{value_col}' is not in the table; columns are: {', '.join(table.columns)}")
    if not table[value_col].type().is_numeric():
        raise ParameterError(f"value column '{value_col}' must be numeric; it is {table[value_col].type()}")
    value = table[value_col].cast("float64")
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
    max_values: int = 200_000,
    seed: int = 0,
) -> Readout:
    """Compare the mean of a value before and after a launch (Welch's interval on the difference).

    The values are chosen exactly as in :func:`before_after_median` (missing
    values left out, at most ``max_values`` per window by a fixed hash sample).

    Returns
    -------
    Readout
        ``kind="mean"``, ``group_a="before"``, ``group_b="after"``.
    """
    samples = _values_before_after(
        table, time_col, value_col, launch_date, metric=metric, guard_days=guard_days,
        period_start=period_start, period_end=period_end, max_values=max_values, seed=seed,
    )
    return compare_means(
        samples["before"], samples["after"], metric=metric, unit=unit, group_a="before", group_b="after",
        higher_is_better=higher_is_better, alpha=alpha,
    )


def variant_rate(
    outcomes: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    outcome_col: str,
    *,
    metric: str,
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[Readout, stats.SRMResult]:
    """Compare a per-user rate between treatment and control of one experiment, with an SRM check.

    Users are the assignments of ``experiment`` (canonical ``assignments``:
    ``user_id``, ``experiment``, ``variant``) joined on ``user_id`` with
    ``outcomes`` (one row per user, a boolean ``outcome_col``). A user counts
    in the rate only with a non-missing outcome: assigned users absent from
    ``outcomes`` are not counted, so give ``outcomes`` one row per assigned
    user (False included) when "no row" means "did not succeed".
    ``rate = users with outcome True / users with an outcome`` per variant;
    the comparison is :func:`compare_rates` (treatment vs control).

    The sample-ratio-mismatch check counts the same analysed users per
    variant, so it catches both a broken split and outcomes lost more in
    one variant than the other (the most common cause of an SRM). With
    ``expected_shares`` (e.g. ``{"treatment": 0.05, "control": 0.95}``) it
    covers the variants named there; without it control and treatment are
    expected in equal numbers, a 50/50 split.

    All counts come from one query in the engine (a second one only to list
    the experiments present when ``experiment`` is not found).

    Parameters
    ----------
    outcomes : ibis.Table
        One row per user: ``user_id`` and ``outcome_col``.
    assignments : ibis.Table
        Canonical assignments, on the same backend as ``outcomes``.
    experiment : str
        The experiment to read out.
    outcome_col : str
        Boolean column of ``outcomes``; True counts as a success.
    metric : str
        Name of the rate for the sentence.
    control, treatment : str
        Variant names of the baseline and the comparison group.
    expected_shares : dict of str to float, optional
        The designed share of each variant, summing to 1.
    higher_is_better : bool, optional
        Whether a higher rate is good news.
    alpha : float
        Two-sided level of the intervals.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm (0.001, see
        :func:`uem_helpers.stats.sample_ratio_mismatch`).

    Returns
    -------
    tuple
        ``(Readout, SRMResult)``.

    Raises
    ------
    ParameterError
        The experiment or a variant is absent (the message lists those
        present), a column is missing or not boolean, the expected shares are
        wrong, or a variant has no user with an outcome.
    ContractError
        ``assignments`` lacks a canonical column or puts a user in two
        variants of the experiment, or ``outcomes`` has several rows for a user.
    """
    for column in ("user_id", "experiment", "variant"):
        if column not in assignments.columns:
            raise ContractError("assignments", column, "required column is missing")
    if "user_id" not in outcomes.columns:
        raise ParameterError(f"the outcomes table has no 'user_id' column; columns are: {', '.join(outcomes.columns)}")
    outcome = _boolean_column(outcomes, outcome_col)
    assigned = (
        assignments.filter(assignments.experiment == experiment)
        .group_by("user_id")
        .aggregate(variant=ibis._.variant.max(), n_variants=ibis._.variant.nunique())
    )
    per_user = outcomes.mutate(_outcome=outcome).group_by("user_id").aggregate(
        n_rows=ibis._.count(), has_outcome=ibis._._outcome.count(), success=ibis._._outcome.cast("int64").sum()
    )
    joined = assigned.left_join(per_user, assigned.user_id == per_user.user_id)
    summary = (
        joined.group_by("variant")
        .aggregate(
            multi=(joined.n_variants > 1).cast("int64").sum(),
            dup=(joined.n_rows > 1).cast("int64").sum(),
            n=joined.has_outcome.sum(),
            s=joined.success.sum(),
        )
        .execute()
    )
    if summary.empty:
        present = sorted(assignments.select("experiment").distinct().execute()["experiment"].astype(str))
        raise ParameterError(
            f"experiment '{experiment}' is not in the assignments table; "
            f"experiments present: {', '.join(present) or 'none'}"
        )
    counts = {str(r.variant): (_count(r.n), _count(r.s)) for r in summary.itertuples()}
    shares = expected_shares if expected_shares is not None else {control: 0.5, treatment: 0.5}
    for variant in (control, treatment, *shares):
        if variant not in counts:
            raise ParameterError(
                f"variant '{variant}' is not in experiment '{experiment}'; "
                f"variants present: {', '.join(sorted(counts))}"
            )
    if (multi := _count(summary["multi"].sum())) > 0:
        raise ContractError(
            "assignments", "variant", f"users in more than one variant of experiment '{experiment}'", n_bad=multi
        )
    if (dup := _count(summary["dup"].sum())) > 0:
        raise ContractError("outcomes", "user_id", "several rows per user; one row per user is expected", n_bad=dup)
    try:
        srm = stats.sample_ratio_mismatch({v: counts[v][0] for v in shares}, shares, alpha=srm_alpha)
    except ValueError as exc:
        raise ParameterError(f"expected_shares of experiment '{experiment}': {exc}") from None
    (n_c, s_c), (n_t, s_t) = counts[control], counts[treatment]
    readout = compare_rates(
        s_c, n_c, s_t, n_t,
        metric=metric, group_a=control, group_b=treatment, higher_is_better=higher_is_better, alpha=alpha,
    )
    return readout, srm


@dataclass(frozen=True)
class RatioMetric:
    """A ratio metric of units (carts, sessions) read per variant, ``Σ numerator / Σ denominator``.

    Give either ``outcome`` (a rate: units with ``outcome`` True / units with an outcome) or
    ``numerator`` with an optional ``denominator`` (each unit counts 1 without one). Boolean
    columns count as 1 / 0. A unit counts only when its columns are not missing.

    Attributes
    ----------
    name : str
        Name for the sentence, e.g. ``"cart conversion"``, ``"average order value"``.
    outcome : str, optional
        Boolean column; the metric is a rate (``Readout.kind == "rate"``).
    numerator, denominator : str, optional
        Numeric or boolean columns; the metric is a ratio of sums (``Readout.kind == "mean"``).
    unit : str
        Unit of a ratio of sums for the sentence (``"¥"``); rates are in %.
    higher_is_better : bool, optional
        Whether a higher value is good news.

    Examples
    --------
    >>> RatioMetric("cart conversion", outcome="checked_out", higher_is_better=True)   # doctest: +SKIP
    >>> RatioMetric("average order value", numerator="paid", denominator="checked_out", unit="¥")  # doctest: +SKIP
    """

    name: str
    outcome: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    unit: str = ""
    higher_is_better: bool | None = None

    @property
    def kind(self) -> str:
        """``"rate"`` for an outcome, ``"mean"`` for a ratio of sums."""
        return "rate" if self.outcome is not None else "mean"


def variant_ratio(
    units: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    *,
    metric: str,
    outcome: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    unit: str = "",
    time_col: str = "created_at",
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[Readout, stats.SRMResult]:
    """Compare a unit-level ratio metric between treatment and control, clustered by user, with an SRM check.

    One metric of :func:`variant_ratios`: a rate of units (``outcome``, e.g. cart conversion of
    carts) or a ratio of sums (``numerator`` / ``denominator``, e.g. money paid / orders), read on
    the units each assigned user created at or after their assignment. Use it instead of
    :func:`variant_rate` when users are randomised but the metric counts units, several per user.

    Parameters
    ----------
    units : ibis.Table
        One row per unit: ``user_id``, ``time_col`` and the metric's columns.
    assignments : ibis.Table
        Canonical assignments (``user_id``, ``experiment``, ``variant``, ``assigned_at``).
    experiment : str
        The experiment to read out.
    metric : str
        Name for the sentence.
    outcome, numerator, denominator, unit
        The metric, as in :class:`RatioMetric`.
    time_col, control, treatment, expected_shares, alpha, srm_alpha
        As in :func:`variant_ratios`.
    higher_is_better : bool, optional
        Whether a higher value is good news.

    Returns
    -------
    tuple
        ``(Readout, SRMResult)``.
    """
    spec = RatioMetric(metric, outcome=outcome, numerator=numerator, denominator=denominator, unit=unit,
                       higher_is_better=higher_is_better)
    readouts, srm = variant_ratios(units, assignments, experiment, [spec], time_col=time_col, control=control,
                                   treatment=treatment, expected_shares=expected_shares, alpha=alpha,
                                   srm_alpha=srm_alpha)
    return readouts[0], srm


def variant_ratios(
    units: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    metrics: Sequence[RatioMetric],
    *,
    time_col: str = "created_at",
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[list[Readout], stats.SRMResult]:
    """Compare unit-level ratio metrics between treatment and control of one experiment, clustered by user.

    Users are the assignments of ``experiment`` (a user assigned twice to the same variant keeps
    the earliest ``assigned_at``). A unit counts for its user when its ``time_col`` is at or after
    the user's ``assigned_at``: units created before the assignment saw no treatment. Per user
    ``i`` and metric the engine sums ``y_i`` (numerator, or outcome True) and ``n_i`` (denominator,
    or 1 per unit with a value); assigned users without a unit count with ``y_i = n_i = 0``.
    Per variant it then returns the users ``m`` and ``Σ y``, ``Σ n``, ``Σ y²``, ``Σ n²``, ``Σ yn``
    (:class:`uem_helpers.stats.ClusterSums`), every metric and variant in ONE query.

    The metric is ``R = Σ y / Σ n`` per variant, compared by
    :func:`uem_helpers.stats.ratio_metric_difference` (delta method, clustered by user: users are
    what was randomised, and one user's units are correlated, so unit-level binomial intervals
    would be too narrow): the difference with its interval and p-value, the relative change with
    the delta-method interval of the log ratio. Each variant's own interval is the Wald interval
    of ``R`` for a ratio of sums, and for a rate the Wilson interval on the effective sample size
    (:func:`uem_helpers.stats.clustered_wilson_ci`). ``Readout.n_a`` / ``n_b`` are ``Σ n``
    rounded (units; checked-out carts for an AOV).

    The sample-ratio-mismatch check counts assigned users per variant, with or without units.
    With ``expected_shares`` it covers the variants named there; without it control and
    treatment are expected in equal numbers.

    Parameters
    ----------
    units : ibis.Table
        One row per unit: ``user_id``, ``time_col`` and every metric's columns.
    assignments : ibis.Table
        Canonical assignments, on the same backend as ``units``.
    experiment : str
        The experiment to read out.
    metrics : sequence of RatioMetric
        The metrics, read in this order.
    time_col : str
        Naive timestamp column of ``units`` compared with ``assigned_at``.
    control, treatment : str
        Variant names of the baseline and the comparison group.
    expected_shares : dict of str to float, optional
        The designed share of each variant, summing to 1.
    alpha : float
        Two-sided level of the intervals.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm.

    Returns
    -------
    tuple
        ``(list of Readout, SRMResult)``, one readout per metric (``group_a=control``, ``group_b=treatment``).

    Raises
    ------
    ParameterError
        The experiment or a variant is absent (the message lists those present), a metric is
        ill-specified or names a missing or non-numeric column, the expected shares are wrong, or
        a variant has fewer than two users or no unit for a metric.
    ContractError
        ``assignments`` lacks a canonical column or puts a user in two variants of the experiment.
    """
    if not metrics:
        raise ParameterError("variant_ratios needs at least one RatioMetric")
    for column in ("user_id", "experiment", "variant", "assigned_at"):
        if column not in assignments.columns:
            raise ContractError("assignments", column, "required column is missing")
    for column in ("user_id", time_col):
        if column not in units.columns:
            raise ParameterError(f"the units table has no '{column}' column; columns are: {', '.join(units.columns)}")
    dtype = units[time_col].type()
    if not dtype.is_timestamp() or dtype.timezone is not None:
        raise ParameterError(f"time column '{time_col}' must be a naive timestamp (wall-clock time in the config "
                             f"time zone, as uem_helpers.data.sources loads it); it is {dtype}")
    parts = {f"m{k}": _ratio_parts(units, spec) for k, spec in enumerate(metrics)}
    assigned = (
        assignments.filter(assignments.experiment == experiment)
        .group_by("user_id")
        .aggregate(variant=ibis._.variant.max(), n_variants=ibis._.variant.nunique(),
                   assigned_at=ibis._.assigned_at.min())
    )
    rows = units.select(
        _uid=units.user_id, _ts=units[time_col],
        **{f"{key}_{side}": expr for key, (y, n) in parts.items() for side, expr in (("y", y), ("n", n))},
    )
    rows = rows.inner_join(assigned, rows._uid == assigned.user_id)
    rows = rows.filter(rows._ts >= rows.assigned_at)
    sums = {f"{key}_{side}": rows[f"{key}_{side}"].sum() for key in parts for side in ("y", "n")}
    per_user = rows.group_by("_uid").aggregate(**sums)
    joined = assigned.left_join(per_user, assigned.user_id == per_user._uid)
    aggregates = {"users": joined.count(), "multi": (joined.n_variants > 1).cast("int64").sum()}
    for key in parts:
        y, n = joined[f"{key}_y"].fill_null(0.0), joined[f"{key}_n"].fill_null(0.0)
        aggregates |= {f"{key}_sy": y.sum(), f"{key}_sn": n.sum(), f"{key}_syy": (y * y).sum(),
                       f"{key}_snn": (n * n).sum(), f"{key}_syn": (y * n).sum()}
    summary = joined.group_by("variant").aggregate(**aggregates).execute()
    if summary.empty:
        present = sorted(assignments.select("experiment").distinct().execute()["experiment"].astype(str))
        raise ParameterError(
            f"experiment '{experiment}' is not in the assignments table; "
            f"experiments present: {', '.join(present) or 'none'}"
        )
    summary = summary.assign(variant=summary["variant"].astype(str)).set_index("variant")
    shares = expected_shares if expected_shares is not None else {control: 0.5, treatment: 0.5}
    for variant in (control, treatment, *shares):
        if variant not in summary.index:
            raise ParameterError(
                f"variant '{variant}' is not in experiment '{experiment}'; "
                f"variants present: {', '.join(sorted(summary.index))}"
            )
    if (multi := _count(summary["multi"].sum())) > 0:
        raise ContractError(
            "assignments", "variant", f"users in more than one variant of experiment '{experiment}'", n_bad=multi
        )
    try:
        srm = stats.sample_ratio_mismatch({v: _count(summary.loc[v, "users"]) for v in shares}, shares,
                                          alpha=srm_alpha)
    except ValueError as exc:
        raise ParameterError(f"expected_shares of experiment '{experiment}': {exc}") from None
    readouts = []
    for key, spec in zip(parts, metrics):
        sums_of = {}
        for variant in (control, treatment):
            row = summary.loc[variant]
            sums_of[variant] = stats.ClusterSums(
                users=_count(row["users"]),
                **{field: _total(row[f"{key}_{s}"]) for field, s in (("sum_y", "sy"), ("sum_n", "sn"),
                                                                    ("sum_yy", "syy"), ("sum_nn", "snn"),
                                                                    ("sum_yn", "syn"))},
            )
            if sums_of[variant].users < 2 or not sums_of[variant].sum_n > 0:
                raise ParameterError(
                    f"{spec.name}: variant '{variant}' of experiment '{experiment}' has "
                    f"{sums_of[variant].users} assigned user(s) and {sums_of[variant].sum_n:g} unit(s) in "
                    f"'{time_col}' at or after their assignment; a comparison needs at least two users and one unit"
                )
        readouts.append(_ratio_readout(spec, sums_of[control], sums_of[treatment], control, treatment, alpha))
    return readouts, srm


def _ratio_parts(units: ibis.Table, spec: RatioMetric) -> tuple[ibis.Value, ibis.Value]:
    """The per-unit numerator ``y`` and denominator ``n`` of a metric, 0 / 0 where a column is missing."""
    if (spec.outcome is None) == (spec.numerator is None):
        raise ParameterError(
            f"metric '{spec.name}': give either outcome (a boolean column: a rate) or numerator "
            f"(and optionally denominator: a ratio of sums); got outcome={spec.outcome!r}, "
            f"numerator={spec.numerator!r}"
        )
    if spec.outcome is not None:
        if spec.denominator is not None:
            raise ParameterError(f"metric '{spec.name}': an outcome rate takes no denominator; got {spec.denominator!r}")
        y = _boolean_column(units, spec.outcome).cast("float64")
        n = ibis.literal(1.0)
        valid = units[spec.outcome].notnull()
    else:
        y = _numeric(units, spec.numerator, spec.name)
        n = ibis.literal(1.0) if spec.denominator is None else _numeric(units, spec.denominator, spec.name)
        valid = y.notnull() & n.notnull()
        if spec.denominator is not None:
            valid &= ~n.isnan()
        valid &= ~y.isnan()
    return ibis.ifelse(valid, y, 0.0), ibis.ifelse(valid, n, 0.0)


def _numeric(units: ibis.Table, column: str, metric: str) -> ibis.Value:
    if column not in units.columns:
        raise ParameterError(
            f"metric '{metric}': column '{column}' is not in the units table; columns are: {', '.join(units.columns)}"
        )
    dtype = units[column].type()
    if not (dtype.is_numeric() or dtype.is_boolean()):
        raise ParameterError(f"metric '{metric}': column '{column}' must be numeric or boolean; it is {dtype}")
    return units[column].cast("float64")


def _ratio_readout(spec: RatioMetric, a: stats.ClusterSums, b: stats.ClusterSums, group_a: str, group_b: str,
                   alpha: float) -> Readout:
    """The readout of one ratio metric from the two variants' sums (see :func:`variant_ratios`)."""
    r = stats.ratio_metric_difference(a, b, alpha=alpha)
    if spec.kind == "rate":
        low_a, high_a = stats.clustered_wilson_ci(r.ratio_a, r.se_a, r.units_a, alpha=alpha)
        low_b, high_b = stats.clustered_wilson_ci(r.ratio_b, r.se_b, r.units_b, alpha=alpha)
    else:
        low_a, high_a, low_b, high_b = r.ratio_a_low, r.ratio_a_high, r.ratio_b_low, r.ratio_b_high
    return Readout(
        metric=spec.name,
        kind=spec.kind,
        group_a=group_a,
        group_b=group_b,
        value_a=r.ratio_a,
        value_b=r.ratio_b,
        n_a=round(r.units_a),
        n_b=round(r.units_b),
        abs_effect=r.diff,
        rel_effect=r.rel,
        ci_low=r.diff_low,
        ci_high=r.diff_high,
        rel_ci_low=r.rel_low,
        rel_ci_high=r.rel_high,
        p_value=r.p_value,
        alpha=alpha,
        unit="%" if spec.kind == "rate" else spec.unit,
        higher_is_better=spec.higher_is_better,
        value_a_low=float(low_a),
        value_a_high=float(high_a),
        value_b_low=float(low_b),
        value_b_high=float(high_b),
    )


# ---------------------------------------------------------------- internals


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


def _boolean_column(table: ibis.Table, column: str) -> ibis.BooleanColumn:
    if column not in table.columns:
        raise ParameterError(f"outcome column '{column}' is not in the table; columns are: {', '.join(table.columns)}")
    if not table[column].type().is_boolean():
        raise ParameterError(f"outcome column '{column}' must be boolean (true/false); it is {table[column].type()}")
    return table[column]


def _describe_windows(launch_date, guard_days: int, period_start, period_end) -> str:
    return (
        f"launch_date {launch_date}, guard_days {guard_days}, "
        f"period_start {period_start or 'open'}, period_end {period_end or 'open'}"
    )


def _count(x) -> int:
    """An integer count from an engine result; a SUM over no rows comes back missing and means 0."""
    return 0 if pd.isna(x) else int(x)


def _total(x) -> float:
    """A float sum from an engine result; missing (a SUM over no rows) means 0."""
    return 0.0 if pd.isna(x) else float(x)
