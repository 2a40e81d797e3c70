"""Power: how many users a comparison needs to detect an effect."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from uem_helpers.stats._checks import _check_alpha


def users_needed(diff_se: float, users: int, effect: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Total users a two-group comparison needs to detect ``effect`` with the given power, at the same split.

    The standard error of a difference between two groups shrinks as ``1 / sqrt(users)`` when
    the users keep the same split, so from the current ``diff_se`` at ``users`` users:
    ``needed = users · diff_se² · (z_{1-alpha/2} + z_{power})² / effect²`` (the normal
    approximation of a two-sided z-test; e.g. ``(1.96 + 0.84)² = 7.85`` at 5% and 80%).

    Parameters
    ----------
    diff_se : float
        Standard error of the difference now.
    users : int
        Users (both groups) behind it.
    effect : float
        The absolute difference to detect (the observed one, or the smallest worth detecting).
    alpha : float
        Two-sided level of the test.
    power : float
        Wanted chance of a significant result when the true difference is ``effect``.

    Returns
    -------
    float
        Users needed in total (both groups); ``inf`` when ``effect`` is 0, NaN when it is NaN.

    Raises
    ------
    ValueError
        ``power`` not between 0 and 1, a negative ``diff_se`` or no users.
    """
    _check_alpha(alpha)
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1 (e.g. 0.8); got {power!r}")
    if diff_se < 0 or users <= 0:
        raise ValueError(f"need diff_se >= 0 and users > 0; got {diff_se!r}, {users!r}")
    if np.isnan(effect):
        return float("nan")
    if effect == 0:
        return float("inf")
    z = sps.norm.isf(alpha / 2) + sps.norm.ppf(power)
    return float(users * diff_se**2 * z**2 / effect**2)
