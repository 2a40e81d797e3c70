"""Rollout vs control on a rate: outcomes joined with experiment assignments, one readout per variant."""

from __future__ import annotations

import ibis

from uem_helpers import stats
from uem_helpers.analyses.experiment._assignments import _designed_shares, _sample_ratio
from uem_helpers.analyses.experiment._columns import _boolean_column, _count
from uem_helpers.analyses.experiment.compare import compare_rates
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.core.errors import ContractError, ParameterError


def variant_rate(
    outcomes: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    outcome_col: str,
    *,
    metric: str,
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[Readout, stats.SRMResult]:
    """Compare a per-user rate between treatment and control of one experiment, with an SRM check.

    Users are the assignments of ``experiment`` (canonical ``assignments``:
    ``user_id``, ``experiment``, ``variant``) joined on ``user_id`` with
    ``outcomes`` (one row per user, a boolean ``outcome_col``). A user counts
    in the rate only with a non-missing outcome: assigned users absent from
    ``outcomes`` are not counted, so give ``outcomes`` one row per assigned
    user (False included) when "no row" means "did not succeed".
    ``rate = users with outcome True / users with an outcome`` per variant;
    the comparison is :func:`compare_rates` (treatment vs control).

    The sample-ratio-mismatch check counts the same analysed users per
    variant, so it catches both a broken split and outcomes lost more in
    one variant than the other (the most common cause of an SRM). With
    ``expected_shares`` (e.g. ``{"treatment": 0.05, "control": 0.95}``) it
    covers the variants named there; without it control and treatment are
    expected in equal numbers, a 50/50 split.

    All counts come from one query in the engine (a second one only to list
    the experiments present when ``experiment`` is not found).

    Parameters
    ----------
    outcomes : ibis.Table
        One row per user: ``user_id`` and ``outcome_col``.
    assignments : ibis.Table
        Canonical assignments, on the same backend as ``outcomes``.
    experiment : str
        The experiment to read out.
    outcome_col : str
        Boolean column of ``outcomes``; True counts as a success.
    metric : str
        Name of the rate for the sentence.
    control, treatment : str
        Variant names of the baseline and the comparison group.
    expected_shares : dict of str to float, optional
        The designed share of each variant, summing to 1.
    higher_is_better : bool, optional
        Whether a higher rate is good news.
    alpha : float
        Two-sided level of the intervals.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm (0.001, see
        :func:`uem_helpers.stats.sample_ratio_mismatch`).

    Returns
    -------
    tuple
        ``(Readout, SRMResult)``.

    Raises
    ------
    ParameterError
        The experiment or a variant is absent (the message lists those
        present), a column is missing or not boolean, the expected shares are
        wrong, or a variant has no user with an outcome.
    ContractError
        ``assignments`` lacks a canonical column or puts a user in two
        variants of the experiment, or ``outcomes`` has several rows for a user.
    """
    for column in ("user_id", "experiment", "variant"):
        if column not in assignments.columns:
            raise ContractError("assignments", column, "required column is missing")
    if "user_id" not in outcomes.columns:
        raise ParameterError(f"the outcomes table has no 'user_id' column; columns are: {', '.join(outcomes.columns)}")
    outcome = _boolean_column(outcomes, outcome_col)
    assigned = (
        assignments.filter(assignments.experiment == experiment)
        .group_by("user_id")
        .aggregate(variant=ibis._.variant.max(), n_variants=ibis._.variant.nunique())
    )
    per_user = outcomes.mutate(_outcome=outcome).group_by("user_id").aggregate(
        n_rows=ibis._.count(), has_outcome=ibis._._outcome.count(), success=ibis._._outcome.cast("int64").sum()
    )
    joined = assigned.left_join(per_user, assigned.user_id == per_user.user_id)
    summary = (
        joined.group_by("variant")
        .aggregate(
            multi=(joined.n_variants > 1).cast("int64").sum(),
            dup=(joined.n_rows > 1).cast("int64").sum(),
            n=joined.has_outcome.sum(),
            s=joined.success.sum(),
        )
        .execute()
    )
    counts = {str(r.variant): (_count(r.n), _count(r.s)) for r in summary.itertuples()}
    shares = _designed_shares(assignments, experiment, counts, _count(summary["multi"].sum()), control, treatment,
                              expected_shares)
    if (dup := _count(summary["dup"].sum())) > 0:
        raise ContractError("outcomes", "user_id", "several rows per user; one row per user is expected", n_bad=dup)
    srm = _sample_ratio({v: n for v, (n, _) in counts.items()}, shares, experiment, srm_alpha)
    (n_c, s_c), (n_t, s_t) = counts[control], counts[treatment]
    readout = compare_rates(
        s_c, n_c, s_t, n_t,
        metric=metric, group_a=control, group_b=treatment, higher_is_better=higher_is_better, alpha=alpha,
    )
    return readout, srm
