"""HTML export of an executed notebook: one self-contained, inert, deterministic file.

The exporter is nbconvert's ``HTMLExporter`` (lab template) configured so that a
report

- shows no code: inputs and prompts are hidden;
- is one file that opens offline: figures are embedded as base64 images, and
  the template's CDN scripts (require.js, MathJax, Mermaid, the widget
  manager) are removed, so the report loads nothing from the network
  (LaTeX in markdown stays as written);
- runs no script it did not ship itself: HTML and markdown outputs are
  sanitised (``<script>``, ``<img onerror=...>`` become inert text) and
  JavaScript and widget outputs are dropped;
- is the same for the same data: no random element ids, no execution
  timestamps; only the header's run-time line changes between runs;
- is not cluttered: stderr streams (warnings, progress bars) are dropped.

:func:`index_html` renders ``reports/index.html`` from the runs' status records.

The report starts with a header (:func:`header_html`): the notebook's title,
its period, parameters, rows read per table and the data fingerprint (from
:mod:`uem_helpers.runfacts`), the package version and the run time. Parameter
values are masked for personal data like any data text. It ends with a
privacy footer (:func:`footer_html`) stating the protections the notebook
recorded: how user ids are pseudonymised, the minimum cell size and the
kinds of personal data masked.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import bleach
import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

from . import __version__, privacy, runfacts

_TEMPLATE_FILE = "uem_report.html.j2"
# Extends the lab template; every block that would load script from a CDN or
# render script/widget outputs is emptied, and the header goes first in <main>.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_javascript scoped -%}{%- endblock data_javascript -%}
{%- block data_widget_view scoped -%}{%- endblock data_widget_view -%}
{%- block body_header -%}
{{ super() }}
{{ resources.uem_header }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.uem_footer }}
{{ super() }}
{%- endblock body_footer -%}
"""

#: Class of the header row holding the run time: the only line that differs between runs.
RUNTIME_CLASS = "uem-runtime"
#: Class of the privacy footer.
FOOTER_CLASS = "uem-privacy"

_HEADER_CSS = (
    ".uem-header{font-family:sans-serif;border-bottom:2px solid #ccc;margin:0 0 1.5em 0;padding:0 0 1em 0}"
    ".uem-header table{border-collapse:collapse;font-size:0.9em}"
    ".uem-header th,.uem-header td{text-align:left;vertical-align:top;padding:2px 12px 2px 0}"
    ".uem-privacy{font-family:sans-serif;font-size:0.85em;color:#555;border-top:2px solid #ccc;"
    "margin:2em 0 0 0;padding:0.5em 0 0 0}"
)
_ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption code dd del details div dl dt em h1 h2 h3 h4 h5 h6 hr i img kbd li "
    "ol p pre s span strong sub summary sup table tbody td tfoot th thead tr u ul".split()
)
_ANY_TAG_ATTRIBUTES = frozenset({"class", "id", "title"})
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "table": {"border"},
}
# Elements whose content is code, not text: removed with their content before bleach runs.
_CODE_ELEMENTS = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class RunInfo:
    """What the pipeline knows about a run, for the report header.

    Attributes
    ----------
    notebook : str
        Report (notebook) name, e.g. ``onboarding_funnel``.
    parameters : mapping of str to object
        Parameters the notebook ran with (after defaults and conversion).
    period : str or None
        The period asked for, ``"2026-10"`` or ``"2026-08..2026-10"``.
    started_at : datetime
        When the run started (local time of the machine).
    duration_s : float
        Seconds the run took, export excluded.
    """

    notebook: str
    parameters: Mapping[str, object]
    period: str | None
    started_at: datetime
    duration_s: float


def html_exporter() -> HTMLExporter:
    """The configured nbconvert exporter (code hidden, sanitised, no CDN scripts).

    Returns
    -------
    nbconvert.HTMLExporter
    """
    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_FILE: _TEMPLATE})],
        template_file=_TEMPLATE_FILE,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        sanitize_html=True,
        embed_images=True,
        filters={"clean_html": sanitize_html},
    )


def sanitize_html(fragment: str | bytes) -> str:
    """Make an HTML fragment from a notebook inert: nothing in it can run or load anything.

    Keeps the markup reports need (headings, paragraphs, lists, links, tables,
    embedded images); drops ``<script>`` and ``<style>`` elements with their
    content; strips every other tag, every event handler and style attribute,
    links other than http(s), mailto and in-page anchors, and images other
    than embedded ``data:image/...`` ones (so no image is loaded from a path).

    Parameters
    ----------
    fragment : str or bytes
        HTML from a markdown cell or an output.

    Returns
    -------
    str
        The sanitised fragment.
    """
    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    return bleach.clean(
        _CODE_ELEMENTS.sub("", text),
        tags=_ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "mailto", "data"},
        strip=True,
    )


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in _ANY_TAG_ATTRIBUTES:
        return True
    if name not in _TAG_ATTRIBUTES.get(tag, ()):
        return False
    if name == "href":
        return value.startswith(("http://", "https://", "mailto:", "#"))
    if name == "src":
        return value.startswith("data:image/")
    return True


def export_html(nb: nbformat.NotebookNode, info: RunInfo) -> str:
    """Render an executed notebook as a self-contained HTML report with its header.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    info : RunInfo
        Parameters, period and run time for the header.

    Returns
    -------
    str
        The HTML document.
    """
    facts = runfacts.read(nb.cells)
    body = _report_cells(nb)
    resources = {
        "metadata": {"name": title_of(nb) or info.notebook},
        "uem_header": header_html(title_of(nb) or info.notebook, info, facts),
        "uem_footer": footer_html(facts),
    }
    output, _ = html_exporter().from_notebook_node(body, resources=resources)
    return output


def title_of(nb: nbformat.NotebookNode) -> str | None:
    """The notebook's first markdown heading, without its ``#`` marks; None if it has none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and (m := _HEADING.search(cell.source)):
            return m.group(1)
    return None


def header_html(title: str, info: RunInfo, facts: runfacts.RunFacts | None) -> str:
    """The report header block; every value is HTML-escaped.

    Parameters
    ----------
    title : str
        Report title.
    info : RunInfo
        Parameters, period and run time.
    facts : RunFacts or None
        What the notebook recorded; None when it recorded nothing.

    Returns
    -------
    str
        An HTML ``<header>`` element (with its own inline style).
    """
    esc = html.escape
    masked = _masked_kinds(facts)
    rows = [("Period", esc(_period_text(info.period, facts)))]
    params = "".join(
        f"<tr><td><code>{esc(name)}</code></td><td><code>{privacy.html_text(_show(value), masked)}</code></td></tr>"
        for name, value in info.parameters.items()
    )
    rows.append(("Parameters", f"<table>{params}</table>" if params else "none"))
    if facts is not None and facts.rows:
        rows.append(("Rows read", ", ".join(f"{esc(t)}: {n:,}" for t, n in facts.rows.items())))
    else:
        rows.append(("Rows read", "not recorded"))
    rows.append(("Data fingerprint", esc(facts.fingerprint) if facts and facts.fingerprint else "not recorded"))
    if facts is not None and facts.timezone:
        rows.append(("Time zone", esc(facts.timezone)))
    rows.append(("Version", f"uem-workbench {esc(__version__)}"))
    lines = [f'<header class="uem-header"><style>{_HEADER_CSS}</style>', f"<h1>{esc(title)}</h1>", "<table>"]
    lines += [f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows]
    started = info.started_at.isoformat(sep=" ", timespec="seconds")
    lines.append(
        f'<tr class="{RUNTIME_CLASS}"><th>Run</th><td>started {esc(started)}, took {info.duration_s:.1f} s</td></tr>'
    )
    lines += ["</table>", "</header>"]
    return "\n".join(lines)


def footer_html(facts: runfacts.RunFacts | None) -> str:
    """The report's privacy footer: which protections the notebook recorded (every value escaped).

    Parameters
    ----------
    facts : RunFacts or None
        What the notebook recorded; without privacy facts the footer says they are unknown.

    Returns
    -------
    str
        An HTML ``<footer>`` element.
    """
    sentences = privacy.footer_text(facts.privacy if facts is not None else None)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return f'<footer class="{FOOTER_CLASS}"><strong>Privacy</strong><ul>{items}</ul></footer>'


def _masked_kinds(facts: runfacts.RunFacts | None) -> list[str]:
    """Kinds of personal data the notebook masked (every kind when it recorded none)."""
    if facts is not None and facts.privacy is not None:
        return [k for k in facts.privacy.get("masked", ()) if k in privacy.KINDS]
    return list(privacy.KINDS)


def _report_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without stderr streams, run-facts outputs, execution metadata and random ids."""
    out = copy.deepcopy(nb)
    out.metadata = nbformat.NotebookNode(
        {k: v for k, v in out.metadata.items() if k in ("kernelspec", "language_info")}
    )
    for index, cell in enumerate(out.cells):
        cell.metadata = nbformat.NotebookNode({})
        cell.id = f"cell-{index}"  # papermill gives its injected cell a random id
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.get("name") == "stderr")
                and not runfacts.is_runfacts_output(o)
            ]
    return out


def _period_text(period: str | None, facts: runfacts.RunFacts | None) -> str:
    parts = [period] if period else []
    if facts is not None and facts.period:
        parts.append(f"data {facts.period[0]} to {facts.period[1]}")
    return "; ".join(parts) or "not given"


def _show(value: object) -> str:
    """A parameter value as the notebook sees it (strings quoted, so "007" reads as text)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


_INDEX_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "th,td{text-align:left;vertical-align:top;padding:4px 12px;border-bottom:1px solid #ddd}"
    ".ok{color:#1a7f37}.failed,.interrupted{color:#cf222e}.running{color:#9a6700}.no-data{color:#9a6700}"
    ".msg{font-family:monospace;font-size:0.85em;white-space:pre-wrap;max-width:60em}"
)


def index_html(records: Sequence[Mapping]) -> str:
    """The reports index page: one row per report run, every value HTML-escaped.

    Parameters
    ----------
    records : sequence of mappings
        Status records in display order, each with ``folder`` (the period folder name),
        ``period``, ``notebook``, ``status`` and optionally ``started_at``, ``duration_s``,
        ``rows``, ``html`` (file name of the last good report) and ``message``.

    Returns
    -------
    str
        A self-contained HTML document.
    """
    esc = html.escape
    rows = []
    for r in records:
        status = str(r.get("status", "?"))
        folder = quote(str(r["folder"]))
        link = (
            f'<a href="{esc(folder)}/{esc(quote(str(r["html"])))}">report</a>'
            if r.get("html")
            else ""
        )
        rows_read = r.get("rows")
        rows_text = ", ".join(f"{t}: {n:,}" for t, n in rows_read.items()) if isinstance(rows_read, dict) else ""
        duration = f"{r['duration_s']} s" if r.get("duration_s") is not None else ""
        rows.append(
            "<tr>"
            f"<td>{esc(str(r.get('period', '')))}</td>"
            f"<td>{esc(str(r.get('notebook', '')))}</td>"
            f'<td class="{esc(status.replace(" ", "-"))}">{esc(status)}</td>'
            f"<td>{esc(str(r.get('started_at', '')))}</td>"
            f"<td>{esc(duration)}</td>"
            f"<td>{esc(rows_text)}</td>"
            f"<td>{link}</td>"
            f'<td class="msg">{esc(str(r.get("message", "")))}</td>'
            "</tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="8">No reports yet.</td></tr>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>UEM reports</title>\n'
        f"<style>{_INDEX_CSS}</style>\n</head>\n<body>\n<h1>UEM reports</h1>\n<table>\n"
        "<tr><th>Period</th><th>Report</th><th>Status</th><th>Started</th><th>Took</th>"
        "<th>Rows read</th><th>Last good report</th><th>Details</th></tr>\n"
        f"{body}\n</table>\n</body>\n</html>\n"
    )
