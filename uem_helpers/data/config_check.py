"""The config held against the data: every event, column and experiment it names exists.

A typo in a configured event name (``id_verfied`` for ``id_verified``) passes
the config's own validation, and without this check the onboarding report
would state with confidence that everyone drops at that step. Before any
notebook runs (``uem validate``, ``uem run``, ``uem report``),
:func:`check_config_against_data` looks up every name the config uses:

- **events** named in ``funnels.<name>.steps`` and ``.exclude``,
  ``journey.start_event``, ``journey.stages.<stage>``,
  ``journey.bottleneck_candidates``, ``journey.goal_events``, ``journey.alarm_events``,
  ``carts.cart_event`` / ``.checkout_event``, ``metrics.task_completion.start`` / ``.success``, ``metrics.first_success.event``,
  ``churn.active_events``, ``churn.support_events``, ``churn.payment_error`` and the ``start_event``
  report parameters must occur in the events table (after the config's
  ``event_names`` mapping);
- **funnels** named by ``metrics.account_opening_funnel`` and the ``funnel``
  report parameters must be defined under ``funnels``;
- **columns** named by the ``segment_by`` report parameters must exist in the
  events, users or carts table, and those of ``churn.segments`` in the users or events table;
- **experiments** under ``rollouts`` and ``churn.outreach`` must occur in the assignments table (when
  one is configured), with their control, treatment and designed variants;
- **display names** under ``labels`` must name an event of the events table, a
  column of the events, users or carts table (a segment), or a name the config gives (a funnel, a journey stage, a feedback theme, a rollout,
  the churn outreach's experiment and variants, a report parameter's value such as ``launch_description``): a misspelled key
  would otherwise leave the raw name in every chart without a word.

Every problem is reported at once, each with its config key path, the missing
name and up to three nearest existing names ("did you mean 'id_verified'?"),
as one :class:`~uem_helpers.core.errors.ConfigDataError`. An event that exists
but has no rows in the chosen period is no error: it comes back as a
:class:`ConfigWarning`, since a quiet month is possible.

Example
-------
>>> warnings = check_config_against_data(config, load(config), "2026-10-01", "2026-10-31")  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ConfigDataError, ConfigProblem
from uem_helpers.core.period import in_period
from uem_helpers.data.sources import Dataset

#: Report parameters that name an event, a funnel or a segment column.
EVENT_PARAMETERS = ("start_event",)
FUNNEL_PARAMETERS = ("funnel",)
COLUMN_PARAMETERS = ("segment_by",)
#: Tables a segment column may come from.
SEGMENT_TABLES = ("events", "users", "carts")
#: Tables a churn segment column may come from (the user's row, else their events).
CHURN_SEGMENT_TABLES = ("users", "events")
#: How many near names a problem suggests.
SUGGESTIONS = 3


@dataclass(frozen=True)
class ConfigWarning:
    """A configured name that exists in the data but has no rows in the period.

    Attributes
    ----------
    key : str
        Config key path, e.g. ``funnels.account_opening.steps[2]``.
    name : str
        The event named there.
    period : tuple of str
        The period checked, ``(start, end)`` as given.
    """

    key: str
    name: str
    period: tuple[str, str]

    def __str__(self) -> str:
        start, end = self.period
        return (f"config key '{self.key}': event '{self.name}' has no rows between {start} and {end}; "
                "analyses that need it will say that nobody reached it in this period")


def configured_events(config: UEMConfig, parameters: Mapping[str, Mapping[str, object]] | None = None
                      ) -> list[tuple[str, str]]:
    """Every event the config names, as ``(key path, event)`` pairs in the config's order.

    Parameters
    ----------
    config : UEMConfig
        The validated config.
    parameters : mapping, optional
        Per-notebook report parameters to check as well (default: ``report.parameters``).
    """
    found: list[tuple[str, str]] = []
    for name, funnel in config.funnels.items():
        found += [(f"funnels.{name}.steps[{i}]", step) for i, step in enumerate(funnel.steps)]
        found += [(f"funnels.{name}.exclude[{i}]", step) for i, step in enumerate(funnel.exclude)]
    journey = config.journey
    if journey.start_event:
        found.append(("journey.start_event", journey.start_event))
    for stage, events in journey.stages.items():
        found += [(f"journey.stages.{stage}[{i}]", event) for i, event in enumerate(events)]
    found += [(f"journey.bottleneck_candidates[{i}]", e) for i, e in enumerate(journey.bottleneck_candidates)]
    found += [(f"journey.goal_events[{i}]", e) for i, e in enumerate(journey.goal_events or [])]
    found += [(f"journey.alarm_events[{i}]", e) for i, e in enumerate(journey.alarm_events)]
    if config.carts is not None:
        found += [("carts.cart_event", config.carts.cart_event), ("carts.checkout_event", config.carts.checkout_event)]
    metrics = config.metrics
    if metrics.task_completion is not None:
        found += [("metrics.task_completion.start", metrics.task_completion.start),
                  ("metrics.task_completion.success", metrics.task_completion.success)]
    if metrics.first_success is not None:
        found.append(("metrics.first_success.event", metrics.first_success.event))
    if config.churn is not None:
        found += config.churn.named_events()
    for notebook, key, value in _parameters(config, parameters, EVENT_PARAMETERS):
        found.append((f"report.parameters.{notebook}.{key}", value))
    return found


def check_config_against_data(
    config: UEMConfig,
    dataset: Dataset,
    period_start: object = None,
    period_end: object = None,
    parameters: Mapping[str, Mapping[str, object]] | None = None,
    source: str | None = None,
) -> list[ConfigWarning]:
    """Check every event, funnel, column and experiment the config names against the loaded data.

    Parameters
    ----------
    config : UEMConfig
        The validated config.
    dataset : Dataset
        The loaded tables (:func:`uem_helpers.data.load`); only ``events`` is required.
    period_start, period_end : date-like, optional
        The period a run covers; with either, configured events without rows in it are warned about.
    parameters : mapping, optional
        Per-notebook parameters of this run (notebook -> name -> value); ``report.parameters`` by default.
    source : str, optional
        The config file, for the message.

    Returns
    -------
    list of ConfigWarning
        Configured events that exist but have no rows in the period.

    Raises
    ------
    ConfigDataError
        Something the config names is not in the data; lists every such problem.
    """
    events = dataset.require("events", "checking the config's event names")
    counts = _event_counts(events, period_start, period_end)
    existing = sorted(counts)
    problems: list[ConfigProblem] = []
    warnings: list[ConfigWarning] = []
    for key, event in configured_events(config, parameters):
        if event not in counts:
            problems.append(ConfigProblem(key, event, "event", "the events table", nearest_names(event, existing)))
        elif counts[event] == 0:
            warnings.append(ConfigWarning(key, event, (str(period_start or "the start"), str(period_end or "the end"))))
    problems += _label_problems(config, dataset, existing, parameters)
    problems += _funnel_problems(config, parameters)
    problems += _column_problems(config, dataset, parameters)
    problems += _churn_segment_problems(config, dataset)
    problems += _rollout_problems(config, dataset)
    if problems:
        raise ConfigDataError(problems, source=source)
    return warnings


def _event_counts(events: ibis.Table, period_start: object, period_end: object) -> dict[str, int]:
    """Rows per distinct event (in the period when one is given), in one query."""
    if period_start is None and period_end is None:
        rows = events.group_by("event").aggregate(n=events.count())
    else:
        inside = in_period(events.timestamp, period_start, period_end)
        rows = events.group_by("event").aggregate(n=inside.cast("int64").sum())
    frame = rows.execute()
    return {str(e): int(n) for e, n in zip(frame["event"], frame["n"].fillna(0)) if e is not None}


def _label_problems(config: UEMConfig, dataset: Dataset, events: list[str], parameters) -> list[ConfigProblem]:
    """``labels`` keys that name nothing: no event or segment column in the data, no name the config gives."""
    given = [*config.funnels, *config.journey.stages, *config.feedback_taxonomy, *config.rollouts]
    if config.churn is not None and config.churn.outreach is not None:
        outreach = config.churn.outreach
        given += [outreach.experiment, outreach.treatment, outreach.holdout]
    given += [c for t in SEGMENT_TABLES if dataset.has(t) for c in dataset.tables[t].columns]
    given += [str(value) for _notebook, _key, value in _parameters(config, parameters, _string_parameters(config))]
    known = sorted({*events, *given})
    return [ConfigProblem(f"labels.{name}", name, "name", "the events table or the config", nearest_names(name, known))
            for name in config.labels if name not in known]


def _string_parameters(config: UEMConfig) -> list[str]:
    """Every report parameter name given a text value in ``report.parameters``."""
    return sorted({key for values in config.report.parameters.values() for key, v in values.items()
                   if isinstance(v, str)})


def _funnel_problems(config: UEMConfig, parameters) -> list[ConfigProblem]:
    named = []
    if config.metrics.account_opening_funnel:
        named.append(("metrics.account_opening_funnel", config.metrics.account_opening_funnel))
    named += [(f"report.parameters.{nb}.{key}", value) for nb, key, value in _parameters(config, parameters,
                                                                                         FUNNEL_PARAMETERS)]
    defined = sorted(config.funnels)
    return [ConfigProblem(key, name, "funnel", "the config's funnels", nearest_names(name, defined))
            for key, name in named if name not in config.funnels]


def _column_problems(config: UEMConfig, dataset: Dataset, parameters) -> list[ConfigProblem]:
    tables = [t for t in SEGMENT_TABLES if dataset.has(t)]
    columns = sorted({c for t in tables for c in dataset.tables[t].columns})
    where = " or ".join(f"the {t} table" for t in tables)
    return [ConfigProblem(f"report.parameters.{nb}.{key}", value, "column", where, nearest_names(value, columns))
            for nb, key, value in _parameters(config, parameters, COLUMN_PARAMETERS) if value not in columns]


def _churn_segment_problems(config: UEMConfig, dataset: Dataset) -> list[ConfigProblem]:
    """``churn.segments`` columns that neither the users nor the events table has."""
    if config.churn is None or not config.churn.segments:
        return []
    tables = [t for t in CHURN_SEGMENT_TABLES if dataset.has(t)]
    columns = sorted({c for t in tables for c in dataset.tables[t].columns})
    where = " or ".join(f"the {t} table" for t in tables)
    return [ConfigProblem(f"churn.segments[{i}]", column, "column", where, nearest_names(column, columns))
            for i, column in enumerate(config.churn.segments) if column not in columns]


def _rollout_problems(config: UEMConfig, dataset: Dataset) -> list[ConfigProblem]:
    """Experiments and variants of ``rollouts`` and of ``churn.outreach`` that the assignments table lacks."""
    outreach = config.churn.outreach if config.churn is not None else None
    if not (config.rollouts or outreach) or not dataset.has("assignments"):
        return []
    assignments = dataset.tables["assignments"]
    pairs = assignments.select("experiment", "variant").distinct().execute()
    variants: dict[str, set[str]] = {}
    for experiment, variant in zip(pairs["experiment"], pairs["variant"]):
        variants.setdefault(str(experiment), set()).add(str(variant))
    experiments = {f"rollouts.{name}": (name, [(f"rollouts.{name}.control", r.control),
                                               (f"rollouts.{name}.treatment", r.treatment),
                                               *((f"rollouts.{name}.expected_shares.{v}", v)
                                                 for v in (r.expected_shares or {}))])
                   for name, r in config.rollouts.items()}
    if outreach is not None:
        experiments["churn.outreach.experiment"] = (outreach.experiment, [
            ("churn.outreach.treatment", outreach.treatment), ("churn.outreach.holdout", outreach.holdout)])
    problems = []
    for key, (name, named) in experiments.items():
        if name not in variants:
            problems.append(ConfigProblem(key, name, "experiment", "the assignments table",
                                          nearest_names(name, sorted(variants))))
            continue
        problems += [ConfigProblem(key, variant, "variant", f"experiment '{name}' of the assignments table",
                                   nearest_names(variant, sorted(variants[name])))
                     for key, variant in dict(named).items() if variant not in variants[name]]
    return problems


def _parameters(config: UEMConfig, parameters, names: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(notebook, parameter, value)`` for every non-empty text parameter called one of ``names``."""
    given = config.report.parameters if parameters is None else parameters
    return [(notebook, key, value) for notebook, values in given.items() for key, value in values.items()
            if key in names and isinstance(value, str) and value]


def nearest_names(name: str, existing: list[str]) -> tuple[str, ...]:
    """Up to three existing names closest to ``name`` (case-insensitive), best first (the "did you mean")."""
    lowered = {e.lower(): e for e in existing}
    return tuple(lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=SUGGESTIONS, cutoff=0.6))
