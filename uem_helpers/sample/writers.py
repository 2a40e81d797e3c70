"""Deterministic, streaming writers: one CSV or Parquet file filled chunk by chunk.

Same input, same bytes: CSV text is built by pandas from string columns
only (amounts and times are formatted here, never printed as floats) and
encoded by hand, so a byte-order mark is written once, at the top.
Parquet files carry no creation time; each chunk becomes one row group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from uem_helpers.sample.design import TIMEZONE, UTC_OFFSET_S


def local_text(t: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` of local epoch seconds; an empty string where ``t < 0``.

    Parameters
    ----------
    t : numpy.ndarray of int
        Local epoch seconds, -1 for a missing time.

    Returns
    -------
    numpy.ndarray of str
    """
    t = np.asarray(t, dtype=np.int64)
    if t.size == 0:
        return np.empty(0, dtype=object)
    text = np.char.replace(np.datetime_as_string(t.astype("datetime64[s]"), unit="s"), "T", " ")
    return np.where(t >= 0, text, "").astype(object)


def money_text(cents: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Amounts in cents as ``"123.40"``; an empty string where ``present`` is false."""
    cents = np.asarray(cents, dtype=np.int64)
    text = pd.Series(cents // 100).astype(str) + "." + pd.Series(cents % 100).astype(str).str.zfill(2)
    text = text.to_numpy(dtype=object)
    return text if present is None else np.where(present, text, "").astype(object)


def padded(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Ids such as ``"0001234"`` or ``"C000000012"``: a prefix and a zero-padded number."""
    return (prefix + pd.Series(np.asarray(numbers, dtype=np.int64)).astype(str).str.zfill(width)).to_numpy(
        dtype=object)


class CsvSink:
    """A CSV file written chunk by chunk.

    Parameters
    ----------
    path : Path
        File to create (overwritten).
    columns : list of str
        Header, in order.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (a BOM once at the top, as Excel writes) or ``"gbk"``.
    """

    def __init__(self, path: Path, columns: list[str], encoding: str):
        self.path, self.columns, self.rows = path, columns, 0
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._file = open(path, "wb")
        if encoding == "utf-8-sig":
            self._file.write(b"\xef\xbb\xbf")
        self._file.write((",".join(columns) + "\n").encode(self._encoding))

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (its columns must be the header's, as strings)."""
        if frame.empty:
            return
        text = frame[self.columns].to_csv(index=False, header=False, lineterminator="\n")
        self._file.write(text.encode(self._encoding))
        self.rows += len(frame)

    def close(self) -> None:
        """Flush and close the file."""
        self._file.close()


EVENT_SCHEMA = pa.schema([
    ("user_id", pa.string()),
    ("timestamp", pa.timestamp("us", tz=TIMEZONE)),
    ("event", pa.string()),
    ("session_id", pa.string()),
    ("platform", pa.string()),
    ("channel", pa.string()),
])


class EventSink:
    """events.parquet written one row group per chunk.

    Parameters
    ----------
    path : Path
        File to create (overwritten).
    """

    def __init__(self, path: Path):
        self.path, self.rows = path, 0
        self._writer = pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd", compression_level=9,
                                        use_dictionary=True, write_statistics=True)

    def write(self, user_id: pa.Array, local_seconds: np.ndarray, event: pa.Array, session_id: pa.Array,
              platform: pa.Array, channel: pa.Array) -> None:
        """Append one chunk of events; times are local epoch seconds (Asia/Shanghai wall clock)."""
        micros = (np.asarray(local_seconds, dtype=np.int64) - UTC_OFFSET_S) * 1_000_000
        timestamp = pa.array(micros, type=pa.int64()).cast(EVENT_SCHEMA.field("timestamp").type)
        table = pa.Table.from_arrays([user_id, timestamp, event, session_id, platform, channel],
                                     schema=EVENT_SCHEMA)
        if table.num_rows:
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.rows += table.num_rows

    def close(self) -> None:
        """Write the footer and close the file."""
        self._writer.close()
