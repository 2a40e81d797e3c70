"""The notebooks' Markdown cells in the reader's language.

A notebook's Markdown cells (a section's question, what its chart shows) are
messages of the catalog like any sentence the helpers write: each cell's text is one
message. :func:`extract_markdown` hands them to ``pybabel extract`` (the mapping in
``uem_helpers/locale/babel.cfg``); :func:`translate_markdown` puts the translations into
the notebook a run executes, so a Chinese report reads Chinese from the first heading
(the notebook in git stays English). papermill alone does the same with ``--engine uem``
(:class:`TranslatingEngine`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

import nbformat
from papermill.engines import NBClientEngine

from uem_helpers.core.i18n import _, check_language, in_language


def extract_markdown(fileobj: IO[bytes], keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extraction method: every non-empty Markdown cell of a notebook, as one message.

    The line number is the cell's position (1-based), since a notebook's JSON has no
    useful lines; the comment names the cell for the translator.
    """
    nb = json.load(fileobj)
    for number, cell in enumerate(nb.get("cells", []), start=1):
        text = "".join(cell.get("source", [])).strip() if cell.get("cell_type") == "markdown" else ""
        if text:
            yield number, None, text, [f"Markdown cell {number} of the notebook"]


def translate_markdown(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """``nb`` with every Markdown cell in ``language`` (changed in place and returned).

    A cell without a translation keeps its English text; the catalog test
    (``tests/unit/core/test_catalog.py``) makes sure there is none.
    """
    with in_language(language):
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.strip():
                cell.source = _(cell.source.strip())
    return nb


class TranslatingEngine(NBClientEngine):
    """papermill's engine, translating the Markdown cells first: ``papermill ... -p language zh --engine uem``.

    Registered under the ``papermill.engine`` entry point ``uem`` (pyproject.toml), so a notebook run by
    papermill alone reads in the language of its ``language`` parameter, as ``uem run`` makes it.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        language = nb_man.nb.metadata.get("papermill", {}).get("parameters", {}).get("language")
        if language:
            translate_markdown(nb_man.nb, check_language(str(language), "papermill parameter 'language'"))
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
