"""The data contract: canonical tables, their types, typing to them, and the checks run on load.

The contract is declared once, in :data:`CONTRACT`. :func:`type_table` casts
a mapped source to it inside the engine (ids to strings, numbers with
``try_cast``, times to naive wall clock in the config's zone) and counts every
value that does not fit; :func:`validate_table` runs the contract's pandera
schema (pandera's Ibis backend: types and value ranges) and the duplicate-id
check; :func:`table_warnings` counts suspicious-but-usable findings. Every
check is an aggregate query in the engine (DuckDB or Spark); only up to five
example values per problem come back to Python.

Errors (loading stops with one :class:`~uem_helpers.errors.ContractErrors`
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
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import pandas as pd
import pandera.errors as pandera_errors
import pandera.ibis as pa

from .errors import ContractError

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
        return f"{where}: {self.problem} ({self.n:,} rows){shown}"


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
            examples = list(dict.fromkeys(_plain(v) for v in values))[:5]
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


def _count(value) -> int:
    """An engine count as an int; a sum over no rows comes back as None (DuckDB) or NaN (Spark) and is 0."""
    return 0 if pd.isna(value) else int(value)


def _plain(value):
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
    n_ids = _count(stats["ids"])
    if not n_ids:
        return []
    examples = counts.order_by(key).limit(5)[key].execute().tolist()
    return [ContractError(name, key, f"has duplicate ids ({n_ids:,} ids repeated)", _count(stats["rows"]), examples)]


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
        found.append(_warning("events", None, "duplicate events (same user, timestamp and event)", dup, dup.n.sum() - dup.count(), dup.user_id))
        if ROW_ORDER in events.columns:
            w = ibis.window(group_by="user_id", order_by=ROW_ORDER)
            lagged = events.mutate(_prev=events.timestamp.lag().over(w))
            late = lagged.filter(lagged.timestamp < lagged._prev)
            found.append(_warning("events", "timestamp", "events earlier than the user's previous event in the source's row order", late, late.count(), late.user_id))
    if users is not None and events is not None:
        seen = events.select("user_id").distinct()
        idle = users.anti_join(seen, "user_id")
        found.append(_warning("users", "user_id", "users with no events", idle, idle.count(), idle.user_id))
        joined = events.join(users.select("user_id", "signup_at"), "user_id")
        early = joined.filter(joined.timestamp < joined.signup_at)
        found.append(_warning("events", "timestamp", "events before the user's signup_at", early, early.count(), early.user_id))
    return [w for w in found if w.n > 0]


def _warning(table: str, column: str | None, problem: str, rows: ibis.Table, count, example_col) -> ContractWarning:
    """Count one finding in the engine; fetch five example ids only when there is something to show."""
    n = _count(count.execute())
    examples = rows.select(x=example_col).distinct().order_by("x").limit(5).x.execute().tolist() if n else []
    return ContractWarning(table, column, problem, n, examples)


# --------------------------------------------------------------------------- typing

#: Text that means "no value" in an id, number or time column (compared trimmed and lower-cased).
NULL_TOKENS = ("", "null", "none", "na", "n/a", "nan", "nat")
_EDGE_SPACE = "^[\\s\u3000]+|[\\s\u3000]+$"  # incl. the ideographic space U+3000
_OFFSET = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
_HAS_OFFSET = r"[0-9] ?" + _OFFSET
_EPOCH_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
#: Plausible epoch magnitudes (1973-2286) for each unit; anything else is refused, never guessed.
EPOCH_BANDS = {"s": (1e8, 1e10), "ms": (1e11, 1e13), "us": (1e14, 1e16)}
_TO_MS = {"s": 1000.0, "ms": 1.0, "us": 0.001}
_DAY = timedelta(days=1)


@dataclass
class _Column:
    """One column being typed: its normalised raw value, typed value and the problems to count."""

    raw: ibis.Value
    typed: ibis.Value | None = None
    problems: list = field(default_factory=list)  # (problem, bad mask) pairs


def type_table(
    name: str, table: ibis.Table, source_zone: str, target_zone: str, validate: bool = True, now: datetime | None = None
) -> tuple[ibis.Table, list[ContractError]]:
    """Cast a mapped table to the contract's types, inside the engine, counting every value that does not fit.

    Ids become trimmed strings (``null``, ``None``, ``NA``, ``NaN`` and blanks are
    missing, never one user); numbers are ``try_cast`` so a bad value is counted,
    not coerced; times become naive wall-clock timestamps in ``target_zone``
    (see :func:`_type_times`).

    Parameters
    ----------
    name : str
        Canonical table name.
    table : ibis.Table
        The table after column mapping, with the source's own types.
    source_zone : str
        Zone of the source's naive time values.
    target_zone : str
        The config's ``timezone``.
    validate : bool
        Count and report bad values; when False, bad values become null unreported.
    now : datetime, optional
        Aware "now" for the future check; the current time when omitted.

    Returns
    -------
    (ibis.Table, list of ContractError)
        The typed table and the problems found (empty when ``validate`` is False).
    """
    contract = CONTRACT[name]
    cols = {c: _Column(_normalised(table[c], contract[c].kind)) for c in table.columns if c in contract}
    errors: list[ContractError] = []
    for c, col in cols.items():
        kind = contract[c].kind
        if kind == "time":
            continue
        col.typed, col.problems = _typed_value(col.raw, kind)
    time_cols = [c for c in cols if contract[c].kind == "time"]
    if time_cols:
        errors += _type_times(name, table, {c: cols[c] for c in time_cols}, source_zone, target_zone, validate)
    typed = table.mutate(**{c: col.typed for c, col in cols.items()})
    if validate:
        for c, col in cols.items():
            if contract[c].required:
                col.problems.insert(0, ("has missing values (blank, null, NA)", col.raw.isnull()))
        now = (now or datetime.now(UTC)).astimezone(ZoneInfo(target_zone)).replace(tzinfo=None)
        untyped = {e.column for e in errors}  # time columns that could not be typed at all
        for c in (c for c in time_cols if c not in untyped):  # a clock or time-zone mistake upstream
            future = f"has times more than a day in the future (now is {now:%Y-%m-%d %H:%M} {target_zone})"
            cols[c].problems.append((future, cols[c].typed > ibis.literal(now + _DAY)))
        errors += _count_problems(name, table, cols)
    return typed, errors


def _normalised(value: ibis.Value, kind: str) -> ibis.Value:
    """Trim text and turn null tokens into real nulls, for ids, numbers and times."""
    if kind == "string" or not value.type().is_string():
        return value
    # not value.strip(): on PySpark, Ibis 12 compiles it to a trim that also removes the letters f and v
    trimmed = value.re_replace(_EDGE_SPACE, "")
    return ibis.ifelse(trimmed.lower().isin(NULL_TOKENS), ibis.null("string"), trimmed)


def _typed_value(raw: ibis.Value, kind: str) -> tuple[ibis.Value, list]:
    """Typed id, number or text column, and the (problem, bad mask) pairs to count."""
    dtype = raw.type()
    if kind == "string":
        return (raw if dtype.is_string() else raw.cast("string")), []
    if kind == "id":
        if dtype.is_string():
            return raw, []
        if dtype.is_floating():  # ids that went through a float column (pandas with blanks)
            whole = raw.try_cast("int64")
            bad = raw.notnull() & ((raw != raw.floor()) | (raw.abs() > 2.0**53))
            return whole.cast("string"), [("holds ids stored as floating point that are not exact whole numbers", bad)]
        return raw.cast("string"), []
    number = raw.try_cast("float64")
    problems = [("is not a number", raw.notnull() & number.isnull())] if dtype.is_string() else []
    if kind == "float":
        return number, problems
    problems.append(("is not a whole number", number.notnull() & (number != number.floor())))
    return number.try_cast("int64"), problems


def _count_problems(name: str, table: ibis.Table, cols: dict[str, _Column]) -> list[ContractError]:
    """Count every (column, problem) mask in one aggregate query; fetch examples only for those found."""
    masks = {f"p{i}_{j}": (c, problem, bad) for i, (c, col) in enumerate(cols.items()) for j, (problem, bad) in enumerate(col.problems)}
    if not masks:
        return []
    counts = table.aggregate(**{k: bad.ifelse(1, 0).sum() for k, (_, _, bad) in masks.items()}).execute().iloc[0]
    errors = []
    for key, (c, problem, bad) in masks.items():
        n = _count(counts[key])
        if n:
            errors.append(ContractError(name, c, problem, n, _examples(table, bad, table[c])))
    return errors


def _examples(table: ibis.Table, mask: ibis.Value, value: ibis.Value, n: int = 5) -> list:
    """Up to ``n`` distinct non-null raw values of the rows where ``mask`` holds, as plain Python values."""
    rows = table.filter(mask & value.notnull()).select(x=value).distinct().order_by("x").limit(n)
    return [_plain(v) for v in rows.x.execute().tolist()]


# --------------------------------------------------------------------------- time

def _type_times(
    name: str, table: ibis.Table, cols: dict[str, _Column], source_zone: str, target_zone: str, validate: bool
) -> list[ContractError]:
    """Type the time columns to naive wall clock in ``target_zone``; return the errors that stop typing.

    Each column is read as one of three kinds: *absolute* (an aware timestamp,
    or text with an offset such as ``+08:00`` or ``Z``), *local* (a naive
    timestamp or text without offset, in ``source_zone``) or *epoch* (numbers,
    or text of digits, in seconds, milliseconds or microseconds decided by
    magnitude). One aggregate query measures every column (range, offsets,
    epoch units); the zone changes in that range are computed with zoneinfo and
    applied in the engine as range predicates, the same SQL on every backend.
    """
    parsed = {}
    errors: list[ContractError] = []
    for c, col in cols.items():
        try:
            parsed[c] = _parse_time(col.raw)
        except TypeError as exc:
            errors.append(ContractError(name, c, str(exc)))
            col.typed = ibis.null("timestamp")
    aggs = {}
    for i, (c, p) in enumerate(parsed.items()):
        for key, expr in p["measures"].items():
            aggs[f"m{i}_{key}"] = expr
    stats = table.aggregate(**aggs).execute().iloc[0] if aggs else {}
    for i, (c, p) in enumerate(parsed.items()):
        m = {key: stats[f"m{i}_{key}"] for key in p["measures"]}
        col = cols[c]
        try:
            col.typed, col.problems = _time_expr(name, table, c, col.raw, p, m, source_zone, target_zone, validate)
        except ContractError as exc:
            errors.append(exc)
            col.typed = ibis.null("timestamp")
    return errors


def _parse_time(raw: ibis.Value) -> dict:
    """The candidate parses of one time column and the measures needed to choose between them."""
    dtype = raw.type()
    n = lambda mask: mask.ifelse(1, 0).sum()  # noqa: E731
    if dtype.is_timestamp() or dtype.is_date():
        value = raw.cast("timestamp")
        kind = "absolute" if (dtype.is_timestamp() and dtype.timezone) else "local"
        return {"kind": kind, "value": value, "measures": {"lo": value.min(), "hi": value.max()}}
    if dtype.is_numeric():
        number = raw.cast("float64")
        return {"kind": "epoch", "number": number, "measures": _epoch_measures(number)}
    if not dtype.is_string():
        raise TypeError(f"has type {dtype}, which is not a time")
    number = raw.try_cast("float64")
    has_offset = raw.re_search(_HAS_OFFSET)
    body = ibis.ifelse(has_offset, raw.re_replace(" ?" + _OFFSET, ""), raw).replace("/", "-").replace("T", " ")
    local = body.try_cast("timestamp")
    sign = ibis.ifelse(raw.re_extract(r"([+-])[0-9]{2}:?[0-9]{2}$", 1) == "-", -1, 1)
    hours = raw.re_extract(r"([0-9]{2}):?[0-9]{2}$", 1).try_cast("int64")
    minutes = raw.re_extract(r"([0-9]{2})$", 1).try_cast("int64")
    offset_s = ibis.ifelse(raw.endswith("Z"), 0, sign * (hours * 3600 + minutes * 60))
    utc = local - offset_s.as_interval("s")
    digits = raw.re_search(_EPOCH_TEXT)
    measures = {
        "n": raw.count(),
        "n_digits": n(digits),
        "n_offset": n(has_offset),
        "lo": local.min(),
        "hi": local.max(),
        **_epoch_measures(ibis.ifelse(digits, number, ibis.null("float64"))),
    }
    return {
        "kind": "text",
        "number": number,
        "local": local,
        "utc": utc,
        "has_offset": has_offset,
        "measures": measures,
    }


def _epoch_bands(number: ibis.Value) -> dict[str, ibis.Value]:
    """Mask per epoch unit (value in that unit's plausible band), and ``bad``: in no band."""
    ax = number.abs()
    bands = {u: (ax >= lo) & (ax < hi) for u, (lo, hi) in EPOCH_BANDS.items()}
    bands["bad"] = number.notnull() & ~(bands["s"] | bands["ms"] | bands["us"])
    return bands


def _epoch_measures(number: ibis.Value) -> dict:
    """Counts of epoch numbers in each plausible unit band and outside every band, and their range."""
    out = {f"e_{u}": band.ifelse(1, 0).sum() for u, band in _epoch_bands(number).items()}
    out["lo_epoch"], out["hi_epoch"] = number.min(), number.max()
    return out


def _time_expr(
    name: str, table: ibis.Table, c: str, raw: ibis.Value, p: dict, m: dict, source_zone: str, target_zone: str, validate: bool
) -> tuple[ibis.Value, list]:
    """Build the typed expression of one time column from its parse and measures; raise on what cannot be typed."""
    kind = p["kind"]
    problems = []
    if kind == "text":
        n_total, n_digits, n_offset = _count(m["n"]), _count(m["n_digits"]), _count(m["n_offset"])
        if n_total and n_digits == n_total:
            kind = "epoch"
        else:
            if 0 < n_offset < n_total:
                examples = _examples(table, p["has_offset"], raw, 2) + _examples(table, raw.notnull() & ~p["has_offset"], raw, 3)
                raise ContractError(
                    name, c, "mixes times with a UTC offset and times without one; give every value an offset, or none",
                    n_total - n_offset, examples,
                )
            kind = "absolute" if n_offset else "local"
            p = {**p, "value": p["utc"] if n_offset else p["local"]}
            problems.append(("has values that are not times (expected e.g. 2026-03-01 08:30:00)", raw.notnull() & p["local"].isnull()))
    if kind == "epoch":
        unit = _epoch_unit(name, table, c, raw, p["number"], m)
        ms = (p["number"] * _TO_MS[unit]).round().try_cast("int64")
        utc = ms.as_timestamp("ms").cast("timestamp")
        lo, hi = (None if pd.isna(m[k]) else _from_epoch(m[k], unit) for k in ("lo_epoch", "hi_epoch"))
        return _utc_to_local(utc, target_zone, lo, hi), problems
    lo, hi = _py_datetime(m["lo"]), _py_datetime(m["hi"])
    value = p["value"]
    if kind == "absolute":
        return _utc_to_local(value, target_zone, lo - _DAY if lo else None, hi + _DAY if hi else None), problems
    if validate:
        problems += _dst_problems(value, source_zone, lo, hi)
    if source_zone == target_zone:
        return value, problems
    utc = _local_to_utc(value, source_zone, lo, hi)
    return _utc_to_local(utc, target_zone, lo - _DAY if lo else None, hi + _DAY if hi else None), problems


def _epoch_unit(name: str, table: ibis.Table, c: str, raw: ibis.Value, number: ibis.Value, m: dict) -> str:
    """The one epoch unit whose plausible band (1973-2286) holds every value; refuse out-of-band or mixed units."""
    bands = _epoch_bands(number)
    if _count(m["e_bad"]):
        raise ContractError(
            name, c, "has epoch numbers that are not seconds, milliseconds or microseconds between 1973 and 2286",
            _count(m["e_bad"]), _examples(table, bands["bad"], raw),
        )
    used = [u for u in EPOCH_BANDS if _count(m[f"e_{u}"])]
    if len(used) > 1:
        examples = [e for u in used for e in _examples(table, bands[u], raw, 2)]
        n_minority = sum(_count(m[f"e_{u}"]) for u in used) - max(_count(m[f"e_{u}"]) for u in used)
        raise ContractError(name, c, f"mixes epoch units ({' and '.join(used)}); export one unit", n_minority, examples)
    return used[0] if used else "s"


def _from_epoch(value: float, unit: str) -> datetime:
    """Naive UTC datetime of an epoch number in ``unit``."""
    return datetime(1970, 1, 1) + timedelta(milliseconds=float(value) * _TO_MS[unit])


def _py_datetime(value) -> datetime | None:
    """A measured min/max as a naive Python datetime (None for an all-null column)."""
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def zone_transitions(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """UTC-offset changes of ``zone`` between two naive UTC datetimes.

    Parameters
    ----------
    zone : str
        IANA zone name.
    start, end : datetime
        Naive UTC bounds of the data.

    Returns
    -------
    list of (datetime, timedelta, timedelta)
        Each change as (naive UTC instant, offset before, offset after), in order.
    """
    tz = ZoneInfo(zone)
    offset = lambda t: t.replace(tzinfo=UTC).astimezone(tz).utcoffset()  # noqa: E731
    found = []
    t = start - _DAY
    while t <= end + _DAY:
        nxt = t + timedelta(hours=6)
        if offset(t) != offset(nxt):
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
            hi = hi.replace(microsecond=0)
            found.append((hi, offset(lo), offset(hi)))
        t = nxt
    return found


def _first_offset(zone: str, at: datetime | None) -> timedelta:
    return (at or datetime(2000, 1, 1)).replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()


def _utc_to_local(utc: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> ibis.Value:
    """Naive UTC -> naive wall clock in ``zone``, offsets applied piecewise between the zone's changes."""
    changes = zone_transitions(zone, lo, hi) if lo and hi else []
    first = changes[0][1] if changes else _first_offset(zone, lo)
    pieces = [(None, first)] + [(at, after) for at, _, after in changes]
    return _piecewise(utc, pieces, lambda off: utc + ibis.interval(seconds=int(off.total_seconds())))


def _local_to_utc(local: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> ibis.Value:
    """Naive wall clock in ``zone`` -> naive UTC (times in a DST gap or overlap are reported by :func:`_dst_problems`)."""
    changes = zone_transitions(zone, lo - _DAY, hi + _DAY) if lo and hi else []
    first = changes[0][1] if changes else _first_offset(zone, lo)
    pieces = [(None, first)] + [(at + min(before, after), after) for at, before, after in changes]
    return _piecewise(local, pieces, lambda off: local - ibis.interval(seconds=int(off.total_seconds())))


def _piecewise(value: ibis.Value, pieces, shift) -> ibis.Value:
    """``shift(offset)`` of the piece each value falls in; pieces are (start or None, offset) in order."""
    if len(pieces) == 1:
        return shift(pieces[0][1]) if pieces[0][1] else value
    branches = [(value < ibis.literal(start), shift(prev)) for (_, prev), (start, _) in zip(pieces, pieces[1:])]
    return ibis.cases(*branches, else_=shift(pieces[-1][1]))


def _dst_problems(local: ibis.Value, zone: str, lo: datetime | None, hi: datetime | None) -> list:
    """(problem, mask) pairs for local times that do not exist, or exist twice, in ``zone``."""
    if not (lo and hi):
        return []
    gaps, overlaps = [], []
    for at, before, after in zone_transitions(zone, lo - _DAY, hi + _DAY):
        start, end = at + min(before, after), at + max(before, after)
        inside = (local >= ibis.literal(start)) & (local < ibis.literal(end))
        (gaps if after > before else overlaps).append(inside)
    problems = []
    if gaps:
        problems.append((f"has local times that do not exist in {zone} (skipped by a daylight-saving change)", ibis.or_(*gaps)))
    if overlaps:
        problems.append((f"has local times that are ambiguous in {zone} (repeated by a daylight-saving change)", ibis.or_(*overlaps)))
    return problems
