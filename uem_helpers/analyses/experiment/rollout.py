"""The staged-rollout readout: treatment vs control, the split checked, and ship / hold / roll back.

A staged rollout gives a change to a share of users (e.g. 5%) and keeps the rest
as control. :func:`rollout_readout` reads its primary metric and any guardrail
metrics per variant through :func:`uem_helpers.analyses.experiment.variant_ratios` (units
each user created at or after their assignment, intervals clustered by user),
checks the sample ratio of assigned users, and recommends what to do by the rule
below, with the reason in words.

Decision rule (checked top to bottom; the first row that applies decides)
-------------------------------------------------------------------------

=====================================================  ==============  ==================================
condition                                              recommendation  reason given
=====================================================  ==============  ==================================
sample-ratio-mismatch alarm (p < ``srm_alpha``)        hold            fix the split before reading the
                                                                       result: the groups are not what
                                                                       was randomised
primary significantly worse, or any guardrail          roll back       which metric got worse, with its
significantly worse                                                    interval
primary significantly better (no guardrail worse)      ship            the primary effect with its
                                                                       interval
otherwise (no significant change of the primary)       hold            how many more users would detect
                                                                       the effect (power calculation),
                                                                       or "keep collecting"
=====================================================  ==============  ==================================

"Significantly better / worse" is :attr:`uem_helpers.analyses.experiment.readout.Readout.verdict`: the
p-value is below ``alpha`` and the interval of the difference excludes 0, in the
direction the metric's ``higher_is_better`` calls good or bad.

Power calculation of a "hold": the effect to detect is ``mde`` when given (the
smallest absolute change worth shipping), else the observed difference. The
standard error of the difference shrinks as ``1 / sqrt(users)`` at the same split,
so the users needed in total are ``users · se² · (z_{1-alpha/2} + z_{power})² / effect²``
(:func:`uem_helpers.stats.users_needed`); ``se`` is the delta-method standard error
of the primary difference now, ``users`` the assigned users of both variants. The
readout states the difference between that and the users so far. When the effect
is 0 (nothing to detect) the advice is to keep collecting; when the users so far
already suffice for ``mde``, the effect is likely smaller than ``mde``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
from scipy.stats import norm

from uem_helpers import stats
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.formats import percent
from uem_helpers.core.i18n import N_, _
from uem_helpers.analyses.experiment import RatioMetric, variant_ratios
from uem_helpers.analyses.experiment.readout import Readout, srm_sentence

#: The recommendations :func:`rollout_readout` can give.
SHIP, HOLD, ROLL_BACK = N_("ship"), N_("hold"), N_("roll back")
#: Default power of the "how many more users" calculation.
POWER = 0.8


@dataclass(frozen=True)
class Guardrail:
    """A metric that must not get worse for the rollout to ship, read like the primary metric.

    Attributes
    ----------
    name : str
        Name for the sentence, e.g. ``"average order value"``.
    units : ibis.Table
        Its units: ``user_id``, ``time_col`` and the metric's columns.
    numerator, denominator, outcome : str, optional
        The metric, as in :class:`uem_helpers.analyses.experiment.RatioMetric` (an ``outcome`` rate or a
        ``numerator`` / ``denominator`` ratio of sums).
    higher_is_better : bool
        Whether a rise is good news (a fall is then "worse").
    unit : str
        Unit of a ratio of sums for the sentence (``"¥"``).
    time_col : str
        Timestamp column of ``units`` compared with the assignment time.
    """

    name: str
    units: ibis.Table
    numerator: str | None = None
    denominator: str | None = None
    outcome: str | None = None
    higher_is_better: bool = True
    unit: str = ""
    time_col: str = "created_at"

    def metric(self) -> RatioMetric:
        """The :class:`~uem_helpers.analyses.experiment.RatioMetric` of this guardrail."""
        return RatioMetric(self.name, outcome=self.outcome, numerator=self.numerator, denominator=self.denominator,
                           unit=self.unit, higher_is_better=self.higher_is_better)


@dataclass(frozen=True)
class RolloutReadout:
    """What a staged rollout did and what to do next.

    Attributes
    ----------
    experiment : str
        The experiment read.
    primary : Readout
        The primary metric, treatment vs control, clustered by user.
    guardrails : tuple of Readout
        The guardrail metrics, in the order given.
    srm : SRMResult
        The sample-ratio-mismatch check of assigned users.
    recommendation : str
        ``"ship"``, ``"hold"`` or ``"roll back"`` (see the module's decision rule).
    reason : str
        Why, in words.
    users_needed : float or None
        For a "hold" on an inconclusive result: users (both variants) needed to detect the effect
        with the power asked; None otherwise. ``inf`` when there is no effect to detect.
    users_so_far : int
        Assigned users of the two variants.
    """

    experiment: str
    primary: Readout
    guardrails: tuple[Readout, ...]
    srm: stats.SRMResult
    recommendation: str
    reason: str
    users_needed: float | None
    users_so_far: int

    def readouts(self) -> list[Readout]:
        """The primary readout, then the guardrails."""
        return [self.primary, *self.guardrails]

    def sentence(self) -> str:
        """The recommendation and its reason, e.g. ``"Ship: cart conversion rose ..."``."""
        decision = _(self.recommendation)
        return _("{decision}: {reason}").format(decision=decision[:1].upper() + decision[1:], reason=self.reason)


def rollout_readout(
    units: ibis.Table,
    assignments: ibis.Table,
    experiment: str,
    *,
    metric: str,
    outcome: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    unit: str = "",
    higher_is_better: bool = True,
    time_col: str = "created_at",
    guardrails: Sequence[Guardrail] = (),
    control: str = "control",
    treatment: str = "treatment",
    expected_shares: dict[str, float] | None = None,
    mde: float | None = None,
    power: float = POWER,
    alpha: float = 0.05,
    srm_alpha: float = stats.SRM_ALPHA,
) -> RolloutReadout:
    """Read a staged rollout: the primary metric and guardrails per variant, the SRM check, and a recommendation.

    The primary metric is a ratio metric of ``units`` (e.g. cart conversion of the carts each
    user created at or after their assignment: ``outcome="checked_out"`` on
    :func:`uem_helpers.analyses.cart.cart_table`), compared treatment vs control with intervals
    clustered by user (:func:`uem_helpers.analyses.experiment.variant_ratios`, one query); each
    guardrail is read the same way on its own units (one query each). The recommendation
    follows the decision rule of this module's docstring.

    Parameters
    ----------
    units : ibis.Table
        Units of the primary metric: ``user_id``, ``time_col`` and its columns.
    assignments : ibis.Table
        Canonical assignments (``user_id``, ``experiment``, ``variant``, ``assigned_at``).
    experiment : str
        The rollout's experiment name.
    metric : str
        Name of the primary metric for the sentences, e.g. ``"cart conversion"``.
    outcome, numerator, denominator, unit
        The primary metric, as in :class:`uem_helpers.analyses.experiment.RatioMetric`.
    higher_is_better : bool
        Whether a rise of the primary metric is good news.
    time_col : str
        Timestamp column of ``units`` compared with the assignment time.
    guardrails : sequence of Guardrail
        Metrics that must not get significantly worse, e.g. average order value.
    control, treatment : str
        Variant names.
    expected_shares : dict of str to float, optional
        The designed split, e.g. ``{"control": 0.95, "treatment": 0.05}``; even when omitted.
    mde : float, optional
        Smallest absolute change of the primary metric worth detecting (rates in proportion units,
        0.02 for 2 points); the observed change when omitted.
    power : float
        Power of the "how many more users" calculation.
    alpha : float
        Two-sided level of the intervals and tests.
    srm_alpha : float
        Threshold of the sample-ratio-mismatch alarm.

    Returns
    -------
    RolloutReadout

    Raises
    ------
    ParameterError
        ``mde`` not positive, ``power`` outside (0, 1), or any error of
        :func:`uem_helpers.analyses.experiment.variant_ratios` (missing experiment or variant, bad columns).
    ContractError
        The assignments break the contract (see :func:`uem_helpers.analyses.experiment.variant_ratios`).
    """
    if mde is not None and not mde > 0:
        raise ParameterError(f"mde must be a positive absolute change (e.g. 0.02 for 2 points); got {mde!r}")
    if not 0 < power < 1:
        raise ParameterError(f"power must be between 0 and 1 (e.g. 0.8); got {power!r}")
    common = {"control": control, "treatment": treatment, "expected_shares": expected_shares, "alpha": alpha,
              "srm_alpha": srm_alpha}
    primary_metric = RatioMetric(metric, outcome=outcome, numerator=numerator, denominator=denominator, unit=unit,
                                 higher_is_better=higher_is_better)
    (primary,), srm = variant_ratios(units, assignments, experiment, [primary_metric], time_col=time_col, **common)
    guards = tuple(
        variant_ratios(g.units, assignments, experiment, [g.metric()], time_col=g.time_col, **common)[0][0]
        for g in guardrails
    )
    users = sum(srm.observed[v] for v in (control, treatment) if v in srm.observed)
    recommendation, reason, needed = decide(primary, guards, srm, users=users, mde=mde, power=power)
    return RolloutReadout(experiment, primary, guards, srm, recommendation, reason, needed, users)


def decide(
    primary: Readout,
    guardrails: Sequence[Readout],
    srm: stats.SRMResult,
    *,
    users: int,
    mde: float | None = None,
    power: float = POWER,
) -> tuple[str, str, float | None]:
    """Apply the decision rule of this module to readouts already computed.

    Parameters
    ----------
    primary : Readout
        The primary metric (its ``higher_is_better`` must be set); its interval of the difference
        must be the symmetric (Wald) one of :func:`uem_helpers.analyses.experiment.variant_ratios`, from
        which the power calculation takes the standard error.
    guardrails : sequence of Readout
        Guardrail metrics.
    srm : SRMResult
        The sample-ratio-mismatch check.
    users : int
        Users behind the comparison (both variants).
    mde : float, optional
        Smallest absolute change worth detecting; the observed change when omitted.
    power : float
        Power of the "how many more users" calculation.

    Returns
    -------
    tuple
        ``(recommendation, reason, users_needed)``; ``users_needed`` is None unless the result is
        an inconclusive "hold".
    """
    if primary.higher_is_better is None:
        raise ParameterError(f"the primary metric '{primary.metric}' needs higher_is_better (True or False)")
    if srm.mismatch:
        return HOLD, _("fix the split before reading the result. {check}").format(check=srm_sentence(srm)), None
    worse = [r for r in (primary, *guardrails) if r.verdict == "worse"]
    if worse:
        names = _(", ").join(f"{r.metric}" for r in worse)
        return ROLL_BACK, " ".join([_("{metrics} got significantly worse.").format(metrics=names),
                                    *(r.sentence() for r in worse)]), None
    if primary.verdict == "better":
        held = (" " + _("No guardrail got significantly worse ({metrics}).").format(
            metrics=_(", ").join(r.metric for r in guardrails)) if guardrails else "")
        return SHIP, primary.sentence() + held, None
    z = norm.isf(primary.alpha / 2)
    se = (primary.ci_high - primary.ci_low) / (2 * z)
    effect = mde if mde is not None else abs(primary.abs_effect)
    needed = stats.users_needed(se, users, effect, alpha=primary.alpha, power=power)
    head = primary.sentence()
    if not math.isfinite(needed):
        return HOLD, head + " " + _("No effect was observed to size a longer test by: keep collecting."), needed
    more = math.ceil(needed - users)
    what = (_("an effect of {effect}") if mde is not None else _("an effect of {effect} (the one observed)")).format(
        effect=_effect(primary, effect))
    numbers = {"users": f"{users:,}", "power": percent(power), "what": what, "more": f"{more:,}",
               "needed": f"{math.ceil(needed):,}"}
    if more <= 0:
        return HOLD, head + " " + _("The {users} users so far already give {power} power to detect {what}, so the "
                                    "true effect is probably smaller than that: keep collecting only if a smaller "
                                    "effect matters.").format(**numbers), needed
    return HOLD, head + " " + _("Keep collecting: about {more} more users (about {needed} in all, at the same split) "
                                "would give {power} power to detect {what}.").format(**numbers), needed


def _effect(r: Readout, effect: float) -> str:
    """An absolute effect in the readout's units: points for rates, the unit otherwise."""
    if r.kind == "rate":
        return _("{value} pts").format(value=f"{100 * effect:.1f}")
    return f"{r.unit}{effect:,.3g}" if r.unit in ("¥", "$", "€", "£") else f"{effect:,.3g} {r.unit}".rstrip()
