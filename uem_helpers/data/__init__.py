"""The engine edge: the only code that knows files, encodings and backends.

Sources (CSV in UTF-8/GBK, Parquet, DuckDB files, frames) become typed Ibis
tables on DuckDB or Spark, checked against the data contract. Imports only
:mod:`uem_helpers.core`. Public names: :func:`load` (every configured table,
validated) and :class:`Dataset`, its result.
"""

from uem_helpers.data.sources import Dataset, load

__all__ = ["Dataset", "load"]
