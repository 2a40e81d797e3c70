"""The finish of the sample's reports, read from the shared runs (``sample_report``): what a first reader sees.

The title once; no absolute path of the machine; nothing addressed to the tests; a table of
contents whose links work; the page's language; the headline numbers beside the report, not in
it; and the landing page with each report's first finding, status and link, latest period first.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from uem_helpers.pipeline import summary
from uem_helpers.pipeline.page import TOC_CLASS
from uem_helpers.pipeline.status import build_index
from tests.notebooks.expected import EXPECTED, ROOT

from .conftest import SAMPLE_PERIOD
from .test_language import visible_text

REPORTS = [("onboarding_funnel", SAMPLE_PERIOD), ("cart_abandonment", SAMPLE_PERIOD),
           ("journey_analysis", SAMPLE_PERIOD), ("monthly_retro", "2026-10"),
           ("churn_warning", "2026-10")]
# The exporter's own plotly.js and embedded images: long runs of characters that are not the report's text.
_NOT_TEXT = re.compile(r'<script class="uem-plotly-js">.*?</script>|data:image/[^"\')\s]+', re.DOTALL)


def _page(sample_report, notebook: str, period: str) -> str:
    return (sample_report(notebook, period) / f"{notebook}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("notebook", "period"), REPORTS)
def test_the_title_appears_once(sample_report, notebook, period):
    page = _page(sample_report, notebook, period)
    title = html.unescape(re.search(r'<header class="uem-header">\s*<h1>(.*?)</h1>', page).group(1))
    body = page[page.index("</header>"):]
    assert "<h1" not in body
    assert visible_text(body).count(title) == 0, "the title is repeated below the header"


@pytest.mark.parametrize(("notebook", "period"), REPORTS)
def test_no_absolute_path_of_the_machine_and_nothing_for_the_tests(sample_report, notebook, period):
    folder = sample_report(notebook, period)
    page = _NOT_TEXT.sub("", _page(sample_report, notebook, period))
    for path in {str(ROOT), str(Path.home()), "/tmp", tempfile.gettempdir(), str(folder)}:
        assert path not in page, f"{notebook}: {path} appears in the report"
    assert '<code>config_path</code></td><td><code>"uem.yml"</code>' in page
    for words in ("notebook tests", "planted", "NBVAL", "nbval", "headline numbers"):
        assert words not in page, f"{notebook}: '{words}' is addressed to the tests"


@pytest.mark.parametrize(("notebook", "period"), REPORTS)
def test_contents_after_the_header_with_working_links(sample_report, notebook, period):
    page = _page(sample_report, notebook, period)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page[:200]
    nav = re.search(rf'<nav class="{TOC_CLASS}">(.*?)</nav>', page, re.DOTALL)
    assert nav, f"{notebook}: no table of contents"
    assert page.index("</header>") < nav.start()
    targets = re.findall(r'href="#([^"]+)"', nav.group(1))
    sections = re.findall(r"<h2[^>]*\sid=\"([^\"]+)\"", page[nav.end():])
    assert targets == sections and len(targets) > 4
    for target in targets:
        assert page.count(f'id="{target}"') == 1, target


@pytest.mark.parametrize(("notebook", "period"), REPORTS)
def test_the_headline_numbers_are_beside_the_report_and_match_the_planted_truth(sample_report, notebook, period):
    folder = sample_report(notebook, period)
    truth = json.loads((ROOT / "data" / "sample" / "ground_truth.json").read_text(encoding="utf-8"))
    expected = [line for line in EXPECTED[notebook](truth).splitlines() if line]
    record = json.loads((folder / f"{notebook}.headline.json").read_text(encoding="utf-8"))
    assert record["notebook"] == notebook and record["period"] == period
    assert [f"{k}: {v}" for k, v in record["headline"].items()] == expected
    executed = nbformat.read(folder / f"{notebook}.ipynb", as_version=4)
    assert executed.metadata[summary.METADATA_KEY]["headline"] == record["headline"]


def test_the_landing_page_shows_the_first_finding_status_and_link_latest_period_first(sample_report, tmp_path):
    for notebook, period in (REPORTS[0], REPORTS[3]):
        shutil.copytree(sample_report(notebook, period), tmp_path / period, dirs_exist_ok=True)
    page = build_index(tmp_path).read_text(encoding="utf-8")
    retro = page.index('href="2026-10/monthly_retro.html"')
    onboarding = page.index(f'href="{SAMPLE_PERIOD}/onboarding_funnel.html"')
    assert retro < onboarding  # the month 2026-10 before the range that ends in it
    for notebook, period in (REPORTS[0], REPORTS[3]):
        status = json.loads((tmp_path / period / f"{notebook}.status.json").read_text(encoding="utf-8"))
        executed = nbformat.read(tmp_path / period / f"{notebook}.ipynb", as_version=4)
        finding = summary.first_finding(executed.cells)
        assert finding and status["finding"] == finding and len(finding) < 400
        shown = " ".join(visible_text((tmp_path / period / f"{notebook}.html").read_text(encoding="utf-8")).split())
        assert finding[:40] in shown  # the report's own first key finding
        assert f'<p class="uem-finding">{html.escape(finding)}</p>' in page
        assert f">{html.escape(status['title'])}</a>" in page
    text = visible_text(page)
    assert text.count("up to date, run on") == 2
    assert "monthly_retro.md" in text  # the wiki page beside the retro
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", page) and "Rows read" not in text


# A chart of a report: an image output, or the exporter's plotly figure; and the caption under a chart.
_FIGURE = re.compile(r'<div class="jp-RenderedImage[^"]*"|<div class="uem-plotly"')
_CAPTION = re.compile(r'<p class="uem-caption">(.*?)</p>', re.DOTALL)


def uncaptioned_figures(page: str) -> list[str]:
    """The charts of a report page without a caption sentence after them in their own cell (each as where it is).

    A chart's cell shows the chart, then its caption (``<p class="uem-caption">``); a second chart in a cell
    needs its own caption after it. A caption is a sentence: words and a final stop.
    """
    missing = []
    for number, cell in enumerate(re.split(r'<div class="jp-Cell ', page)[1:], start=1):
        figures = [m.start() for m in _FIGURE.finditer(cell)]
        for i, start in enumerate(figures):
            end = figures[i + 1] if i + 1 < len(figures) else len(cell)
            caption = _CAPTION.search(cell, start, end)
            words = html.unescape(re.sub(r"<[^>]+>", "", caption.group(1))).strip() if caption else ""
            if len(words) < 12 or words[-1] not in ".。":
                missing.append(f"cell {number}, chart {i + 1}: {words or 'no caption'}")
    return missing


def test_the_caption_check_finds_a_chart_without_its_sentence():
    cell = '<div class="jp-Cell x"><div class="jp-RenderedImage jp-OutputArea-output"><img src="x"></div>'
    caption = '<p class="uem-caption">Most users are lost before &#x27;2. Verify&#x27;: 31% stop there.</p>'
    assert uncaptioned_figures(cell + caption) == []
    assert uncaptioned_figures(cell) == ["cell 1, chart 1: no caption"]
    assert uncaptioned_figures(cell + cell.replace("jp-Cell x", "jp-Cell y") + caption) == ["cell 1, chart 1: no caption"]
    assert len(uncaptioned_figures(cell + '<p class="uem-caption"> </p>')) == 1
    plotly = '<div class="jp-Cell z"><div class="uem-plotly" id="uem-plotly-1"></div><script></script>'
    assert uncaptioned_figures(plotly + caption) == [] and len(uncaptioned_figures(plotly)) == 1


@pytest.mark.parametrize(("notebook", "period"), REPORTS)
def test_every_chart_has_its_caption(sample_report, notebook, period):
    page = _page(sample_report, notebook, period)
    assert _FIGURE.search(page), f"{notebook}: no chart found (the check would pass on nothing)"
    assert uncaptioned_figures(page) == []
