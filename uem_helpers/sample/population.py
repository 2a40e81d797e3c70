"""Users of one chunk and the schedule of their sessions.

Each user has an active window (signup, or the period start for returning
users, to a churn time) and a Poisson number of browsing sessions in it, at
Chinese day-time usage hours. New users' first session is their signup.
Account-opening attempts get sessions of their own. Session starts of one
user are spaced at least :data:`.design.SESSION_SLOT_S` apart, so a session
(at most ~3.6 h long by construction) ends 30+ minutes before the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uem_helpers.sample import design as d

BROWSE, OPEN_FIRST, OPEN_RETRY = 0, 1, 2
"""Session kinds."""


@dataclass(frozen=True)
class Users:
    """Attributes of the users of one chunk (arrays of equal length)."""

    number: np.ndarray
    """Global user number (1-based); ``user_id`` is its 7-digit zero-padded string."""
    signup: np.ndarray
    returning: np.ndarray
    platform: np.ndarray
    channel: np.ndarray
    region: np.ndarray
    looper: np.ndarray
    treatment: np.ndarray
    """Drawn arm of the rollout (used only if the user is active after the rollout start)."""
    dormant: np.ndarray
    active_from: np.ndarray
    active_to: np.ndarray


def make_users(rng: np.random.Generator, first: int, n: int) -> Users:
    """Draw ``n`` users numbered from ``first``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    first : int
        Global number of the chunk's first user (1-based).
    n : int
        Number of users in the chunk.

    Returns
    -------
    Users
    """
    returning = rng.random(n) < d.RETURNING_SHARE
    new_signup = np.minimum(usage_hour(rng, rng.integers(d.PERIOD_START, d.PERIOD_END - d.DAY, n)),
                            d.PERIOD_END - 6 * 3600)
    old_signup = rng.integers(d.RETURNING_SIGNUP_FROM, d.PERIOD_START, n)
    signup = np.where(returning, old_signup, new_signup)
    active_from = np.where(returning, d.PERIOD_START, signup)
    lifetime = rng.exponential(d.BASE_LIFETIME_DAYS_MEAN * d.DAY, n).astype(np.int64)
    active_to = np.minimum(active_from + lifetime, d.PERIOD_END)
    region_p = np.asarray(d.REGION_W, dtype=float) / sum(d.REGION_W)
    return Users(
        number=np.arange(first, first + n, dtype=np.int64),
        signup=signup,
        returning=returning,
        platform=rng.choice(len(d.PLATFORMS), n, p=d.PLATFORM_P),
        channel=rng.choice(len(d.CHANNELS), n, p=d.CHANNEL_P),
        region=rng.choice(len(d.REGIONS), n, p=region_p),
        looper=rng.random(n) < d.LOOPER_SHARE,
        treatment=rng.random(n) < d.ROLLOUT_TREATMENT_SHARE,
        dormant=rng.random(n) < d.DORMANT_SHARE,
        active_from=active_from,
        active_to=active_to,
    )


@dataclass(frozen=True)
class Schedule:
    """Sessions of one chunk, sorted by user and start time."""

    user: np.ndarray
    """Index of the user within the chunk."""
    start: np.ndarray
    """Local epoch seconds of the session's first event."""
    kind: np.ndarray
    """BROWSE, OPEN_FIRST or OPEN_RETRY."""
    rate: np.ndarray
    """Per user of the chunk: browsing sessions per day while active."""

    def subset(self, keep: np.ndarray) -> "Schedule":
        """The sessions where ``keep`` is true."""
        return Schedule(self.user[keep], self.start[keep], self.kind[keep], self.rate)


def make_schedule(rng: np.random.Generator, users: Users) -> Schedule:
    """Draw session starts for every user of the chunk, spaced and inside the period.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    users : Users
        The chunk's users.

    Returns
    -------
    Schedule
        Browsing sessions plus a first account-opening attempt for openers and a
        candidate retry (dropped later unless the first attempt is abandoned and retried).
    """
    n = len(users.number)
    live = ~users.dormant
    span_days = (users.active_to - users.active_from) / d.DAY
    rate = np.maximum(rng.gamma(d.SESSIONS_PER_DAY_SHAPE, d.SESSIONS_PER_DAY_MEAN / d.SESSIONS_PER_DAY_SHAPE, n),
                      d.SESSIONS_PER_DAY_FLOOR)
    counts = np.where(live, rng.poisson(rate * span_days), 0)
    owner = np.repeat(np.arange(n), counts)
    lo, hi = users.active_from[owner], users.active_to[owner]
    t = lo + (rng.random(owner.size) * (hi - lo)).astype(np.int64)
    t = usage_hour(rng, t)
    inside = (t > lo) & (t <= hi)
    owner, t = owner[inside], t[inside]

    # New users' first session is their signup; returning users come back at least once.
    signup_user = np.flatnonzero(live & ~users.returning)
    back_user = np.flatnonzero(live & users.returning)
    back = users.active_from[back_user] + (rng.random(back_user.size)
                                           * (users.active_to - users.active_from)[back_user]).astype(np.int64)
    opener = live & (rng.random(n) < np.where(users.returning, d.OPENING_P_RETURNING, d.OPENING_P_NEW))
    delay = rng.exponential(d.OPENING_DELAY_DAYS_MEAN * d.DAY, n).astype(np.int64) + 60
    uniform = users.active_from + (rng.random(n) * (users.active_to - users.active_from)).astype(np.int64)
    first_try = np.where(users.returning, uniform, users.active_from + delay)
    opener &= first_try <= users.active_to
    open_user = np.flatnonzero(opener)
    retry = first_try[open_user] + d.DAY + rng.exponential(3 * d.DAY, open_user.size).astype(np.int64)

    user = np.concatenate([owner, signup_user, back_user, open_user, open_user])
    start = np.concatenate([t, users.active_from[signup_user], back, first_try[open_user], retry])
    kind = np.concatenate([np.full(owner.size + signup_user.size + back_user.size, BROWSE),
                           np.full(open_user.size, OPEN_FIRST), np.full(open_user.size, OPEN_RETRY)])
    order = np.lexsort((kind, start, user))
    user, start, kind = user[order], start[order], kind[order]
    start = _spaced(user, start)
    keep = start <= d.PERIOD_END - (d.SESSION_SLOT_S - d.SESSION_GAP_S)
    return Schedule(user, start, kind, np.where(live, rate, 0.0)).subset(keep)


def usage_hour(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move each time to a random moment of its day, drawn with the app's hourly usage weights.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    t : numpy.ndarray
        Local epoch seconds; only their day is kept.

    Returns
    -------
    numpy.ndarray
        Local epoch seconds on the same days.
    """
    hour_p = np.asarray(d.HOUR_W) / sum(d.HOUR_W)
    return (t // d.DAY) * d.DAY + rng.choice(24, t.size, p=hour_p) * 3600 + rng.integers(0, 3600, t.size)


def _spaced(user: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Push session starts later so that one user's starts are at least a slot apart.

    ``s'_k = max(s_k, s'_{k-1} + slot)`` solved without a loop: with ``C_k = k * slot``
    (k = rank within the user), ``s'_k = C_k + cummax_{j<=k}(s_j - C_j)``.
    """
    c = (session_numbers(user) - 1) * d.SESSION_SLOT_S
    offset = user.astype(np.int64) * 10**11  # keeps the running maximum inside each user
    return np.maximum.accumulate(start - c + offset) - offset + c


def session_numbers(user: np.ndarray) -> np.ndarray:
    """1-based number of each session within its user (sessions sorted by user, start)."""
    if user.size == 0:
        return user.copy()
    first = np.r_[True, user[1:] != user[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(user.size), 0))
    return np.arange(user.size) - group_start + 1


@dataclass(frozen=True)
class EventBatch:
    """Events generated for some sessions: parallel arrays, not yet sorted."""

    session: np.ndarray
    """Index of the session in the chunk's schedule."""
    time: np.ndarray
    """Local epoch seconds (second resolution)."""
    code: np.ndarray
    """Index into :data:`.design.EVENTS`."""
    order: np.ndarray
    """Tie-breaker keeping a session's logical order for events stamped in the same second."""

    @staticmethod
    def concat(batches: list["EventBatch"]) -> "EventBatch":
        """All events of several batches in one batch."""
        return EventBatch(*(np.concatenate([getattr(b, f) for b in batches]).astype(np.int64)
                            for f in ("session", "time", "code", "order")))
