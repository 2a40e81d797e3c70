"""HTML export of an executed notebook: one self-contained, inert, deterministic file.

The exporter is nbconvert's ``HTMLExporter`` (lab template) configured so that a
report

- shows no code: inputs and prompts are hidden;
- is one file that opens offline: figures are embedded as base64 images, and
  the template's CDN scripts (require.js, MathJax, Mermaid, the widget
  manager) are removed, so the report loads nothing from the network
  (LaTeX in markdown stays as written);
- runs no script it did not write itself: HTML and markdown outputs are
  sanitised (``<script>``, ``<img onerror=...>`` become inert text), and an
  output keeps only the mime types on an allow-list (images, HTML, markdown,
  text, LaTeX), so JavaScript, widget and Mermaid outputs are dropped;
- draws plotly figures offline: an output carrying plotly's JSON bundle is
  rebuilt from that JSON alone (a ``<div>`` and a ``Plotly.newPlot`` call
  written by the exporter, every text in the figure made inert; the output's
  own HTML and script are dropped), and plotly.js, read from the installed
  plotly package (never a CDN), is inlined once in the page head
  (:func:`plotly_figure_html`, :func:`plotly_js`);
- is the same for the same data: no random element ids, no execution
  timestamps; only the header's run-time line changes between runs;
- is not cluttered: stderr streams (warnings, progress bars) are dropped.

- is written for its reader, once: the notebook's title heading leaves the body (the header
  shows it), and cells tagged ``remove-cell`` (a note to whoever edits the notebook, the
  explorer) or ``headline`` (the headline numbers the notebook tests compare, recorded
  beside the report by :mod:`uem_helpers.pipeline.summary`) are not shown;
- is in the run's language: ``<html lang>``, the header and footer words.

The page around the body (header, table of contents, privacy footer, the style) is
:mod:`uem_helpers.pipeline.page`.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from functools import lru_cache
from importlib import resources as package_files

import bleach
import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from traitlets.config import Config

from uem_helpers.core.i18n import DEFAULT_LANGUAGE, in_language
from uem_helpers.present import privacy
from uem_helpers.pipeline import runfacts
from uem_helpers.pipeline.page import PAGE_CSS, footer_html, header_html, html_lang, masked_kinds, with_contents
from uem_helpers.pipeline.summary import HEADLINE_TAG

_TEMPLATE_FILE = "uem_report.html.j2"
# Extends the lab template; every block that would load script from a CDN or
# render script/widget/Mermaid outputs is emptied, the head gets plotly.js when
# the report has a plotly figure, the exporter's own figure HTML (an internal
# mime type only _report_cells writes) is shown as is, and the page style and
# the header go first in <main>.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{{ resources.uem_plotly_js }}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_javascript scoped -%}{%- endblock data_javascript -%}
{%- block data_widget_view scoped -%}{%- endblock data_widget_view -%}
{%- block data_mermaid scoped -%}{%- endblock data_mermaid -%}
{%- block data_other scoped -%}
{%- if resources.uem_figure_mime in output.data -%}
<div class="jp-OutputArea-output {{ extra_class }}">{{ output.data[resources.uem_figure_mime] }}</div>
{%- endif -%}
{%- endblock data_other -%}
{%- block body_header -%}
{{ super() }}
<style>{{ resources.uem_css }}</style>
{{ resources.uem_header }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.uem_footer }}
{{ super() }}
{%- endblock body_footer -%}
"""

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
#: Mime type of plotly's figure bundle (``{"data": [...], "layout": {...}, "config": {...}}``).
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Class of the ``<div>`` each plotly figure is drawn in.
PLOTLY_CLASS = "uem-plotly"
# The exporter's own figure HTML: written only by _report_cells, never taken from a notebook.
_FIGURE_MIME = "application/vnd.uem.plotly-figure+html"
# Output mime types a report shows (each rendered escaped, sanitised or as an embedded image);
# plotly's bundle is rebuilt, run facts are read, everything else (JavaScript, widgets, Mermaid ...) dropped.
_SHOWN_MIME = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown", "text/latex", "text/plain")
# Outputs carrying one of these (script, widgets, diagrams drawn by script) are dropped whole, not shown
# by their text/plain fallback ("<IPython.core.display.Javascript object>").
_SCRIPT_MIME = frozenset({"application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json",
                          "application/vnd.jupyter.widget-state+json", "text/vnd.mermaid"})
_DATA_PRIORITY = [_FIGURE_MIME, "text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png",
                  "image/jpeg", "text/plain"]
# Plotly draws these tags (no attributes) in its text; every other "<" or ">" in a figure is escaped.
_PLOTLY_TAG = re.compile(r"(<(?:br\s*/?|/?(?:b|i|em|sub|sup|extra))>)", re.IGNORECASE)
# Trace types that load map tiles or outlines from the network: not drawn in an offline report.
_NETWORK_TRACES = frozenset(
    {"scattergeo", "choropleth", "scattermapbox", "choroplethmapbox", "densitymapbox", "scattermap",
     "choroplethmap", "densitymap"}
)
# The only config a report figure gets (the notebook's is dropped): no logo, no links out, no LaTeX.
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showLink": False, "showEditInChartStudio": False,
                  "typesetMath": False}
_PLOTLY_HEIGHT = 480
# In a <script>, JSON must not close the element or open a comment; U+2028/9 end a line in older JS.
_SCRIPT_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                        "\u2029": "\\u2029"}
# Elements whose content is code, not text: removed with their content before bleach runs.
_CODE_ELEMENTS = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
#: Tag of a cell the report leaves out (the Jupyter convention): a note to whoever edits the notebook.
REMOVE_TAG = "remove-cell"
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
    language : str
        The report's language (``"en"`` or ``"zh"``): the header's and footer's words and ``<html lang>``.
    project : Path or None
        The project folder: a parameter holding an absolute path is shown relative to it.
    """

    notebook: str
    parameters: Mapping[str, object]
    period: str | None
    started_at: datetime
    duration_s: float
    language: str = DEFAULT_LANGUAGE
    project: Path | None = None


def html_exporter() -> HTMLExporter:
    """The configured nbconvert exporter (code hidden, sanitised, no CDN scripts).

    Returns
    -------
    nbconvert.HTMLExporter
    """
    return HTMLExporter(
        config=Config({"NbConvertBase": {"display_data_priority": _DATA_PRIORITY}}),
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
        Parameters, period, run time and language for the header.

    Returns
    -------
    str
        The HTML document: ``<html lang>`` of the report's language, the header (the title once),
        a table of contents on a long report, the body, the privacy footer.
    """
    facts = runfacts.read(nb.cells)
    title = title_of(nb) or info.notebook
    body, figures = _report_cells(nb, masked_kinds(facts))
    with in_language(info.language):
        resources = {
            "metadata": {"name": title},
            "uem_css": PAGE_CSS,
            "uem_header": header_html(title, period=info.period, parameters=info.parameters,
                                      started_at=info.started_at, duration_s=info.duration_s, facts=facts,
                                      project=info.project),
            "uem_footer": footer_html(facts),
            "uem_figure_mime": _FIGURE_MIME,
            "uem_plotly_js": f'<script class="{PLOTLY_CLASS}-js">\n{plotly_js()}\n</script>' if figures else "",
        }
        output, _ = html_exporter().from_notebook_node(body, resources=resources)
        output = with_contents(output)
    return output.replace('<html lang="en">', f'<html lang="{html_lang(info.language)}">', 1)


def title_of(nb: nbformat.NotebookNode) -> str | None:
    """The notebook's first markdown heading, without its ``#`` marks; None if it has none.

    Headings a code cell shows as Markdown count too (the title a report writes from its config),
    read as the text they render to (backslash escapes and character references undone). Cells the
    report does not show (tagged ``remove-cell`` or ``headline``) do not count.
    """
    for cell in nb.cells:
        if _hidden(cell):
            continue
        texts = [cell.source] if cell.cell_type == "markdown" else [
            "".join(out.get("data", {}).get("text/markdown", "")) for out in cell.get("outputs", [])]
        for text in texts:
            if m := _HEADING.search(text):
                return html.unescape(re.sub(r"\\(.)", r"\1", m.group(1)))
    return None


def _report_cells(nb: nbformat.NotebookNode, masked: Sequence[str] = ()) -> tuple[nbformat.NotebookNode, int]:
    """A copy of ``nb`` ready to render, and the number of plotly figures in it.

    Drops the cells the report does not show (:func:`_hidden`), the title heading (the header shows it),
    code cells left without output, stderr streams, run-facts outputs, execution metadata and random ids;
    drops outputs of script, widgets and Mermaid; keeps only the allowed mime
    types of the others (and only numeric image sizes of their metadata); replaces each plotly bundle by the exporter's own
    figure HTML (:func:`plotly_figure_html`, with the ``masked`` kinds of personal data masked).
    """
    out = copy.deepcopy(nb)
    out.metadata = nbformat.NotebookNode(
        {k: v for k, v in out.metadata.items() if k in ("kernelspec", "language_info")}
    )
    out.cells = [cell for cell in out.cells if not _hidden(cell)]
    figures = 0
    for index, cell in enumerate(out.cells):
        cell.metadata = nbformat.NotebookNode({})
        cell.id = f"cell-{index}"  # papermill gives its injected cell a random id
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.get("name") == "stderr" or runfacts.is_runfacts_output(output):
                continue
            if output.output_type in ("display_data", "execute_result"):
                if PLOTLY_MIME in output.data:
                    figures += 1
                    figure = plotly_figure_html(output.data[PLOTLY_MIME], f"{PLOTLY_CLASS}-{figures}", masked)
                    data = {_FIGURE_MIME: figure}
                elif _SCRIPT_MIME.isdisjoint(output.data):
                    data = {k: v for k, v in output.data.items() if k in _SHOWN_MIME}
                else:
                    data = {}
                if not data:
                    continue
                output.data = nbformat.NotebookNode(data)
                output.metadata = nbformat.NotebookNode(_image_sizes(output.get("metadata", {})))
            outputs.append(output)
        cell.outputs = outputs
    _drop_title(out.cells)
    # A code cell that shows nothing would still leave its padding: a gap in the page.
    out.cells = [cell for cell in out.cells if cell.cell_type != "code" or cell.outputs]
    return out, figures


def _hidden(cell: Mapping) -> bool:
    """Whether a cell stays out of the report (tagged :data:`REMOVE_TAG` or :data:`HEADLINE_TAG`)."""
    return not {REMOVE_TAG, HEADLINE_TAG}.isdisjoint(cell.get("metadata", {}).get("tags", ()))


def _drop_title(cells: list) -> None:
    """Take the title heading (the one :func:`title_of` reads) out of the cells: the header shows it."""
    for cell in cells:
        if cell.cell_type == "markdown":
            if m := _HEADING.search(cell.source):
                cell.source = (cell.source[:m.start()] + cell.source[m.end():]).strip()
                return
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = "".join(data.get("text/markdown", ""))
            if m := _HEADING.search(text):
                rest = (text[:m.start()] + text[m.end():]).strip()
                if rest:
                    data["text/markdown"] = rest
                    data.pop("text/plain", None)
                else:
                    cell.outputs = [o for o in cell.outputs if o is not output]
                return


def _image_sizes(metadata: Mapping) -> dict:
    """Only the numeric ``width``/``height`` of image outputs (the template writes them as attributes)."""
    kept = {}
    for mime in ("image/png", "image/jpeg"):
        sizes = metadata.get(mime)
        if isinstance(sizes, Mapping):
            numeric = {k: sizes[k] for k in ("width", "height") if _is_number(sizes.get(k))}
            if numeric:
                kept[mime] = numeric
    return kept


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js as shipped in the installed ``plotly`` package, safe to put in a ``<script>`` element.

    Returns
    -------
    str
        The minified library (read from ``plotly/package_data/plotly.min.js``), with any
        ``</script`` or ``<!--`` written so they cannot end the element (there are none in
        plotly 7.1.0).
    """
    text = (package_files.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    return text.replace("<!--", "<\\!--")


def plotly_figure_html(bundle: object, element_id: str, masked: Iterable[str] = ()) -> str:
    """The HTML that draws one plotly figure in a report, rebuilt from its JSON bundle alone.

    Only the bundle's ``data`` and ``layout`` are used; the notebook's ``config``
    is replaced by the exporter's own (no logo, no links out, no LaTeX). Every
    string of the figure is made inert (:func:`plotly_inert`): plotly draws a
    subset of HTML inside its text, and here only ``<br>``, ``<b>``, ``<i>``,
    ``<em>``, ``<sub>``, ``<sup>`` and ``<extra>`` (without attributes) remain
    tags, so no link, style or markup from the data can appear; personal data
    of the ``masked`` kinds is masked in every string too (the figure builders
    mask already; this catches a figure a notebook built by hand). Layout images
    other than embedded ``data:image/...`` ones are dropped; a figure with a
    map trace (tiles and outlines load from the network) or a bundle that is
    not a figure is replaced by a sentence saying so. The JSON is written with
    ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX`` escapes, so it cannot
    end the ``<script>`` element.

    Parameters
    ----------
    bundle : object
        The output's ``application/vnd.plotly.v1+json`` value.
    element_id : str
        Id of the ``<div>`` to draw in (written by the exporter, e.g. ``uem-plotly-1``).
    masked : iterable of str
        Kinds of personal data to mask in the figure's strings (:data:`uem_helpers.present.privacy.KINDS`).

    Returns
    -------
    str
        A ``<div class="uem-plotly">`` and the ``<script>`` calling ``Plotly.newPlot`` on it
        (plotly.js itself is inlined once in the page head by :func:`export_html`).
    """
    data = bundle.get("data") if isinstance(bundle, Mapping) else None
    layout = bundle.get("layout", {}) if isinstance(bundle, Mapping) else None
    if not isinstance(data, list) or not isinstance(layout, Mapping) or not all(isinstance(t, Mapping) for t in data):
        return f'<p class="{PLOTLY_CLASS}-omitted">A plotly figure is not shown: its output is not a figure.</p>'
    types = sorted({str(t.get("type", "scatter")) for t in data} & _NETWORK_TRACES)
    if types:
        return (f'<p class="{PLOTLY_CLASS}-omitted">A map figure ({html.escape(", ".join(types))}) is not shown: '
                "its tiles or outlines load from the network, and reports work offline.</p>")
    layout = dict(layout)
    if isinstance(layout.get("images"), list):
        layout["images"] = [im for im in layout["images"]
                            if isinstance(im, Mapping) and str(im.get("source", "")).startswith("data:image/")]
    height = layout.get("height")
    height = int(height) if _is_number(height) and 100 <= height <= 4000 else _PLOTLY_HEIGHT
    figure = plotly_inert([data, layout], masked)
    args = ",".join(_script_json(part) for part in (element_id, *figure, _PLOTLY_CONFIG))
    return (f'<div class="{PLOTLY_CLASS}" id="{html.escape(element_id)}" style="width:100%;height:{height}px"></div>\n'
            f"<script>Plotly.newPlot({args});</script>")


def plotly_inert(value: object, masked: Iterable[str] = ()) -> object:
    """A copy of figure JSON whose strings plotly cannot read as markup other than its basic formatting tags.

    In every string, ``<`` and ``>`` are written as ``&lt;`` and ``&gt;`` (plotly shows
    them as the characters) except in the tags ``<br>``, ``<b>``, ``<i>``, ``<em>``,
    ``<sub>``, ``<sup>``, ``<extra>`` and their closing tags, without attributes. ``&`` is
    left alone, so text the figure builder already escaped is not escaped twice. Personal
    data of the ``masked`` kinds is masked first (not in ``bdata``, plotly's base64 arrays).
    Non-finite numbers become null. Keys are kept (plotly shows no key).

    Parameters
    ----------
    value : object
        A JSON value (dict, list, str, number, bool or None).
    masked : iterable of str
        Kinds of personal data to mask (:data:`uem_helpers.present.privacy.KINDS`); none by default.

    Returns
    -------
    object
    """
    kinds = list(masked)
    return _inert(value, kinds)


def _inert(value: object, kinds: list[str]) -> object:
    if isinstance(value, str):
        parts = _PLOTLY_TAG.split(privacy.mask_text(value, kinds) if kinds else value)
        return "".join(p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts))
    if isinstance(value, Mapping):
        return {str(k): v if k == "bdata" else _inert(v, kinds) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_inert(v, kinds) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _script_json(value: object) -> str:
    """JSON that is inert inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_JSON_ESCAPES[m.group()], text)
