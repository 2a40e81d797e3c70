"""How fast users leave: Kaplan-Meier curves by segment and a Cox model's hazard ratios.

Both read the survival table (:func:`uem_helpers.analyses.churn.survival_table`: one row per
user, ``duration_days`` from their first active event to churn or censoring).

- :func:`kaplan_meier`: the share of users still active by day since their first active event,
  with the 95% interval (Greenwood, log-log, as lifelines computes it) and the users at risk;
- :func:`hazard_ratios`: a Cox proportional-hazards model with **time-varying** covariates
  ``payment_error`` and ``detractor`` (0 before the user's first payment error / detractor
  score, 1 from then on: counting them from the start would credit the time before they
  happened to them, the immortal-time bias) and the configured segments as one-hot levels
  against their largest level. Fitted with lifelines' ``CoxTimeVaryingFitter``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from uem_helpers.analyses.churn.definition import DAY_SECONDS

#: The time-varying covariates: the survival table's column holding when each starts.
TIME_VARYING = {"payment_error": "payment_error_at", "detractor": "detractor_at"}
#: Ridge penalty the Cox fit falls back to when the unpenalised fit does not converge (e.g. a level with no churn).
FALLBACK_PENALIZER = 0.01
#: Follow-up given to a user seen once (days: one second), so their interval has a positive length.
MIN_FOLLOW_UP_DAYS = 1 / DAY_SECONDS
_COLUMNS = ["covariate", "level", "reference", "hazard_ratio", "lower", "upper", "p_value", "users", "events"]


def kaplan_meier(table: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Kaplan-Meier survival curves, overall or per value of ``by``.

    Parameters
    ----------
    table : pandas.DataFrame
        The survival table (``duration_days``, ``churned`` and the ``by`` column).
    by : str, optional
        Segment column; one curve ``"all"`` when None.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``day`` (0, 1, 2, ... up to the group's longest duration), ``survival``,
        ``lower``, ``upper`` (95%), ``at_risk`` (users still followed at the start of that day),
        largest group first.
    """
    from lifelines import KaplanMeierFitter

    groups = [("all", table)] if by is None else [
        (str(name), part) for name, part in table.groupby(table[by].fillna("(missing)").astype(str), sort=False)]
    groups.sort(key=lambda item: -len(item[1]))
    frames = []
    for name, part in groups:
        if part.empty:
            continue
        fit = KaplanMeierFitter().fit(part["duration_days"], part["churned"].astype(bool))
        days = np.arange(0, int(np.ceil(part["duration_days"].max())) + 1)
        band = fit.confidence_interval_survival_function_
        durations = part["duration_days"].to_numpy(float)
        frames.append(pd.DataFrame({
            "group": name, "day": days,
            "survival": fit.survival_function_at_times(days).to_numpy(),
            "lower": _step(band.iloc[:, 0], days), "upper": _step(band.iloc[:, 1], days),
            "at_risk": (durations[None, :] >= days[:, None]).sum(axis=1),
        }))
    columns = ["group", "day", "survival", "lower", "upper", "at_risk"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _step(series: pd.Series, days: np.ndarray) -> np.ndarray:
    """A right-continuous step function (lifelines' index -> value) read at ``days``."""
    position = np.searchsorted(series.index.to_numpy(float), days, side="right") - 1
    return series.to_numpy(float)[np.clip(position, 0, None)]


def hazard_ratios(table: pd.DataFrame, segments: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Cox hazard ratios of the time-varying flags and the segments' levels, with 95% intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        The survival table.
    segments : list of str
        Segment columns of the table; each level against the column's largest level.

    Returns
    -------
    frame : pandas.DataFrame
        ``covariate``, ``level`` (``""`` for the flags), ``reference`` (the level it is compared with), ``hazard_ratio``, ``lower``, ``upper``,
        ``p_value``, ``users`` (with the flag at some time, or in the level) and ``events``
        (churned among them).
    notes : list of str
        Covariates left out (no variation, every user alike) and fitting fallbacks, in English.
    """
    from lifelines import CoxTimeVaryingFitter

    notes: list[str] = []
    rows = _intervals(table)
    covariates = []
    for name in TIME_VARYING:
        if name in rows and rows[name].nunique() > 1:
            covariates.append(name)
        elif name in rows:
            notes.append(f"{name} is left out of the Cox model: every user has the same value")
    levels: dict[str, tuple[str, str, str]] = {}
    for column in segments:
        values = table.set_index("user_id")[column].fillna("(missing)").astype(str)
        counts = values.value_counts()
        if len(counts) < 2:
            notes.append(f"segment {column} is left out of the Cox model: it has one value")
            continue
        for level in counts.index[1:]:
            name = f"{column}={level}"
            rows[name] = (rows["user_id"].map(values) == level).astype(float)
            levels[name] = (column, str(level), str(counts.index[0]))
            covariates.append(name)
    if not covariates or not table["churned"].any():
        return pd.DataFrame(columns=_COLUMNS), notes + ["no Cox model: nothing varies or nobody churned"]
    data = rows[["user_id", "start", "stop", "event", *covariates]]
    summary = None
    for penalizer in (0.0, FALLBACK_PENALIZER):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lifelines' convergence chatter; a failed fit raises below
                fit = CoxTimeVaryingFitter(penalizer=penalizer).fit(
                    data, id_col="user_id", event_col="event", start_col="start", stop_col="stop")
            summary = fit.summary
            if penalizer:
                notes.append(f"the Cox model needed a ridge penalty of {penalizer} to converge")
            break
        except Exception as exc:  # lifelines raises ConvergenceError and linear-algebra errors
            if penalizer:
                return pd.DataFrame(columns=_COLUMNS), notes + [f"the Cox model did not converge ({exc})"]
    users = table.set_index("user_id")
    out = []
    for name in covariates:
        row = summary.loc[name]
        flagged = rows.loc[rows[name] > 0, "user_id"].unique()
        column, level, reference = levels.get(name, (name, "", ""))
        out.append({"covariate": column, "level": level, "reference": reference, "hazard_ratio": float(row["exp(coef)"]),
                    "lower": float(row["exp(coef) lower 95%"]), "upper": float(row["exp(coef) upper 95%"]),
                    "p_value": float(row["p"]), "users": int(len(flagged)),
                    "events": int(users.loc[flagged, "churned"].sum())})
    return pd.DataFrame(out, columns=_COLUMNS), notes


def _intervals(table: pd.DataFrame) -> pd.DataFrame:
    """Each user's follow-up split where a time-varying flag switches on: ``user_id, start, stop, event`` + flags.

    Times are days since the user's first active event; a flag that starts at or before it is on from 0,
    one that starts after the user's follow-up ends never switches on. Only the last interval carries the
    event. A user seen once (no follow-up) is followed for :data:`MIN_FOLLOW_UP_DAYS`, as the Cox likelihood
    needs an interval of positive length.
    """
    entered = pd.to_datetime(table["entered_at"])
    stop = np.maximum(table["duration_days"].to_numpy(float), MIN_FOLLOW_UP_DAYS)
    starts = {}
    for name, column in TIME_VARYING.items():
        if column in table.columns:
            at = (pd.to_datetime(table[column]) - entered).dt.total_seconds().to_numpy() / DAY_SECONDS
            starts[name] = np.where(np.isnan(at), np.inf, np.clip(at, 0, None))
    points = np.sort(np.column_stack([np.zeros(len(stop)), *(np.minimum(s, stop) for s in starts.values()), stop]),
                     axis=1)
    begin, end = points[:, :-1], points[:, 1:]
    keep = end > begin
    user = np.repeat(np.arange(len(stop)), keep.sum(axis=1))
    begin, end = begin[keep], end[keep]
    out = pd.DataFrame({"user_id": table["user_id"].to_numpy()[user], "start": begin, "stop": end,
                        "event": table["churned"].astype(bool).to_numpy()[user] & (end == stop[user])})
    for name, s in starts.items():
        out[name] = (s[user] <= begin).astype(float)
    return out
