"""Sustained shifts of a daily proportion: a one-sided binomial CUSUM, its threshold and its runs.

The statistic (Page 1954; the Bernoulli/binomial form of Reynolds & Stoumbos 1999 and
Steiner et al. 2000): each day ``t`` brings ``x_t`` successes of ``n_t`` trials; against the
in-control rate ``p0`` and a design shift ``p1`` (``p0`` with its odds divided, for a drop, or
multiplied, for a rise, by ``odds_ratio``), the day's log-likelihood ratio is

    ``w_t = x_t·log(p1/p0) + (n_t − x_t)·log((1 − p1)/(1 − p0))``

and ``S_t = max(0, S_{t−1} + w_t)`` with ``S_0 = 0``. A day adds evidence of the shift and
a normal day takes it away, so small days count little and a run of them adds up: this is
the sum of the Bernoulli CUSUM's per-trial steps, read at the end of each day. An alarm is
raised when ``S_t > h``.

Threshold, calibrated by simulation (:func:`cusum_threshold`): the false-alarm rate of a
CUSUM depends on the daily volume and ``p0`` (its in-control run length is about
``e^h / (n·KL(p0‖p1))`` days), so ``h`` is computed for each series from its own volumes:
``CALIBRATION_YEARS`` (1,000) in-control years of 365 days are drawn (binomial, ``p0``, the
series' daily trials repeated over the year), seeded with ``CALIBRATION_SEED``, and ``h`` is
the quantile of their yearly maximum of ``S`` at ``exp(−ALARMS_PER_YEAR)``: false alarms are
rare, nearly independent events, so at a rate of one a year a year has none with probability
``e^{−1}`` ≈ 37 %. The sampling error of that quantile with 1,000 years moves the rate by about five
percent; the estimation error of ``p0`` on real data adds more (the tests measure the whole
watch at about one alarm a year per series).

At high volume the in-control drift is so strongly negative that ``S`` hardly ever leaves
zero and the quantile is 0; ``h`` is then raised to ``MIN_THRESHOLD`` = log 20 (an alarm needs
the shift to be at least 20 times as likely as no shift), which keeps one ordinary bad day from
alarming on its own there.

Over-dispersion: real daily rates spread more than a binomial (weekday patterns), which would
raise false alarms at high volume; the threshold of a series is multiplied by its robust
dispersion ``φ`` ≥ 1 (:func:`robust_dispersion`).

``ODDS_RATIO`` = 2 (the design shift: the odds of success halve, or of an alarm event double)
is the usual choice for the Bernoulli CUSUM (Steiner et al. 2000); larger shifts are found
sooner, smaller ones later or not at all.
"""

from __future__ import annotations

import numpy as np

#: Design shift of the CUSUM as an odds ratio (2: the odds halve for a drop, double for a rise).
ODDS_RATIO = 2.0
#: False alarms per 365 days of a stable series that the threshold allows.
ALARMS_PER_YEAR = 1.0
#: Simulated in-control years behind each threshold.
CALIBRATION_YEARS = 1000
#: Seed of the calibration draws (the threshold of a series is reproducible).
CALIBRATION_SEED = 20260917
#: Smallest threshold: the shifted rate at least 20 times as likely as the in-control one.
MIN_THRESHOLD = float(np.log(20.0))
#: Fewest trials a day (on average) for which the dispersion is estimated; below it the binomial is assumed.
MIN_DISPERSION_TRIALS = 30
_CHI2_1_MEDIAN = 0.454936
_YEAR = 365


def shifted_rate(p0: float, direction: str = "down", odds_ratio: float = ODDS_RATIO) -> float:
    """The design rate ``p1``: ``p0`` with its odds divided (``"down"``) or multiplied (``"up"``) by ``odds_ratio``."""
    _check_direction(direction)
    if not 0 < p0 < 1:
        raise ValueError(f"p0 must be strictly between 0 and 1; got {p0!r}")
    if not odds_ratio > 1:
        raise ValueError(f"odds_ratio must be above 1; got {odds_ratio!r}")
    odds = p0 / (1 - p0) * (odds_ratio if direction == "up" else 1 / odds_ratio)
    return odds / (1 + odds)


def binomial_cusum(successes, trials, p0: float, *, direction: str = "down",
                   odds_ratio: float = ODDS_RATIO) -> np.ndarray:
    """The one-sided binomial CUSUM ``S_t`` of daily counts (definition in the module docstring).

    Parameters
    ----------
    successes, trials : array-like of int
        Successes and trials of each day, in date order (the last axis is time; leading axes are
        independent series, e.g. simulations).
    p0 : float
        In-control rate, strictly between 0 and 1.
    direction : {"down", "up"}
        The shift watched for: a drop of the rate or a rise.
    odds_ratio : float
        Design shift as an odds ratio above 1.

    Returns
    -------
    numpy.ndarray
        ``S_t`` of each day, the shape of ``successes``.
    """
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if x.shape != n.shape:
        raise ValueError(f"successes and trials differ in shape: {x.shape} vs {n.shape}")
    if (n < 0).any() or (x < 0).any() or (x > n).any():
        raise ValueError("counts must satisfy 0 <= successes <= trials")
    p1 = shifted_rate(p0, direction, odds_ratio)
    w = x * np.log(p1 / p0) + (n - x) * np.log((1 - p1) / (1 - p0))
    out = np.empty_like(w)
    s = np.zeros(w.shape[:-1])
    for t in range(w.shape[-1]):
        s = np.maximum(0.0, s + w[..., t])
        out[..., t] = s
    return out


def cusum_threshold(trials, p0: float, *, direction: str = "down", odds_ratio: float = ODDS_RATIO,
                    alarms_per_year: float = ALARMS_PER_YEAR, years: int = CALIBRATION_YEARS,
                    seed: int = CALIBRATION_SEED) -> float:
    """The decision threshold ``h`` for about ``alarms_per_year`` false alarms a year (calibration in the module docstring).

    Parameters
    ----------
    trials : array-like of int
        The series' daily trials (repeated to fill a simulated year).
    p0 : float
        In-control rate.
    direction, odds_ratio : see :func:`binomial_cusum`.
    alarms_per_year : float
        False alarms allowed per 365 days.
    years : int
        Simulated in-control years.
    seed : int
        Seed of the simulation.

    Returns
    -------
    float
    """
    n = np.asarray(trials, dtype=np.int64)
    n = n[n > 0]
    if n.size == 0:
        raise ValueError("trials must hold at least one day with trials")
    if not alarms_per_year > 0:
        raise ValueError(f"alarms_per_year must be positive; got {alarms_per_year!r}")
    year = np.resize(n, _YEAR)
    rng = np.random.default_rng(seed)
    x = rng.binomial(year, p0, size=(int(years), _YEAR))
    peaks = binomial_cusum(x, np.broadcast_to(year, x.shape), p0, direction=direction,
                           odds_ratio=odds_ratio).max(axis=1)
    return max(MIN_THRESHOLD, float(np.quantile(peaks, np.exp(-alarms_per_year))))


def cusum_runs(statistic, h: float) -> list[tuple[int, int, int]]:
    """The shifted runs of a CUSUM path: one per excursion above ``h``.

    An excursion is a stretch of days with ``S_t > 0``. One that crosses ``h`` gives a run
    ``(start, end, alarm)`` (day indices): ``start`` is the first day after the last
    ``S_t = 0`` before it (where the shift began, the CUSUM's change-point estimate),
    ``end`` the day of the excursion's highest ``S_t`` (after it the days pull ``S`` back
    toward zero, so the shift had ended), ``alarm`` the first day above ``h``.

    Parameters
    ----------
    statistic : array-like of float
        ``S_t`` from :func:`binomial_cusum` (one series).
    h : float
        Decision threshold.

    Returns
    -------
    list of (int, int, int)
    """
    s = np.asarray(statistic, dtype=float)
    runs = []
    t = 0
    while t < s.size:
        if s[t] <= 0:
            t += 1
            continue
        first = t
        while t < s.size and s[t] > 0:
            t += 1
        stretch = s[first:t]
        above = np.flatnonzero(stretch > h)
        if above.size:
            runs.append((first, first + int(np.argmax(stretch)), first + int(above[0])))
    return runs


def block_median_rate(successes, trials, block: int = 7) -> float:
    """A robust in-control rate: the median of the rates of consecutive blocks of ``block`` days.

    The pooled rate of the whole period is pulled toward an incident's rate by the incident
    itself; the median of weekly rates is not, as long as fewer than half of the weeks are
    shifted. Blocks run from the first day; a last block shorter than half a block joins the
    one before. Blocks without trials are skipped.

    Returns
    -------
    float
        NaN when no day has trials.
    """
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if x.size == 0 or n.sum() <= 0:
        return float("nan")
    edges = list(range(0, x.size, block))
    if len(edges) > 1 and x.size - edges[-1] < block / 2:
        edges.pop()
    xs, ns = np.add.reduceat(x, edges), np.add.reduceat(n, edges)
    return float(np.median(xs[ns > 0] / ns[ns > 0]))


def robust_dispersion(successes, trials, p0: float, *, min_trials: float = MIN_DISPERSION_TRIALS) -> float:
    """How much more the daily rates spread than a binomial at ``p0`` would: 1 or more.

    Real days differ by more than chance (weekdays, campaigns): the Pearson residuals
    ``r_t = (x_t − n_t·p0) / sqrt(n_t·p0·(1 − p0))`` then have a variance ``φ`` above 1. ``φ`` is
    estimated robustly as the median of ``r_t²`` over the median of a χ²₁ (0.4549), so an incident
    on a minority of days does not inflate it, and floored at 1. Below ``min_trials`` trials a day
    on average the residuals are too discrete for a median (five attempts a day take three or four
    values) and ``φ`` is 1. Dividing the CUSUM's steps by ``φ`` keeps its false-alarm rate near the
    binomial calibration (in the diffusion approximation the run length depends on drift / variance,
    both scaled by ``1/φ``); it is the same as multiplying ``h`` by ``φ``.
    """
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    days = n > 0
    if not days.any() or n[days].mean() < min_trials or not 0 < p0 < 1:
        return 1.0
    r2 = (x[days] - n[days] * p0) ** 2 / (n[days] * p0 * (1 - p0))
    return max(1.0, float(np.median(r2)) / _CHI2_1_MEDIAN)


def _check_direction(direction: str) -> None:
    if direction not in ("down", "up"):
        raise ValueError(f"direction must be 'down' or 'up'; got {direction!r}")
