"""The data contract: canonical tables, their types, typing to them, and the checks run on load.

The contract is declared once, in :data:`CONTRACT`. :func:`.casting.type_table`
casts a mapped source to it inside the engine and counts every value that does
not fit; :func:`validate_table` runs the contract's pandera
schema (pandera's Ibis backend: types and value ranges) and the duplicate-id
check; :func:`table_warnings` counts suspicious-but-usable findings. Every
check is an aggregate query in the engine (DuckDB or Spark); only up to five
example values per problem come back to Python.

Errors (loading stops with one :class:`~uem_helpers.core.errors.ContractErrors`
listing them all): missing value in a required column, value that is not a
number or time, value outside its range (NPS score 0-10, negative money),
duplicate primary id, mixed UTC offsets or epoch units, local times in a DST
gap or overlap, times more than a day in the future. Warnings (counted in
:class:`ContractWarning`): duplicate events, users with no events, events
before signup, per-user out-of-order events in the source's row order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import ibis
import pandas as pd
import pandera.errors as pandera_errors
import pandera.ibis as pa

from uem_helpers.core.errors import ContractError

#: Column kinds and the Ibis type each is stored as.
KIND_TYPES = {
    "id": "string",
    "time": "timestamp",
    "float": "float64",
    "int": "int64",
    "string": "string",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its kind (``id``, ``time``, ``float``, ``int``, ``string``) and whether it is required."""

    kind: str
    required: bool = False
    checks: tuple = ()

    @property
    def dtype(self) -> ibis.DataType:
        """The canonical Ibis type (ids are strings; times are naive timestamps)."""
        return ibis.dtype(KIND_TYPES[self.kind])


def _req(kind: str, *checks) -> ColumnSpec:
    return ColumnSpec(kind, True, checks)


def _opt(kind: str, *checks) -> ColumnSpec:
    return ColumnSpec(kind, False, checks)


#: The canonical tables: column -> spec. Columns not listed are kept as they are.
CONTRACT: dict[str, dict[str, ColumnSpec]] = {
    "events": {
        "user_id": _req("id"),
        "timestamp": _req("time"),
        "event": _req("string"),
        "session_id": _opt("id"),
        "platform": _opt("string"),
        "channel": _opt("string"),
        "segment": _opt("string"),
    },
    "users": {
        "user_id": _req("id"),
        "signup_at": _req("time"),
        "segment": _opt("string"),
        "platform": _opt("string"),
        "channel": _opt("string"),
        "region": _opt("string"),
        "cohort": _opt("string"),
    },
    "carts": {
        "cart_id": _req("id"),
        "user_id": _req("id"),
        "created_at": _req("time"),
        "cart_value": _req("float", pa.Check.ge(0)),
        "shipping_fee": _opt("float", pa.Check.ge(0)),
        "checked_out_at": _opt("time"),
        "order_value": _opt("float", pa.Check.ge(0)),
        "discount": _opt("float"),
    },
    "feedback": {
        "feedback_id": _req("id"),
        "created_at": _req("time"),
        "channel": _req("string"),
        "text": _req("string"),
        "user_id": _opt("id"),
        "rating": _opt("int"),
        "category": _opt("string"),
        "touchpoint": _opt("string"),
        "status": _opt("string"),
        "first_reply_at": _opt("time"),
        "resolved_at": _opt("time"),
    },
    "nps": {
        "response_id": _req("id"),
        "user_id": _req("id"),
        "answered_at": _req("time"),
        "score": _req("int", pa.Check.in_range(0, 10)),
        "comment": _opt("string"),
        "touchpoint": _opt("string"),
    },
    "assignments": {
        "user_id": _req("id"),
        "experiment": _req("string"),
        "variant": _req("string"),
        "assigned_at": _req("time"),
    },
}

#: Primary id of each table that has one (duplicates are errors).
PRIMARY_KEY = {"users": "user_id", "carts": "cart_id", "feedback": "feedback_id", "nps": "response_id"}

#: The time column that dates each table's rows (period covered, future check).
TIME_COLUMN = {
    "events": "timestamp",
    "users": "signup_at",
    "carts": "created_at",
    "feedback": "created_at",
    "nps": "answered_at",
    "assignments": "assigned_at",
}

#: Name of the hidden column holding a source's row order (dropped from canonical tables).
ROW_ORDER = "__uem_row"


@dataclass
class ContractWarning:
    """A suspicious but usable finding, with its count and up to five examples."""

    table: str
    column: str | None
    problem: str
    n: int
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        where = f"table '{self.table}'" + (f", column '{self.column}'" if self.column else "")
        shown = f"; e.g. {', '.join(repr(e) for e in self.examples[:5])}" if self.examples else ""
        return f"{where}: {self.problem} ({self.n:,} {'row' if self.n == 1 else 'rows'}){shown}"


def required_columns(table: str) -> list[str]:
    """Canonical required columns of ``table``, in contract order."""
    return [name for name, spec in CONTRACT[table].items() if spec.required]


def pandera_schema(table: str, present: list[str]) -> pa.DataFrameSchema:
    """The pandera (Ibis backend) schema of ``table`` for the contract columns present in it.

    Parameters
    ----------
    table : str
        Canonical table name.
    present : list of str
        Columns of the typed table; optional contract columns absent from it are left out.

    Returns
    -------
    pandera.ibis.DataFrameSchema
        Types, nullability and value checks; other columns are allowed.
    """
    columns = {
        name: pa.Column(spec.dtype, list(spec.checks), nullable=True)
        for name, spec in CONTRACT[table].items()
        if spec.required or name in present
    }
    return pa.DataFrameSchema(columns, name=table, strict=False)


def validate_table(name: str, table: ibis.Table) -> list[ContractError]:
    """Check a typed canonical table against the contract, inside the engine.

    Runs the pandera schema lazily (all checks, not the first failure) and the
    duplicate-id check, and turns their findings into contract errors.

    Parameters
    ----------
    name : str
        Canonical table name.
    table : ibis.Table
        The table after column mapping and typing.

    Returns
    -------
    list of ContractError
        One per (column, problem), naming the number of bad rows and up to five values; empty when valid.
    """
    errors: list[ContractError] = []
    try:
        pandera_schema(name, list(table.columns)).validate(table, lazy=True)
    except pandera_errors.SchemaErrors as exc:
        errors.extend(_from_failure_cases(name, table, exc.failure_cases))
    key = PRIMARY_KEY.get(name)
    if key is not None:
        errors.extend(_duplicate_ids(name, table, key))
    return errors


def _from_failure_cases(name: str, table: ibis.Table, cases) -> list[ContractError]:
    """Normalise pandera's failure cases into one ContractError per (column, check).

    With pandera 0.35 on Ibis 12 a value check is reported under the column
    ``failure_case`` with the value as ``{column: value}``; it is mapped back
    to the real column here. (Missing values are counted by
    :func:`type_table` in plain Ibis instead: pandera reports them as an
    unevaluated expression, and misses some on Spark.)
    """
    grouped: dict[tuple[str, str], list] = {}
    for row in cases.itertuples(index=False):
        column, value = row.column, row.failure_case
        if column == "failure_case" and isinstance(value, Mapping) and len(value) == 1:
            column, value = next(iter(value.items()))
        grouped.setdefault((str(column), str(row.check)), []).append(value)
    errors = []
    for (column, check), values in grouped.items():
        if check.startswith("dtype("):
            errors.append(ContractError(name, column, f"has type {values[0]}, expected {check[6:-1]}"))
        else:
            examples = list(dict.fromkeys(plain_value(v) for v in values))[:5]
            errors.append(ContractError(name, column, _check_words(check), len(values), examples))
    return errors


def _check_words(check: str) -> str:
    """Pandera's check name, e.g. ``in_range(0, 10)``, in the words a user reads."""
    kind, _, args = check.partition("(")
    args = args.rstrip(")")
    if kind == "in_range":
        return f"has values outside the range {args.replace(', ', '-')}"
    if kind == "greater_than_or_equal_to":
        return f"has values below {args}"
    return f"fails the check {check}"


def engine_count(value) -> int:
    """An engine count as an int; a sum over no rows comes back as None (DuckDB) or NaN (Spark) and is 0."""
    return 0 if pd.isna(value) else int(value)


def plain_value(value):
    """A failing value as a plain Python number or string (pandera hands back numpy scalars)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _duplicate_ids(name: str, table: ibis.Table, key: str) -> list[ContractError]:
    """Primary ids that occur more than once: the number of rows involved and five of the ids."""
    counts = table.filter(table[key].notnull()).group_by(key).agg(n=ibis._.count()).filter(ibis._.n > 1)
    stats = counts.aggregate(rows=counts.n.sum(), ids=counts.count()).execute().iloc[0]
    n_ids = engine_count(stats["ids"])
    if not n_ids:
        return []
    examples = counts.order_by(key).limit(5)[key].execute().tolist()
    return [ContractError(name, key, f"has duplicate ids ({n_ids:,} ids repeated)", engine_count(stats["rows"]), examples)]


def table_warnings(tables: Mapping[str, ibis.Table]) -> list[ContractWarning]:
    """Suspicious-but-usable findings across the canonical tables, each counted in the engine.

    - duplicate events: more than one event row with the same user, timestamp and event
      (counted as the extra rows);
    - out-of-order events: an event whose timestamp is earlier than the user's previous
      event in the source's row order (only when the source has a row order);
    - users with no events: users-table ids that never appear in events;
    - events before signup: events stamped before the user's ``signup_at``.

    Parameters
    ----------
    tables : mapping of str to ibis.Table
        Canonical tables; ``events`` may carry the hidden row-order column.

    Returns
    -------
    list of ContractWarning
        Only findings with a positive count.
    """
    found: list[ContractWarning] = []
    events, users = tables.get("events"), tables.get("users")
    if events is not None:
        keys = ["user_id", "timestamp", "event"]
        dup = events.group_by(keys).agg(n=ibis._.count()).filter(ibis._.n > 1)
        found.append(_warning("events", None, "duplicate events (same user, timestamp and event)",
                              dup.group_by(x="user_id").agg(n=(dup.n - 1).sum())))
        if ROW_ORDER in events.columns:
            w = ibis.window(group_by="user_id", order_by=ROW_ORDER)
            lagged = events.mutate(_prev=events.timestamp.lag().over(w))
            late = lagged.filter(lagged.timestamp < lagged._prev)
            found.append(_warning("events", "timestamp", "events earlier than the user's previous event in the source's row order",
                                  late.group_by(x="user_id").agg(n=ibis._.count())))
    if users is not None and events is not None:
        seen = events.select("user_id").distinct()
        idle = users.anti_join(seen, "user_id")
        found.append(_warning("users", "user_id", "users with no events", idle.group_by(x="user_id").agg(n=ibis._.count())))
        joined = events.join(users.select("user_id", "signup_at"), "user_id")
        early = joined.filter(joined.timestamp < joined.signup_at)
        found.append(_warning("events", "timestamp", "events before the user's signup_at",
                              early.group_by(x="user_id").agg(n=ibis._.count())))
    return [w for w in found if w.n > 0]


def _warning(table: str, column: str | None, problem: str, per_user: ibis.Table) -> ContractWarning:
    """Count one finding from ``per_user`` (a row per user id ``x`` with its count ``n``), cached in the engine so
    the query behind it runs once for the count and the five example ids (fetched only when there is something to show)."""
    with per_user.cache() as counted:
        n = engine_count(counted.n.sum().execute())
        examples = counted.select("x").order_by("x").limit(5).x.execute().tolist() if n else []
    return ContractWarning(table, column, problem, n, examples)
