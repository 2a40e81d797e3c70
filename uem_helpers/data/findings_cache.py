"""Findings computed once per report run: the loader's warnings and the data-quality counts, kept as JSON.

``uem report`` loads the same data in its check before the run and again in every
notebook, each in its own process, and each load counts the same warnings
(:func:`uem_helpers.data.schema.table_warnings`) and each notebook the same
data-quality checks (:func:`uem_helpers.data.data_quality`): full scans of the log,
minutes at 100M events. With ``UEM_FINDINGS_CACHE=<folder>`` in the environment,
:func:`reuse` keeps each result in that folder as a JSON file named by a hash of its
key, and a later call with the same key reads it instead of scanning again. The
report pipeline sets the variable to a folder inside the run's working folder for
its check and its kernels, and removes the folder when the run ends, so nothing is
reused from one run to the next. Unset (interactive use, tests), nothing is read
or written.

The key holds everything a result depends on: the kind of result and its
parameters (a period, a session gap), the package version, the backend, and,
from :func:`source_key`, where each table read came from (paths, sizes and
modification times of its files, or a frame's content hash; the column and event
mappings, zones, formats) and its columns and types. A table whose origin cannot
be told from its inputs (a table already in the engine, a Dataset built by hand)
has no key and is always counted again. The key describes the tables as loaded:
tables a caller replaced in ``Dataset.tables`` after loading keep the key of the
loaded ones.

A result is stored only if it reads back equal (:func:`encode`: dataclasses of
this package, naive datetimes, timedeltas, tuples, lists and JSON scalars);
files are written to a temporary name and renamed, so a reader never sees half of
one; an entry that cannot be read, parsed or decoded, or whose stored key differs,
is counted again and written anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from uem_helpers import __version__
from uem_helpers.data.coverage import Coverage, TableCoverage
from uem_helpers.data.schema import ContractWarning

#: The environment variable naming the folder of one run's findings.
ENV = "UEM_FINDINGS_CACHE"

#: The result types that may be stored, by the name written in the JSON.
TYPES = {cls.__name__: cls for cls in (ContractWarning, Coverage, TableCoverage)}

T = TypeVar("T")


class Unencodable(TypeError):
    """A value :func:`encode` cannot write so that it reads back equal."""


def folder() -> Path | None:
    """The folder named by ``UEM_FINDINGS_CACHE``, or None when it is unset or empty."""
    value = os.environ.get(ENV, "")
    return Path(value) if value else None


def source_key(con_name: str, inputs: Sequence[Mapping], tables: Mapping, names: Sequence[str],
               derived: Mapping[str, str] | None = None) -> dict | None:
    """What findings on the tables ``names`` depend on in the data; None when it cannot be told.

    Parameters
    ----------
    con_name : str
        The backend's name (``"duckdb"``, ``"pyspark"``).
    inputs : sequence of mapping
        ``Dataset.inputs``: one entry per loaded table (``"table"``), and entries for all of them (the
        zone, a lifecycle rule, a derived table's definition under its name).
    tables : mapping of str to ibis.Table
        The tables, for their columns and types.
    names : sequence of str
        The tables the findings read.
    derived : mapping, optional
        ``Dataset.derived``: tables built from others, whose origin is every input.
    """
    derived = derived or {}
    own = [e for e in inputs if "table" in e]
    shared = [e for e in inputs if "table" not in e]
    described = []
    for name in names:
        if name in derived:
            entries = list(inputs)
        else:
            entries = [e for e in own if e["table"] == name]
            entries += [e for e in shared if not (len(e) == 1 and next(iter(e)) in derived)]
        tabled = [e for e in entries if "table" in e]
        if not tabled or not all(_dated(e) for e in tabled):
            return None  # nothing, or a table in the engine, says when the data changed
        schema = [[column, str(dtype)] for column, dtype in tables[name].schema().items()]
        described.append({"table": name, "inputs": entries, "schema": schema})
    return {"backend": con_name, "tables": described}


def dataset_key(dataset, names: Sequence[str]) -> dict | None:
    """:func:`source_key` of the tables ``names`` of a loaded Dataset (None: they cannot be reused).

    Parameters
    ----------
    dataset : Dataset
        The loaded tables (:func:`uem_helpers.data.load`), with their ``con``, ``inputs`` and ``derived``.
    names : sequence of str
        The tables the findings read.
    """
    con, inputs = getattr(dataset, "con", None), getattr(dataset, "inputs", None)
    if con is None or not inputs or not all(name in dataset.tables for name in names):
        return None
    return source_key(con.name, inputs, dataset.tables, names, getattr(dataset, "derived", {}))


def _dated(entry: Mapping) -> bool:
    """Whether a table's input says when its data changes: files with sizes and times, or a frame's hash."""
    files = entry.get("files") or []
    return "frame" in entry or (bool(files) and all("mtime_ns" in f and "size" in f for f in files))


def reuse(kind: str, key: Mapping | None, compute: Callable[[], T]) -> T:
    """``compute()``, or its result stored under ``key`` by an earlier call of this run.

    Parameters
    ----------
    kind : str
        What is computed (``"warnings"``, ``"quality"``...), part of the key and of the file name.
    key : mapping or None
        Everything the result depends on (JSON-serialisable; see :func:`source_key`); None: always compute.
    compute : callable
        Counts the result in the engine.
    """
    where = folder()
    if where is None or key is None:
        return compute()
    full = json.loads(json.dumps({"kind": kind, "version": __version__, "key": key}, sort_keys=True, default=str))
    digest = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:32]
    path = where / f"{kind}-{digest}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["key"] == full:
            return decode(entry["value"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing, half-written by a killed run, or from another version: count again
    value = compute()
    _store(path, full, value)
    return value


def _store(path: Path, key: dict, value: object) -> None:
    """Write ``value`` under ``key`` atomically, if it reads back equal; a write that fails is skipped."""
    try:
        text = json.dumps({"key": key, "value": encode(value)}, allow_nan=False)
        if decode(json.loads(text)["value"]) != value:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (Unencodable, ValueError, OSError):
        return  # not representable exactly, or no room: the next call counts again


def encode(value: object) -> object:
    """``value`` as JSON data that :func:`decode` turns back into an equal value; Unencodable otherwise."""
    kind = type(value)  # exact types: a numpy number or a pandas Timestamp would come back as another type
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode(v) for v in value]
    if kind is tuple:
        return {"tuple": [encode(v) for v in value]}
    if kind is datetime:
        if value.tzinfo is not None:
            raise Unencodable("a zoned time would come back with another tzinfo")
        return {"datetime": value.isoformat()}
    if kind is timedelta:
        return {"timedelta": [value.days, value.seconds, value.microseconds]}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and TYPES.get(name) is type(value):
        return {"dataclass": name, "fields": {f.name: encode(getattr(value, f.name))
                                              for f in dataclasses.fields(value)}}
    raise Unencodable(f"cannot store a {type(value).__qualname__}")


def decode(data: object) -> object:
    """The value :func:`encode` wrote."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "tuple" in data:
        return tuple(decode(v) for v in data["tuple"])
    if "datetime" in data:
        return datetime.fromisoformat(data["datetime"])
    if "timedelta" in data:
        return timedelta(*data["timedelta"])
    return TYPES[data["dataclass"]](**{k: decode(v) for k, v in data["fields"].items()})
