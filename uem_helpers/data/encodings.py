"""Text encodings of CSV sources: detect UTF-8 / UTF-8 with BOM / GB18030 and transcode to plain UTF-8.

A gzip- or zstd-compressed CSV (``events.csv.gz``, ``events.csv.zst``, how most exports ship) is read
through :func:`open_raw` (zstd through pyarrow's codec, no extra dependency) and always gets a plain UTF-8
copy in the cache.

The engines read plain UTF-8 only (DuckDB 1.4 needs a downloaded extension for
GBK, which the workbench never fetches), so a file in any other supported
encoding is transcoded once, in chunks, into a cache folder keyed by the
file's path, size and modification time, and the engine reads the copy.

Order of trial for ``encoding: auto``: strict UTF-8 first (UTF-8 text also
"decodes" as GBK, into mojibake such as 用户 -> 鐢ㄦ埛), then GB18030, a
superset of GBK that also covers characters such as 𠮷 and €.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
from pathlib import Path

import pyarrow as pa

from uem_helpers.core.errors import EncodingError

#: Encodings tried, in order, when a source says ``encoding: auto``.
AUTO_ORDER = ("utf-8", "gb18030")
_CHUNK = 1 << 20


#: The first bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"
#: The first bytes of a zstd frame.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compression(path: str | Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or None: how ``path`` is compressed, by its first bytes, whatever its name."""
    with Path(path).open("rb") as fh:
        head = fh.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "zstd" if head == ZSTD_MAGIC else None


def is_gzip(path: str | Path) -> bool:
    """Whether ``path`` holds a gzip stream (by its first bytes, whatever its name)."""
    return compression(path) == "gzip"


def open_raw(path: str | Path):
    """The file's bytes for reading, decompressed when it is gzip or zstd."""
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        return pa.input_stream(str(path), compression="zstd")
    return Path(path).open("rb")


def detect_encoding(path: str | Path, forced: str = "auto") -> str:
    """Find the encoding a text file decodes with, reading it in chunks.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    forced : str
        ``"auto"`` to try UTF-8 then GB18030; otherwise the one encoding to use
        (``utf-8``, ``utf-8-sig``, ``gbk``, ``gb18030``).

    Returns
    -------
    str
        ``"utf-8"`` (plain), ``"utf-8-sig"`` (UTF-8 starting with a byte-order
        mark), ``"gbk"`` or ``"gb18030"``.

    Raises
    ------
    EncodingError
        No tried encoding decodes the whole file; names the byte offset of the
        first bad byte for the last encoding tried.
    """
    path = Path(path)
    tried = [forced] if forced != "auto" else list(AUTO_ORDER)
    offset = 0
    for encoding in tried:
        offset = _first_bad_byte(path, encoding)
        if offset is None:
            if encoding in ("utf-8", "utf-8-sig"):
                with open_raw(path) as fh:
                    has_bom = fh.read(3) == codecs.BOM_UTF8
                return "utf-8-sig" if has_bom else "utf-8"
            return encoding
    raise EncodingError(str(path), offset, tried)


def _first_bad_byte(path: Path, encoding: str) -> int | None:
    """Byte offset of the first byte that does not decode, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = 0
    with open_raw(path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of an incomplete character held back from the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:  # exc.start counts from the held-back bytes
                return consumed - pending + exc.start
            if not chunk:
                return None
            consumed += len(chunk)


def utf8_path(path: str | Path, encoding: str, cache_dir: str | Path) -> Path:
    """A plain UTF-8 file with the content of ``path``: the file itself, or a cached transcoded copy.

    Parameters
    ----------
    path : str or Path
        The source file.
    encoding : str
        Its encoding, as returned by :func:`detect_encoding`.
    cache_dir : str or Path
        Folder for transcoded copies (``data/cache/``, git-ignored).

    Returns
    -------
    Path
        ``path`` when it is plain, uncompressed UTF-8; otherwise the copy (decompressed), written once per
        (path, size, mtime) by streaming chunks, never holding the whole file;
        the copy of an older version of the same file is removed.
    """
    path = Path(path)
    compressed = compression(path) is not None
    if encoding == "utf-8" and not compressed:
        return path
    stat = path.stat()
    source = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    version = hashlib.sha256(f"{stat.st_size}|{stat.st_mtime_ns}|{encoding}".encode()).hexdigest()[:8]
    stem, suffix = (Path(path.stem).stem, Path(path.stem).suffix or ".csv") if compressed else (path.stem, path.suffix)
    target = Path(cache_dir) / f"{stem}.{source}.{version}.utf8{suffix}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{stem}.{source}.*.utf8{suffix}"):  # copies of older versions
        stale.unlink()
    partial = target.with_name(target.name + ".partial")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with open_raw(path) as src, partial.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    partial.replace(target)
    return target
