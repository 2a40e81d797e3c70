"""What drives churn: the model's drivers with intervals, and each user's reasons.

- :func:`drivers`: per feature, how much the model's validation AUC drops when the
  feature is shuffled (permutation importance), and the relative risk of churn of the
  users who "have it" against the rest, on the validation users (out of time), with
  Katz's interval. The relative risk is an association, not a cause.
- :func:`reasons`: for each user, the features that raised their score most.

Both return numbers; the presentation layer writes the sentences ("users with a payment
error in the last 14 days are 2.8x (2.1-3.7) as likely to churn").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from uem_helpers.analyses.churn.model import MIN_LEVEL_USERS, MISSING_LEVEL, SEED, ModelResult
from uem_helpers.stats import relative_risk

#: Shuffles per feature in the permutation importance.
N_REPEATS = 30

#: Validation users each shuffle scores, at most (a seeded draw without replacement when there are more): the
#: importance's cost is shuffles x features x users scored, an hour at a million users, and the drop of the
#: AUC it measures is estimated as well from this many.
IMPORTANCE_USERS = 100_000

#: Counts for which "has any" is the meaningful group (a flag), whatever their spread.
COUNTS = frozenset({
    "funnel_failures", "payment_errors", "payment_errors_recent", "carts_abandoned", "complaints",
    "support_contacts", "detractor",
})

FLAG, TOP_QUARTER = "flag", "top quarter"

DRIVER_COLUMNS = [
    "feature", "column", "importance", "importance_low", "importance_high", "condition", "threshold", "users_with",
    "users_without", "churn_with", "churn_without", "relative_risk", "rr_low", "rr_high",
]


def _is_flag(name: str, values: pd.Series) -> bool:
    """A count or a 0/1 column: compared as "has it" (> 0) against "does not"."""
    present = values.dropna()
    return name in COUNTS or name.startswith("complaint_") or bool(present.isin([0, 1]).all())


def _groups(name: str, column: pd.Series, categorical: bool) -> list[tuple[str, str, float, np.ndarray, np.ndarray]]:
    """(feature, condition, threshold, with, without) boolean masks for one input column."""
    if categorical:
        text = column.astype(object).where(column.notna(), MISSING_LEVEL).astype(str)
        counts = text.value_counts()
        return [(f"{name}={level}", FLAG, float("nan"), (text == level).to_numpy(), (text != level).to_numpy())
                for level in sorted(counts.index[counts >= MIN_LEVEL_USERS])]
    x = column.astype("float64")
    known = x.notna().to_numpy()
    if _is_flag(name, x):
        return [(name, FLAG, float("nan"), known & (x > 0).to_numpy(), known & (x <= 0).to_numpy())]
    if not known.any():
        return []
    threshold = float(np.nanquantile(x, 0.75))
    return [(name, TOP_QUARTER, threshold, known & (x >= threshold).to_numpy(), known & (x < threshold).to_numpy())]


def drivers(result: ModelResult, validate: pd.DataFrame, n_repeats: int = N_REPEATS, alpha: float = 0.05) -> pd.DataFrame:
    """The model's drivers on the validation users: permutation importance and relative risk of churn.

    - ``importance``: mean drop of the validation AUC when the feature's column is shuffled
      (``sklearn.inspection.permutation_importance``, ``n_repeats`` seeded shuffles; a segment
      column is shuffled as a whole; above :data:`IMPORTANCE_USERS` validation users, each
      shuffle scores a seeded draw of that many). ``importance_low``/``importance_high`` are the
      ``alpha/2`` and ``1 - alpha/2`` quantiles of the drops over the shuffles: how much the
      figure depends on the shuffle (and the draw), not the sampling error of the validation set.
    - ``condition``: ``"flag"`` for 0/1 flags and counts (:data:`COUNTS`, ``complaint_*``): users
      with a value above 0 against users with 0; ``"top quarter"`` for other numbers: users at
      or above ``threshold`` (the 75th percentile of the validation users) against those below
      (users without a value, e.g. no NPS answer, are in neither group). A segment column gives
      one flag row per level held by at least ``MIN_LEVEL_USERS`` users, named ``column=level``
      (that level against all others), with the column's importance; ``column`` names the input
      column of every row, so a reader can take one row per column.
    - ``relative_risk``: ``churn_with / churn_without`` with Katz's log interval
      (:func:`uem_helpers.stats.relative_risk`); NaN when a group is empty.

    Parameters
    ----------
    result : ModelResult
        The trained model.
    validate : pandas.DataFrame
        The validation users' features and ``churned`` (the frame given to ``train_and_validate``).
    n_repeats : int
        Shuffles per feature.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``feature, column, importance, importance_low, importance_high, condition, threshold, users_with,
        users_without, churn_with, churn_without, relative_risk, rr_low, rr_high``; most important first;
        a segment's levels together, the one whose relative risk is farthest from 1 first.
    """
    x = validate.loc[:, list(result.features)]
    y = validate["churned"].astype(int).to_numpy()
    drops = permutation_importance(result.pipeline, x, y, scoring="roc_auc", n_repeats=n_repeats,
                                   random_state=SEED, max_samples=min(len(x), IMPORTANCE_USERS)).importances
    rows = []
    for i, name in enumerate(result.features):
        low, high = np.quantile(drops[i], [alpha / 2, 1 - alpha / 2])
        for feature, condition, threshold, with_, without in _groups(name, x[name], name in result.categorical):
            rows.append([feature, name, float(drops[i].mean()), float(low), float(high), condition, threshold,
                         int(with_.sum()), int(without.sum()), int(y[with_].sum()), int(y[without].sum())])
    out = pd.DataFrame(rows, columns=DRIVER_COLUMNS[:9] + ["churned_with", "churned_without"])
    rr, rr_low, rr_high = relative_risk(out["churned_with"].to_numpy(), out["users_with"].to_numpy(),
                                        out["churned_without"].to_numpy(), out["users_without"].to_numpy(), alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = out.assign(churn_with=out["churned_with"] / out["users_with"].where(out["users_with"] > 0),
                         churn_without=out["churned_without"] / out["users_without"].where(out["users_without"] > 0),
                         relative_risk=rr, rr_low=rr_low, rr_high=rr_high)
    strength = np.abs(np.log(out["relative_risk"].to_numpy(dtype=float)))
    out = out.assign(_strength=np.nan_to_num(strength, nan=-1.0)).sort_values(
        ["importance", "column", "_strength", "feature"], ascending=[False, True, False, True], kind="stable")
    return out[DRIVER_COLUMNS].reset_index(drop=True)


def _origins(result: ModelResult) -> list[str]:
    """The input column each model column comes from, in the model's column order."""
    prepare = result.pipeline.calibrated_classifiers_[0].estimator.named_steps["prepare"]
    numeric = list(result.numeric)
    indicator = prepare.named_transformers_["numbers"].named_steps["simpleimputer"].indicator_
    origins = numeric + ([numeric[i] for i in indicator.features_] if indicator is not None else [])
    if result.categorical:
        encoder = prepare.named_transformers_["levels"].named_steps["onehotencoder"]
        for name, levels, rare in zip(result.categorical, encoder.categories_, encoder.infrequent_categories_):
            n_rare = 0 if rare is None else len(rare)
            origins += [name] * (len(levels) - n_rare + (1 if n_rare else 0))
    return origins


def contributions(result: ModelResult, features: pd.DataFrame) -> pd.DataFrame:
    """Each input's contribution to each user's calibrated log-odds of churn, against the average training user.

    The calibrated model's log-odds are ``s x (b + sum_j w_j z_j)``, with ``z_j`` the
    standardised model columns (mean 0 over the training users), ``w_j`` the logistic
    coefficients and ``s`` the Platt calibration's slope; column ``j`` contributes
    ``s x w_j x (z_j - 0)``. An input's contribution sums its columns (a number and its
    "was missing" indicator; a segment's level columns).

    Returns
    -------
    pandas.DataFrame
        One row per user (the frame's index), one column per input of the model.
    """
    calibrated = result.pipeline.calibrated_classifiers_[0]
    pipe = calibrated.estimator
    slope = -float(calibrated.calibrators[0].a_)
    z = pipe.named_steps["prepare"].transform(features.loc[:, list(result.features)])
    weights = slope * pipe.named_steps["logistic"].coef_[0]
    origins = np.array(_origins(result))
    per_column = z * weights
    summed = {name: per_column[:, origins == name].sum(axis=1) for name in result.features}
    return pd.DataFrame(summed, index=features.index)


def reasons(result: ModelResult, features: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Each user's (up to) ``k`` features that raised their churn score most.

    Only features that raised the score (a positive contribution, :func:`contributions`)
    are reasons; a user whose features all lower it has none.

    Parameters
    ----------
    result : ModelResult
        The trained model.
    features : pandas.DataFrame
        Users' features (index ``user_id``); extra columns are ignored.
    k : int
        Reasons per user at most.

    Returns
    -------
    pandas.DataFrame
        ``user_id, rank, feature, value, contribution``: ``rank`` 1 = the largest contribution;
        ``feature`` is the input's name, ``column=level`` for a segment; ``value`` the user's value
        (NaN when unknown); ``contribution`` in log-odds. Users in the frame's order.
    """
    columns = ["user_id", "rank", "feature", "value", "contribution"]
    if features.empty:
        return pd.DataFrame(columns=columns)
    share = contributions(result, features)
    order = pd.RangeIndex(len(share))
    long = share.set_axis(order).stack().rename("contribution").reset_index()
    long.columns = ["_row", "feature", "contribution"]
    long = long[long["contribution"] > 0].sort_values(["_row", "contribution"], ascending=[True, False], kind="stable")
    long["rank"] = long.groupby("_row").cumcount() + 1
    long = long[long["rank"] <= k]
    raw = features.loc[:, list(result.features)].set_axis(order)
    values = [raw.at[r, f] for r, f in zip(long["_row"], long["feature"])]
    level = long["feature"].isin(result.categorical).to_numpy()
    names = [f"{f}={MISSING_LEVEL if pd.isna(v) else v}" if is_level else f
             for f, v, is_level in zip(long["feature"], values, level)]
    return pd.DataFrame({
        "user_id": features.index.to_numpy()[long["_row"].to_numpy()],
        "rank": long["rank"].to_numpy(),
        "feature": names,
        "value": pd.Series(values, dtype=object).to_numpy(),
        "contribution": long["contribution"].to_numpy(),
    }, columns=columns)
