"""What a data file really is, from its first bytes: so that a Parquet file named ``.csv`` or an
Excel workbook saved as ``events.parquet`` is named as what it is, not as a damaged file. A gzip or
zstd stream is looked into: compressed CSV text counts as CSV (it is read directly).
"""

from __future__ import annotations

from pathlib import Path

from uem_helpers.data.encodings import GZIP_MAGIC, ZSTD_MAGIC, open_raw

#: Leading bytes -> the kind of file, as a user would call it.
MAGIC = [
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xff\xfe", "a UTF-16 text file (re-export it as UTF-8)"),
    (b"\xfe\xff", "a UTF-16 text file (re-export it as UTF-8)"),
]
#: The kind each configured format expects.
EXPECTED = {"parquet": "a Parquet file", "csv": "a text (CSV) file", "duckdb": "a DuckDB database"}


def file_kind(path: Path) -> str:
    """What ``path`` holds: one of :data:`MAGIC`'s kinds, a DuckDB database, a text file, binary data or empty.

    Examples
    --------
    >>> import tempfile
    >>> sheet = Path(tempfile.mkdtemp()) / "events.parquet"
    >>> _ = sheet.write_bytes(b"PK\\x03\\x04" + bytes(40))
    >>> file_kind(sheet)
    'a zip archive (an Excel .xlsx workbook?)'
    """
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = "gzip" if head.startswith(GZIP_MAGIC) else "zstd" if head.startswith(ZSTD_MAGIC) else None
    if kind:
        try:
            with open_raw(path) as inner:
                head = inner.read(4096)
        except (OSError, EOFError, ValueError):  # pyarrow names a broken zstd frame with ValueError
            return f"a damaged {kind} file"
        return "a text (CSV) file" if head and b"\x00" not in head else f"a {kind}-compressed binary file"
    if not head:
        return "an empty file (0 bytes)"
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[8:12] == b"DUCK":
        return "a DuckDB database"
    if b"\x00" in head:
        return "binary data"
    return "a text (CSV) file"


def wrong_kind(path: Path, fmt: str) -> str | None:
    """``"is a PNG image, not a Parquet file"`` when the file is not what ``fmt`` expects, else None."""
    kind = file_kind(path)
    expected = EXPECTED[fmt]
    if kind == expected:
        return None
    if fmt == "csv" and kind == "binary data":
        return f"holds binary data, not {expected}"
    return f"is {kind}, not {expected}"
