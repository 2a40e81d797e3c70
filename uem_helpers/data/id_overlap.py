"""Identifiers join: the user ids of every table must be found in the events table.

User ids are text everywhere (``"007"`` stays ``"007"``). When one source stores
them as numbers (a Parquet export: ``56``) and another as zero-padded text
(``"0000056"``), every join between the two is silently empty: no cart, NPS
answer or piece of feedback matches a user, and each report built on the join
would print a confident number computed from nothing. On loading,
:func:`check_id_overlap` measures, for each table with user ids (carts, nps,
feedback, assignments), the share of its distinct user ids found in the events
table; below ``validate.min_id_overlap`` (default 0.5) loading stops with a
:class:`~uem_helpers.core.errors.ContractErrors` that names both tables, the
share, and example ids of each, and says how to fix it (``id_width`` on the
source that stores numbers). Within a report run each table's share is counted
once (:mod:`uem_helpers.data.findings_cache`).
"""

from __future__ import annotations

import ibis

from uem_helpers.core.errors import ContractError, ContractErrors
from uem_helpers.data import findings_cache

#: Tables whose user ids must be found in events (users may list people who never came back).
JOINED_TABLES = ("carts", "nps", "feedback", "assignments")
#: Example ids shown per table.
EXAMPLES = 3


def id_overlap(seen: ibis.Table, table: ibis.Table) -> tuple[int, int]:
    """Distinct user ids of ``table`` and how many of them occur in the events, in one query.

    Parameters
    ----------
    seen : ibis.Table
        The events' distinct user ids, in a column ``seen`` (:func:`_users_seen`).
    table : ibis.Table
        A canonical table with a ``user_id`` column.

    Returns
    -------
    (int, int)
        ``(ids, found)``; nulls are not ids.
    """
    ids = table.select("user_id").filter(table.user_id.notnull()).distinct()
    joined = ids.left_join(seen, ids.user_id == seen.seen)
    row = joined.aggregate(ids=joined.count(), found=joined.seen.count()).execute().iloc[0]
    return int(row["ids"]), int(row["found"])


def check_id_overlap(dataset, min_overlap: float) -> None:
    """Stop when a table's user ids are mostly not found in the events table.

    The events' distinct user ids are found once (cached in the engine, one row per user) and
    joined with each table's, and only when some table's share is not yet counted in this run.

    Parameters
    ----------
    dataset : Dataset
        The loaded tables (:class:`uem_helpers.data.sources.Dataset`).
    min_overlap : float
        Least share (0 to 1) of each table's distinct user ids that must occur in events.

    Raises
    ------
    ContractErrors
        One error per table below the share, naming both tables, the share and example ids.
    """
    if not dataset.has("events"):
        return
    events = dataset.tables["events"]
    errors = []
    with _UsersSeen(events) as seen:
        for name in (t for t in JOINED_TABLES if dataset.has(t) and "user_id" in dataset.tables[t].columns):
            table = dataset.tables[name]
            key = findings_cache.dataset_key(dataset, [name, "events"])  # counted once per report run
            ids, found = findings_cache.reuse("id_overlap", key, lambda: id_overlap(seen(), table))
            if ids and found / ids < min_overlap:
                errors.append(_overlap_error(name, table, events, ids, found, min_overlap))
    if errors:
        raise ContractErrors(errors)


class _UsersSeen:
    """The events' distinct user ids (column ``seen``), cached in the engine on first use and released on exit."""

    def __init__(self, events: ibis.Table):
        self._events = events
        self._cached: ibis.Table | None = None

    def __call__(self) -> ibis.Table:
        if self._cached is None:
            self._cached = self._events.select(seen="user_id").distinct().cache()
        return self._cached

    def __enter__(self) -> "_UsersSeen":
        return self

    def __exit__(self, *exc) -> None:
        if self._cached is not None:
            self._cached.release()


def _overlap_error(name: str, table: ibis.Table, events: ibis.Table, ids: int, found: int,
                   min_overlap: float) -> ContractError:
    here, there = _examples(table), _examples(events)
    hint = ("if one source stores ids as numbers, set `id_width` on it (e.g. "
            f"sources.{name}.id_width: {max(len(x) for x in there)}) so they are written as zero-padded text"
            if there and here and all(x.isdigit() for x in here) and any(x.startswith("0") for x in there)
            else "check that both sources use the same user ids (the column mapping under `columns`)")
    return ContractError(
        name, "user_id",
        f"only {found / ids:.0%} of its {ids:,} user ids are found in table 'events' (validate.min_id_overlap "
        f"is {min_overlap:.0%}), so joins between the two would be (nearly) empty. Ids in '{name}' look like "
        f"{', '.join(repr(x) for x in here)}; in 'events' like {', '.join(repr(x) for x in there)}. "
        f"What to do: {hint}",
    )


def _examples(table: ibis.Table) -> list[str]:
    ids = table.select("user_id").filter(table.user_id.notnull()).distinct().order_by("user_id").limit(EXAMPLES)
    return [str(x) for x in ids.execute()["user_id"]]
