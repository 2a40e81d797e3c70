"""Before any notebook runs: the data meets the contract and has every name the config uses.

A scheduled run that would publish a confident report from a misspelled event
(a funnel step no user can reach, "100 % drop") must stop before it replaces
anything. :func:`check_inputs` loads every configured table (the contract:
:func:`uem_helpers.data.load`), checks every event, funnel, column and
experiment the config and this run's parameters name
(:func:`uem_helpers.data.config_check.check_config_against_data`) and, with
``validate.strict``, the data-quality thresholds. It raises the same errors as
``uem validate`` (exit code 2 for a name the data lacks, 3 for data that
fails the contract) and returns the warnings a run should print: configured
events with no rows in the period, and what the loader noticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.period import Period
from uem_helpers.data import load
from uem_helpers.data.config_check import check_config_against_data
from uem_helpers.data.quality import data_quality


def check_inputs(
    cfg: UEMConfig,
    config_path: str | Path,
    period: Period,
    parameters: Mapping[str, Mapping[str, object]] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[str]:
    """Check the data and the config's names for a run over ``period``; return its warnings.

    Parameters
    ----------
    cfg : UEMConfig
        The loaded config.
    config_path : str or Path
        The config file, named in the messages.
    period : Period
        The period the run covers (events without rows in it are warned about).
    parameters : mapping, optional
        Notebook -> parameter -> value of this run; the config's ``report.parameters`` for
        notebooks not given.
    on_step : callable, optional
        Told each step as it begins (``"opening events"``...), for the progress line.

    Returns
    -------
    list of str
        Warnings, one sentence each.

    Raises
    ------
    SourceError, ContractErrors
        A table cannot be read or breaks the data contract (exit code 3).
    ConfigDataError
        The config names an event, funnel, column or experiment the data does not have (exit code 2).
    DataQualityError
        ``validate.strict`` and a data-quality finding above its threshold (exit code 3).
    """
    step = on_step if on_step is not None else (lambda text: None)
    dataset = load(cfg, on_step=step)
    named = {**cfg.report.parameters, **(parameters or {})}
    step("checking the config's names against the data")
    warnings = check_config_against_data(cfg, dataset, period.start, period.end, parameters=named,
                                         source=str(config_path))
    if cfg.checks.strict:
        step("measuring data quality")
        data_quality(dataset, period.start, period.end, strict=True, config=cfg)
    return [*map(str, dataset.warnings), *map(str, warnings)]
