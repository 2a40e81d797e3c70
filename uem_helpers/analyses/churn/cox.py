"""The Cox proportional-hazards fit on start/stop rows, in time linear in the rows.

Definition
----------
Each row is an interval ``(start, stop]`` of one user's lifetime in which their covariates ``x`` are
constant (:mod:`~uem_helpers.analyses.churn.survival` cuts a lifetime where a time-varying flag turns
on); ``event`` is 1 on the interval that ends in churn. At each distinct churn time ``t`` the **risk
set** is every interval with ``start < t <= stop``. With ``d`` churns tied at ``t``, Efron's
approximation gives the partial log-likelihood

    L(b) = sum over churn times t of [ sum over the d churns j at t of x_j.b
                                       - sum for l = 0 .. d-1 of log(S(t) - l/d * D(t)) ]

where ``S(t)`` sums ``exp(x.b)`` over the risk set and ``D(t)`` over the churns at ``t``. The fit
maximises ``L`` by Newton-Raphson (the covariates standardised, as lifelines does); a covariate's
**hazard ratio** is ``exp(b)``, its 95% interval ``exp(b -/+ 1.96 se)`` with ``se`` from the inverse
of the information (minus the Hessian of ``L``) at the maximum, and ``p`` the Wald test of ``b = 0``.
A ridge ``penalizer`` subtracts ``penalizer * rows / 2 * |b|^2`` (``b`` on the standardised scale).

This is the model and the numbers of lifelines' ``CoxTimeVaryingFitter`` (the tests compare the two
to 1e-6), computed differently: lifelines scans every row at every churn time (rows x churn times:
about 50 s for 15,000 users, days for a million). Here a row is at risk at a contiguous range of the
sorted churn times, so each sum over risk sets is a difference array and a cumulative sum, and the
Hessian's sum over risk sets becomes one weighted ``X'X``: each Newton step costs a few passes over
the rows (about a second for a million users).

Example
-------
>>> fit = fit_cox(rows[["a", "b"]].to_numpy(float), rows["start"], rows["stop"], rows["event"])  # doctest: +SKIP
>>> fit.converged, np.exp(fit.coef)                                                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Newton-Raphson stops when a step moves the coefficients less than this (standardised scale) ...
PRECISION = 1e-8
#: ... or improves the log-likelihood by less than this share of it.
RELATIVE_PRECISION = 1e-9
#: Newton steps before the fit is declared not converged.
MAX_STEPS = 50
#: The shortest part of a Newton step tried (halving from the whole) before the fit gives up.
MIN_STEP = 1e-4
#: The two-sided 95% normal quantile of the intervals.
Z95 = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model: coefficients on the covariates' own scale and how the fit went.

    ``coef`` (log hazard ratios), ``se`` (their standard errors), ``converged``, ``steps`` (Newton steps
    taken) and ``problem`` (why it did not converge; empty when it did).
    """

    coef: np.ndarray
    se: np.ndarray
    converged: bool
    steps: int
    problem: str = ""

    @property
    def hazard_ratio(self) -> np.ndarray:
        """``exp(coef)``."""
        return np.exp(self.coef)

    @property
    def lower(self) -> np.ndarray:
        """Lower end of the hazard ratio's 95% interval."""
        return np.exp(self.coef - Z95 * self.se)

    @property
    def upper(self) -> np.ndarray:
        """Upper end of the hazard ratio's 95% interval."""
        return np.exp(self.coef + Z95 * self.se)

    @property
    def p_value(self) -> np.ndarray:
        """Two-sided Wald test of ``coef = 0``."""
        return stats.chi2.sf((self.coef / self.se) ** 2, 1)


class _RiskSets:
    """What does not change with the coefficients: which churn times each row is at risk at, and the ties."""

    def __init__(self, start: np.ndarray, stop: np.ndarray, event: np.ndarray):
        times = np.unique(stop[event])
        self.times = len(times)
        # a row is at risk at the churn times t with start < t <= stop: the indices [first, end)
        self.first = np.searchsorted(times, start, side="right")
        self.end = np.searchsorted(times, stop, side="right")
        self.churns = np.flatnonzero(event)
        self.churn_time = np.searchsorted(times, stop[self.churns])
        tied = np.bincount(self.churn_time, minlength=self.times)
        # Efron's terms: for the d churns tied at a time, l = 0 .. d-1 and the share l/d of the ties removed
        self.term_time = np.repeat(np.arange(self.times), tied)
        offsets = np.cumsum(tied) - tied
        self.term_share = (np.arange(len(self.term_time)) - offsets[self.term_time]) / tied[self.term_time]

    def over_risk_sets(self, values: np.ndarray) -> np.ndarray:
        """For each churn time, the sum of ``values`` (one per row) over the rows at risk then."""
        change = np.bincount(self.first, values, self.times + 1) - np.bincount(self.end, values, self.times + 1)
        return np.cumsum(change)[: self.times]

    def per_row(self, per_time: np.ndarray) -> np.ndarray:
        """For each row, the sum of ``per_time`` (one per churn time) over the times the row is at risk."""
        running = np.concatenate(([0.0], np.cumsum(per_time)))
        return running[self.end] - running[self.first]

    def at_churn_times(self, values: np.ndarray) -> np.ndarray:
        """For each churn time, the sum of ``values`` over the rows that churn then."""
        return np.bincount(self.churn_time, values, self.times)


def _log_likelihood(x: np.ndarray, risk: _RiskSets, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron's partial log-likelihood at ``beta``, its gradient and its Hessian."""
    eta = x @ beta
    shift = eta.max()  # exp(eta - shift) cannot overflow; the shift cancels in every ratio
    phi = np.exp(eta - shift)
    churned = x[risk.churns]
    phi_churned = phi[risk.churns]
    at, share = risk.term_time, risk.term_share
    denominator = risk.over_risk_sets(phi)[at] - share * risk.at_churn_times(phi_churned)[at]
    numerator = np.column_stack([
        risk.over_risk_sets(phi * x[:, j])[at] - share * risk.at_churn_times(phi_churned * churned[:, j])[at]
        for j in range(x.shape[1])
    ])
    mean = numerator / denominator[:, None]
    log_likelihood = float(eta[risk.churns].sum() - (np.log(denominator) + shift).sum())
    gradient = churned.sum(axis=0) - mean.sum(axis=0)
    # sum over terms of (S2 - share * D2) / denominator, with S2 and D2 the risk set's and the ties' sums of
    # phi * x x': each row's phi * x x' weighted by the terms it is in, so one X'X for each
    in_risk = risk.per_row(np.bincount(at, 1.0 / denominator, risk.times))
    in_ties = np.bincount(at, share / denominator, risk.times)[risk.churn_time]
    second = (x.T * (phi * in_risk)) @ x - (churned.T * (phi_churned * in_ties)) @ churned
    hessian = mean.T @ mean - second
    return log_likelihood, gradient, hessian


def fit_cox(x: np.ndarray, start, stop, event, penalizer: float = 0.0) -> CoxFit:
    """Fit the Cox model of the module's definition to start/stop rows.

    Parameters
    ----------
    x : numpy.ndarray
        Covariates, one row per interval and one column per covariate (each must vary).
    start, stop : array-like of float
        Each interval's ends, ``start < stop``.
    event : array-like of bool or int
        Whether the interval ends in churn.
    penalizer : float
        Ridge penalty on the standardised coefficients (0: none).

    Returns
    -------
    CoxFit
        Not converged (with the reason) when Newton-Raphson fails to settle within ``MAX_STEPS`` steps,
        the information matrix is singular or a coefficient is not finite.
    """
    x = np.asarray(x, dtype=float)
    start, stop = np.asarray(start, dtype=float), np.asarray(stop, dtype=float)
    event = np.asarray(event).astype(bool)
    rows, width = x.shape
    scale = x.std(axis=0, ddof=1)
    if not (scale > 0).all():
        raise ValueError("a covariate of the Cox model does not vary")
    standard = (x - x.mean(axis=0)) / scale
    risk = _RiskSets(start, stop, event)

    def evaluate(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        log_likelihood, gradient, hessian = _log_likelihood(standard, risk, beta)
        if penalizer:
            log_likelihood -= penalizer * rows / 2 * beta @ beta
            gradient = gradient - penalizer * rows * beta
            hessian = hessian - penalizer * rows * np.eye(width)
        return log_likelihood, gradient, hessian

    beta = np.zeros(width)
    log_likelihood, gradient, hessian = evaluate(beta)
    for step in range(1, MAX_STEPS + 1):
        try:
            delta = np.linalg.solve(-hessian, gradient)
        except np.linalg.LinAlgError:
            return _not_converged(beta, scale, step, "the information matrix is singular")
        if np.linalg.norm(delta) < PRECISION:
            return _result(beta, hessian, scale, step)
        # the full Newton step, halved while it would lower the likelihood by more than its rounding (a sum
        # of a million terms: near the maximum a step's gain is below it)
        tolerance = RELATIVE_PRECISION * abs(log_likelihood)
        size = 1.0
        while True:
            candidate = beta + size * delta
            tried = evaluate(candidate)
            if np.isfinite(tried[0]) and np.isfinite(tried[2]).all() and tried[0] >= log_likelihood - tolerance:
                break
            size /= 2
            if size < MIN_STEP:
                return _not_converged(beta, scale, step, "no Newton step raises the likelihood")
        settled = abs(tried[0] - log_likelihood) <= tolerance
        beta, (log_likelihood, gradient, hessian) = candidate, tried
        if settled:
            return _result(beta, hessian, scale, step)
    return _not_converged(beta, scale, MAX_STEPS, f"Newton-Raphson did not settle in {MAX_STEPS} steps")


def _not_converged(beta: np.ndarray, scale: np.ndarray, steps: int, problem: str) -> CoxFit:
    return CoxFit(coef=beta / scale, se=np.full(len(beta), np.nan), converged=False, steps=steps, problem=problem)


def _result(beta: np.ndarray, hessian: np.ndarray, scale: np.ndarray, steps: int) -> CoxFit:
    """The converged fit on the covariates' own scale."""
    try:
        variance = np.linalg.inv(-hessian) / np.outer(scale, scale)
    except np.linalg.LinAlgError:
        return _not_converged(beta, scale, steps, "the information matrix is singular")
    se = np.sqrt(np.diag(variance))
    coef = beta / scale
    if not (np.isfinite(coef).all() and np.isfinite(se).all()):
        return CoxFit(coef=coef, se=se, converged=False, steps=steps, problem="a coefficient is not finite")
    return CoxFit(coef=coef, se=se, converged=True, steps=steps)
