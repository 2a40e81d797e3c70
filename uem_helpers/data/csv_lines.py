"""Where a CSV file stops being well-formed: the line, and what is wrong there, in words.

The engine's CSV reader says a file cannot be parsed without saying where, or
quotes the offending line (a line of someone's personal data). When it fails,
:func:`first_bad_line` reads the file once more with Python's ``csv`` module
and names the first line that breaks it: a quoted field that is never closed,
or a row with more or fewer fields than the header. It never returns the
file's content, only line numbers and counts.
"""

from __future__ import annotations

import csv
from pathlib import Path


def first_bad_line(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> str | None:
    """The first problem in a CSV file, e.g. ``line 51 has 10 fields where the header has 8``.

    Parameters
    ----------
    path : Path
        The file (already in ``encoding``).
    delimiter : str
        The field separator.
    encoding : str
        The file's text encoding.

    Returns
    -------
    str or None
        The problem in words with its line number (1 = the header), or None when every row parses with
        the header's number of fields.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "bad.csv"
    >>> _ = bad.write_text('a,b\\n1,2\\n3,"four\\n5,6\\n', encoding="utf-8")
    >>> first_bad_line(bad)
    'line 3: a quoted field opens and is never closed (the rest of the file would be read into it)'
    """
    csv.field_size_limit(1 << 30)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                return "the file is empty (not even a header line)"
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header):
                    return f"line {start} has {len(row)} fields where the header has {len(header)}"
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc) or reader.line_num > start:
                return f"line {start}: a quoted field opens and is never closed (the rest of the file would be " \
                       "read into it)"
            return f"line {start}: a quote inside a field is not doubled (write \"\" for a quote in a quoted field)"
    return None
