"""Typing a mapped source to the data contract, inside the engine.

:func:`type_table` casts every column to its canonical kind (ids to
strings, numbers with ``try_cast``, times to naive wall clock in the
config's zone) and counts every value that does not fit, with up to five
examples: nothing is coerced silently. Times may be text (ISO or
``YYYY-MM-DD HH:MM:SS``, with or without a UTC offset), epoch numbers
(seconds, milliseconds or microseconds, told apart by magnitude) or native
timestamps with or without a zone; :mod:`.timezones` converts between zones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import pandas as pd

from uem_helpers.core.errors import ContractError
from uem_helpers.data.schema import CONTRACT, engine_count, plain_value
from uem_helpers.data.timezones import dst_problems, local_to_utc, utc_to_local


#: Text that means "no value" in an id, number or time column (compared trimmed and lower-cased).
NULL_TOKENS = ("", "null", "none", "na", "n/a", "nan", "nat")
_EDGE_SPACE = "^[\\s\u3000]+|[\\s\u3000]+$"  # incl. the ideographic space U+3000
#: A UTC offset or a UTC zone name ending a time: ``Z``, ``UTC``, ``GMT``, ``+08:00``, ``-0500``.
_OFFSET = r"(Z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})$"
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
    name: str, table: ibis.Table, source_zone: str, target_zone: str, validate: bool = True, now: datetime | None = None,
    id_width: int | None = None, time_format: str | None = None,
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
    id_width : int, optional
        Ids stored as numbers become text zero-padded to this width (the source's ``id_width``).
    time_format : str, optional
        strptime layout of the text times (the source's ``time_format``), instead of detection.

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
        col.typed, col.problems = _typed_value(col.raw, kind, id_width)
    time_cols = [c for c in cols if contract[c].kind == "time"]
    if time_cols:
        errors += _type_times(name, table, {c: cols[c] for c in time_cols}, source_zone, target_zone, validate,
                              time_format)
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


def _typed_value(raw: ibis.Value, kind: str, id_width: int | None = None) -> tuple[ibis.Value, list]:
    """Typed id, number or text column, and the (problem, bad mask) pairs to count.

    Ids stay text: text ids as they are (``"007"`` stays ``"007"``), numeric ids as their digits,
    zero-padded to ``id_width`` when the source sets one.
    """
    dtype = raw.type()
    if kind == "string":
        return (raw if dtype.is_string() else raw.cast("string")), []
    if kind == "id":
        if dtype.is_string():
            return raw, []
        if dtype.is_floating():  # ids that went through a float column (pandas with blanks)
            whole = raw.try_cast("int64")
            bad = raw.notnull() & ((raw != raw.floor()) | (raw.abs() > 2.0**53))
            return _padded(whole.cast("string"), id_width), [
                ("holds ids stored as floating point that are not exact whole numbers", bad)]
        return _padded(raw.cast("string"), id_width), []
    number = raw.try_cast("float64")
    problems = [("is not a number", raw.notnull() & number.isnull())] if dtype.is_string() else []
    if kind == "float":
        return number, problems
    problems.append(("is not a whole number", number.notnull() & (number != number.floor())))
    return number.try_cast("int64"), problems


def _padded(ids: ibis.StringValue, width: int | None) -> ibis.StringValue:
    """Numeric ids as text, zero-padded to ``width`` (never cut: a longer id stays whole)."""
    if width is None:
        return ids
    return ibis.ifelse(ids.length() < width, ids.lpad(width, "0"), ids)


def _count_problems(name: str, table: ibis.Table, cols: dict[str, _Column]) -> list[ContractError]:
    """Count every (column, problem) mask in one aggregate query; fetch examples only for those found."""
    masks = {f"p{i}_{j}": (c, problem, bad) for i, (c, col) in enumerate(cols.items()) for j, (problem, bad) in enumerate(col.problems)}
    if not masks:
        return []
    counts = table.aggregate(**{k: bad.ifelse(1, 0).sum() for k, (_, _, bad) in masks.items()}).execute().iloc[0]
    errors = []
    for key, (c, problem, bad) in masks.items():
        n = engine_count(counts[key])
        if n:
            errors.append(ContractError(name, c, problem, n, _examples(table, bad, table[c])))
    return errors


def _examples(table: ibis.Table, mask: ibis.Value, value: ibis.Value, n: int = 5) -> list:
    """Up to ``n`` distinct non-null raw values of the rows where ``mask`` holds, as plain Python values."""
    rows = table.filter(mask & value.notnull()).select(x=value).distinct().order_by("x").limit(n)
    return [plain_value(v) for v in rows.x.execute().tolist()]


# --------------------------------------------------------------------------- time

def _type_times(
    name: str, table: ibis.Table, cols: dict[str, _Column], source_zone: str, target_zone: str, validate: bool,
    time_format: str | None = None,
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
            parsed[c] = _parse_time(col.raw, time_format)
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


def _parse_time(raw: ibis.Value, time_format: str | None = None) -> dict:
    """The candidate parses of one time column and the measures needed to choose between them.

    With ``time_format`` a text column is read by that strptime layout: values that do not match its
    pattern (:func:`format_pattern`) are null and counted, never an engine error.
    """
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
    if time_format:
        text = raw.strip()
        fits = text.re_search(format_pattern(time_format))
        parsed = ibis.ifelse(fits, text, ibis.null("string")).as_timestamp(time_format)
        aware = "%z" in time_format
        value = parsed.cast("timestamp")  # strptime types its result as UTC; the wall clock is what was written
        return {"kind": "formatted", "value": value, "absolute": aware, "fits": fits, "format": time_format,
                "measures": {"lo": value.min(), "hi": value.max()}}
    number = raw.try_cast("float64")
    has_offset = raw.re_search(_HAS_OFFSET)
    body = ibis.ifelse(has_offset, raw.re_replace(" ?" + _OFFSET, ""), raw).replace("/", "-").replace("T", " ")
    local = body.try_cast("timestamp")
    sign = ibis.ifelse(raw.re_extract(r"([+-])[0-9]{2}:?[0-9]{2}$", 1) == "-", -1, 1)
    hours = raw.re_extract(r"([0-9]{2}):?[0-9]{2}$", 1).try_cast("int64")
    minutes = raw.re_extract(r"([0-9]{2})$", 1).try_cast("int64")
    zero = raw.endswith("Z") | raw.endswith("UTC") | raw.endswith("GMT")
    offset_s = ibis.ifelse(zero, 0, sign * (hours * 3600 + minutes * 60))
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


#: Regular expression of each strptime directive :data:`format_pattern` understands.
_DIRECTIVES = {"Y": r"[0-9]{4}", "y": r"[0-9]{2}", "m": r"[0-9]{1,2}", "d": r"[0-9]{1,2}", "H": r"[0-9]{1,2}",
               "I": r"[0-9]{1,2}", "M": r"[0-9]{1,2}", "S": r"[0-9]{1,2}", "f": r"[0-9]{1,9}", "p": r"(AM|PM|am|pm)",
               "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "z": r"(Z|[+-][0-9]{2}:?[0-9]{2})", "%": "%"}


_REGEX_SPECIAL = set(".^$*+?{}[]\\|()")


def format_pattern(time_format: str) -> str:
    """An anchored regular expression that the values of a strptime layout match.

    >>> format_pattern("%d/%m/%Y %H:%M")
    '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{1,2}$'
    """
    out, i = [], 0
    while i < len(time_format):
        ch = time_format[i]
        if ch == "%" and i + 1 < len(time_format):
            directive = time_format[i + 1]
            if directive not in _DIRECTIVES:
                raise ContractError("config", None, f"time_format {time_format!r} uses %{directive}; the directives "
                                    f"understood are {' '.join('%' + d for d in _DIRECTIVES)}")
            out.append(_DIRECTIVES[directive])
            i += 2
        else:
            out.append("\\" + ch if ch in _REGEX_SPECIAL else ch)
            i += 1
    return "^" + "".join(out) + "$"


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
    if kind == "formatted":
        problems.append((f"has values that do not match time_format {p['format']!r}", raw.notnull() & ~p["fits"]))
        kind = "absolute" if p["absolute"] else "local"
    if kind == "text":
        n_total, n_digits, n_offset = engine_count(m["n"]), engine_count(m["n_digits"]), engine_count(m["n_offset"])
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
            problems.append(("has values that are not times (expected e.g. 2026-03-01 08:30:00; for another layout set "
                             f"sources.{name}.time_format, e.g. '%d/%m/%Y %H:%M')",
                             raw.notnull() & p["local"].isnull()))
    if kind == "epoch":
        unit = _epoch_unit(name, table, c, raw, p["number"], m)
        ms = (p["number"] * _TO_MS[unit]).round().try_cast("int64")
        # whole seconds plus the milliseconds: Ibis's PySpark backend compiles as_timestamp for seconds only
        utc = ((ms - ms % 1000) // 1000).as_timestamp("s").cast("timestamp") + (ms % 1000).as_interval("ms")
        lo, hi = (None if pd.isna(m[k]) else _from_epoch(m[k], unit) for k in ("lo_epoch", "hi_epoch"))
        return utc_to_local(utc, target_zone, lo, hi), problems
    lo, hi = _py_datetime(m["lo"]), _py_datetime(m["hi"])
    value = p["value"]
    if kind == "absolute":
        return utc_to_local(value, target_zone, lo - _DAY if lo else None, hi + _DAY if hi else None), problems
    if validate:
        problems += dst_problems(value, source_zone, lo, hi)
    if source_zone == target_zone:
        return value, problems
    utc = local_to_utc(value, source_zone, lo, hi)
    return utc_to_local(utc, target_zone, lo - _DAY if lo else None, hi + _DAY if hi else None), problems


def _epoch_unit(name: str, table: ibis.Table, c: str, raw: ibis.Value, number: ibis.Value, m: dict) -> str:
    """The one epoch unit whose plausible band (1973-2286) holds every value; refuse out-of-band or mixed units."""
    bands = _epoch_bands(number)
    if engine_count(m["e_bad"]):
        raise ContractError(
            name, c, "has epoch numbers that are not seconds, milliseconds or microseconds between 1973 and 2286",
            engine_count(m["e_bad"]), _examples(table, bands["bad"], raw),
        )
    used = [u for u in EPOCH_BANDS if engine_count(m[f"e_{u}"])]
    if len(used) > 1:
        examples = [e for u in used for e in _examples(table, bands[u], raw, 2)]
        n_minority = sum(engine_count(m[f"e_{u}"]) for u in used) - max(engine_count(m[f"e_{u}"]) for u in used)
        raise ContractError(name, c, f"mixes epoch units ({' and '.join(used)}); export one unit", n_minority, examples)
    return used[0] if used else "s"


def _from_epoch(value: float, unit: str) -> datetime:
    """Naive UTC datetime of an epoch number in ``unit``."""
    return datetime(1970, 1, 1) + timedelta(milliseconds=float(value) * _TO_MS[unit])


def _py_datetime(value) -> datetime | None:
    """A measured min/max as a naive Python datetime (None for an all-null column)."""
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


