"""The notebooks' Markdown cells in the reader's language.

A notebook's Markdown cells (a section's question, what its chart shows) are
messages of the catalog like any sentence the helpers write: each cell's text is one
message. :func:`extract_markdown` hands them to ``pybabel extract`` (the mapping in
``uem_helpers/locale/babel.cfg``); :func:`translate_markdown` puts the translations into
the notebook a run executes, so a Chinese report reads Chinese from the first heading
(the notebook in git stays English). papermill alone does the same with ``--engine uem``
(:class:`~uem_helpers.pipeline.papermill_engine.TranslatingEngine`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO

import nbformat

from uem_helpers.core.i18n import _, in_language

#: A percent sign before a space ("95% interval"): gettext tools read "% i" as a %-format placeholder
#: and refuse a translation without it, so the message holds a no-break space there instead.
_PERCENT_SPACE = re.compile(r"% ")


def message_of(text: str) -> str:
    """The catalog message of a Markdown cell: its text, stripped, with a no-break space after each "% "."""
    return _PERCENT_SPACE.sub("%\u00a0", text.strip())


def extract_markdown(fileobj: IO[bytes], keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extraction method: every non-empty Markdown cell of a notebook, as one message.

    The line number is the cell's position (1-based), since a notebook's JSON has no
    useful lines; the comment names the cell for the translator.
    """
    nb = json.load(fileobj)
    for number, cell in enumerate(nb.get("cells", []), start=1):
        text = message_of("".join(cell.get("source", []))) if cell.get("cell_type") == "markdown" else ""
        if text:
            yield number, None, text, [f"Markdown cell {number} of the notebook"]


def translate_markdown(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """``nb`` with every Markdown cell in ``language`` (changed in place and returned; English: as written).

    A cell without a translation keeps its English text; the catalog test
    (``tests/unit/core/test_catalog.py``) makes sure there is none.
    """
    if language == "en":
        return nb
    with in_language(language):
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.strip():
                message = message_of(cell.source)
                translated = _(message)
                cell.source = cell.source.strip() if translated == message else translated
    return nb

