"""Attachments: files a notebook hands to the report pipeline besides its HTML report.

A notebook calls :func:`attach` with a file name and its text, e.g. the monthly
retro's wiki page::

    attachments.attach("monthly_retro.md", report.wiki_page(analysis))  # report: uem_helpers.present.retro

:func:`attach` displays a JSON output with the MIME type :data:`MIME_TYPE`.
JupyterLab has no renderer for it and the report exporter shows only the MIME
types on its allow-list, so it appears in neither; ``uem run`` / ``uem report``
read it from the executed notebook with :func:`read`, empty it there (:func:`strip`) and publish each file
beside the report (``reports/<period>/monthly_retro.md``), with the same
atomic replace as the HTML. The text is the notebook's to make safe: the retro
masks personal data in it as in the report.
"""

from __future__ import annotations

import re

from uem_helpers.core.errors import ParameterError

#: MIME type of the attachment outputs a notebook displays.
MIME_TYPE = "application/vnd.uem.attachment+json"
#: Allowed file names: a plain name with a text extension, no folders.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}\.(md|txt|csv|json)")


def attach(filename: str, text: str) -> None:
    """Hand ``text`` to the report pipeline, to be published as ``filename`` beside the report.

    Parameters
    ----------
    filename : str
        A plain file name ending in .md, .txt, .csv or .json (no folders).
    text : str
        The file's content.

    Raises
    ------
    ParameterError
        The name is not a plain file name with one of those extensions.
    """
    from IPython.display import display

    check_name(filename)
    display({MIME_TYPE: {"filename": filename, "text": str(text)}}, raw=True)


def check_name(filename: object) -> str:
    """``filename`` if it is a plain file name with an allowed extension, else a ParameterError."""
    if not isinstance(filename, str) or not _NAME.fullmatch(filename):
        raise ParameterError(
            f"attachment name {filename!r} is not allowed: use a plain file name ending in .md, .txt, .csv or .json"
        )
    return filename


def read(cells) -> dict[str, str]:
    """The attachments of an executed notebook's cells, file name -> text (a later one wins)."""
    found: dict[str, str] = {}
    for cell in cells:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            payload = output.get("data", {}).get(MIME_TYPE)
            if isinstance(payload, dict) and isinstance(payload.get("text"), str):
                found[check_name(payload.get("filename"))] = payload["text"]
    return found


def strip(cells) -> None:
    """Empty the attachments' text in an executed notebook's cells, in place, once they are published.

    The kept notebook then holds no copy of a file meant for fewer readers than the report
    (the churn report's outreach file has real user ids); each output keeps its file name.
    """
    for cell in cells:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            payload = output.get("data", {}).get(MIME_TYPE)
            if isinstance(payload, dict):
                output["data"][MIME_TYPE] = {"filename": payload.get("filename"), "text": "", "published": True}
