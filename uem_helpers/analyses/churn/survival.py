"""How fast users leave: Kaplan-Meier curves by segment and a Cox model's hazard ratios.

Both read the survival table (:func:`~uem_helpers.analyses.churn.lifetimes.survival_table`, one row
per user, already small): a user's lifetime runs from entry (day 0) to ``duration_days``; it ends
in churn when ``churned``, else it is right-censored.

- **Kaplan-Meier**: ``S(t)``, the share of users still not churned ``t`` days after entry, with
  95% intervals (lifelines' exponential Greenwood interval), read on every whole day from 0 to the
  group's longest lifetime; ``at_risk`` is the users whose lifetime reaches that day.
- **Cox hazard ratios** (proportional hazards, :func:`~uem_helpers.analyses.churn.cox.fit_cox`: the
  model and numbers of lifelines' ``CoxTimeVaryingFitter``, in time linear in the users): each lifetime
  is split at the user's first payment error and first detractor answer (days since entry; one
  at or before entry counts from day 0), so ``payment_error`` and ``detractor`` are 0 before and
  1 from then on; a covariate that happens at or after the end of the lifetime does not count.
  Each segment column enters one-hot, its largest level the reference. A hazard ratio of 2 means
  users with that covariate leave at twice the rate, at every moment, of comparable users without it.
  Covariates that do not vary are left out, and said so; a small ridge penalty is added only when
  the plain fit does not converge, and said so.

Example
-------
>>> curves = kaplan_meier(table, "segment")                       # doctest: +SKIP
>>> hazards, notes = hazard_ratios(table, ["segment", "platform"])  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from pandas.errors import Pandas4Warning

from uem_helpers.analyses.churn.cox import fit_cox

#: The time-varying flags of the Cox model and the survival-table column that turns each on.
FLAGS = {"payment_error": "payment_error_at", "detractor": "detractor_at"}
#: The group of the one curve when :func:`kaplan_meier` is not given a segment column.
ALL = "all"
#: The ridge penalty a Cox fit gets when the plain fit does not converge.
PENALIZER = 0.01
#: Columns of :func:`kaplan_meier`'s and :func:`hazard_ratios`' frames.
CURVE_COLUMNS = ["group", "day", "survival", "lower", "upper", "at_risk"]
HAZARD_COLUMNS = ["covariate", "level", "reference", "hazard_ratio", "lower", "upper", "p_value", "users", "events"]
#: A fitted log hazard ratio beyond this (a ratio past 22,000) is the sign of a fit that ran off to infinity.
MAX_LOG_RATIO = 10.0
#: Length (days) given to a lifetime of 0 (churned at entry) so it is an interval at risk from day 0.
ZERO_LIFETIME = 1e-6


@contextmanager
def _lifelines_quietly():
    """lifelines 0.30 calls pandas reductions positionally (``df.var(0)``), which pandas 3 warns about;
    that warning is about lifelines' code, not our data, so it is silenced here and only here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Starting with pandas version 4.0 all arguments of",
                                category=Pandas4Warning)
        yield


def kaplan_meier(table: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Kaplan-Meier survival curves, overall or one per level of a segment column.

    Parameters
    ----------
    table : pandas.DataFrame
        The survival table: ``duration_days``, ``churned`` and ``by``.
    by : str, optional
        Segment column to draw one curve per level of; one curve, group ``"all"``, when None.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``day`` (0, 1, ... to the group's longest lifetime), ``survival`` (share not yet
        churned at the end of that day), ``lower``, ``upper`` (95% interval), ``at_risk`` (users whose
        lifetime reaches that day); groups from the largest to the smallest.
    """
    if by is not None and by not in table.columns:
        raise KeyError(f"the survival table has no column '{by}'; columns: {', '.join(table.columns)}")
    groups = pd.Series(ALL, index=table.index) if by is None else table[by].astype(str)
    order = groups.value_counts(sort=False).reset_index()
    order.columns = ["group", "users"]
    order = order.sort_values(["users", "group"], ascending=[False, True])
    parts = [_curve(table.loc[groups == name], name) for name in order["group"]]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in CURVE_COLUMNS}).astype(
            {"group": "object", "day": "int64", "at_risk": "int64"})
    return pd.concat(parts, ignore_index=True)


def _curve(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """One group's curve on whole days."""
    durations = rows["duration_days"].to_numpy(dtype=float)
    days = np.arange(0, int(np.floor(durations.max())) + 1)
    with _lifelines_quietly(), np.errstate(divide="ignore", invalid="ignore"):
        fit = KaplanMeierFitter().fit(durations, rows["churned"].astype(bool).to_numpy(), timeline=days)
    band = fit.confidence_interval_survival_function_.to_numpy()
    survival = fit.survival_function_.iloc[:, 0].to_numpy()
    lower, upper = band[:, 0], band[:, 1]
    gone = survival <= 0  # the interval is undefined at 0 survival: it is 0 there
    lower, upper = np.where(gone, 0.0, lower), np.where(gone, 0.0, upper)
    ordered = np.sort(durations)
    at_risk = len(ordered) - np.searchsorted(ordered, days, side="left")
    return pd.DataFrame({"group": name, "day": days.astype("int64"), "survival": survival, "lower": lower,
                         "upper": upper, "at_risk": at_risk.astype("int64")})


def hazard_ratios(table: pd.DataFrame, segments: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Cox hazard ratios of the time-varying payment-error and detractor flags and the segments.

    Parameters
    ----------
    table : pandas.DataFrame
        The survival table (``user_id``, ``entered_at``, ``churned``, ``duration_days``,
        ``payment_error_at``, ``detractor_at`` and the segment columns).
    segments : list of str
        Segment columns to adjust for, each one-hot with its largest level as the reference.

    Returns
    -------
    tuple
        ``(frame, notes)``. ``frame``: ``covariate`` (``payment_error``, ``detractor`` or the segment
        column), ``level`` (the segment's level; ``""`` for a flag), ``reference`` (the segment's
        reference level; ``""`` for a flag), ``hazard_ratio``, ``lower``, ``upper`` (95%), ``p_value``,
        ``users`` (users with the flag during their lifetime, or in the level), ``events`` (churns while
        flagged, or in the level). ``notes``: sentences about what was left out and why, or a penalty
        needed to converge; the frame is empty when nothing could be estimated.
    """
    notes: list[str] = []
    missing = [c for c in segments if c not in table.columns]
    if missing:
        raise KeyError(f"the survival table has no column(s) {', '.join(missing)}; columns: {', '.join(table.columns)}")
    if not table["churned"].astype(bool).any():
        return _empty(), ["The Cox model cannot be fitted: nobody churned."]
    rows, dummies, levels, segment_notes = _segments(_split(table), table, segments)
    covariates: list[str] = []
    described: list[dict] = []
    for flag in FLAGS:
        on = rows[rows[flag] == 1]
        users, events = on["user_id"].nunique(), int(on["event"].sum())
        if users == 0:
            notes.append(f"No user had a {_words(flag)} during their lifetime, so it is not in the Cox model.")
        elif (rows[flag] == 1).all():
            notes.append(f"Every user had a {_words(flag)} from the start, so it cannot be compared and is not in "
                         "the Cox model.")
        elif events == 0:
            notes.append(f"None of the {users} users with a {_words(flag)} churned after it, so its hazard ratio "
                         "cannot be estimated and it is not in the Cox model.")
        else:
            covariates.append(flag)
            described.append({"covariate": flag, "level": "", "reference": "", "users": users, "events": events})
    notes += segment_notes
    covariates += dummies
    described += levels
    if not covariates:
        return _empty(), notes
    if int(rows["event"].sum()) == 0:
        notes.append("The Cox model cannot be fitted: nobody churned among the users left in it.")
        return _empty(), notes
    fitted, more = _fit(rows, covariates)
    notes += more
    if fitted is None:
        return _empty(), notes
    frame = pd.concat([pd.DataFrame(described), fitted], axis=1)
    return frame[HAZARD_COLUMNS].astype({"users": "int64", "events": "int64"}), notes


def _words(flag: str) -> str:
    return {"payment_error": "payment error", "detractor": "detractor NPS answer"}[flag]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in HAZARD_COLUMNS})
    return frame.astype({"covariate": "object", "level": "object", "reference": "object", "users": "int64",
                         "events": "int64"})


def _split(table: pd.DataFrame) -> pd.DataFrame:
    """Start/stop rows: each lifetime cut where a flag turns on, the flags 0 before and 1 from then on."""
    stop = table["duration_days"].to_numpy(dtype=float)
    stop = np.where(stop > 0, stop, ZERO_LIFETIME)
    base = pd.DataFrame({"user_id": table["user_id"].to_numpy(), "_row": np.arange(len(table)), "_end": stop,
                         "_churned": table["churned"].astype(bool).to_numpy()})
    onsets = {}
    for flag, column in FLAGS.items():
        since = (pd.to_datetime(table[column]) - pd.to_datetime(table["entered_at"])) / pd.Timedelta(days=1)
        since = since.to_numpy(dtype=float)  # NaN: never
        onsets[flag] = np.where(since <= 0, 0.0, since)
    cuts = [np.zeros(len(table)), *(np.where((t > 0) & (t < stop), t, np.nan) for t in onsets.values())]
    points = pd.DataFrame({"_row": np.tile(np.arange(len(table)), len(cuts)), "start": np.concatenate(cuts)})
    points = points.dropna().drop_duplicates().sort_values(["_row", "start"], kind="stable")
    rows = points.merge(base, on="_row", how="left")
    rows["stop"] = rows.groupby("_row")["start"].shift(-1).fillna(rows["_end"])
    rows["event"] = (rows["_churned"] & (rows["stop"] == rows["_end"])).astype("int64")
    for flag, onset in onsets.items():
        at = onset[rows["_row"].to_numpy()]
        rows[flag] = ((at <= rows["start"].to_numpy()) & (at < rows["_end"].to_numpy())).astype("int64")
    return rows.drop(columns=["_end", "_churned"])


def _segments(rows: pd.DataFrame, table: pd.DataFrame, segments: list[str]):
    """One-hot columns of the segments (largest level the reference), what each describes, and notes.

    Users of a level in which nobody churned are left out of the model (its ratio would be 0), and said so.
    """
    notes, dummies, described = [], [], []
    keep = np.ones(len(table), dtype=bool)
    values = {c: table[c].astype(str).to_numpy() for c in segments}
    for column in segments:
        counts = pd.Series(values[column]).value_counts()
        churned = pd.Series(table["churned"].astype(bool).to_numpy()).groupby(values[column]).sum()
        if len(counts) < 2:
            notes.append(f"Every user has the same {column} ({counts.index[0] if len(counts) else 'none'}), so it "
                         "is not in the Cox model.")
            continue
        empty = [level for level in counts.index if churned.get(level, 0) == 0]
        for level in empty:
            notes.append(f"None of the {int(counts[level])} users with {column} {level} churned, so they are left "
                         "out of the Cox model.")
            keep &= values[column] != level
        counts = counts.drop(empty)
        if len(counts) < 2:
            notes.append(f"Only one {column} with churned users is left, so {column} is not in the Cox model.")
            continue
        reference = sorted(counts.index, key=lambda level: (-counts[level], level))[0]
        for level in sorted(counts.index):
            if level == reference:
                continue
            name = f"{column}={level}"
            rows[name] = (values[column][rows["_row"].to_numpy()] == level).astype("int64")
            dummies.append(name)
            described.append({"covariate": column, "level": level, "reference": reference,
                              "users": int(counts[level]), "events": int(churned[level])})
    rows = rows[keep[rows["_row"].to_numpy()]]
    return rows.drop(columns=["_row"]), dummies, described, notes


def _fit(rows: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame | None, list[str]]:
    """The Cox fit's hazard ratios, with a small penalty when the plain fit does not converge; None if neither does."""
    problem = ""
    for penalizer in (0.0, PENALIZER):
        fit = fit_cox(rows[covariates].to_numpy(dtype=float), rows["start"], rows["stop"], rows["event"],
                      penalizer=penalizer)
        with np.errstate(over="ignore", invalid="ignore"):  # a fit that ran off has infinite intervals
            frame = pd.DataFrame({"hazard_ratio": fit.hazard_ratio, "lower": fit.lower, "upper": fit.upper,
                                  "p_value": fit.p_value})
        sane = np.isfinite(frame[["hazard_ratio", "lower", "upper"]].to_numpy()).all() \
            and (np.abs(fit.coef) < MAX_LOG_RATIO).all()
        if fit.converged and sane:
            if penalizer:
                return frame, [f"The Cox model converged only with a small penalty ({penalizer}), which pulls "
                               "its hazard ratios slightly towards 1."]
            return frame, []
        problem = fit.problem or "a hazard ratio without a finite estimate (complete separation)"
    return None, [f"The Cox model did not converge, even with a small penalty ({PENALIZER}): {problem}. No hazard "
                  "ratios are shown."]
