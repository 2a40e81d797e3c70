"""Ratio metrics per variant (conversion per cart, revenue per cart ...), clustered by the randomised
user: per-user sums in the engine, delta-method intervals in :mod:`uem_helpers.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import pandas as pd

from uem_helpers import stats
from uem_helpers.analyses.experiment._assignments import _designed_shares, _sample_ratio
from uem_helpers.analyses.experiment._columns import _boolean_column, _count
from uem_helpers.analyses.experiment.compare import _readout
from uem_helpers.analyses.experiment.readout import Readout
from uem_helpers.core.errors import ContractError, ParameterError


@dataclass(frozen=True)
class RatioMetric:
    """A ratio metric of units (carts, sessions) read per variant, ``Σ numerator / Σ denominator``.

    Give either ``outcome`` (a rate: units with ``outcome`` True / units with an outcome) or
    ``numerator`` with an optional ``denominator`` (each unit counts 1 without one). Boolean
    columns count as 1 / 0. A unit counts only when its columns are not missing.

    Attributes
    ----------
    name : str
        Name for the sentence, e.g. ``"cart conversion"``, ``"average order value"``.
    outcome : str, optional
        Boolean column; the metric is a rate (``Readout.kind == "rate"``).
    numerator, denominator : str, optional
        Numeric or boolean columns; the metric is a ratio of sums (``Readout.kind == "mean"``).
    unit : str
        Unit of a ratio of sums for the sentence (``"¥"``); rates are in %.
    higher_is_better : bool, optional
        Whether a higher value is good news.

    Examples
    --------
    >>> RatioMetric("cart conversion", outcome="checked_out", higher_is_better=True)   # doctest: +SKIP
    >>> RatioMetric("average order value", numerator="paid", denominator="checked_out", unit="¥")  # doctest: +SKIP
    """

    name: str
    outcome: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    unit: str = ""
    higher_is_better: bool | None = None

    @property
    def kind(self) -> str:
        """``"rate"`` for an outcome, ``"mean"`` for a ratio of sums."""
        return "rate" if self.outcome is not None else "mean"


def variant_ratio(
    units: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    *,
    metric: str,
    outcome: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    unit: str = "",
    time_col: str = "created_at",
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    higher_is_better: bool | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[Readout, stats.SRMResult]:
    """Compare a unit-level ratio metric between treatment and control, clustered by user, with an SRM check.

    One metric of :func:`variant_ratios`: a rate of units (``outcome``, e.g. cart conversion of
    carts) or a ratio of sums (``numerator`` / ``denominator``, e.g. money paid / orders), read on
    the units each assigned user created at or after their assignment. Use it instead of
    :func:`variant_rate` when users are randomised but the metric counts units, several per user.

    Parameters
    ----------
    units : ibis.Table
        One row per unit: ``user_id``, ``time_col`` and the metric's columns.
    assignments : ibis.Table
        Canonical assignments (``user_id``, ``experiment``, ``variant``, ``assigned_at``).
    experiment : str
        The experiment to read out.
    metric : str
        Name for the sentence.
    outcome, numerator, denominator, unit
        The metric, as in :class:`RatioMetric`.
    time_col, control, treatment, expected_shares, alpha, srm_alpha
        As in :func:`variant_ratios`.
    higher_is_better : bool, optional
        Whether a higher value is good news.

    Returns
    -------
    tuple
        ``(Readout, SRMResult)``.
    """
    spec = RatioMetric(metric, outcome=outcome, numerator=numerator, denominator=denominator, unit=unit,
                       higher_is_better=higher_is_better)
    readouts, srm = variant_ratios(units, assignments, experiment, [spec], time_col=time_col, control=control,
                                   treatment=treatment, expected_shares=expected_shares, alpha=alpha,
                                   srm_alpha=srm_alpha)
    return readouts[0], srm


def variant_ratios(
    units: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    metrics: Sequence[RatioMetric],
    *,
    time_col: str = "created_at",
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> tuple[list[Readout], stats.SRMResult]:
    """Compare unit-level ratio metrics between treatment and control of one experiment, clustered by user.

    Users are the assignments of ``experiment`` (a user assigned twice to the same variant keeps
    the earliest ``assigned_at``). A unit counts for its user when its ``time_col`` is at or after
    the user's ``assigned_at``: units created before the assignment saw no treatment. Per user
    ``i`` and metric the engine sums ``y_i`` (numerator, or outcome True) and ``n_i`` (denominator,
    or 1 per unit with a value); assigned users without a unit count with ``y_i = n_i = 0``.
    Per variant it then returns the users ``m`` and ``Σ y``, ``Σ n``, ``Σ y²``, ``Σ n²``, ``Σ yn``
    (:class:`uem_helpers.stats.ClusterSums`), every metric and variant in ONE query.

    The metric is ``R = Σ y / Σ n`` per variant, compared by
    :func:`uem_helpers.stats.ratio_metric_difference` (delta method, clustered by user: users are
    what was randomised, and one user's units are correlated, so unit-level binomial intervals
    would be too narrow): the difference with its interval and p-value, the relative change with
    the delta-method interval of the log ratio. Each variant's own interval is the Wald interval
    of ``R`` for a ratio of sums, and for a rate the Wilson interval on the effective sample size
    (:func:`uem_helpers.stats.clustered_wilson_ci`). ``Readout.n_a`` / ``n_b`` are ``Σ n``
    rounded (units; checked-out carts for an AOV).

    The sample-ratio-mismatch check counts assigned users per variant, with or without units.
    With ``expected_shares`` it covers the variants named there; without it control and
    treatment are expected in equal numbers.

    Parameters
    ----------
    units : ibis.Table
        One row per unit: ``user_id``, ``time_col`` and every metric's columns.
    assignments : ibis.Table
        Canonical assignments, on the same backend as ``units``.
    experiment : str
        The experiment to read out.
    metrics : sequence of RatioMetric
        The metrics, read in this order.
    time_col : str
        Naive timestamp column of ``units`` compared with ``assigned_at``.
    control, treatment : str
        Variant names of the baseline and the comparison group.
    expected_shares : dict of str to float, optional
        The designed share of each variant, summing to 1.
    alpha : float
        Two-sided level of the intervals.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm.

    Returns
    -------
    tuple
        ``(list of Readout, SRMResult)``, one readout per metric (``group_a=control``, ``group_b=treatment``).

    Raises
    ------
    ParameterError
        The experiment or a variant is absent (the message lists those present), a metric is
        ill-specified or names a missing or non-numeric column, the expected shares are wrong, or
        a variant has fewer than two users or no unit for a metric.
    ContractError
        ``assignments`` lacks a canonical column or puts a user in two variants of the experiment.
    """
    if not metrics:
        raise ParameterError("variant_ratios needs at least one RatioMetric")
    for column in ("user_id", "experiment", "variant", "assigned_at"):
        if column not in assignments.columns:
            raise ContractError("assignments", column, "required column is missing")
    for column in ("user_id", time_col):
        if column not in units.columns:
            raise ParameterError(f"the units table has no '{column}' column; columns are: {', '.join(units.columns)}")
    dtype = units[time_col].type()
    if not dtype.is_timestamp() or dtype.timezone is not None:
        raise ParameterError(f"time column '{time_col}' must be a naive timestamp (wall-clock time in the config "
                             f"time zone, as uem_helpers.data.sources loads it); it is {dtype}")
    parts = {f"m{k}": _ratio_parts(units, spec) for k, spec in enumerate(metrics)}
    assigned = (
        assignments.filter(assignments.experiment == experiment)
        .group_by("user_id")
        .aggregate(variant=ibis._.variant.max(), n_variants=ibis._.variant.nunique(),
                   assigned_at=ibis._.assigned_at.min())
    )
    rows = units.select(
        _uid=units.user_id, _ts=units[time_col],
        **{f"{key}_{side}": expr for key, (y, n) in parts.items() for side, expr in (("y", y), ("n", n))},
    )
    rows = rows.inner_join(assigned, rows._uid == assigned.user_id)
    rows = rows.filter(rows._ts >= rows.assigned_at)
    sums = {f"{key}_{side}": rows[f"{key}_{side}"].sum() for key in parts for side in ("y", "n")}
    per_user = rows.group_by("_uid").aggregate(**sums)
    joined = assigned.left_join(per_user, assigned.user_id == per_user._uid)
    aggregates = {"users": joined.count(), "multi": (joined.n_variants > 1).cast("int64").sum()}
    for key in parts:
        y, n = joined[f"{key}_y"].fill_null(0.0), joined[f"{key}_n"].fill_null(0.0)
        aggregates |= {f"{key}_sy": y.sum(), f"{key}_sn": n.sum(), f"{key}_syy": (y * y).sum(),
                       f"{key}_snn": (n * n).sum(), f"{key}_syn": (y * n).sum()}
    summary = joined.group_by("variant").aggregate(**aggregates).execute()
    summary = summary.assign(variant=summary["variant"].astype(str)).set_index("variant")
    shares = _designed_shares(assignments, experiment, summary.index, _count(summary["multi"].sum()), control,
                              treatment, expected_shares)
    srm = _sample_ratio({v: _count(summary.loc[v, "users"]) for v in shares}, shares, experiment, srm_alpha)
    readouts = []
    for key, spec in zip(parts, metrics):
        sums_of = {}
        for variant in (control, treatment):
            row = summary.loc[variant]
            sums_of[variant] = stats.ClusterSums(
                users=_count(row["users"]),
                **{field: _total(row[f"{key}_{s}"]) for field, s in (("sum_y", "sy"), ("sum_n", "sn"),
                                                                    ("sum_yy", "syy"), ("sum_nn", "snn"),
                                                                    ("sum_yn", "syn"))},
            )
            if sums_of[variant].users < 2 or not sums_of[variant].sum_n > 0:
                raise ParameterError(
                    f"{spec.name}: variant '{variant}' of experiment '{experiment}' has "
                    f"{sums_of[variant].users} assigned user(s) and {sums_of[variant].sum_n:g} unit(s) in "
                    f"'{time_col}' at or after their assignment; a comparison needs at least two users and one unit"
                )
        readouts.append(_ratio_readout(spec, sums_of[control], sums_of[treatment], control, treatment, alpha))
    return readouts, srm


def _ratio_parts(units: ibis.Table, spec: RatioMetric) -> tuple[ibis.Value, ibis.Value]:
    """The per-unit numerator ``y`` and denominator ``n`` of a metric, 0 / 0 where a column is missing."""
    if (spec.outcome is None) == (spec.numerator is None):
        raise ParameterError(
            f"metric '{spec.name}': give either outcome (a boolean column: a rate) or numerator "
            f"(and optionally denominator: a ratio of sums); got outcome={spec.outcome!r}, "
            f"numerator={spec.numerator!r}"
        )
    if spec.outcome is not None:
        if spec.denominator is not None:
            raise ParameterError(f"metric '{spec.name}': an outcome rate takes no denominator; got {spec.denominator!r}")
        y = _boolean_column(units, spec.outcome).cast("float64")
        n = ibis.literal(1.0)
        valid = units[spec.outcome].notnull()
    else:
        y = _numeric(units, spec.numerator, spec.name)
        n = ibis.literal(1.0) if spec.denominator is None else _numeric(units, spec.denominator, spec.name)
        valid = y.notnull() & n.notnull()
        if spec.denominator is not None:
            valid &= ~n.isnan()
        valid &= ~y.isnan()
    return ibis.ifelse(valid, y, 0.0), ibis.ifelse(valid, n, 0.0)


def _numeric(units: ibis.Table, column: str, metric: str) -> ibis.Value:
    if column not in units.columns:
        raise ParameterError(
            f"metric '{metric}': column '{column}' is not in the units table; columns are: {', '.join(units.columns)}"
        )
    dtype = units[column].type()
    if not (dtype.is_numeric() or dtype.is_boolean()):
        raise ParameterError(f"metric '{metric}': column '{column}' must be numeric or boolean; it is {dtype}")
    return units[column].cast("float64")


def _ratio_readout(spec: RatioMetric, a: stats.ClusterSums, b: stats.ClusterSums, group_a: str, group_b: str,
                   alpha: float) -> Readout:
    """The readout of one ratio metric from the two variants' sums (see :func:`variant_ratios`)."""
    r = stats.ratio_metric_difference(a, b, alpha=alpha)
    if spec.kind == "rate":
        low_a, high_a = stats.clustered_wilson_ci(r.ratio_a, r.se_a, r.units_a, alpha=alpha)
        low_b, high_b = stats.clustered_wilson_ci(r.ratio_b, r.se_b, r.units_b, alpha=alpha)
    else:
        low_a, high_a, low_b, high_b = r.ratio_a_low, r.ratio_a_high, r.ratio_b_low, r.ratio_b_high
    return _readout(
        r, metric=spec.name, kind=spec.kind, unit="%" if spec.kind == "rate" else spec.unit, groups=(group_a, group_b),
        higher_is_better=spec.higher_is_better, alpha=alpha, values=(r.ratio_a, r.ratio_b),
        ns=(round(r.units_a), round(r.units_b)),
        intervals=((float(low_a), float(high_a)), (float(low_b), float(high_b))),
    )


def _total(x) -> float:
    """A float sum from an engine result; missing (a SUM over no rows) means 0."""
    return 0.0 if pd.isna(x) else float(x)
