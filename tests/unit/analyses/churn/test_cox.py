"""The Cox fit on start/stop rows: the likelihood by hand, the fit against lifelines' own."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter

from uem_helpers.analyses.churn.cox import _log_likelihood, _RiskSets, fit_cox


def _rows(seed: int, users: int) -> pd.DataFrame:
    """Lifetimes on a coarse day grid (many tied churn times), each split once where a flag turns on,
    some entering late (start > 0), with a binary segment and a numeric covariate."""
    rng = np.random.default_rng(seed)
    entry = rng.integers(0, 5, users).astype(float)
    length = rng.integers(1, 30, users).astype(float)
    onset = np.where(rng.random(users) < 0.4, entry + rng.integers(0, 30, users), np.inf)
    segment = (rng.random(users) < 0.3).astype(float)
    score = rng.normal(size=users)
    rows = []
    for i in range(users):
        stop = entry[i] + length[i]
        hazard = math.exp(0.7 * segment[i] + 0.3 * score[i])
        churned = rng.random() < min(0.9, 0.4 * hazard)
        cuts = [entry[i], *([onset[i]] if entry[i] < onset[i] < stop else []), stop]
        for a, b in zip(cuts[:-1], cuts[1:]):
            rows.append({"id": i, "start": a, "stop": b, "event": int(churned and b == stop),
                         "flag": float(a >= onset[i]), "segment": segment[i], "score": score[i]})
    return pd.DataFrame(rows)


def test_the_likelihood_at_zero_is_the_risk_sets_by_hand():
    # five users, one row each; churns at 2, and two tied at 4; risk sets: at 2 rows with start < 2 <= stop
    start = np.array([0.0, 0.0, 1.0, 3.0, 0.0])
    stop = np.array([2.0, 4.0, 4.0, 6.0, 3.0])
    event = np.array([True, True, True, False, False])
    x = np.zeros((5, 1))
    log_likelihood, gradient, _ = _log_likelihood(x, _RiskSets(start, stop, event), np.zeros(1))
    # at 2: all but the one entering at 3 are at risk (4 rows); at 4: rows 2, 3, 4 (stop >= 4, start < 4),
    # two tied churns: Efron's log(3) + log(3 - 1/2 * 2)
    assert log_likelihood == pytest.approx(-(math.log(4) + math.log(3) + math.log(2)))
    assert gradient == pytest.approx([0.0])


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_the_fit_is_lifelines_time_varying_fit(penalizer):
    rows = _rows(seed=7, users=400)
    covariates = ["flag", "segment", "score"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = CoxTimeVaryingFitter(penalizer=penalizer).fit(
            rows, event_col="event", start_col="start", stop_col="stop", id_col="id").summary
    fit = fit_cox(rows[covariates].to_numpy(), rows["start"], rows["stop"], rows["event"], penalizer=penalizer)
    assert fit.converged and fit.problem == ""
    assert fit.coef == pytest.approx(reference.loc[covariates, "coef"].to_numpy(), abs=1e-6)
    assert fit.se == pytest.approx(reference.loc[covariates, "se(coef)"].to_numpy(), abs=1e-6)
    assert fit.p_value == pytest.approx(reference.loc[covariates, "p"].to_numpy(), rel=1e-4, abs=1e-12)
    assert fit.lower == pytest.approx(reference.loc[covariates, "exp(coef) lower 95%"].to_numpy(), rel=1e-6)
    assert fit.upper == pytest.approx(reference.loc[covariates, "exp(coef) upper 95%"].to_numpy(), rel=1e-6)


def test_separation_is_not_a_converged_fit():
    # the flag is on exactly for the intervals that end in churn: its coefficient runs off to infinity
    start = np.zeros(20)
    stop = np.arange(1.0, 21.0)
    event = np.arange(20) % 2 == 0
    x = event.astype(float)[:, None]
    fit = fit_cox(x, start, stop, event)
    assert not fit.converged or abs(fit.coef[0]) > 10
    assert fit.converged or fit.problem


def test_a_covariate_that_does_not_vary_is_refused():
    with pytest.raises(ValueError, match="does not vary"):
        fit_cox(np.ones((3, 1)), [0, 0, 0], [1, 2, 3], [1, 0, 1])
