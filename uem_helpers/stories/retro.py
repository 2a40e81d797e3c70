"""The monthly retro story: the KPI scorecard against the plan, NPS, retention, the feedback loop and rollouts.

:func:`analyse_retro` composes :mod:`uem_helpers.analyses.kpis` and :mod:`uem_helpers.analyses.plan`
(scorecard), :mod:`uem_helpers.analyses.metrics` (NPS detail, retention),
:mod:`uem_helpers.analyses.feedback` (classification, volume, loop metrics, themes,
priority, "you said, we did") and :mod:`uem_helpers.analyses.experiment.rollout` (staged rollouts
named under ``rollouts:`` in the config) into one result that the
``monthly_retro`` notebook shows section by section.

Definitions are those of the modules above; in addition:

- the **month** is a calendar month (``"2026-10"``); the KPI trend covers the
  six months ending with it, and "last month" is the month before;
- **retention** cohorts are the weeks of users' first event in the three
  months ending with the month, followed for :data:`RETENTION_WEEKS` weeks; a
  cohort whose follow-up window passes the data's last event is incomplete: only
  its weeks that ended inside the data count, and ``notes["retention"]`` says how
  many cohorts that is and what the window needs (:func:`retention_span_note`);
- **feedback** is classified for the six months of the trend (volume by month
  and theme shows spikes; priority compares the month with the one before);
- a **rollout** is read on the carts its users created at or after their
  assignment, up to the end of the month: primary metric cart conversion,
  guardrail average order value (:func:`uem_helpers.analyses.experiment.rollout.rollout_readout`).

A section whose input is missing holds None and a sentence saying why in
``notes``, so the report shows the sentence instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from uem_helpers.analyses import feedback as fb
from uem_helpers.analyses import metrics
from uem_helpers.analyses.cart import Carts, prepare_carts
from uem_helpers.analyses.churn import (CHURN_RATE, ChurnRule, NotEnoughChurn, as_of_instant, cutoffs, drivers, labelled_features,
                                        monthly_churn, train_and_validate)
from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ConfigDataError, ConfigError, ParameterError, UEMError
from uem_helpers.core.formats import day, instant, month as month_name, number
from uem_helpers.core.i18n import _, clauses, ngettext
from uem_helpers.analyses.kpis import KPIS, KPIValues, kpi_values, month_bounds, month_range
from uem_helpers.core.period import in_period
from uem_helpers.analyses.plan import Plan, read_plan, scorecard
from uem_helpers.analyses.experiment.rollout import Guardrail, RolloutReadout, rollout_readout
from uem_helpers.data.sources import Dataset

#: Months in the KPI trend, ending with the report's month.
TREND_MONTHS = 6
#: Months of first-event cohorts in the retention heatmap.
RETENTION_MONTHS = 3
#: Weeks each retention cohort is followed after its first week.
RETENTION_WEEKS = 8


@dataclass(frozen=True)
class RetroAnalysis:
    """Everything the monthly retro shows. Sections that cannot be computed hold None and a reason in ``notes``."""

    month: str
    last_month: str
    events: int
    kpis: KPIValues
    plan: Plan | None
    scorecard: pd.DataFrame | None
    nps_monthly: pd.DataFrame | None
    nps_by_touchpoint: pd.DataFrame | None
    retention: pd.DataFrame | None
    classified: fb.Classified | None
    volume_by_channel: pd.DataFrame | None
    volume_by_category: pd.DataFrame | None
    loop: fb.LoopMetrics | None
    themes: pd.DataFrame | None
    priority: pd.DataFrame | None
    we_did: pd.DataFrame | None
    rollouts: tuple[RolloutReadout, ...]
    sla_hours: float
    notes: dict[str, str] = field(default_factory=dict)
    """Why a section is empty, by section name (``plan``, ``nps``, ``nps_touchpoint``, ``retention``, ``feedback``,
    ``loop``, ``we_did``, ``rollouts``, ``churn``)."""
    churn_rule: ChurnRule | None = None
    """The config's churn rule (None without a ``churn:`` section)."""
    churn_drivers: pd.DataFrame | None = None
    """The churn model's drivers at the month's end (:func:`uem_helpers.analyses.churn.drivers`), when it could train."""

    @property
    def has_data(self) -> bool:
        """False when the month has no event and no KPI value."""
        return self.events > 0 or bool((self.kpis.values["month"] == self.month).any())

    def kpi(self, metric: str) -> pd.DataFrame:
        """One KPI's monthly rows (see :meth:`uem_helpers.analyses.kpis.KPIValues.series`)."""
        return self.kpis.series(metric)


def analyse_retro(
    data: Dataset,
    config: UEMConfig,
    month: object,
    *,
    plan_path: str | Path | None = None,
    sla_hours: float | None = None,
    alpha: float = 0.05,
) -> RetroAnalysis:
    """Run the monthly retro's analyses.

    Parameters
    ----------
    data : Dataset
        Loaded tables; every one is optional except events, and each missing one empties its section.
    config : UEMConfig
        KPI settings (``metrics``), taxonomy, rollouts, the plan path, funnels and journey stages.
    month : str or date
        The month to review, e.g. ``"2026-10"``.
    plan_path : str or Path, optional
        The annual plan (YAML); the config's ``plan`` when omitted.
    sla_hours : float, optional
        The feedback reply SLA; ``metrics.feedback_sla_hours`` of the config when omitted.
    alpha : float
        Two-sided level of the intervals.

    Returns
    -------
    RetroAnalysis
    """
    label = metrics.month_label(month)
    trend = month_range(label, TREND_MONTHS)
    last = trend[-2]
    start, end = month_bounds(label)
    sla = float(sla_hours) if sla_hours else config.metrics.feedback_sla_hours
    if sla <= 0:
        raise ParameterError(f"sla_hours={sla_hours!r} must be a positive number of hours")
    notes: dict[str, str] = {}
    events = data.require("events", "the monthly retro")
    n_events = int(events.filter(in_period(events.timestamp, start, end)).count().execute())
    # Derive once, hand down: the typed cart table, materialised, shared by the KPIs and the rollouts.
    carts = prepare_carts(data["carts"], cache=True) if data.has("carts") else None
    kpis = kpi_values(data, config, label, months=TREND_MONTHS, alpha=alpha, carts=carts)

    rule, churn_drivers = None, None
    if config.churn is not None:
        rule = ChurnRule.from_config(config)
        as_of = as_of_instant(end)
        kpis = KPIValues(pd.concat([kpis.values, monthly_churn(data, rule, trend, as_of, alpha=alpha)],
                                   ignore_index=True), kpis.notes)
        churn_drivers = _churn_drivers(data, config, rule, as_of, notes)

    plan = _plan(config, plan_path, notes)
    card = scorecard(plan, kpis.values, label, alpha=alpha) if plan is not None else None

    monthly = by_touchpoint = None
    if data.has("nps"):
        monthly = metrics.nps(data["nps"], by="month", period_start=month_bounds(trend[0])[0], period_end=end,
                              alpha=alpha)
        monthly["month"] = [metrics.month_label(m) for m in monthly["month"]]
        if "touchpoint" in data["nps"].columns:
            by_touchpoint = metrics.nps(data["nps"], by="touchpoint", period_start=start, period_end=end, alpha=alpha)
        else:
            notes["nps_touchpoint"] = _("The NPS table has no touchpoint column, so NPS is not broken down by "
                                        "touchpoint.")
    else:
        notes["nps"] = kpis.notes.get("nps", _("No NPS table is configured."))

    cohorts_start = month_bounds(month_range(label, RETENTION_MONTHS)[0])[0]
    retention = metrics.retention(events, weeks=RETENTION_WEEKS, period_start=cohorts_start, period_end=end,
                                  alpha=alpha)
    if retention.attrs.get("incomplete_cohorts"):
        notes["retention"] = retention_span_note(retention, RETENTION_WEEKS)
    elif retention.empty:
        notes["retention"] = _("No user was active in the three months ending with this month.")

    classified = volume_channel = volume_category = loop = themes = ranked = we_did = None
    if not data.has("feedback"):
        notes["feedback"] = _("No feedback table is configured (sources.feedback), so the feedback loop is not "
                              "shown.")
    elif not config.feedback_taxonomy:
        notes["feedback"] = _("No feedback taxonomy is configured (feedback_taxonomy), so feedback is not classified.")
    else:
        feedback = data["feedback"]
        classified = fb.classify(feedback, config.feedback_taxonomy, period_start=month_bounds(trend[0])[0],
                                 period_end=end)
        this = classified.items["month"] == label
        if not this.any():
            notes["feedback"] = _("No feedback item was created in {month}.").format(month=month_name(label))
        volume_channel = _month_rows(fb.volume(classified, by=("month", "channel")), label)
        volume_category = _month_rows(fb.volume(classified, by=("month", "category")), label)
        missing = [c for c in ("first_reply_at", "resolved_at") if c not in feedback.columns]
        if missing:
            notes["loop"] = _("The feedback table has no {columns} column, so reply times, the SLA and the backlog "
                              "are not shown (map them under sources.feedback.columns).").format(
                columns=_(" or ").join(missing))
        else:
            loop = fb.loop_metrics(feedback, sla_hours=sla, month=label)
        themes = fb.top_themes(classified, label)
        ranked = fb.priority(classified, label)
        if {"resolution", "resolved_at"} <= set(classified.items.columns):
            we_did = fb.you_said_we_did(classified, label)
        else:
            notes["we_did"] = _("The feedback table has no resolution (or resolved_at) column, so \"you said, we "
                                "did\" cannot be shown.")

    rollouts = _rollouts(data, carts, config, end, alpha, notes)
    return RetroAnalysis(label, last, n_events, kpis, plan, card, monthly, by_touchpoint, retention, classified,
                         volume_channel, volume_category, loop, themes, ranked, we_did, rollouts, sla, notes,
                         churn_rule=rule, churn_drivers=churn_drivers)


def _churn_drivers(data: Dataset, config: UEMConfig, rule: ChurnRule, as_of, notes: dict) -> pd.DataFrame | None:
    """The churn model's drivers at the month's end (as the churn report trains it), or None and a note why not."""
    try:
        cut = cutoffs(data, rule, as_of)
        validate = labelled_features(data, rule, cut.validate, config)
        model = train_and_validate(labelled_features(data, rule, cut.train, config), validate)
    except NotEnoughChurn as exc:
        notes["churn"] = _("Too few users churned to train the churn model ({have}; it needs {need}), so its "
                           "drivers are not shown.").format(have=number(exc.churned, 0), need=number(exc.needed, 0))
        return None
    except (ConfigError, ConfigDataError, ParameterError):  # the data around the month cannot train it
        notes["churn"] = _("The data do not cover the churn model's training and validation windows before the "
                           "month's end, so its drivers are not shown.")
        return None
    return drivers(model, validate)


#: Tables whose rows are the month's activity (users are not: they sign up once).
ACTIVITY_TABLES = ("events", "carts", "feedback", "nps", "assignments")


def month_rows(data: Dataset, month: object) -> dict[str, int]:
    """Rows of each loaded activity table (:data:`ACTIVITY_TABLES`) whose time falls in ``month``, for the header.

    All zeros mark the run "no data" in the report index.
    """
    start, end = month_bounds(metrics.month_label(month))
    return data.row_counts(start, end, tables=[t for t in ACTIVITY_TABLES if data.has(t)])


def _plan(config: UEMConfig, plan_path, notes: dict) -> Plan | None:
    """The annual plan, or None and a note when none is configured."""
    path = plan_path or config.plan
    if not path:
        notes["plan"] = _("No annual plan is configured (plan: in the config, or the plan_path parameter).")
        return None
    return read_plan(config.resolve(path), known_metrics=(*KPIS, *([CHURN_RATE] if config.churn is not None else [])))


def _month_rows(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    return frame[frame["month"] == month].drop(columns="month").reset_index(drop=True)


def _rollouts(data: Dataset, typed: Carts | None, config: UEMConfig, end: str, alpha: float,
              notes: dict) -> tuple[RolloutReadout, ...]:
    """Every configured rollout read on the typed carts (``typed``; None without carts) up to the end of the month."""
    if not config.rollouts:
        notes["rollouts"] = _("No staged rollout is configured (rollouts: in the config).")
        return ()
    if not (data.has("assignments") and typed is not None):
        notes["rollouts"] = _("Rollout readouts need the assignments and carts tables.")
        return ()
    assigned = data["assignments"]
    first = assigned.group_by("experiment").aggregate(start=assigned.assigned_at.min()).execute()
    started = dict(zip(first["experiment"], first["start"]))
    carts = typed.window(period_end=end)
    aov = Guardrail(_("average order value"), carts, numerator="paid", denominator="checked_out", unit="¥")
    readouts, problems = [], []
    for name, spec in config.rollouts.items():
        if name not in started:
            problems.append(_("{experiment}: no assignment in the assignments table").format(experiment=name))
            continue
        if pd.Timestamp(started[name]) > pd.Timestamp(end) + pd.Timedelta(days=1):
            problems.append(_("{experiment}: starts {day}, after this month").format(experiment=name,
                                                                                 day=day(started[name])))
            continue
        try:
            readouts.append(rollout_readout(
                carts, data["assignments"], name, metric=_("cart conversion"), outcome="checked_out", guardrails=[aov],
                control=spec.control, treatment=spec.treatment, expected_shares=spec.expected_shares, alpha=alpha))
        except UEMError as exc:
            problems.append(_("{experiment}: {problem}").format(experiment=name, problem=exc))
    if problems:
        notes["rollouts"] = _("Not read here: {problems}.").format(problems=clauses(problems))
    return tuple(readouts)


def retention_span_note(retention: pd.DataFrame, weeks: int) -> str:
    """What weekly retention needs and how many cohorts the data follows too briefly; ``""`` when none.

    Parameters
    ----------
    retention : pandas.DataFrame
        :func:`uem_helpers.analyses.metrics.retention` output (its ``attrs`` say the data's end and
        the incomplete cohorts).
    weeks : int
        Weeks each cohort is followed after its first week.
    """
    attrs = retention.attrs
    incomplete, cohorts = attrs.get("incomplete_cohorts", 0), attrs.get("cohorts", 0)
    if not incomplete:
        return ""
    end = attrs["data_end"]
    numbers = {"weeks": weeks, "full": weeks + 1, "end": instant(end), "incomplete": incomplete, "cohorts": cohorts}
    if incomplete == cohorts:
        return _("Weekly retention follows each cohort for {full} full weeks (its first week and {weeks} more), and "
                 "the data ends {end}: no cohort has been followed that long, so only the weeks that ended inside the "
                 "data are shown and counted.").format(**numbers)
    return ngettext("Weekly retention follows each cohort for {full} full weeks (its first week and {weeks} more), "
                    "and the data ends {end}: {incomplete} of {cohorts} cohorts (from the week of {first}) has not "
                    "been followed that long; only its weeks that ended inside the data are shown and counted.",
                    "Weekly retention follows each cohort for {full} full weeks (its first week and {weeks} more), "
                    "and the data ends {end}: {incomplete} of {cohorts} cohorts (from the week of {first}) have not "
                    "been followed that long; only their weeks that ended inside the data are shown and counted.",
                    incomplete).format(first=day(attrs["first_incomplete"]), **numbers)
