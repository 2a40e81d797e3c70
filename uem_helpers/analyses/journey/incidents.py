"""Incident watch: the daily conversion of each journey step, against p-chart control limits.

Definitions (issue #7)
----------------------
For each consecutive pair ``(a, b)`` of ``steps`` (the step ``"a → b"``) and
each day (local date of the step-a event, naive wall-clock time in the
config's zone):

- ``trials``: step-a events that day;
- ``successes``: those step-a events that a step-b event follows later in the
  same session (at a later position, :func:`uem_helpers.analyses.sessions.sessionize`,
  not necessarily the very next event);
- ``rate`` = successes / trials.

**p-chart** (Shewhart control chart of a proportion): per step, the
``center`` is the pooled rate over the period (all successes / all trials);
the limits of a day are ``center ± sigmas·sqrt(center·(1 - center) / trials)``
(3 sigmas by default), clipped to [0, 1]. A day whose rate is below the lower
limit is ``"below"`` (a possible incident: conversion fell by more than chance
explains); above the upper limit ``"above"``. With 3 sigmas a healthy step
raises a false alarm on about 0.3% of days (fewer below than that on
small days, where the binomial is skewed). The center includes the incident
days themselves, so a long incident pulls it down and shortens its own list.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import ibis
import numpy as np
import pandas as pd

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.sessions import Sessions

#: Joins two step names in the ``step`` label.
ARROW = " → "
#: Columns of :func:`step_conversion_daily`.
DAILY_COLUMNS = ["date", "step_index", "step", "trials", "successes", "rate"]
#: Columns of :func:`p_chart`.
CHART_COLUMNS = DAILY_COLUMNS + ["center", "lcl", "ucl", "outside"]
#: Columns of :func:`possible_incidents`.
INCIDENT_COLUMNS = ["step", "outside", "first_date", "last_date", "days", "trials", "successes", "rate", "center"]


def step_conversion_daily(
    sessions: Sessions,
    steps: Sequence[str],
) -> pd.DataFrame:
    """Per step ``a → b`` and day: step-a events, and how many a step-b event follows in the session.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    steps : sequence of str
        Event names of the journey's steps, in order (at least two).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DAILY_COLUMNS`: ``date`` (datetime64, midnight of the local date),
        ``step_index`` (1 for the first pair), ``step`` (``"a → b"``), ``trials``,
        ``successes``, ``rate``; one row per step and day with at least one trial,
        in step and date order.
    """
    steps = _check_steps(steps)
    # The step events alone, ordered as in their sessions (Sessions.only): whether a step-b event
    # comes later than a step-a event depends on those two events' order only, not on the events between.
    t = sessions.only(steps)
    # The last place of each later step name in the session: a step-b event follows
    # a step-a event when that place is after the step-a event's own.
    last_column = {name: f"_last_{i}" for i, name in enumerate(dict.fromkeys(steps[1:]))}
    in_session = ibis.window(group_by=t.session)
    t = t.mutate(**{
        column: t.place.max(where=t.event == name).over(in_session) for name, column in last_column.items()
    })
    pairs = []
    for i, (a, b) in enumerate(pairwise(steps), start=1):
        rows = t.filter(t.event == a)
        pairs.append(rows.select(
            date=rows.timestamp.date(),
            step_index=ibis.literal(i, "int64"),
            step=ibis.literal(f"{a}{ARROW}{b}", "string"),
            success=(rows[last_column[b]].fill_null(0) > rows.place).cast("int64"),
        ))
    union = ibis.union(*pairs, distinct=False) if len(pairs) > 1 else pairs[0]
    daily = union.group_by(["step_index", "step", "date"]).aggregate(
        trials=union.count(), successes=union.success.sum()
    ).execute()
    daily["date"] = pd.to_datetime(daily["date"])
    for column in ("step_index", "trials", "successes"):
        daily[column] = daily[column].astype("int64")
    daily["step"] = daily["step"].astype(object)
    daily["rate"] = daily["successes"] / daily["trials"]
    return daily.sort_values(["step_index", "date"], kind="stable")[DAILY_COLUMNS].reset_index(drop=True)


def p_chart(daily: pd.DataFrame, *, sigmas: float = 3.0) -> pd.DataFrame:
    """Control limits for each step's daily rate, and the days outside them (definitions in the module docstring).

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`step_conversion_daily`, or any frame with ``date``, ``step``, ``trials`` and ``successes``.
    sigmas : float
        Width of the limits in standard errors (3 is the usual Shewhart chart).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHART_COLUMNS` (``step_index`` numbered in order of appearance when the input has
        none); ``outside`` is ``"below"``, ``"above"`` or None.
    """
    missing = [c for c in ("date", "step", "trials", "successes") if c not in daily.columns]
    if missing:
        raise ParameterError(
            f"p_chart needs the frame of step_conversion_daily(); missing column(s): {', '.join(missing)}"
        )
    if isinstance(sigmas, bool) or not isinstance(sigmas, int | float) or not sigmas > 0:
        raise ParameterError(f"sigmas={sigmas!r} must be a positive number (3 is usual)")
    out = daily.copy()
    if "step_index" not in out.columns:
        out["step_index"] = pd.factorize(out["step"])[0] + 1
    trials, successes = out["trials"].astype("int64"), out["successes"].astype("int64")
    if (trials <= 0).any() or (successes < 0).any() or (successes > trials).any():
        raise ParameterError("p_chart needs trials > 0 and 0 <= successes <= trials on every row")
    out["trials"], out["successes"] = trials, successes
    out["rate"] = successes / trials
    totals = out.groupby("step", sort=False)[["trials", "successes"]].transform("sum")
    center = totals["successes"] / totals["trials"]
    spread = sigmas * np.sqrt(center * (1 - center) / trials)
    out["center"] = center
    out["lcl"] = (center - spread).clip(lower=0.0)
    out["ucl"] = (center + spread).clip(upper=1.0)
    outside = np.where(out["rate"] < out["lcl"], "below", np.where(out["rate"] > out["ucl"], "above", None))
    out["outside"] = pd.Series(outside, index=out.index, dtype=object)
    return out.sort_values(["step_index", "date"], kind="stable")[CHART_COLUMNS].reset_index(drop=True)


def possible_incidents(chart: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive days outside the limits, per step: the incident list.

    Parameters
    ----------
    chart : pandas.DataFrame
        :func:`p_chart`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INCIDENT_COLUMNS`: one row per run of consecutive calendar days on the same
        side of the limits (``outside`` "below" or "above"), with the run's pooled ``rate`` and the
        step's ``center``; in step order, then by first date.
    """
    missing = [c for c in ("date", "step", "trials", "successes", "center", "outside") if c not in chart.columns]
    if missing:
        raise ParameterError(f"possible_incidents needs the frame of p_chart(); missing column(s): {', '.join(missing)}")
    flagged = chart[chart["outside"].notna()].copy()
    if flagged.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("step", "outside") else "float64")
                             for c in INCIDENT_COLUMNS}).astype(
            {"first_date": "datetime64[ns]", "last_date": "datetime64[ns]", "days": "int64", "trials": "int64",
             "successes": "int64"})
    flagged["date"] = pd.to_datetime(flagged["date"])
    flagged = flagged.sort_values(["step", "outside", "date"], kind="stable")
    same_run = (
        (flagged["step"] == flagged["step"].shift())
        & (flagged["outside"] == flagged["outside"].shift())
        & (flagged["date"] - flagged["date"].shift() == pd.Timedelta(days=1))
    )
    flagged["run"] = (~same_run).cumsum()
    order = "step_index" if "step_index" in flagged.columns else "step"
    runs = flagged.groupby("run").agg(
        order=(order, "first"), step=("step", "first"), outside=("outside", "first"), first_date=("date", "min"),
        last_date=("date", "max"), days=("date", "size"), trials=("trials", "sum"), successes=("successes", "sum"),
        center=("center", "first"),
    )
    runs["rate"] = runs["successes"] / runs["trials"]
    runs = runs.sort_values(["order", "first_date"], kind="stable")
    return runs[INCIDENT_COLUMNS].reset_index(drop=True)


def _check_steps(steps: Sequence[str]) -> list[str]:
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) < 2:
        raise ParameterError(f"steps must list at least two event names in order; got {steps!r}")
    bad = [s for s in steps if not isinstance(s, str) or not s]
    if bad:
        raise ParameterError(f"steps must be event names (non-empty strings); got {bad!r} in {list(steps)!r}")
    return list(steps)
