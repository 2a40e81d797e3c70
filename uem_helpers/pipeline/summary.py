"""What is read from an executed report besides its page: its first finding and its headline numbers.

- :func:`first_finding`: the first point of the report's key findings, as one plain sentence, for
  ``reports/index.html``. A notebook marks its key findings by showing them with
  ``narrative.show(..., key_findings=True)``; the marked output's first list item (or first
  paragraph) is rendered to text and cut at its first sentence.
- :func:`headline`: the headline numbers a notebook prints in its cell tagged :data:`HEADLINE_TAG`
  (``report.headline(analysis)``, one ``name: value`` per line). The notebook tests compare that
  cell's output with the sample's planted truth; the exporter leaves it out of the page, and the
  pipeline records the numbers in the executed notebook's metadata and in ``<notebook>.headline.json``
  beside the report (:func:`headline_record`), so a machine reads them without the reader seeing them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

import bleach
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from uem_helpers.present.narrative import KEY_FINDINGS

#: Tag of the cell printing the headline numbers (the exporter does not show it).
HEADLINE_TAG = "headline"
#: Key of the executed notebook's metadata holding what the pipeline recorded (``{"headline": ..., "first_finding": ...}``).
METADATA_KEY = "uem"

_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")
# A sentence ends at . ! ? followed by a space and a capital, digit or quote, or at a Chinese full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])|(?<=[。！？])")


def first_finding(cells: Iterable[Mapping]) -> str | None:
    """The first key finding in the executed notebook's ``cells``, as one plain sentence; None when none is marked.

    Plain text: no Markdown, no markup (``"Of 2,345 users who started, 46% completed."``).
    """
    for cell in cells:
        for output in cell.get("outputs", ()):
            if output.get("metadata", {}).get(KEY_FINDINGS) and output.get("data", {}).get("text/markdown"):
                text = _plain(_first_point("".join(output["data"]["text/markdown"])))
                if text:
                    return _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    return None


def headline(cells: Iterable[Mapping]) -> dict[str, str] | None:
    """The headline numbers printed by the cells tagged :data:`HEADLINE_TAG`; None when there is no such cell.

    Each printed line ``name: value`` becomes one entry (the value as printed); a line without
    ``": "`` is kept whole as a name with an empty value.
    """
    found, values = False, {}
    for cell in cells:
        if HEADLINE_TAG not in cell.get("metadata", {}).get("tags", ()):
            continue
        found = True
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                for line in "".join(output.get("text", "")).splitlines():
                    if line.strip():
                        name, _, value = line.partition(": ")
                        values[name.strip()] = value.strip()
    return values if found else None


def headline_record(notebook: str, period: str, cells: Iterable[Mapping]) -> dict | None:
    """What ``<notebook>.headline.json`` holds: ``{"notebook", "period", "headline"}``; None without a headline cell."""
    numbers = headline(cells)
    if numbers is None:
        return None
    return {"notebook": notebook, "period": period, "headline": numbers}


def _first_point(markdown: str) -> str:
    """The first list item of ``markdown`` (with its continuation lines), else its first paragraph."""
    lines = markdown.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if _ITEM.match(line)), None)
    if start is None:
        return markdown.strip().split("\n\n")[0]
    point = [_ITEM.sub("", lines[start])]
    for line in lines[start + 1:]:
        if not line.strip() or _ITEM.match(line):
            break
        point.append(line.strip())
    return " ".join(point)


def _plain(markdown: str) -> str:
    """Markdown rendered and reduced to its text (escapes and character references undone)."""
    rendered = markdown2html_mistune(markdown)
    text = html.unescape(bleach.clean(rendered, tags=set(), strip=True))
    return " ".join(text.split())
