"""The churn model: trained at an earlier cutoff, validated out of time at a later one, against a recency baseline.

:func:`train_and_validate` takes two feature frames (one row per user, the columns of
:mod:`uem_helpers.analyses.churn.features` plus ``churned``): ``train`` from the training
cutoff and ``validate`` from the later validation cutoff, whose labels the model never saw.

- **Model**: an L2-regularised logistic regression in a scikit-learn pipeline: numbers
  imputed with their median (a column with gaps, such as ``nps_last``, also gets a 0/1
  "was missing" indicator) and standardised; text columns (segments) one-hot encoded, levels
  with fewer than :data:`MIN_LEVEL_USERS` training users grouped as one "infrequent" level, and the
  0/1 level columns standardised too (so the penalty treats every column alike and every model
  column has mean 0 over the training users).
- **Calibration**: Platt scaling fitted on 5-fold cross-validated scores of the training
  users (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``). The L2 penalty
  shrinks the coefficients, so the raw probabilities are pulled toward the base rate;
  the sigmoid refit on out-of-fold scores undoes that shrinkage and the in-sample optimism.
  A sigmoid of a logistic model's log-odds is again a logistic model (its coefficients
  times the calibration slope), so the calibrated model stays linear in the features and
  each user's reasons (:func:`uem_helpers.analyses.churn.drivers.reasons`) are exact
  contributions to the calibrated log-odds. The validation's calibration bins show
  whether it held out of time.
- **Baseline**: a logistic regression on ``days_since_active`` alone ("whoever has not been
  seen for longest"). The model is said to beat it only when the paired bootstrap interval
  of the AUC difference (same validation users) lies above 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from uem_helpers.core.errors import EXIT_DATA, UEMError
from uem_helpers.stats import auc_difference, calibration_bins, roc_auc_ci, top_share

#: Churned users needed in each of the training and the validation set.
#:
#: Validation: at least 100 events is the usual minimum for validating a risk model
#: (Vergouwe et al. 2005; Collins, Ogundimu & Altman 2016): with 100 churned of 1,000 users the
#: AUC's 95% interval is about ±0.06 (Hanley-McNeil at AUC 0.75) and the top decile's precision
#: about ±0.09, and fewer would leave "beats the baseline" to chance. Training: 100 churned users are about
#: four per model column (some 20 numbers, a few segment levels), which an L2-penalised
#: logistic regression with standardised inputs fits stably, where an unpenalised one would
#: want ten per column (Peduzzi et al. 1996).
MIN_CHURNED = 100

#: Segment levels with fewer training users than this are grouped into one "infrequent" level.
MIN_LEVEL_USERS = 30

#: Inverse strength of the L2 penalty on the standardised coefficients (scikit-learn's ``C``).
C = 1.0

#: Folds of the cross-validation that fits the calibration.
CALIBRATION_FOLDS = 5

#: Seed of every random step (folds, bootstraps, permutations): the same data give the same report.
SEED = 0

#: The one feature of the recency baseline.
BASELINE_FEATURE = "days_since_active"

#: Share of users at the top of the ranking whose precision and lift are reported.
TOP_SHARE = 0.1

#: Bins of the calibration table.
CALIBRATION_BINS = 10

#: The level a missing segment value is given.
MISSING_LEVEL = "(missing)"


class NotEnoughChurn(UEMError):
    """Too few users churned in the training or the validation set to fit and judge a model.

    Parameters
    ----------
    which : str
        ``"training"`` or ``"validation"``: the set that is short.
    churned : int
        Churned users in that set.
    users : int
        Users in that set.
    needed : int
        Churned users needed (:data:`MIN_CHURNED`).
    """

    exit_code = EXIT_DATA

    def __init__(self, which: str, churned: int, users: int, needed: int = MIN_CHURNED):
        self.which, self.churned, self.users, self.needed = which, churned, users, needed
        super().__init__(
            f"only {churned:,} of the {users:,} users of the {which} cutoff churned; training and validating the "
            f"churn model needs at least {needed:,} churned users in each of the training and validation sets. "
            "Use data covering a longer period (more users reach each cutoff) or a shorter churn.inactive_days "
            "(more gaps count as churn); the survival view does not need the model."
        )


@dataclass(frozen=True)
class Validation:
    """How well a score ranks and predicts churn on one set of users (the validation cutoff's).

    Attributes
    ----------
    users, churned : int
        Users scored and those who churned.
    base_rate : float
        ``churned / users``.
    auc, auc_low, auc_high : float
        ROC AUC with its stratified bootstrap interval (:func:`uem_helpers.stats.roc_auc_ci`).
    top_decile_precision, top_decile_precision_low, top_decile_precision_high : float
        Churn among the 10% highest scores, with its Wilson interval.
    top_decile_lift, top_decile_lift_low, top_decile_lift_high : float
        That churn over the base rate, with its bootstrap interval.
    calibration : pandas.DataFrame
        ``bin, predicted, observed, low, high, users``: ten equal bins by predicted risk,
        observed churn with Wilson intervals (:func:`uem_helpers.stats.calibration_bins`).
    """

    users: int
    churned: int
    base_rate: float
    auc: float
    auc_low: float
    auc_high: float
    top_decile_precision: float
    top_decile_precision_low: float
    top_decile_precision_high: float
    top_decile_lift: float
    top_decile_lift_low: float
    top_decile_lift_high: float
    calibration: pd.DataFrame


@dataclass(frozen=True)
class ModelResult:
    """The trained churn model, its out-of-time validation and the recency baseline's.

    Attributes
    ----------
    pipeline : sklearn.calibration.CalibratedClassifierCV
        The fitted, calibrated model; ``predict_proba`` takes a features frame (:func:`score` does it).
    baseline_pipeline : sklearn.pipeline.Pipeline
        The fitted recency baseline (``days_since_active`` only).
    features : tuple of str
        The model's input columns, in order.
    numeric, categorical : tuple of str
        Those of them treated as numbers and as segment levels.
    validation, baseline : Validation
        The model's and the baseline's figures on the validation users.
    auc_difference, auc_difference_low, auc_difference_high : float
        The model's AUC minus the baseline's, with the paired bootstrap interval.
    beats_baseline : bool
        True when that interval lies above 0.
    train_users, train_churned : int
        Users and churned users the model learnt from.
    """

    pipeline: CalibratedClassifierCV
    baseline_pipeline: Pipeline
    features: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    validation: Validation
    baseline: Validation
    auc_difference: float
    auc_difference_low: float
    auc_difference_high: float
    beats_baseline: bool
    train_users: int
    train_churned: int


def _as_levels(frame: pd.DataFrame) -> np.ndarray:
    """Segment columns as text, a missing value as its own level (module-level, so a pipeline pickles)."""
    return frame.astype(object).where(frame.notna(), MISSING_LEVEL).astype(str).to_numpy(dtype=object)


def _as_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Numbers, counts and 0/1 flags (bool or nullable integers too) as floats, a missing value as NaN."""
    return frame.astype("float64").to_numpy()


def _columns(frame: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's numeric and categorical inputs: every column but ``churned``; all-empty numbers are left out."""
    numeric, categorical = [], []
    for name in frame.columns:
        if name == "churned":
            continue
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            if column.notna().any():
                numeric.append(str(name))
        else:
            categorical.append(str(name))
    return tuple(numeric), tuple(categorical)


def _model(numeric: tuple[str, ...], categorical: tuple[str, ...]) -> CalibratedClassifierCV:
    numbers = make_pipeline(
        FunctionTransformer(_as_numbers, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
    )
    levels = make_pipeline(
        FunctionTransformer(_as_levels, feature_names_out="one-to-one"),
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=MIN_LEVEL_USERS, sparse_output=False),
        StandardScaler(),
    )
    prepare = ColumnTransformer(
        [("numbers", numbers, list(numeric)), ("levels", levels, list(categorical))], remainder="drop"
    )
    logistic = Pipeline([("prepare", prepare), ("logistic", LogisticRegression(C=C, max_iter=2000))])
    return CalibratedClassifierCV(
        logistic, method="sigmoid", ensemble=False,
        cv=StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=SEED),
    )


def _baseline() -> Pipeline:
    return Pipeline([
        ("prepare", ColumnTransformer([("recency", SimpleImputer(strategy="median"), [BASELINE_FEATURE])])),
        ("scale", StandardScaler()),
        ("logistic", LogisticRegression(max_iter=1000)),
    ])


def _labels(frame: pd.DataFrame, which: str) -> np.ndarray:
    if "churned" not in frame.columns:
        raise ValueError(f"the {which} frame has no 'churned' column; join the labels to the features first")
    y = frame["churned"]
    if y.isna().any():
        raise ValueError(f"the {which} frame has {int(y.isna().sum())} user(s) without a churn label")
    return y.astype(int).to_numpy()


def _check_enough(y: np.ndarray, which: str) -> None:
    churned = int(y.sum())
    if churned < MIN_CHURNED:
        raise NotEnoughChurn(which, churned, int(y.size))


def _validation(y: np.ndarray, risk: np.ndarray) -> Validation:
    auc = roc_auc_ci(y, risk, seed=SEED)
    top = top_share(y, risk, share=TOP_SHARE, seed=SEED)
    return Validation(
        users=int(y.size), churned=int(y.sum()), base_rate=float(y.mean()),
        auc=auc.auc, auc_low=auc.low, auc_high=auc.high,
        top_decile_precision=top.precision, top_decile_precision_low=top.precision_low,
        top_decile_precision_high=top.precision_high,
        top_decile_lift=top.lift, top_decile_lift_low=top.lift_low, top_decile_lift_high=top.lift_high,
        calibration=calibration_bins(y, risk, bins=CALIBRATION_BINS),
    )


def _inputs(frame: pd.DataFrame, features: tuple[str, ...], which: str) -> pd.DataFrame:
    absent = [f for f in features if f not in frame.columns]
    if absent:
        raise ValueError(f"the {which} frame lacks the model's feature(s) {', '.join(absent)}; "
                         "build every frame with the same features as the training frame")
    return frame.loc[:, list(features)]


def train_and_validate(train: pd.DataFrame, validate: pd.DataFrame) -> ModelResult:
    """Train the churn model on one cutoff's users and validate it, with the baseline, on a later cutoff's.

    Parameters
    ----------
    train : pandas.DataFrame
        Users eligible at the training cutoff: their features (numbers, 0/1 flags, NaN where
        unknown, text segment columns) and ``churned`` (0/1 or bool), index ``user_id``.
    validate : pandas.DataFrame
        The same columns for the users eligible at the (later) validation cutoff.

    Returns
    -------
    ModelResult

    Raises
    ------
    NotEnoughChurn
        Fewer than :data:`MIN_CHURNED` users churned in ``train`` or in ``validate``.
    ValueError
        A frame has no ``churned`` column, or ``validate`` lacks one of ``train``'s features,
        or ``days_since_active`` is missing.
    """
    y_train, y_validate = _labels(train, "training"), _labels(validate, "validation")
    _check_enough(y_train, "training")
    _check_enough(y_validate, "validation")
    if BASELINE_FEATURE not in train.columns:
        raise ValueError(f"the features have no '{BASELINE_FEATURE}' column; the recency baseline needs it")
    numeric, categorical = _columns(train)
    features = numeric + categorical
    model = _model(numeric, categorical).fit(_inputs(train, features, "training"), y_train)
    baseline = _baseline().fit(train[[BASELINE_FEATURE]], y_train)
    x_validate = _inputs(validate, features, "validation")
    risk = model.predict_proba(x_validate)[:, 1]
    baseline_risk = baseline.predict_proba(validate[[BASELINE_FEATURE]])[:, 1]
    difference = auc_difference(y_validate, baseline_risk, risk, seed=SEED)
    return ModelResult(
        pipeline=model, baseline_pipeline=baseline, features=features, numeric=numeric, categorical=categorical,
        validation=_validation(y_validate, risk), baseline=_validation(y_validate, baseline_risk),
        auc_difference=difference.diff, auc_difference_low=difference.diff_low,
        auc_difference_high=difference.diff_high, beats_baseline=bool(difference.diff_low > 0),
        train_users=int(y_train.size), train_churned=int(y_train.sum()),
    )


def score(result: ModelResult, features: pd.DataFrame) -> pd.Series:
    """Each user's calibrated churn risk (probability of churning within ``inactive_days``).

    Parameters
    ----------
    result : ModelResult
        The trained model.
    features : pandas.DataFrame
        Users' features (index ``user_id``); other columns (``churned``, ``risk``) are ignored.

    Returns
    -------
    pandas.Series
        ``risk`` by ``user_id``, in the frame's order.
    """
    x = _inputs(features, result.features, "scored")
    risk = result.pipeline.predict_proba(x)[:, 1] if len(x) else np.empty(0)
    return pd.Series(risk, index=features.index, name="risk")
