"""An experiment's split as the engine counted it: experiment and variants present, one variant per user, SRM."""

from __future__ import annotations

from collections.abc import Collection

import ibis

from uem_helpers import stats
from uem_helpers.core.errors import ContractError, ParameterError


def _designed_shares(
    assignments: ibis.Table,
    experiment: str,
    variants: Collection[str],
    multi: int,
    control: str,
    treatment: str,
    expected_shares: dict[str, float] | None,
) -> dict[str, float]:
    """The designed share of each variant, once the experiment, its variants and one variant per user are checked.

    ``variants`` are the variants counted for ``experiment`` (none: the experiment is absent) and
    ``multi`` the users found in more than one of them. Without ``expected_shares`` control and
    treatment are expected in equal numbers.
    """
    if len(variants) == 0:
        present = sorted(assignments.select("experiment").distinct().execute()["experiment"].astype(str))
        raise ParameterError(
            f"experiment '{experiment}' is not in the assignments table; "
            f"experiments present: {', '.join(present) or 'none'}"
        )
    shares = expected_shares if expected_shares is not None else {control: 0.5, treatment: 0.5}
    for variant in (control, treatment, *shares):
        if variant not in variants:
            raise ParameterError(
                f"variant '{variant}' is not in experiment '{experiment}'; "
                f"variants present: {', '.join(sorted(variants))}"
            )
    if multi > 0:
        raise ContractError(
            "assignments", "variant", f"users in more than one variant of experiment '{experiment}'", n_bad=multi
        )
    return shares


def _sample_ratio(
    users: dict[str, int], shares: dict[str, float], experiment: str, srm_alpha: float
) -> stats.SRMResult:
    """The sample-ratio-mismatch check of the users counted per variant against the designed shares."""
    try:
        return stats.sample_ratio_mismatch({v: users[v] for v in shares}, shares, alpha=srm_alpha)
    except ValueError as exc:
        raise ParameterError(f"expected_shares of experiment '{experiment}': {exc}") from None
