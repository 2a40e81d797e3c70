"""Classification: ROC AUC with bootstrap intervals, the top of a ranking, calibration bins, relative risk.

Everything takes the outcomes ``y`` (0/1) and scores of one set of units (users) and
returns numbers; nothing here fits a model.

The bootstraps are vectorised: a resample is a row of multinomial counts (how often each
unit is drawn), so ``n_resamples`` resamples are a matrix product, not a Python loop, and a
``seed`` fixes them (a report is reproducible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from uem_helpers.stats._checks import _check_alpha, _sample
from uem_helpers.stats._proportions import wilson_ci


#: Default number of bootstrap resamples of the AUC, its paired difference and the lift.
AUC_RESAMPLES = 1000

#: Resamples computed at once: bounds the counts matrices to about 30 MB.
_CELLS_PER_BATCH = 4_000_000


@dataclass(frozen=True)
class AUCResult:
    """The ROC AUC of one score, with a stratified bootstrap interval.

    Attributes
    ----------
    auc : float
        The probability that a random positive scores above a random negative (ties count half).
    low, high : float
        Percentile bootstrap interval of ``auc``.
    positives, negatives : int
        Units with ``y == 1`` and ``y == 0``.
    alpha : float
        Two-sided level of the interval.
    n_resamples : int
        Bootstrap resamples drawn.
    """

    auc: float
    low: float
    high: float
    positives: int
    negatives: int
    alpha: float
    n_resamples: int


@dataclass(frozen=True)
class AUCComparison:
    """Two scores of the same units compared by their AUC: ``b`` against ``a`` (the baseline).

    Attributes
    ----------
    auc_a, auc_b : float
        The two AUCs.
    diff : float
        ``auc_b - auc_a``.
    diff_low, diff_high : float
        Paired percentile bootstrap interval of ``diff`` (both scores on the same resamples).
    alpha : float
        Two-sided level of the interval.
    n_resamples : int
        Bootstrap resamples drawn.
    """

    auc_a: float
    auc_b: float
    diff: float
    diff_low: float
    diff_high: float
    alpha: float
    n_resamples: int


@dataclass(frozen=True)
class TopShare:
    """How many positives the top of a ranking holds: precision and lift of the highest scores.

    Attributes
    ----------
    share : float
        The share of units at the top (0.1: the top decile).
    users : float
        Units at the top, ``share x n`` (fractional when it is not whole).
    positives : float
        Positives among them (units tied at the cut count in proportion).
    precision : float
        ``positives / users``.
    precision_low, precision_high : float
        Wilson interval of ``precision``.
    base_rate : float
        Positives among all units.
    lift : float
        ``precision / base_rate``.
    lift_low, lift_high : float
        Percentile bootstrap interval of ``lift`` (the units resampled, the cut's score kept).
    alpha : float
        Two-sided level of the intervals.
    """

    share: float
    users: float
    positives: float
    precision: float
    precision_low: float
    precision_high: float
    base_rate: float
    lift: float
    lift_low: float
    lift_high: float
    alpha: float


def _outcomes(y, scores: list, names: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """``y`` as a 0/1 array and each score as a float array of the same length, no NaN."""
    y_arr = _sample(y, "y", minimum=1)
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ValueError(f"y must hold only 0 and 1; got values {sorted(set(y_arr.tolist()) - {0.0, 1.0})[:5]!r}")
    out = []
    for s, name in zip(scores, names):
        arr = _sample(s, name, minimum=1)
        if arr.size != y_arr.size:
            raise ValueError(f"{name} has {arr.size} value(s) but y has {y_arr.size}; give one score per unit")
        out.append(arr)
    return y_arr, out


def _both_classes(y: np.ndarray) -> tuple[int, int]:
    positives = int(y.sum())
    negatives = int(y.size - positives)
    if positives == 0 or negatives == 0:
        raise ValueError(f"the AUC needs both outcomes; got {positives} positive(s) and {negatives} negative(s)")
    return positives, negatives


def _placements(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each positive score: how many negatives score below it and how many tie it (negatives sorted)."""
    order = np.argsort(neg, kind="stable")
    sorted_neg = neg[order]
    below = np.searchsorted(sorted_neg, pos, side="left")
    upto = np.searchsorted(sorted_neg, pos, side="right")
    return order, below, upto


def roc_auc(y, score) -> float:
    """ROC AUC: the share of (positive, negative) pairs in which the positive scores higher, ties counting half.

    This is the Mann-Whitney U statistic of the positives' scores divided by the number of
    pairs, the same number as ``sklearn.metrics.roc_auc_score``.

    Parameters
    ----------
    y : array-like
        Outcomes, 0 or 1, at least one of each.
    score : array-like
        One score per unit (higher: more likely positive), no NaN.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``y`` is not 0/1, has a single class, or the lengths differ.
    """
    y_arr, (s,) = _outcomes(y, [score], ["score"])
    n_pos, n_neg = _both_classes(y_arr)
    _, below, upto = _placements(s[y_arr == 1], s[y_arr == 0])
    return float((below.sum() + 0.5 * (upto - below).sum()) / (n_pos * n_neg))


def _stratified_aucs(y: np.ndarray, scores: list[np.ndarray], n_resamples: int, seed: int) -> np.ndarray:
    """AUCs of every score on the same stratified resamples: an array (n_resamples, len(scores)).

    A resample draws ``n_pos`` positives and ``n_neg`` negatives with replacement (so every
    resample has both classes and the observed base rate). With ``v`` the positives' and
    ``w`` the negatives' draw counts, ``AUC* = sum_i v_i (W_below(i) + W_tie(i) / 2) / (n_pos n_neg)``,
    where ``W_below(i)`` sums ``w`` over the negatives scoring below positive ``i``: a cumulative
    sum over the sorted negatives, looked up at each positive's place.
    """
    rng = np.random.default_rng(seed)
    pos_idx, neg_idx = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n_pos, n_neg = pos_idx.size, neg_idx.size
    places = [_placements(s[pos_idx], s[neg_idx]) for s in scores]
    out = np.empty((n_resamples, len(scores)))
    batch = max(1, _CELLS_PER_BATCH // (n_pos + n_neg))
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        v = rng.multinomial(n_pos, np.full(n_pos, 1 / n_pos), size=size).astype(float)
        w = rng.multinomial(n_neg, np.full(n_neg, 1 / n_neg), size=size).astype(float)
        for k, (order, below, upto) in enumerate(places):
            cum = np.concatenate([np.zeros((size, 1)), np.cumsum(w[:, order], axis=1)], axis=1)
            wins = cum[:, below] + 0.5 * (cum[:, upto] - cum[:, below])
            out[start:start + size, k] = (v * wins).sum(axis=1) / (n_pos * n_neg)
    return out


def _percentile(values: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def roc_auc_ci(y, score, alpha: float = 0.05, n_resamples: int = AUC_RESAMPLES, seed: int = 0) -> AUCResult:
    """ROC AUC with a stratified percentile bootstrap interval.

    The units are resampled within each outcome (positives among positives, negatives among
    negatives), so each resample keeps the observed numbers of both: the AUC is defined in
    every resample and the interval describes the ranking, not the base rate.

    Parameters
    ----------
    y : array-like
        Outcomes, 0 or 1, at least one of each.
    score : array-like
        One score per unit, no NaN.
    alpha : float
        Two-sided level of the interval.
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    AUCResult
    """
    _check_alpha(alpha)
    y_arr, (s,) = _outcomes(y, [score], ["score"])
    n_pos, n_neg = _both_classes(y_arr)
    boot = _stratified_aucs(y_arr, [s], n_resamples, seed)[:, 0]
    low, high = _percentile(boot, alpha)
    return AUCResult(roc_auc(y_arr, s), low, high, n_pos, n_neg, alpha, n_resamples)


def auc_difference(
    y, score_a, score_b, alpha: float = 0.05, n_resamples: int = AUC_RESAMPLES, seed: int = 0
) -> AUCComparison:
    """The difference of two scores' AUCs on the same units, with a paired stratified bootstrap interval.

    Both AUCs are computed on each resample, so the interval of ``auc_b - auc_a`` accounts
    for the two scores being measured on the same units (they are correlated; two separate
    intervals would be too wide). An interval above 0 says ``b`` ranks better than ``a``.

    Parameters
    ----------
    y : array-like
        Outcomes, 0 or 1, at least one of each.
    score_a, score_b : array-like
        The baseline's and the comparison's scores, one per unit.
    alpha, n_resamples, seed
        As in :func:`roc_auc_ci`.

    Returns
    -------
    AUCComparison
    """
    _check_alpha(alpha)
    y_arr, (a, b) = _outcomes(y, [score_a, score_b], ["score_a", "score_b"])
    _both_classes(y_arr)
    boot = _stratified_aucs(y_arr, [a, b], n_resamples, seed)
    low, high = _percentile(boot[:, 1] - boot[:, 0], alpha)
    auc_a, auc_b = roc_auc(y_arr, a), roc_auc(y_arr, b)
    return AUCComparison(auc_a, auc_b, auc_b - auc_a, low, high, alpha, n_resamples)


def _top_weights(score: np.ndarray, share: float) -> np.ndarray:
    """How much of each unit is in the top ``share``: 1 above the cut, 0 below, a fraction for ties at it.

    Exactly ``share x n`` units are taken; the units tied at the cut share the places left,
    so the result does not depend on the units' order (the expected value of a random tie-break).
    """
    size = share * score.size
    order = np.sort(score)[::-1]
    cut = order[min(int(np.ceil(size)) - 1, score.size - 1)]
    above = score > cut
    tied = score == cut
    weights = above.astype(float)
    weights[tied] = (size - above.sum()) / tied.sum()
    return weights


def top_share(
    y, score, share: float = 0.1, alpha: float = 0.05, n_resamples: int = AUC_RESAMPLES, seed: int = 0
) -> TopShare:
    """Precision and lift of the highest-scoring ``share`` of units (the top decile by default).

    - ``precision``: positives among the top ``share x n`` units (units tied at the cut count
      in proportion), with a Wilson interval (:func:`wilson_ci`).
    - ``lift = precision / base_rate``: how many times the base rate the top holds. Its
      interval is a percentile bootstrap over units (not stratified: the base rate varies
      too), with the top fixed by the observed cut's score; the two rates share the top's
      units, so neither can be held fixed.

    Parameters
    ----------
    y : array-like
        Outcomes, 0 or 1, at least one positive.
    score : array-like
        One score per unit, no NaN.
    share : float
        The share of units at the top, in (0, 1].
    alpha, n_resamples, seed
        Level, resamples and seed of the intervals.

    Returns
    -------
    TopShare
    """
    _check_alpha(alpha)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1] (0.1 for the top decile); got {share!r}")
    y_arr, (s,) = _outcomes(y, [score], ["score"])
    if y_arr.sum() == 0:
        raise ValueError("the lift needs at least one positive; y holds none")
    top = _top_weights(s, share)
    users, positives = float(top.sum()), float((top * y_arr).sum())
    low, high = wilson_ci(positives, users, alpha)
    base_rate = float(y_arr.mean())
    rng = np.random.default_rng(seed)
    n = y_arr.size
    lifts = np.empty(n_resamples)
    batch = max(1, _CELLS_PER_BATCH // n)
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=size).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lifts[start:start + size] = ((counts @ (top * y_arr)) / (counts @ top)) / ((counts @ y_arr) / n)
    lift_low, lift_high = _percentile(lifts[np.isfinite(lifts)], alpha)
    return TopShare(share, users, positives, positives / users, float(low), float(high), base_rate,
                    positives / users / base_rate, lift_low, lift_high, alpha)


def calibration_bins(y, predicted, bins: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Predicted against observed rates in bins of equal size by predicted probability.

    Units are sorted by ``predicted`` and cut into ``bins`` groups of (nearly) equal size;
    each bin's ``predicted`` is its mean predicted probability, ``observed`` its share of
    positives with a Wilson interval. A calibrated score has ``observed`` close to
    ``predicted`` in every bin (the intervals cross the diagonal).

    Parameters
    ----------
    y : array-like
        Outcomes, 0 or 1.
    predicted : array-like
        Predicted probabilities in [0, 1], one per unit.
    bins : int
        Number of bins; fewer when there are fewer units.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``bin`` (1 = lowest predictions), ``predicted``, ``observed``, ``low``, ``high``, ``users``.
    """
    _check_alpha(alpha)
    y_arr, (p,) = _outcomes(y, [predicted], ["predicted"])
    if bins < 1:
        raise ValueError(f"bins must be 1 or more; got {bins!r}")
    if (p < 0).any() or (p > 1).any():
        raise ValueError("predicted must hold probabilities between 0 and 1")
    n_bins = min(int(bins), y_arr.size)
    rank = np.empty(p.size, dtype=int)
    rank[np.argsort(p, kind="stable")] = np.arange(p.size)
    which = rank * n_bins // p.size + 1
    frame = pd.DataFrame({"bin": which, "p": p, "y": y_arr}).groupby("bin")
    out = pd.DataFrame({"predicted": frame["p"].mean(), "positives": frame["y"].sum(), "users": frame["y"].size()})
    low, high = wilson_ci(out["positives"], out["users"], alpha)
    out = out.assign(observed=out["positives"] / out["users"], low=low, high=high).reset_index()
    return out[["bin", "predicted", "observed", "low", "high", "users"]]


def relative_risk(exposed_events, exposed, unexposed_events, unexposed, alpha: float = 0.05):
    """Relative risk of the exposed against the unexposed, with Katz's log interval, vectorised.

    ``rr = (a / n1) / (c / n0)`` for ``a`` events among ``n1`` exposed and ``c`` among ``n0``
    unexposed; the interval is ``exp(log rr ± z·se)`` with
    ``se = sqrt(1/a - 1/n1 + 1/c - 1/n0)`` (Katz et al. 1978). When ``a`` or ``c`` is 0,
    0.5 is added to both groups' events and non-events (so the ratio and its interval stay
    finite); a group with no units gives NaN.

    Parameters
    ----------
    exposed_events, exposed : int or array-like
        Events and units in the exposed group.
    unexposed_events, unexposed : int or array-like
        Events and units in the unexposed (reference) group.
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    tuple
        ``(rr, low, high)``: floats for scalars, arrays for arrays.

    Raises
    ------
    ValueError
        A count is negative or events exceed units.
    """
    _check_alpha(alpha)
    a, n1 = np.asarray(exposed_events, dtype=float), np.asarray(exposed, dtype=float)
    c, n0 = np.asarray(unexposed_events, dtype=float), np.asarray(unexposed, dtype=float)
    if any(np.any(x < 0) for x in (a, n1, c, n0)) or np.any(a > n1) or np.any(c > n0):
        raise ValueError(f"events and units must be counts with events <= units; got {a!r} of {n1!r}, {c!r} of {n0!r}")
    zero = (a == 0) | (c == 0)
    a, c = np.where(zero, a + 0.5, a), np.where(zero, c + 0.5, c)
    n1, n0 = np.where(zero, n1 + 1.0, n1), np.where(zero, n0 + 1.0, n0)
    empty = (np.asarray(exposed) == 0) | (np.asarray(unexposed) == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (a / n1) / (c / n0)
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    z = norm.isf(alpha / 2)
    low, high = rr * np.exp(-z * se), rr * np.exp(z * se)
    rr, low, high = (np.where(empty, np.nan, x) for x in (rr, low, high))
    if rr.ndim == 0:
        return float(rr), float(low), float(high)
    return rr, low, high
