"""Sources -> one engine: open every configured table as a canonical Ibis table.

A source is a CSV file, a Parquet file / glob / directory, a table in a DuckDB
database file, or (through :func:`from_frames`) a pandas DataFrame. Each is
opened on the config's backend (embedded DuckDB or Spark) with the backend's
own reader, so big data never passes through pandas; then, once, in the
engine: company column and event names are mapped to canonical ones, values
are typed to the data contract (:mod:`uem_helpers.data.schema`), times become
naive wall clock in the config's time zone, and the contract is validated.

Example
-------
>>> ds = load(load_config("uem.yml"))          # doctest: +SKIP
>>> ds["events"].count().execute()             # doctest: +SKIP
"""

from __future__ import annotations

import glob
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from uem_helpers.data import casting, engine, findings_cache, schema
from uem_helpers.core.config import TABLES, SourceConfig, UEMConfig
from uem_helpers.core.formats import span
from uem_helpers.core.i18n import _
from uem_helpers.data.cluster_paths import is_url, unreadable_url, url_format
from uem_helpers.data.csv_lines import first_bad_line
from uem_helpers.data.lifecycle import apply_lifecycle
from uem_helpers.data.derived_carts import derive_carts, note as carts_note
from uem_helpers.data.file_kinds import wrong_kind
from uem_helpers.data.encodings import detect_encoding, utf8_path
from uem_helpers.data.id_overlap import check_id_overlap
from uem_helpers.core.errors import (
    ConfigError, ContractError, ContractErrors, EnvironmentFault, MissingTableError, SourceError, UEMError,
)
from uem_helpers.core.period import in_period
from uem_helpers.data.schema import TIME_COLUMN, ContractWarning

#: The tables :func:`schema.table_warnings` reads (the others cannot change its warnings).
WARNING_TABLES = ("events", "users")

_SUFFIX_FORMAT = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".duckdb": "duckdb", ".db": "duckdb"}


#: ``segment_by`` value meaning "the default segment column when the data has it".
AUTO_SEGMENT = "auto"
#: The column ``"auto"`` uses.
DEFAULT_SEGMENT = "platform"


@dataclass
class Dataset:
    """The canonical tables of one load, on one backend.

    Attributes
    ----------
    con : ibis.BaseBackend
        The backend the tables live on.
    tables : dict of str to ibis.Table
        Canonical, typed, mapped, time-zone-normalised tables.
    timezone : str
        Zone of every timestamp's wall-clock value.
    warnings : list of ContractWarning
        Counted, suspicious-but-usable findings.
    """

    con: ibis.BaseBackend
    tables: dict[str, ibis.Table]
    timezone: str
    warnings: list[ContractWarning] = field(default_factory=list)
    inputs: list = field(default_factory=list, repr=False)
    """What the data came from (files with size and mtime, frame hashes, mappings): the fingerprint's input."""
    derived: dict[str, str] = field(default_factory=dict)
    """Tables derived from others (e.g. carts from events, :mod:`uem_helpers.data.derived_carts`), with the
    sentence a report shows about how."""

    def has(self, name: str) -> bool:
        """Whether the canonical table ``name`` was loaded."""
        return name in self.tables

    def require(self, name: str, needed_for: str) -> ibis.Table:
        """The table ``name``; raises MissingTableError saying what is skipped without it.

        Parameters
        ----------
        name : str
            Canonical table name.
        needed_for : str
            The analysis that needs it, e.g. ``"the NPS trend"``.
        """
        if name not in self.tables:
            raise MissingTableError(name, needed_for)
        return self.tables[name]

    def __getitem__(self, name: str) -> ibis.Table:
        return self.require(name, "this analysis")

    def row_counts(
        self, period_start: object = None, period_end: object = None, tables: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Rows per table, counted in the engine; with a period, only rows whose time falls in it.

        Parameters
        ----------
        period_start, period_end : date-like, optional
            Count rows whose time column (``timestamp``, ``created_at``, ``signup_at``,
            ...) falls in the period, both ends inclusive (:mod:`uem_helpers.core.period`).
        tables : iterable of str, optional
            Only these tables (default: every loaded table).
        """
        counts = {}
        for name in tables if tables is not None else self.tables:
            table = self.require(name, "counting rows")
            if period_start is not None or period_end is not None:
                table = table.filter(in_period(table[TIME_COLUMN[name]], period_start, period_end))
            counts[name] = int(table.count().execute())
        return counts

    def segment_column(self, requested: str | None, tables: Iterable[str]) -> tuple[str | None, str]:
        """The column a ``segment_by`` parameter means, and why there is none when ``"auto"`` finds nothing.

        ``"auto"`` (the notebooks' default) is ``platform`` when one of ``tables`` has that column, else no
        breakdown; any other value is returned as given (``""`` or None: no breakdown).
        """
        if requested != AUTO_SEGMENT:
            return requested or None, ""
        if any(name in self.tables and DEFAULT_SEGMENT in self.tables[name].columns for name in tables):
            return DEFAULT_SEGMENT, ""
        return None, _("No segment breakdown: the data has no '{column}' column; set the segment_by parameter to a "
                       "column to break down by.").format(column=DEFAULT_SEGMENT)

    def fingerprint(self) -> str:
        """Short stable hash of the inputs (paths, sizes, mtimes or frame content hashes, and mappings)."""
        blob = json.dumps(self.inputs, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def summary(self) -> pd.DataFrame:
        """Per table: rows, distinct users, period covered (min and max of its time column), warnings.

        Returns
        -------
        pandas.DataFrame
            Columns ``table, rows, users, start, end, warnings, timezone``; times are wall clock in ``timezone``.
        """
        rows = []
        for name, t in self.tables.items():
            time_col = schema.TIME_COLUMN[name]
            aggs = {"rows": t.count(), "start": t[time_col].min(), "end": t[time_col].max()}
            if "user_id" in t.columns:
                aggs["users"] = t.user_id.nunique()
            stats = t.aggregate(**aggs).execute().iloc[0]
            rows.append(
                {
                    "table": name,
                    "rows": int(stats["rows"]),
                    "users": int(stats["users"]) if "users" in stats else None,
                    "start": stats["start"],
                    "end": stats["end"],
                    "warnings": sum(w.n for w in self.warnings if w.table == name),
                    "timezone": self.timezone,
                }
            )
        return pd.DataFrame(rows, columns=["table", "rows", "users", "start", "end", "warnings", "timezone"])


def load(
    config: UEMConfig, con: ibis.BaseBackend | None = None, tables: Iterable[str] | None = None, validate: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> Dataset:
    """Open the configured sources as canonical tables on one backend.

    Parameters
    ----------
    config : UEMConfig
        The validated config; its ``sources`` say where each table comes from.
    con : ibis.BaseBackend, optional
        The backend; ``engine.connect(config.engine)`` when omitted.
    tables : iterable of str, optional
        Only these tables (default: every configured source). An optional table that
        the config does not provide is left out (``Dataset.has`` says so, and
        ``Dataset.require`` explains it in a sentence); only ``events`` must be configured.
    validate : bool
        Check the data contract and raise on errors; warnings are collected either way.
    on_step : callable, optional
        Told what is being done, table by table (``"opening events"``, ``"typing events"``, ``"checking events
        against the data contract"``):
        ``uem validate`` shows it as its progress.

    Returns
    -------
    Dataset

    Raises
    ------
    SourceError
        A path does not exist, a glob matches nothing, or the format is unknown.
    EncodingError
        A CSV file does not decode.
    ContractErrors
        One or more tables break the data contract (all problems listed together).
    """
    con = con if con is not None else engine.connect(config.engine)
    names = [n for n in tables if n in config.sources] if tables is not None else list(config.sources)
    raw, inputs, zones = {}, [], {}
    for name in names:
        if on_step is not None:
            on_step(f"opening {name}")
        src = config.sources[name]
        raw[name], files = _open_source(name, src, config, con)
        zones[name] = src.timezone or config.timezone
        inputs.append({"table": name, "files": files, "columns": src.columns, "event_names": src.event_names,
                       "timezone": zones[name], "encoding": src.encoding,
                       **({"time_format": src.time_format} if src.time_format else {}),
                       **({"id_width": src.id_width} if src.id_width else {})})
    inputs.append({"timezone": config.timezone})
    mapping = {name: config.sources[name].columns for name in names}
    events_map = config.sources["events"].event_names if "events" in names else {}
    widths = {name: config.sources[name].id_width for name in names}
    formats = {name: config.sources[name].time_format for name in names}
    dataset = _build(con, raw, config.timezone, zones, mapping, events_map, validate, inputs, widths, formats,
                     on_step=on_step)
    lifecycle = config.sources["events"].lifecycle if "events" in dataset.tables else None
    if lifecycle is not None:
        dataset.tables["events"] = apply_lifecycle(dataset.tables["events"], lifecycle)
        inputs.append({"lifecycle": lifecycle.model_dump(mode="json")})
    wants_carts = tables is None or "carts" in tables
    if wants_carts and "carts" not in config.sources and config.carts is not None and "events" in dataset.tables:
        dataset.tables["carts"] = derive_carts(dataset.tables["events"], config.carts)
        dataset.derived["carts"] = carts_note(config.carts, span(config.carts.window.total_seconds()))
        inputs.append({"carts": config.carts.model_dump(mode="json")})
    if validate:
        if on_step is not None:
            on_step("checking that ids join across tables")
        check_id_overlap(dataset, config.checks.min_id_overlap)
    return dataset


def from_frames(
    frames: Mapping[str, pd.DataFrame],
    timezone: str = "Asia/Shanghai",
    con: ibis.BaseBackend | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    event_names: Mapping[str, str] | None = None,
    validate: bool = True,
) -> Dataset:
    """Build a Dataset from pandas DataFrames through the same mapping, typing and validation as files.

    Parameters
    ----------
    frames : mapping of str to pandas.DataFrame
        Canonical table name -> its rows (row order is the source order).
    timezone : str
        Zone of naive times in the frames, and of the canonical tables.
    con : ibis.BaseBackend, optional
        The backend; embedded DuckDB when omitted.
    columns : mapping, optional
        Per table, company column name -> canonical name.
    event_names : mapping, optional
        Company event name -> canonical event name (events table).
    validate : bool
        Check the data contract and raise on errors.

    Returns
    -------
    Dataset
    """
    con = con if con is not None else engine.connect()
    raw, inputs = {}, []
    for name, df in frames.items():
        if name not in TABLES:
            raise ConfigError("frames", name, f"unknown table; tables are: {', '.join(TABLES)}")
        prepared = _prepare_frame(df)
        raw[name] = _on_backend(con, name, prepared)
        digest = hashlib.sha256(pd.util.hash_pandas_object(prepared, index=False).to_numpy().tobytes()).hexdigest()
        inputs.append({"table": name, "frame": digest, "columns": list(df.columns)})
    inputs.append({"mapping": dict(columns or {}), "event_names": dict(event_names or {}), "timezone": timezone})
    zones = {name: timezone for name in raw}
    return _build(con, raw, timezone, zones, dict(columns or {}), dict(event_names or {}), validate, inputs)


def _on_backend(con: ibis.BaseBackend, name: str, frame: pd.DataFrame) -> ibis.Table:
    """``frame`` as a table of ``con``, under a name of its own, with NaN read as missing.

    A bare ``ibis.memtable`` would run on Ibis's default backend (an embedded DuckDB) whatever
    ``con`` is: a Dataset asked for on Spark would quietly compute on DuckDB, and could not be
    joined to the tables ``con`` holds. Spark gets a temporary view, DuckDB a temporary table,
    both from Arrow, which turns pandas' NaN into null (Spark would keep a NaN).
    """
    table_name = f"uem_frame_{name}_{uuid.uuid4().hex}"
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    # a column with no value at all is text with no value (engines refuse a column typed null)
    arrow = arrow.cast(pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in arrow.schema]))
    if engine.backend_name(con) == "pyspark":
        con._session.createDataFrame(arrow).createOrReplaceTempView(table_name)
        # Spark makes every Arrow timestamp an instant; only the frame's zoned ones are
        table = con.table(table_name)
        aware = [f.name for f in arrow.schema if pa.types.is_timestamp(f.type) and f.type.tz]
        return table.mutate(**{c: table[c].cast(ibis.dtype("timestamp('UTC')")) for c in aware})
    return con.create_table(table_name, arrow, temp=True)


def _prepare_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy a frame for the engine: record its row order; mixed-type object columns become text."""
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in out[c]]
    out[schema.ROW_ORDER] = range(len(out))
    return out


def _build(con, raw, timezone, zones, mapping, event_names, validate, inputs, id_widths=None,
           time_formats=None, on_step=None) -> Dataset:
    """Map, type and validate every raw table; raise one ContractErrors listing every problem."""
    errors: list[ContractError] = []
    typed: dict[str, ibis.Table] = {}
    for name, table in raw.items():
        if on_step is not None:
            on_step(f"typing {name}")
        try:
            table = _mapped(name, table, mapping.get(name, {}))
        except ContractError as exc:
            errors.append(exc)
            continue
        if validate and int(table.count().execute()) == 0:
            errors.append(ContractError(name, None, "the table is empty"))
            continue
        table, found = casting.type_table(name, table, zones[name], timezone, validate,
                                          id_width=(id_widths or {}).get(name),
                                          time_format=(time_formats or {}).get(name))
        if name == "events" and event_names:
            table = table.mutate(event=table.event.substitute(dict(event_names)))
        errors += found
        typed[name] = table
    if validate:
        for name, table in typed.items():
            if on_step is not None:
                on_step(f"checking {name} against the data contract")
            errors += _contract_errors(con, name, table, inputs)
        if errors:
            raise ContractErrors(errors)
    warnings = _warnings(con, typed, inputs, validate)
    tables = {name: t.drop(schema.ROW_ORDER) if schema.ROW_ORDER in t.columns else t for name, t in typed.items()}
    return Dataset(con=con, tables=tables, timezone=timezone, warnings=warnings, inputs=inputs)


def _contract_errors(con, name: str, table: ibis.Table, inputs: list) -> list[ContractError]:
    """:func:`schema.validate_table`; within a report run a table found valid is not checked again
    (:mod:`.findings_cache` keeps the verdict, never the errors: a table that breaks the contract is
    checked, and named, by every load)."""
    found: list[ContractError] = []

    def check() -> bool:
        found.extend(schema.validate_table(name, table))
        return not found

    key = findings_cache.source_key(engine.backend_name(con), inputs, {name: table}, [name])
    if findings_cache.reuse("contract", key, check):
        return []
    return found or schema.validate_table(name, table)


def _warnings(con, typed: dict[str, ibis.Table], inputs: list, validate: bool) -> list[ContractWarning]:
    """:func:`schema.table_warnings` on the tables it reads, counted once per report run (:mod:`.findings_cache`)."""
    read = {name: typed[name] for name in WARNING_TABLES if name in typed}
    key = findings_cache.source_key(engine.backend_name(con), inputs, read, list(read))
    return findings_cache.reuse("warnings", key and {**key, "validate": validate},
                                lambda: schema.table_warnings(read))


def _mapped(name: str, table: ibis.Table, columns: Mapping[str, str]) -> ibis.Table:
    """Rename company columns to canonical names; check the mapping and the required columns."""
    present = [c for c in table.columns if c != schema.ROW_ORDER]
    for company, canonical in columns.items():
        if company not in table.columns:
            raise ContractError(
                name, company,
                f"the config maps column '{company}' to '{canonical}', but the source has no such column; "
                f"columns present: {', '.join(present)}",
            )
    if columns:
        table = table.rename({canonical: company for company, canonical in columns.items()})
    missing = [c for c in schema.required_columns(name) if c not in table.columns]
    if missing:
        present = [c for c in table.columns if c != schema.ROW_ORDER]
        raise ContractError(
            name, missing[0],
            f"required column(s) {', '.join(missing)} missing; columns present: {', '.join(present)}"
            + (f" (map yours under sources.{name}.columns)" if not columns else "")
            + (f"; one column whose name holds separators: is sources.{name}.delimiter right?"
               if len(present) == 1 and any(sep in present[0] for sep in ",;\t|") else ""),
        )
    return table


# --------------------------------------------------------------------------- files

def _open_source(name: str, src: SourceConfig, config: UEMConfig, con: ibis.BaseBackend) -> tuple[ibis.Table, list]:
    """Open one configured source as a raw Ibis table; return it with the (path, size, mtime) of its files."""
    if is_url(src.path):
        return _read_url(name, src, con)
    if src.path is None:
        if src.table is None:
            raise ConfigError(f"sources.{name}.path", None, "give a file path, or a 'table' already in the engine")
        return engine.spark_instants(con, con.table(src.table)), [{"engine_table": src.table}]
    pattern = config.resolve(src.path)
    fmt = src.format if src.format != "auto" else _SUFFIX_FORMAT.get(_suffix(pattern))
    if fmt is None:
        raise SourceError(
            f"table '{name}': cannot tell the format of {pattern}; set sources.{name}.format to csv, parquet or duckdb"
        )
    files = _files(name, pattern, fmt)
    for path in files:
        problem = wrong_kind(path, fmt)
        if problem:
            raise SourceError(f"table '{name}': {path} {problem}. Re-export it, or set sources.{name}.format "
                              f"(csv, parquet or duckdb) and check sources.{name}.path.")
    stamps = [{"path": str(f.resolve()), "size": f.stat().st_size, "mtime_ns": f.stat().st_mtime_ns} for f in files]
    utf8: list[Path] = []
    try:
        if fmt == "parquet":
            return _read_parquet(con, pattern, files), stamps
        if fmt == "csv":
            cache = config.cache_folder()
            utf8 = [utf8_path(f, detect_encoding(f, src.encoding), cache) for f in files]
            return _read_csv(con, utf8, src.delimiter), stamps
        return _read_duckdb_file(name, con, files[0], src), stamps
    except UEMError:
        raise
    except OSError as exc:  # the file cannot be read, or its re-encoded copy not written (cache_dir)
        raise EnvironmentFault.from_os_error(exc, f"table '{name}': reading the file or writing its cache copy at")
    except Exception as exc:  # the engine's reader failed: say which file, never echo its bytes
        raise SourceError(_unreadable(name, fmt, files, utf8, src.delimiter)) from exc


def _read_url(name: str, src: SourceConfig, con: ibis.BaseBackend) -> tuple[ibis.Table, list]:
    """A source on a cluster's storage, read by Spark as the config says (:mod:`.cluster_paths`)."""
    url = str(src.path)
    fmt = url_format(name, src, con, _SUFFIX_FORMAT.get(_suffix(Path(url))))
    try:
        table = _read_parquet(con, url, []) if fmt == "parquet" else _read_csv(con, [url], src.delimiter, src.encoding)
        table.schema()  # resolves the path now, so a missing one fails here, naming the table
    except Exception as exc:
        raise unreadable_url(name, url, fmt, exc) from exc
    return table, [{"url": url}]


def _unreadable(name: str, fmt: str, files: list[Path], utf8: list[Path], delimiter: str) -> str:
    """A short message for a file the engine cannot read: which file, what it is not, the line if known.

    The engine's own message is left out on purpose: it can quote the file's bytes (a
    binary file's garbage, a line of personal data). ``uem --debug`` shows it. For a CSV
    file the first line that breaks it is found again (:func:`~uem_helpers.data.csv_lines.first_bad_line`).
    """
    what = {"parquet": "a readable Parquet file", "csv": "a well-formed CSV file",
            "duckdb": "a readable DuckDB database"}[fmt]
    for original, text in zip(files, utf8):
        problem = first_bad_line(text, delimiter)
        if problem:
            return (f"table '{name}': {original} is not {what}: {problem}. Fix that line (or re-export the file "
                    f"with standard quoting), or check sources.{name}.delimiter.")
    where = str(files[0]) if len(files) == 1 else f"one of the {len(files)} files under {files[0].parent}"
    return (f"table '{name}': {where} is not {what}: it is truncated, damaged or of another format. "
            f"Re-export it, or check sources.{name}.path and sources.{name}.format.")


def _suffix(path: Path) -> str:
    """The suffix that names the format: ``.csv`` for ``events.csv.gz`` or ``.csv.zst``; ``.parquet`` for a folder."""
    if path.suffix.lower() in (".gz", ".zst"):
        return Path(path.stem).suffix.lower()
    return path.suffix.lower() if path.suffix else (".parquet" if path.is_dir() else "")


def _files(name: str, pattern: Path, fmt: str) -> list[Path]:
    """The files a path, glob or directory names, sorted; SourceError when there are none."""
    text = str(pattern)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    elif pattern.is_dir():
        suffixes = [s for s, f in _SUFFIX_FORMAT.items() if f == fmt]
        files = sorted(p for p in pattern.rglob("*") if p.is_file() and _suffix(p) in suffixes)
    else:
        files = [pattern] if pattern.is_file() else []
    if not files:
        raise SourceError(f"table '{name}': no {fmt} file at {pattern}; check sources.{name}.path in the config")
    return files


def _read_parquet(con: ibis.BaseBackend, pattern: Path | str, files: list[Path]) -> ibis.Table:
    """Parquet on the backend's own reader (lazy; never through pandas)."""
    if engine.backend_name(con) == "pyspark":
        return engine.spark_instants(con, con.read_parquet(str(pattern)))
    if len(files) == 1:  # one file has a row order: DuckDB numbers its rows
        table = con.read_parquet(str(files[0]), file_row_number=True)
        return table.rename({schema.ROW_ORDER: "file_row_number"})
    return con.read_parquet([str(f) for f in files])


#: The config's encodings under the names Spark's CSV reader knows (local files arrive in UTF-8).
_SPARK_ENCODING = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}


def _read_csv(con: ibis.BaseBackend, files: list[Path | str], delimiter: str, encoding: str = "utf-8") -> ibis.Table:
    """CSV read as all text by the backend's reader, then materialised once so later queries do not re-parse.

    ``encoding`` is the files' own (Spark only: a local file has been re-encoded to UTF-8 by then).
    """
    paths = [str(f) for f in files]
    if engine.backend_name(con) == "pyspark":
        charset = _SPARK_ENCODING[encoding]
        if charset != "UTF-8":  # Spark 4 reads only Unicode and Latin-1 CSV unless its Java charsets are on
            con._session.conf.set("spark.sql.legacy.javaCharsets", "true")
        # multiLine + escape: quoted fields may hold line breaks and "" (feedback text does)
        table = con.read_csv(paths, header=True, sep=delimiter, inferSchema=False, multiLine=True, escape='"',
                             encoding=charset)
    else:
        # The quote is fixed: left to the sniffer, one unclosed quote silently turns quoting off for the file.
        table = con.read_csv(paths, all_varchar=True, header=True, delim=delimiter, quote='"', escape='"')
    return table.cache()


def _read_duckdb_file(name: str, con: ibis.BaseBackend, path: Path, src: SourceConfig) -> ibis.Table:
    """A table inside a DuckDB database file: attached read-only on DuckDB, copied (small) onto Spark."""
    if src.table is None:
        raise ConfigError(f"sources.{name}.table", None, f"name the table to read inside {path}")
    if engine.backend_name(con) == "pyspark":
        db = ibis.duckdb.connect(str(path), read_only=True)
        try:
            return ibis.memtable(db.table(src.table).to_pyarrow())
        finally:
            db.disconnect()
    alias = "uem_src_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    if alias not in con.list_catalogs():
        con.attach(str(path), alias, read_only=True)
    return con.table(src.table, database=alias)
