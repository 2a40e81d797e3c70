"""Fast validation: did the change work? Before/after a launch, and rollout vs control.

Every comparison returns one :class:`~uem_helpers.analyses.experiment.readout.Readout`: the two values, the absolute
and relative effect with their confidence intervals, the p-value, and a
sentence for the report that never states an effect without its interval.

The event-level work (splitting around a launch date, counting outcomes,
joining outcomes with experiment assignments) is built as Ibis expressions
and executed once, on whichever backend the tables live on (DuckDB, Spark);
only counts or a bounded sample of values come back to Python, where
:mod:`uem_helpers.stats` does the statistics.

Time convention: canonical timestamps are naive wall-clock times in the
config's time zone, so every date and time given here (``launch_date``,
``period_start``, ``period_end``) is read as naive wall-clock time in that
same zone. A time-zone-aware value is refused rather than silently shifted.

Example
-------
>>> r = before_after_rate(opens, "timestamp", "abandoned", "2026-08-15",
...                       metric="abandonment", guard_days=1,
...                       higher_is_better=False)          # doctest: +SKIP
>>> r.sentence()                                           # doctest: +SKIP
'Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −34 to −26), ...'

Modules: :mod:`.compare` (two groups of counts or values -> a Readout), :mod:`.before_after`
(split around a launch, with guard days), :mod:`.variants` (rollout vs control on a rate),
:mod:`.ratios` (ratio metrics per variant, clustered by user), :mod:`.rollout` (the ship/hold/roll back
readout), :mod:`.readout` (the result and its sentence). Callers import from here.

Convention of this family folder (as in scikit-learn's): a module per concept, named without an
underscore; internals shared by those modules live in underscored ones, :mod:`._columns` (boolean
outcome columns, engine counts) and :mod:`._assignments` (the experiment's split checked).
"""

from __future__ import annotations

from uem_helpers.analyses.experiment.compare import compare_means, compare_medians, compare_moments, compare_rates
from uem_helpers.analyses.experiment.before_after import (
    before_after_label,
    before_after_mean,
    before_after_median,
    before_after_rate,
    split_before_after,
)
from uem_helpers.analyses.experiment.variants import variant_rate
from uem_helpers.analyses.experiment.ratios import RatioMetric, variant_ratio, variant_ratios
from uem_helpers.analyses.experiment.readout import AFTER, BEFORE, group_name

__all__ = [
    "AFTER",
    "BEFORE",
    "RatioMetric",
    "before_after_label",
    "before_after_mean",
    "before_after_median",
    "before_after_rate",
    "compare_means",
    "compare_moments",
    "compare_medians",
    "compare_rates",
    "group_name",
    "split_before_after",
    "variant_rate",
    "variant_ratio",
    "variant_ratios",
]
