"""Sample-ratio mismatch: does the observed split of units match the designed one?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from uem_helpers.stats._checks import _check_alpha, _labelled


#: Usual p-value threshold of a sample-ratio-mismatch alarm (see :func:`sample_ratio_mismatch`).
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class SRMResult:
    """A sample-ratio-mismatch check: did the groups get the sizes the design promised?

    Attributes
    ----------
    observed : dict of str to int
        Units (users) counted in each group.
    expected_shares : dict of str to float
        The design's share of each group (summing to 1).
    expected : dict of str to float
        ``expected_shares * total``.
    statistic : float
        Pearson chi-square statistic.
    p_value : float
        Chi-square goodness-of-fit p-value (``k - 1`` degrees of freedom).
    alpha : float
        Alarm threshold.
    mismatch : bool
        True when ``p_value < alpha``: the split is broken and the comparison
        of those groups is not to be trusted until the cause is found.
    """

    observed: dict[str, int]
    expected_shares: dict[str, float]
    expected: dict[str, float]
    statistic: float
    p_value: float
    alpha: float
    mismatch: bool


def sample_ratio_mismatch(observed_counts, expected_shares, alpha: float = SRM_ALPHA) -> SRMResult:
    """Chi-square check that group sizes match the designed split (sample ratio mismatch, SRM).

    ``statistic = Σ (observed - expected)² / expected`` with
    ``expected = share * total``, compared to chi-square with ``k - 1``
    degrees of freedom (``scipy.stats.chisquare``). A mismatch is flagged
    when ``p < alpha``.

    Why ``alpha = 0.001``: an SRM means the assignment or logging is broken
    (a redirect that loses users, a crash in one arm, bots in one bucket),
    not a small effect, and real SRMs give p-values far below 0.001. The
    check runs on every experiment and every refresh, on large samples where
    the test is very sensitive, so a strict threshold keeps false alarms to
    one in a thousand healthy checks (Kohavi, Tang & Xu, *Trustworthy Online
    Controlled Experiments*, 2020; Fabijan et al., *Diagnosing Sample Ratio
    Mismatch*, KDD 2019).

    Parameters
    ----------
    observed_counts : mapping of str to int, or sequence of int
        Units counted per group, e.g. ``{"control": 9_440, "treatment": 560}``.
    expected_shares : mapping of str to float, or sequence of float
        Designed share per group, same keys (or same order), summing to 1,
        e.g. ``{"control": 0.95, "treatment": 0.05}``.
    alpha : float
        Alarm threshold.

    Returns
    -------
    SRMResult

    Raises
    ------
    ValueError
        Groups differ between the two arguments, fewer than two groups, a
        negative count, no units at all, or shares that are not positive or
        do not sum to 1.
    """
    _check_alpha(alpha)
    observed, shares = _labelled(observed_counts), _labelled(expected_shares)
    if set(observed) != set(shares):
        raise ValueError(
            f"observed groups {sorted(observed)} differ from the groups with an expected share {sorted(shares)}"
        )
    if len(observed) < 2:
        raise ValueError(f"a sample ratio check needs at least two groups; got {sorted(observed)}")
    names = list(observed)
    counts = np.array([observed[k] for k in names], dtype=float)
    share = np.array([shares[k] for k in names], dtype=float)
    if np.any(counts < 0):
        raise ValueError(f"observed counts must be non-negative; got {observed}")
    if counts.sum() == 0:
        raise ValueError("no units were observed in any group")
    if np.any(share <= 0) or not np.isclose(share.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"expected shares must be positive and sum to 1; got {shares} (sum {share.sum():g})")
    expected = share / share.sum() * counts.sum()
    result = sps.chisquare(counts, f_exp=expected)
    p_value = float(result.pvalue)
    return SRMResult(
        observed={k: int(observed[k]) for k in names},
        expected_shares={k: float(shares[k]) for k in names},
        expected=dict(zip(names, expected.tolist())),
        statistic=float(result.statistic),
        p_value=p_value,
        alpha=alpha,
        mismatch=p_value < alpha,
    )
