"""Story 1: account opening (``open_start -> info_submitted -> id_verified -> card_bound -> open_success``).

An attempt is a session of its own: ``app_open``, then the steps the user
reaches. Each step is reached with the probability of
:data:`.design.OPENING_CONTINUE` given the previous one and takes a gamma
distributed time with the means of :data:`.design.OPENING_STEP_MEAN_S`; the
version (before / after the 2026-08-15 launch) is the one live at the
attempt's ``open_start``. Identity verification (``info_submitted ->
id_verified``) loses the most users and takes the longest in both versions.
Times are whole seconds, so quick steps share a second with the previous
step; a few attempts repeat a step event (a re-submitted form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uem_helpers.sample import design as d
from uem_helpers.sample.population import OPEN_FIRST, OPEN_RETRY, EventBatch, Schedule

N_STEPS = len(d.OPENING)


@dataclass(frozen=True)
class Attempts:
    """Account-opening attempts of one chunk (one per opening session)."""

    session: np.ndarray
    """Index of the attempt's session in the schedule."""
    first: np.ndarray
    """The user's first attempt (the one the funnel counts)."""
    after: np.ndarray
    """open_start on or after the launch."""
    times: np.ndarray
    """Shape (n, 5): local epoch seconds of each step, -1 when not reached."""

    @property
    def reached(self) -> np.ndarray:
        """Number of steps reached (1..5)."""
        return (self.times >= 0).sum(axis=1)

    @property
    def completed(self) -> np.ndarray:
        """Reached open_success within the funnel window of open_start (inclusive)."""
        return (self.times[:, -1] >= 0) & (self.times[:, -1] - self.times[:, 0] <= d.OPENING_WINDOW_S)


def open_accounts(rng: np.random.Generator, schedule: Schedule) -> tuple[Attempts, Schedule, EventBatch]:
    """Play every opening session of the schedule; drop candidate retries that do not happen.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    schedule : Schedule
        The chunk's sessions, including OPEN_FIRST and candidate OPEN_RETRY sessions.

    Returns
    -------
    attempts : Attempts
        The attempts that happened (indices refer to the returned schedule).
    schedule : Schedule
        The schedule without the retries that did not happen.
    events : EventBatch
        app_open and step events of the attempts.
    """
    idx = np.flatnonzero(schedule.kind != 0)
    n = idx.size
    open_start = schedule.start[idx] + _seconds(rng, d.DWELL_MEAN_S["open_start"], n, d.DWELL_SHAPE)
    after = open_start >= d.OPENING_LAUNCH
    cont = np.where(after[:, None], d.OPENING_CONTINUE["after"], d.OPENING_CONTINUE["before"])
    means = np.where(after[:, None], d.OPENING_STEP_MEAN_S["after"], d.OPENING_STEP_MEAN_S["before"])
    go_on = np.cumprod(rng.random((n, N_STEPS - 1)) < cont, axis=1).astype(bool)
    step = np.minimum(np.floor(rng.gamma(d.OPENING_STEP_SHAPE, means / d.OPENING_STEP_SHAPE)), d.DWELL_CAP_S)
    times = open_start[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(step, axis=1)], axis=1)
    times = np.where(np.c_[np.ones(n, bool), go_on], times, -1).astype(np.int64)
    attempts = Attempts(idx, schedule.kind[idx] == OPEN_FIRST, after, times)

    # A retry happens only after an abandoned first attempt, for some users.
    user = schedule.user[idx]
    first_of_user = np.full(int(user.max(initial=-1)) + 1, -1, dtype=np.int64)
    first_of_user[user[attempts.first]] = np.flatnonzero(attempts.first)
    retry = np.flatnonzero(schedule.kind[idx] == OPEN_RETRY)
    matched = first_of_user[user[retry]]
    wants = rng.random(retry.size) < d.OPENING_RETRY_P
    happens = (matched >= 0) & wants
    happens[matched >= 0] &= ~attempts.completed[matched[matched >= 0]]
    keep_attempt = np.ones(n, bool)
    keep_attempt[retry[~happens]] = False
    keep_session = np.ones(schedule.user.size, bool)
    keep_session[idx[~keep_attempt]] = False
    new_index = np.cumsum(keep_session) - 1
    attempts = Attempts(new_index[idx[keep_attempt]], attempts.first[keep_attempt],
                        attempts.after[keep_attempt], attempts.times[keep_attempt])
    return attempts, schedule.subset(keep_session), _events(rng, attempts, schedule.subset(keep_session))


def _events(rng: np.random.Generator, attempts: Attempts, schedule: Schedule) -> EventBatch:
    """app_open, reached steps and a few repeated step events of each attempt."""
    n = attempts.session.size
    rows, cols = np.nonzero(attempts.times >= 0)
    sessions = [attempts.session, attempts.session[rows]]
    times = [schedule.start[attempts.session], attempts.times[rows, cols]]
    codes = [np.full(n, d.S["app_open"]), d.S["open_start"] + cols]
    orders = [np.zeros(n), 2 * (cols + 1)]
    # Repeats: one of info_submitted / id_verified / card_bound fired twice, 0-4 s apart.
    top = np.minimum(attempts.reached, N_STEPS - 1)  # highest repeatable step index + 1
    dup = np.flatnonzero((top >= 2) & (rng.random(n) < d.OPENING_DUPLICATE_P))
    k = 1 + (rng.random(dup.size) * (top[dup] - 1)).astype(np.int64)
    sessions.append(attempts.session[dup])
    times.append(attempts.times[dup, k] + rng.integers(0, 5, dup.size))
    codes.append(d.S["open_start"] + k)
    orders.append(2 * (k + 1) + 1)
    return EventBatch.concat([EventBatch(s, t, c, o) for s, t, c, o in zip(sessions, times, codes, orders)])


def _seconds(rng: np.random.Generator, mean: float, n: int, shape: float) -> np.ndarray:
    """Whole seconds drawn from a gamma distribution with the given mean, capped at DWELL_CAP_S."""
    return np.minimum(np.floor(rng.gamma(shape, mean / shape, n)), d.DWELL_CAP_S).astype(np.int64)
