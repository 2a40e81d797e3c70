"""Sources on a cluster's storage: ``s3a://``, ``hdfs://``, ``abfss://``, ``gs://`` and other URLs.

A local path is checked on this machine before the engine reads it (its files listed, each one's
kind sniffed, a CSV's encoding detected and re-encoded to UTF-8 when needed). A URL names files
only the cluster can reach, so none of that can happen here: the loader hands the path to
Spark's own reader as it is (:mod:`uem_helpers.data.sources`), after the checks here on what
the config says about the file.

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


def is_url(path: str | None) -> bool:
    """Whether a source path is a URL (``s3a://bucket/events/``) rather than a local path."""
    return bool(path) and bool(_URL.match(str(path)))


def url_format(name: str, src: SourceConfig, con: ibis.BaseBackend, guessed: str | None) -> str:
    """The format to read the URL ``src.path`` as (``guessed`` from its suffix when the config says ``auto``).

    Raises
    ------
    SourceError
        The backend is not Spark, the format cannot be told (or is a DuckDB file), or a CSV's
        encoding is not named.
    """
    url = str(src.path)
    if engine.backend_name(con) != "pyspark":
        raise SourceError(
            f"table '{name}': sources.{name}.path {url} is on a cluster's storage, which only Spark reads. "
            f"Set engine.backend: spark (docs/engine.md), or copy the files to a local disk and give that path."
        )
    fmt = src.format if src.format != "auto" else guessed
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
    return fmt


def unreadable_url(name: str, url: str, fmt: str, exc: Exception) -> SourceError:
    """What to say when Spark cannot read ``url``: the first line of its message, without Java's stack."""
    text = str(exc).strip()
    first = (text.splitlines()[0] if text else type(exc).__name__)[:200]
    return SourceError(
        f"table '{name}': Spark cannot read {url} as {fmt}: {first}. Check sources.{name}.path "
        f"and sources.{name}.format, and that the cluster can reach the storage (docs/engine.md)."
    )
