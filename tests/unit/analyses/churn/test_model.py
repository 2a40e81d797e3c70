"""The churn model (analyses/churn/model.py): planted effects recovered, the baseline judged honestly, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from tests.unit.analyses.churn.synthetic import churn_frame
from uem_helpers.analyses.churn import (
    MIN_CHURNED,
    NotEnoughChurn,
    contributions,
    score,
    train_and_validate,
)
from uem_helpers.core.errors import EXIT_DATA, UEMError

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def planted():
    train, validate = churn_frame(3000, 1), churn_frame(3000, 2, start=3000)
    return train, validate, train_and_validate(train, validate)


@pytest.fixture(scope="module")
def recency_only():
    train = churn_frame(3000, 3, recency_only=True)
    validate = churn_frame(3000, 4, recency_only=True, start=3000)
    return train_and_validate(train, validate)


def test_the_model_beats_the_recency_baseline_when_the_features_carry_signal(planted):
    _, _, result = planted
    v, b = result.validation, result.baseline
    assert result.beats_baseline
    assert 0 < result.auc_difference_low < result.auc_difference < result.auc_difference_high
    assert result.auc_difference == pytest.approx(v.auc - b.auc)
    assert v.auc_low < v.auc < v.auc_high and v.auc > 0.65
    assert v.top_decile_lift_low > b.top_decile_lift  # the model's top decile holds more churn than recency's


def test_the_model_does_not_claim_to_beat_recency_when_only_recency_matters(recency_only):
    result = recency_only
    assert not result.beats_baseline
    assert result.auc_difference_low < 0 < result.auc_difference_high
    assert result.baseline.auc_low < result.baseline.auc  # the baseline itself finds the recency signal
    assert result.baseline.auc_low > 0.5


def test_validation_figures_agree_with_the_scores(planted):
    _, validate, result = planted
    risk = score(result, validate)
    y = validate["churned"].astype(int)
    v = result.validation
    assert (v.users, v.churned) == (3000, int(y.sum()))
    assert v.base_rate == pytest.approx(y.mean())
    assert v.auc == pytest.approx(roc_auc_score(y, risk))
    top = risk.sort_values(ascending=False).index[:300]  # scores are continuous: no ties at the cut
    assert v.top_decile_precision == pytest.approx(y[top].mean())
    assert v.top_decile_lift == pytest.approx(y[top].mean() / y.mean())
    assert v.top_decile_precision_low < v.top_decile_precision < v.top_decile_precision_high
    assert list(v.calibration.columns) == ["bin", "predicted", "observed", "low", "high", "users"]
    assert v.calibration["users"].sum() == 3000
    assert (result.train_users, result.train_churned) == (3000, int(planted[0]["churned"].sum()))


def test_the_calibrated_model_predicts_the_observed_churn_out_of_time(planted):
    # Train and validation users come from the same planted risk, so a calibrated model's
    # predicted risk matches observed churn in every bin (within the Wilson intervals).
    _, validate, result = planted
    bins = result.validation.calibration
    inside = (bins["low"] <= bins["predicted"]) & (bins["predicted"] <= bins["high"])
    assert inside.sum() >= 9
    assert score(result, validate).mean() == pytest.approx(result.validation.base_rate, abs=0.015)
    assert bins["predicted"].is_monotonic_increasing
    assert bins["observed"].iloc[-1] > 2 * bins["observed"].iloc[0]


def test_planted_drivers_raise_the_score_and_noise_hardly_moves_it(planted):
    _, validate, result = planted
    c = contributions(result, validate)
    errors = validate["payment_errors_recent"] > 0
    assert c.loc[errors, "payment_errors_recent"].mean() > 0.3 > 0 > c.loc[~errors, "payment_errors_recent"].mean()
    detractors = validate["detractor"] == 1
    assert c.loc[detractors, "detractor"].mean() > 0.2
    returning = validate["segment"] == "returning"
    assert c.loc[returning, "segment"].mean() < -0.2 < 0 < c.loc[~returning, "segment"].mean()
    assert c["days_since_active"].corr(validate["days_since_active"]) > 0.99
    assert c["complaint_price"].abs().max() < c["payment_errors_recent"].abs().max() / 3


def test_training_is_deterministic(planted):
    train, validate, result = planted
    again = train_and_validate(train, validate)
    assert again.validation.auc_low == result.validation.auc_low
    assert again.auc_difference_low == result.auc_difference_low
    pd.testing.assert_series_equal(score(again, validate), score(result, validate))
    pd.testing.assert_frame_equal(again.validation.calibration, result.validation.calibration)


def test_score_ignores_other_columns_and_handles_gaps_and_unseen_levels(planted):
    train, validate, result = planted
    assert "platform" in result.categorical and "nps_last" in result.numeric
    assert "churned" not in result.features
    users = validate.head(4).copy()
    users["risk"] = 9.0  # a column the model does not know
    users["nps_last"] = np.nan
    users["platform"] = ["watch", None, "tv", "ios"]  # unseen, missing, infrequent, frequent
    risk = score(result, users)
    assert risk.name == "risk" and list(risk.index) == list(users.index)
    assert risk.between(0, 1).all()
    assert score(result, validate.head(0)).empty
    with pytest.raises(ValueError, match="lacks the model's feature"):
        score(result, validate.drop(columns=["detractor"]))


def test_booleans_and_nullable_integers_are_numbers():
    train, validate = churn_frame(2500, 5), churn_frame(2500, 6, start=2500)
    train["detractor"] = train["detractor"].astype(bool)
    validate["complaints"] = validate["complaints"].astype("Int64")
    validate.loc[validate.index[:5], "complaints"] = pd.NA
    result = train_and_validate(train, validate)
    assert "detractor" in result.numeric and "complaints" in result.numeric
    assert score(result, validate).notna().all()


def test_not_enough_churn_names_the_set_the_count_and_what_to_do():
    train = churn_frame(3000, 1)
    few = churn_frame(400, 2)  # ~11%: about 45 churned, fewer than MIN_CHURNED
    with pytest.raises(NotEnoughChurn) as caught:
        train_and_validate(train, few)
    error = caught.value
    churned = int(few["churned"].sum())
    assert (error.which, error.churned, error.users, error.needed) == ("validation", churned, 400, MIN_CHURNED)
    assert isinstance(error, UEMError) and error.exit_code == EXIT_DATA
    words = str(error)
    assert f"only {churned} of the 400 users of the validation cutoff churned" in words
    assert f"at least {MIN_CHURNED} churned users" in words
    assert "longer period" in words and "churn.inactive_days" in words
    with pytest.raises(NotEnoughChurn, match="training cutoff"):
        train_and_validate(few, train)


def test_min_churned_is_exactly_enough():
    train = churn_frame(3000, 7)
    validate = churn_frame(3000, 8, start=3000)
    churned = validate.index[validate["churned"]]
    keep = validate.drop(index=churned[MIN_CHURNED:])  # exactly MIN_CHURNED churned users left
    assert train_and_validate(train, keep).validation.churned == MIN_CHURNED
    with pytest.raises(NotEnoughChurn):
        train_and_validate(train, keep.drop(index=churned[:1]))


def test_frames_without_labels_or_recency_are_refused():
    train = churn_frame(3000, 1)
    with pytest.raises(ValueError, match="no 'churned' column"):
        train_and_validate(train.drop(columns=["churned"]), train)
    with pytest.raises(ValueError, match="'days_since_active'"):
        train_and_validate(train.drop(columns=["days_since_active"]), train.drop(columns=["days_since_active"]))
