"""End to end: a plotly Sankey with hostile labels, run through papermill and the real exporter, drawn offline.

The fixture notebook ``notebooks/plotly_report.ipynb`` shows a Sankey
(:func:`uem_helpers.present.journey.sankey`) whose labels hold
``<script>alert(1)</script>``, a ``javascript:`` link, an ``<img onerror>``
and a phone number; a raw plotly figure that bypasses the builders (a
``javascript:`` link in its text, a ``<span style>`` hover template, an
``<img onerror>`` title, an image from a URL, a phone number in a label); a JavaScript output; and a
forged output of the exporter's internal figure mime type. The report
must carry plotly.js from the installed package exactly once, load nothing
from a CDN, show the hostile strings only as text, mask the phone, drop the
script outputs, and draw the Sankey in headless Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uem_helpers.pipeline.export import PLOTLY_CLASS, RunInfo, export_html, plotly_figure_html, plotly_inert, plotly_js
from uem_helpers.pipeline.run import run_notebook
from tests.e2e.test_report_pipeline import tiny_events

FIXTURES = Path(__file__).parent / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = ["<script>alert(1)</script>", '<a href="javascript:alert(2)">click</a>', "<img src=x onerror=alert(3)>"]
PHONES = ["13800138000", "13900139000"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The fixture notebook run through the report pipeline; returns (html text, executed notebook path)."""
    root = tmp_path_factory.mktemp("plotly_project")
    (root / "notebooks").mkdir()
    shutil.copy(FIXTURES / "plotly_report.ipynb", root / "notebooks" / "plotly_report.ipynb")
    tiny_events(root / "events.parquet")  # the check before the run loads it
    (root / "uem.yml").write_text("sources:\n  events: {path: events.parquet}\nreport:\n  notebooks: [plotly_report]\n",
                                  encoding="utf-8")
    result = run_notebook("plotly_report", None, config_path=root / "uem.yml", period="2026-09",
                          output_dir=root / "reports")
    assert result.ok, result
    return result.html.read_text(encoding="utf-8"), result.ipynb


class _Scripts(HTMLParser):
    """The ``<script>`` elements of a page: attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def _scripts(page: str) -> list[tuple[dict, str]]:
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser.scripts


# --------------------------------------------------------------------------- the HTML file


def test_plotly_js_is_inlined_once_from_the_package_and_nothing_loads_from_a_cdn(report):
    page, _ = report
    library = plotly_js()
    assert library.startswith("/**\n* plotly.js v")
    assert page.count(library) == 1
    assert page.count("plotly.js v") == 1
    rest = page.replace(library, "")  # plotly.js itself names its CDN and site in defaults and links
    assert "cdn.plot.ly" not in rest and "cdn.jsdelivr" not in rest
    assert not re.search(r"<script[^>]*\bsrc=", rest, re.IGNORECASE)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', rest)
    scripts = _scripts(page)
    # The library, then one Plotly.newPlot call per figure: the Sankey and the raw bar chart.
    assert [attrs for attrs, _ in scripts] == [{"class": f"{PLOTLY_CLASS}-js"}, {}, {}]
    assert [text.startswith("Plotly.newPlot(") for _, text in scripts[1:]] == [True, True]
    assert page.count(f'<div class="{PLOTLY_CLASS}" id="{PLOTLY_CLASS}-') == 2


def test_hostile_labels_appear_only_escaped_and_the_phone_is_masked(report):
    page, _ = report
    raw = ["<img src=x onerror=alert(5)>", '<a href="javascript:alert(4)">', '<span style="color:red">',
           "<script>alert(6)</script>"]
    for text in HOSTILE + raw:
        assert text not in page, text
    # Every javascript: URL is text inside a JSON string of a figure (its quote escaped as \").
    assert page.count("javascript:alert") == page.count('\\"javascript:alert') == 2
    for phone in PHONES:
        assert phone not in page
    figure = _scripts(page)[1][1]
    # Masked, HTML-escaped by the builder (&lt;), then JSON-escaped by the exporter (\u0026lt;).
    assert "step 2: \\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in figure
    assert "step 3: call 138****8000" in figure
    assert "(session end)" in figure and "%{value:,} sessions" in figure  # exits shown, hover set by the builder
    # The raw figure: plotly's <b> kept (JSON-escaped \u003c), its phone masked by the exporter.
    assert "\\u003cb\\u003ebold\\u003c/b\\u003e 139****9000" in _scripts(page)[2][1]


def test_script_outputs_and_forged_figures_are_dropped(report):
    page, _ = report
    assert "JS_OUTPUT_RAN" not in page
    assert "IPython.core.display.Javascript" not in page  # dropped whole, not shown by its text fallback
    assert "FORGED_FIGURE" not in page
    assert "forged output shown as text" in page
    assert "https://evil.example" not in page  # the layout image from a URL
    assert "fp-plotly" in page  # run facts read as usual


def test_export_is_deterministic(report):
    _, ipynb = report
    nb = nbformat.read(ipynb, as_version=4)
    info = RunInfo("plotly_report", {}, "2026-09", datetime(2026, 10, 1, 2, 0), 1.0)
    assert export_html(nb, info) == export_html(nb, info)


# --------------------------------------------------------------------------- in a browser


def _dump_dom(path: Path, profile: Path) -> str:
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", path.as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (make install installs it)")
def test_the_sankey_renders_offline_with_the_labels_as_text(report, tmp_path):
    page, _ = report
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    dom = _dump_dom(path, tmp_path / "profile")
    assert 'class="sankey"' in dom and dom.count('class="sankey-node"') == 7
    assert dom.count('class="sankey-link"') == 8
    labels = re.findall(r'<text class="node-label"[^>]*>(.*?)</text>', dom)
    assert "step 2: &lt;script&gt;alert(1)&lt;/script&gt;" in labels
    assert 'step 2: &lt;a href="javascript:alert(2)"&gt;click&lt;/a&gt;' in labels
    assert "step 2: &lt;img src=x onerror=alert(3)&gt;" in labels
    assert "step 3: call 138****8000" in labels
    assert sum(label.startswith("step 2: (session end)") or label.startswith("step 3: (session end)")
               for label in labels) == 2
    # The raw figure drew too, its link as text.
    assert "&lt;a href=\"javascript:alert(4)\"&gt;raw&lt;/a&gt;" in dom
    # Nothing from the data became an element or a link; the only scripts are the exporter's.
    assert not re.search(r"<a\b[^>]*href=\"javascript:", dom)
    assert not re.search(r"<img\b[^>]*onerror", dom)
    assert len(re.findall(r"<script\b", dom)) == 3
    assert "JS_OUTPUT_RAN" not in dom
    for phone in PHONES:
        assert phone not in dom


# --------------------------------------------------------------------------- the rules, on small figures


def test_plotly_inert_keeps_plotlys_formatting_tags_and_escapes_everything_else():
    figure = {"data": [{"text": ["<b>x</b><br><a href='javascript:1'>y</a>", '<span style="c">z</span>', "&lt;ok"],
                        "customdata": [["<img src=x onerror=1>", 3.5, float("nan")]],
                        "hovertemplate": "%{customdata[0]}<br>%{y:.0%}<extra></extra>"}]}
    out = plotly_inert(figure)["data"][0]
    assert out["text"] == ["<b>x</b><br>&lt;a href='javascript:1'&gt;y&lt;/a&gt;",
                           '&lt;span style="c"&gt;z&lt;/span&gt;', "&lt;ok"]
    assert out["customdata"] == [["&lt;img src=x onerror=1&gt;", 3.5, None]]
    assert out["hovertemplate"] == "%{customdata[0]}<br>%{y:.0%}<extra></extra>"
    masked = plotly_inert({"text": "call 13800138000", "y": {"bdata": "13800138000AAAA", "dtype": "i1"}}, ["phone"])
    assert masked == {"text": "call 138****8000", "y": {"bdata": "13800138000AAAA", "dtype": "i1"}}
    assert plotly_inert("call 13800138000") == "call 13800138000"  # masking is asked for, not implied


def test_figure_json_cannot_close_its_script_element():
    html = plotly_figure_html({"data": [{"type": "bar", "name": "</script><script>alert(1)</script>\u2028"}],
                               "layout": {"height": 320}, "config": {"plotlyServerURL": "https://x"}}, "uem-plotly-9")
    script = html[html.index("<script>") + len("<script>"): html.rindex("</script>")]
    assert "<" not in script and ">" not in script and "\u2028" not in script
    args = json.loads("[" + script.removeprefix("Plotly.newPlot(").removesuffix(");") + "]")
    assert args[0] == "uem-plotly-9"
    assert args[1][0]["name"] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\u2028"
    assert args[3]["displaylogo"] is False and "plotlyServerURL" not in args[3]  # the exporter's config only
    assert 'style="width:100%;height:320px"' in html


def test_map_figures_and_non_figures_are_replaced_by_a_sentence():
    assert "load from the network" in plotly_figure_html({"data": [{"type": "scattermap"}], "layout": {}}, "f")
    assert "not a figure" in plotly_figure_html(["not", "a", "figure"], "f")
    assert "<script>" not in plotly_figure_html({"data": "<script>"}, "f")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "/", "b", "br", "a", " ", "href=", "<b>", "</b>", "<br>", "<br />",
                                 "<extra>", "<script>", "&lt;", "x"]), max_size=20).map("".join))
def test_plotly_inert_leaves_only_plotlys_formatting_tags(text):
    """Property: once the allowed tags (no attributes) are removed, no angle bracket is left for plotly to read."""
    out = plotly_inert(text)
    rest = re.sub(r"<(?:br\s*/?|/?(?:b|i|em|sub|sup|extra))>", "", out, flags=re.IGNORECASE)
    assert "<" not in rest and ">" not in rest
    if "&" not in text:  # (an "&" is the builder's to escape: the exporter never escapes twice)
        assert out.replace("&lt;", "<").replace("&gt;", ">") == text  # the reader sees the text as written
