"""The churn early-warning story: who is about to leave, why, and did reaching out help.

:func:`analyse_churn` composes the churn analyses (:mod:`uem_helpers.analyses.churn`)
into one result that the ``churn_warning`` notebook shows section by section.

- **Churn** (the config's ``churn:`` section): a user churns at the start of their first
  gap of ``inactive_days`` without an active event. Whether a user seen in the last
  ``inactive_days`` before ``as_of`` has churned is not known yet (right-censoring), so
  the model learns from earlier cutoffs only.
- **Cutoffs**: the model is trained on users eligible at ``as_of - 2 x inactive_days``
  (labels known by ``as_of - inactive_days``) and validated out of time on users
  eligible at ``as_of - inactive_days`` (labels known by ``as_of``); the validated model
  then scores the users eligible at ``as_of``. Features only see events strictly before
  their cutoff.
- **Too few churned users** to train: the result holds no model and says how many
  there are and how many are needed; the survival view and the outreach readout
  (scored without risk deciles) still run.
- **Outreach**: a past campaign in the assignments table (``churn.outreach``) is read
  out as churn of treated vs holdout users within ``inactive_days`` of assignment,
  overall and by the model's risk decile at the campaign date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from uem_helpers.analyses.churn import (
    ChurnRule, ModelResult, NotEnoughChurn, OutreachDesign, OutreachReadout, as_of_instant, assign_outreach,
    cutoffs, design_outreach, drivers, hazard_ratios, kaplan_meier, labelled_features, outreach_readout, reasons,
    score, survival_table, train_and_validate, user_features,
)
from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.data.sources import Dataset

#: Why there is no outreach readout (:attr:`ChurnAnalysis.outreach_note`).
NO_OUTREACH_CONFIGURED, NO_ASSIGNMENTS = "no outreach configured", "no assignments table"
#: Absolute drop in churn the next campaign's design is sized to detect, unless the notebook says otherwise.
DEFAULT_MDE = 0.05


@dataclass(frozen=True)
class ChurnAnalysis:
    """Everything the churn report shows; parts that could not be computed hold None and a note."""

    rule: ChurnRule
    as_of: datetime
    train_cutoff: datetime
    validate_cutoff: datetime
    scored: pd.DataFrame
    """Users eligible at ``as_of``: their features and (with a model) ``risk``, highest risk first."""
    missing_features: dict[str, str]
    """Features left out because their table is absent, with the reason."""
    model: ModelResult | None
    not_enough: NotEnoughChurn | None
    """Why there is no model (too few churned users), when there is none."""
    drivers: pd.DataFrame | None
    at_risk: pd.DataFrame | None
    """The top-k users by risk with their reasons: ``user_id``, ``risk``, ``reasons`` (feature names, in order)."""
    survival: pd.DataFrame
    """One row per user: the survival table (entry, churned, duration, covariate times, segments)."""
    curves: pd.DataFrame
    """Kaplan-Meier curves by :attr:`survival_by` (or overall)."""
    survival_by: str | None
    hazards: pd.DataFrame
    hazard_notes: list[str]
    outreach: OutreachReadout | None
    outreach_note: str
    """Why there is no outreach readout (:data:`NO_OUTREACH_CONFIGURED`, :data:`NO_ASSIGNMENTS`), ``""`` with one."""
    design: OutreachDesign | None
    assignments: pd.DataFrame | None
    """The next campaign's assignment of the at-risk users (real ids: for the outreach team's file only)."""
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> int:
        """Users scored at ``as_of``."""
        return len(self.scored)

    @property
    def censored(self) -> int:
        """Users whose churn is not known yet: no gap of ``inactive_days`` observed before ``as_of``."""
        return int((~self.survival["churned"]).sum())


def analyse_churn(
    data: Dataset,
    config: UEMConfig,
    *,
    as_of: object = None,
    period_end: object = None,
    top_k: int | None = None,
    mde: float = DEFAULT_MDE,
    campaign: str | None = None,
) -> ChurnAnalysis:
    """Run the churn analyses on a dataset.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``events`` is required, ``users``, ``nps``, ``feedback``, ``carts`` and
        ``assignments`` add features and the outreach readout.
    config : UEMConfig
        The config; its ``churn:`` section defines churn.
    as_of : date-like, optional
        What is known: events strictly before this instant (a date: the end of that day). Defaults to the
        end of ``period_end``.
    period_end : date-like, optional
        Last day of the report's period (used when ``as_of`` is not given).
    top_k : int, optional
        Size of the at-risk list; ``churn.top_k`` when None.
    mde : float
        Absolute drop in churn the next campaign's design is sized to detect.
    campaign : str, optional
        Experiment name for the next campaign's assignments; ``<outreach experiment>_<as_of month>``.

    Returns
    -------
    ChurnAnalysis

    Raises
    ------
    ConfigError
        The config has no ``churn:`` section, or the data are too short for its window.
    ParameterError
        Neither ``as_of`` nor ``period_end`` is given, or the data end before ``as_of``.
    """
    rule = ChurnRule.from_config(config)
    if as_of in (None, "") and period_end in (None, ""):
        raise ParameterError("the churn report needs as_of or period_end: the instant that fixes what is known")
    moment = as_of_instant(period_end if as_of in (None, "") else as_of)
    cut = cutoffs(data, rule, moment)
    k = top_k or config.churn.top_k

    train = labelled_features(data, rule, cut.train, config)
    validate = labelled_features(data, rule, cut.validate, config)
    current = user_features(data, rule, cut.score, config)
    scored = current.to_frame()

    model, not_enough, driver_table, at_risk = None, None, None, None
    try:
        model = train_and_validate(train, validate)
    except NotEnoughChurn as exc:
        not_enough = exc
    if model is not None:
        scored = scored.assign(risk=score(model, scored)).sort_values("risk", ascending=False)
        driver_table = drivers(model, validate)
        at_risk = _at_risk(model, scored, k)

    survival = survival_table(data, rule, moment, config)
    by = next((s for s in config.churn.segments if s in survival.columns), None)
    curves = kaplan_meier(survival, by)
    segments = [s for s in config.churn.segments if s in survival.columns]
    hazards, hazard_notes = hazard_ratios(survival, segments)

    readout, outreach_note = _outreach(data, rule, config, moment, model)
    design, assignments = _next_campaign(config, model, at_risk, moment, mde, campaign)
    return ChurnAnalysis(
        rule=rule, as_of=moment, train_cutoff=cut.train, validate_cutoff=cut.validate, scored=scored,
        missing_features=dict(current.missing), model=model, not_enough=not_enough, drivers=driver_table,
        at_risk=at_risk, survival=survival, curves=curves, survival_by=by, hazards=hazards,
        hazard_notes=list(hazard_notes), outreach=readout, outreach_note=outreach_note, design=design,
        assignments=assignments,
    )


def _at_risk(model: ModelResult, scored: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` users with the highest risk, with the features that raised their score most."""
    top = scored.head(k)
    why = reasons(model, top)
    listed = why.sort_values(["user_id", "rank"]).groupby("user_id")["feature"].agg(list)
    return pd.DataFrame({"user_id": top.index, "risk": top["risk"].to_numpy(),
                         "reasons": [listed.get(u, []) for u in top.index]})


def _outreach(data: Dataset, rule: ChurnRule, config: UEMConfig, as_of: datetime,
              model: ModelResult | None) -> tuple[OutreachReadout | None, str]:
    """The past campaign's readout, with risk deciles when there is a model; else None and why."""
    settings = config.churn.outreach
    if settings is None:
        return None, NO_OUTREACH_CONFIGURED
    if not data.has("assignments"):
        return None, NO_ASSIGNMENTS
    risk = None
    if model is not None:
        start = _campaign_start(data, settings.experiment)
        if start is not None:
            at_start = user_features(data, rule, start, config).to_frame()
            risk = score(model, at_start) if len(at_start) else None
    return outreach_readout(data, rule, settings, as_of, risk), ""


def _campaign_start(data: Dataset, experiment: str) -> datetime | None:
    """The first assignment time of ``experiment``, floored to its day (the campaign's scoring date)."""
    table = data["assignments"]
    first = table.filter(table["experiment"] == experiment)["assigned_at"].min().to_pandas()
    return None if pd.isna(first) else pd.Timestamp(first).floor("D").to_pydatetime()


def _next_campaign(config: UEMConfig, model: ModelResult | None, at_risk: pd.DataFrame | None, as_of: datetime,
                   mde: float, campaign: str | None) -> tuple[OutreachDesign | None, pd.DataFrame | None]:
    """Size and assign the next outreach to the at-risk list (needs a model)."""
    if model is None or at_risk is None or at_risk.empty:
        return None, None
    settings = config.churn.outreach
    holdout = settings.holdout_share if settings is not None else 0.2
    name = campaign or f"{settings.experiment if settings is not None else 'churn_outreach'}_{as_of:%Y%m}"
    rate = model.validation.top_decile_precision
    if not rate > mde:  # a drop larger than the churn itself cannot be detected: no design to offer
        return None, None
    design = design_outreach(len(at_risk), rate, holdout, mde)
    assignments = assign_outreach(at_risk["user_id"], name, name, holdout, as_of)
    return design, assignments
