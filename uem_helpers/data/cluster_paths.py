"""Sources on a cluster's storage: ``s3a://``, ``hdfs://``, ``abfss://``, ``gs://`` and other URLs.

A local path is checked on this machine before the engine reads it (its files listed, each one's
kind sniffed, a CSV's encoding detected and re-encoded to UTF-8 when needed). A URL names files
only the cluster can reach, so none of that can happen here: the path goes to Spark's own
reader as it is, with what the config says about the file.

- Only ``engine.backend: spark`` reads such a path; DuckDB stops with what to do instead.
- The format comes from ``sources.<table>.format`` or the path's suffix (``.parquet``, ``.csv``,
  a folder of Parquet files has none: set ``format: parquet``).
- A CSV's encoding must be named (``sources.<table>.encoding``): it cannot be detected without
  reading the file here, and a guessed encoding would turn Chinese text into wrong characters.
- The dataset's fingerprint holds the URL only: files changed in place on the cluster keep it.
"""

from __future__ import annotations

import re

import ibis

from uem_helpers.core.config import SourceConfig
from uem_helpers.core.errors import SourceError
from uem_helpers.data import engine

#: ``scheme://`` at the start of a path: a URL, not a local file (a Windows drive letter has no ``//``).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SUFFIX_FORMAT = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv"}
#: The config's encodings under the names Spark's CSV reader knows.
_SPARK_ENCODING = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}


def is_url(path: str | None) -> bool:
    """Whether a source path is a URL (``s3a://bucket/events/``) rather than a local path."""
    return bool(path) and bool(_URL.match(str(path)))


def open_url(name: str, src: SourceConfig, con: ibis.BaseBackend) -> tuple[ibis.Table, list[dict]]:
    """Open the source at ``src.path`` (a URL) with Spark's reader; return the table and its inputs entry.

    Raises
    ------
    SourceError
        The backend is not Spark, the format cannot be told, a CSV's encoding is not named, or
        Spark cannot read the path (its message is kept short: the path and the keys to check).
    """
    url = str(src.path)
    if engine.backend_name(con) != "pyspark":
        raise SourceError(
            f"table '{name}': sources.{name}.path {url} is on a cluster's storage, which only Spark reads. "
            f"Set engine.backend: spark (docs/engine.md), or copy the files to a local disk and give that path."
        )
    fmt = src.format if src.format != "auto" else _SUFFIX_FORMAT.get(_suffix(url))
    if fmt not in ("parquet", "csv"):
        raise SourceError(
            f"table '{name}': cannot tell the format of {url}; set sources.{name}.format to parquet or csv "
            f"(a DuckDB database file must be on a local disk)."
        )
    if fmt == "csv" and src.encoding == "auto":
        raise SourceError(
            f"table '{name}': the encoding of {url} cannot be detected on a cluster path; set "
            f"sources.{name}.encoding to utf-8, gbk or gb18030."
        )
    try:
        table = _read(con, url, fmt, src)
        table.schema()  # resolves the path now, so a missing one fails here, naming the table
    except Exception as exc:
        raise SourceError(
            f"table '{name}': Spark cannot read {url} as {fmt}: {_first_line(exc)}. Check sources.{name}.path "
            f"and sources.{name}.format, and that the cluster can reach the storage (docs/engine.md)."
        ) from exc
    return table, [{"url": url}]


def _read(con: ibis.BaseBackend, url: str, fmt: str, src: SourceConfig) -> ibis.Table:
    if fmt == "parquet":
        return engine.spark_instants(con, con.read_parquet(url))
    if _SPARK_ENCODING[src.encoding] != "UTF-8":
        # Spark 4 reads only Unicode and Latin-1 CSV unless its legacy (Java) charsets are on
        con._session.conf.set("spark.sql.legacy.javaCharsets", "true")
    table = con.read_csv(url, header=True, sep=src.delimiter, inferSchema=False, multiLine=True, escape='"',
                         encoding=_SPARK_ENCODING[src.encoding])
    return table.cache()


def _suffix(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].lower()
    for compressed in (".gz", ".zst", ".bz2", ".snappy"):
        tail = tail.removesuffix(compressed)
    return "." + tail.rsplit(".", 1)[-1] if "." in tail else ""


def _first_line(exc: Exception) -> str:
    """The first line of the engine's message, without Java's stack or a long plan."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
