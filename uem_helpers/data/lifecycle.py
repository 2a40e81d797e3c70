"""Process logs whose rows carry a lifecycle: one activity as several rows (schedule, start, complete).

Public process-mining logs (XES exported to CSV: ``case:concept:name``, ``concept:name``,
``lifecycle:transition``, ``time:timestamp``) write an activity once per transition. Counted as
they are, every step and transition is inflated. ``sources.events.lifecycle``
(:class:`uem_helpers.core.config.LifecycleConfig`) says how to read them:

- ``mode: activity`` keeps the rows whose lifecycle is in ``keep`` (default ``complete``) and uses
  the activity as the event: one row per activity done;
- ``mode: activity+lifecycle`` keeps every row and names the event ``"<activity>+<lifecycle>"``
  (``A_Submitted+start``, ``A_Submitted+complete``), so waiting and working time become steps.

Lifecycle values are compared trimmed and in lower case. The lifecycle column is dropped afterwards
(it has been read). The case id maps to ``user_id`` through ``columns:`` as any column does.
"""

from __future__ import annotations

import ibis

from uem_helpers.core.config import LifecycleConfig
from uem_helpers.core.errors import ContractError


def apply_lifecycle(events: ibis.Table, rule: LifecycleConfig) -> ibis.Table:
    """The events with the lifecycle rule applied (module docstring); not executed.

    Raises
    ------
    ContractError
        The configured lifecycle column is not in the events table.
    """
    if rule.column not in events.columns:
        raise ContractError("events", rule.column, "is sources.events.lifecycle.column but the events table has no "
                            f"such column; it has: {', '.join(events.columns)}")
    stage = events[rule.column].cast("string").strip().lower()
    if rule.mode == "activity":
        kept = events.filter(stage.isin([k.strip().lower() for k in rule.keep]))
        return kept.drop(rule.column)
    named = events.mutate(event=ibis.ifelse(stage.isnull() | (stage == ""), events.event,
                                            events.event.concat("+", stage)))
    return named.drop(rule.column)
