"""Story 7: churn with known causes, and a past outreach campaign with a known effect.

The planted model is proportional hazards with time-varying covariates::

    hazard(t) = h0 * HR_pay ** [failed payment before t] * HR_det ** [NPS answer 0-6 before t]
                    * HR_ret ** [segment == returning] * HR_out ** [treated by the outreach, t >= 2026-10-01]

with ``h0 = 1 / LIFETIME_DAYS_MEAN`` per day (a new user without any of these) and the hazard
ratios of :data:`.design.CHURN_HAZARD_RATIO`. A user's churn time is the first of two
independent competing times, whose hazards add up to exactly that model:

1. the *base* lifetime drawn with the session schedule (:mod:`.population`): exponential with
   the smallest hazard the model allows, ``h_min = h0 * HR_ret * HR_out`` (mean
   :data:`.design.BASE_LIFETIME_DAYS_MEAN`); sessions are a Poisson process until it ends;
2. an *extra* time drawn here, from a random stream of its own, with the piecewise-constant
   hazard ``h0 * exp(b . x(t)) - h_min >= 0``; its covariates change only at the user's first
   failed payment, first detractor answer and, for treated users, the outreach date.

Users fade before they leave: each session in the :data:`.design.FADE_DAYS` before the churn
time is kept with probability :data:`.design.FADE_KEEP` (the signup session, the one with the
user's first failed payment and the last one in September always stay: :func:`kept_whatever`). Every row
after the churn time is dropped (sessions with their events and carts, NPS answers,
feedback). Truncating the history at the churn time is consistent: the covariates before it are
the ones the generated history shows, and the hazard before a covariate happens does not depend
on it. A *failed payment* is what the churn config reads: a ``payment`` event with no
``order_success`` later in the same session.

The outreach: on :data:`.design.OUTREACH_AT` every user still alive, with a session in September
and a failed payment or a detractor answer before then is assigned to experiment
``churn_outreach``, 80% to ``outreach`` (hazard times ``HR_out`` from then on) and 20% to
``holdout``. One exponential draw per user gives the extra time with and without the outreach
(inverse cumulative hazard), so users not treated keep the same churn time either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uem_helpers.sample import design as d

HR = d.CHURN_HAZARD_RATIO
H0_PER_S = 1.0 / (d.LIFETIME_DAYS_MEAN * d.DAY)
H_MIN_PER_S = H0_PER_S * HR["returning"] * HR["outreach"]
_NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class Churn:
    """Churn times and the outreach campaign of one chunk's users."""

    at: np.ndarray
    """Local epoch seconds of churn (min of base lifetime end and the extra time); rows from then on are dropped."""
    assigned: np.ndarray
    """Assigned to the outreach experiment."""
    treated: np.ndarray
    """Assigned to the ``outreach`` variant."""
    hazard_at_outreach: np.ndarray
    """Per day, without the outreach: h0 * exp(b . x) at the outreach date (assigned users; 0 otherwise)."""


def failed_payments(session_user: np.ndarray, session: np.ndarray, code: np.ndarray, time: np.ndarray,
                    n: int) -> np.ndarray:
    """First failed payment of each user: a payment with no order_success later in its session.

    Parameters
    ----------
    session_user : numpy.ndarray
        Chunk user index of every session.
    session, code, time : numpy.ndarray
        Events sorted by session, time and logical order.
    n : int
        Users in the chunk.

    Returns
    -------
    numpy.ndarray
        Local epoch seconds of the user's first failed payment, ``_NEVER`` when none.
    """
    pos = np.arange(code.size)
    last_ok = np.full(session_user.size, -1, dtype=np.int64)
    ok = code == d.S["order_success"]
    np.maximum.at(last_ok, session[ok], pos[ok])
    failed = (code == d.S["payment"]) & (pos > last_ok[session])
    return first_time(session_user[session[failed]], time[failed], n)


def first_time(user: np.ndarray, time: np.ndarray, n: int) -> np.ndarray:
    """Earliest ``time`` per user index (``_NEVER`` for users without one)."""
    out = np.full(n, _NEVER, dtype=np.int64)
    np.minimum.at(out, user.astype(np.int64), time.astype(np.int64))
    return out


def draw_churn(rng: np.random.Generator, returning: np.ndarray, active_from: np.ndarray, active_to: np.ndarray,
               pay_at: np.ndarray, det_at: np.ndarray, september: np.ndarray) -> Churn:
    """Draw the extra churn time and the outreach assignment of every user of a chunk.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's churn stream (separate from the one that drew the history).
    returning : numpy.ndarray of bool
        Segment returning.
    active_from, active_to : numpy.ndarray
        Start and base end of each user's activity (local epoch seconds).
    pay_at, det_at : numpy.ndarray
        First failed payment and first detractor answer (``_NEVER`` when none).
    september : numpy.ndarray of bool
        The user has a session in September 2026.

    Returns
    -------
    Churn
    """
    n = returning.size
    e = rng.standard_exponential(n)
    extra = _extra_time(e, returning, active_from, pay_at, det_at, np.zeros(n, bool))
    alive = np.minimum(extra, active_to) > d.OUTREACH_AT
    at_risk = (pay_at < d.OUTREACH_AT) | (det_at < d.OUTREACH_AT)
    assigned = alive & september & at_risk
    treated = assigned & (rng.random(n) < d.OUTREACH_TREATMENT_SHARE)
    extra = np.where(treated, _extra_time(e, returning, active_from, pay_at, det_at, treated), extra)
    ratio = _ratio(returning, pay_at <= d.OUTREACH_AT, det_at <= d.OUTREACH_AT)
    return Churn(np.minimum(extra, active_to), assigned, treated,
                 np.where(assigned, ratio * H0_PER_S * d.DAY, 0.0))


def _ratio(returning: np.ndarray, paid: np.ndarray, detractor: np.ndarray) -> np.ndarray:
    return (np.where(returning, HR["returning"], 1.0) * np.where(paid, HR["payment_error"], 1.0)
            * np.where(detractor, HR["detractor"], 1.0))


def _extra_time(e: np.ndarray, returning: np.ndarray, active_from: np.ndarray, pay_at: np.ndarray,
                det_at: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Time at which the cumulative extra hazard from ``active_from`` reaches ``e`` (piecewise constant)."""
    n = e.size
    out_at = np.where(treated, d.OUTREACH_AT, _NEVER)
    change = np.sort(np.stack([np.maximum(pay_at, active_from), np.maximum(det_at, active_from),
                               np.maximum(out_at, active_from)], axis=1), axis=1)
    starts = np.c_[active_from, change].astype(np.int64)
    ends = np.c_[change, np.full(n, _NEVER)].astype(np.int64)
    result = np.full(n, _NEVER, dtype=np.int64)
    used = np.zeros(n)
    done = np.zeros(n, bool)
    for k in range(starts.shape[1]):
        s = starts[:, k]
        rate = (H0_PER_S * _ratio(returning, pay_at <= s, det_at <= s)
                * np.where(treated & (s >= d.OUTREACH_AT), HR["outreach"], 1.0) - H_MIN_PER_S)
        length = (ends[:, k] - s).astype(float)
        cap = rate * length
        hit = ~done & (used + cap >= e) & (rate > 0)
        result[hit] = s[hit] + np.ceil((e[hit] - used[hit]) / rate[hit]).astype(np.int64)
        done |= hit
        used = used + np.where(done, 0.0, cap)
    return result


def fade(rng: np.random.Generator, session_user: np.ndarray, session_start: np.ndarray, churn_at: np.ndarray,
         keep_always: np.ndarray) -> np.ndarray:
    """Which sessions are kept as their user fades: each one in the FADE_DAYS before churn with probability FADE_KEEP.

    Parameters
    ----------
    rng : numpy.random.Generator
        The churn stream.
    session_user, session_start : numpy.ndarray
        Chunk user index and start (local epoch seconds) of every session.
    churn_at : numpy.ndarray
        Each user's churn time.
    keep_always : numpy.ndarray of bool
        Sessions never thinned (:func:`kept_whatever`).

    Returns
    -------
    numpy.ndarray of bool
        True for a session kept (sessions after the churn time are dropped elsewhere).
    """
    at = churn_at[session_user]
    fading = (session_start >= at - d.FADE_DAYS * d.DAY) & (session_start < at)
    return ~fading | keep_always | (rng.random(session_user.size) < d.FADE_KEEP)


def kept_whatever(session_user: np.ndarray, session_start: np.ndarray, session_end: np.ndarray,
                  session_number: np.ndarray, pay_at: np.ndarray, opening: np.ndarray) -> np.ndarray:
    """Sessions a fading user still has: signup, account opening, first failed payment, last in September.

    The signup session stays so a user's first event is their signup; account-opening sessions,
    so the onboarding story keeps its attempts; the first failed payment's, so the covariate the
    data show is the one the hazard used; the last session in September, so every user the
    outreach campaign picked ("a session in September") shows one.

    Parameters
    ----------
    session_user, session_start, session_end, session_number : numpy.ndarray
        Chunk user index, start, end and number (1 = signup) of every session.
    pay_at : numpy.ndarray
        Each user's first failed payment (``_NEVER`` when none).
    opening : numpy.ndarray of bool
        Sessions with an account-opening attempt.
    """
    paid = pay_at[session_user]
    september = np.flatnonzero((session_start >= d.OUTREACH_ACTIVE_FROM) & (session_start < d.OUTREACH_AT))
    last = np.full(session_user.max(initial=-1) + 1, -1, dtype=np.int64)
    np.maximum.at(last, session_user[september], september)
    seen = np.zeros(session_user.size, bool)
    seen[last[last >= 0]] = True
    return (session_number == 1) | opening | ((session_start <= paid) & (paid <= session_end)) | seen


def expected_churn(hazard_per_day: np.ndarray, rate_per_day: np.ndarray, days: float,
                   fade_days: float = d.FADE_DAYS, fade_keep: float = d.FADE_KEEP) -> np.ndarray:
    """P(no session in the next ``days``) of a user alive now, with constant hazard and session rate.

    The lifetime left ``s`` is exponential with hazard ``h``; sessions are a Poisson process with
    rate ``r``, thinned to ``fade_keep * r`` in the ``fade_days`` before ``s`` and none after it.
    Given ``s``, the expected sessions in ``[0, days)`` are
    ``E(s) = r * clip(s - fade_days, 0, days) + fade_keep * r * clip(min(s, days) - max(s - fade_days, 0), 0)``,
    so ``P = integral of h e^(-h s) e^(-E(s)) ds``. ``E`` is linear between its kinks (0,
    ``fade_days``, ``days``, ``days + fade_days``), so the integral is a sum of exact exponential
    pieces plus the tail ``e^(-h (days + fade_days) - r days)``. Without fading (``fade_keep = 1``)
    it is ``h / (h + r) (1 - e^(-(h + r) days)) + e^(-(h + r) days)``.
    """
    h = np.asarray(hazard_per_day, float)
    r = np.asarray(rate_per_day, float)

    def expected_sessions(s: float) -> np.ndarray:
        normal = min(max(s - fade_days, 0.0), days)
        faded = max(min(s, days) - max(s - fade_days, 0.0), 0.0)
        return r * (normal + fade_keep * faded)

    kinks = sorted({0.0, min(fade_days, days), max(fade_days, days), days + fade_days})
    total = np.exp(-h * kinks[-1] - expected_sessions(kinks[-1]))
    for s1, s2 in zip(kinks[:-1], kinks[1:]):
        e1, e2 = expected_sessions(s1), expected_sessions(s2)
        slope = (e2 - e1) / (s2 - s1)
        rate = h + slope
        span = np.where(rate > 0, (np.exp(-rate * s1) - np.exp(-rate * s2)) / np.where(rate > 0, rate, 1.0), s2 - s1)
        total = total + h * np.exp(-(e1 - slope * s1)) * span
    return total
