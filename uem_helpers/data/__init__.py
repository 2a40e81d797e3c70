"""The engine edge: the only code that knows files, encodings and backends.

Sources (CSV in UTF-8/GBK, Parquet, DuckDB files, frames) become typed Ibis
tables on DuckDB or Spark, checked against the data contract. Imports only
:mod:`uem_helpers.core`. Public names: :func:`load` (every configured table,
validated), :class:`Dataset`, its result, and :func:`data_quality` (what in the
loaded tables could make a report's numbers wrong, :class:`DataQuality`, with the data's
:class:`Coverage` of the period, :func:`coverage`).
"""

from uem_helpers.data.coverage import Coverage, coverage
from uem_helpers.data.quality import DataQuality, QualityFinding, data_quality
from uem_helpers.data.sources import Dataset, load

__all__ = ["Coverage", "DataQuality", "Dataset", "QualityFinding", "coverage", "data_quality", "load"]
