"""The report's finish on small notebooks: the title once, hidden cells, paths, contents, language."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from uem_helpers.core.i18n import LOCALE_DIR
from uem_helpers.pipeline.export import RunInfo, export_html, title_of
from uem_helpers.pipeline.page import TOC_CLASS, project_folder, shown_path

STARTED = datetime(2026, 11, 2, 9, 30)
ZH_CATALOG = LOCALE_DIR / "zh" / "LC_MESSAGES" / "uem.mo"


def _markdown_output(text: str) -> nbformat.NotebookNode:
    return new_output("display_data", data={"text/markdown": text, "text/plain": text})


def _page(cells, parameters=None, language="en", project=None) -> str:
    nb = new_notebook(cells=cells)
    return export_html(nb, RunInfo("tiny", parameters or {}, "2026-10", STARTED, 2.5, language, project))


def _body(page: str) -> str:
    return page[page.index("</header>"):]


def test_the_title_written_by_a_cell_is_shown_once_in_the_header():
    intro = "# Account opening: where do users get stuck?\n\nFor the funnel's owners."
    page = _page([new_code_cell("report.introduction()", outputs=[_markdown_output(intro)]),
                  new_markdown_cell("## Key findings\n\nWhat to take away.")])
    header = page[page.index('<header class="uem-header">'):page.index("</header>")]
    assert "<h1>Account opening: where do users get stuck?</h1>" in header
    assert "where do users get stuck" not in _body(page)  # not a second time as the first heading
    assert "<h1" not in _body(page)
    assert "For the funnel's owners." in _body(page)  # the introduction stays


def test_a_title_cell_of_its_own_leaves_the_body():
    page = _page([new_markdown_cell("# Tiny report"), new_code_cell("x", outputs=[_markdown_output("text")])])
    assert page.count("Tiny report") == 2  # <title> and the header's <h1>
    assert "<h1>Tiny report</h1>" in page and "<h1" not in _body(page)


def test_cells_tagged_remove_cell_or_headline_are_not_shown_and_do_not_give_the_title():
    note = new_markdown_cell("# For whoever edits this notebook", metadata={"tags": ["remove-cell"]})
    headline = new_code_cell("print(report.headline(analysis))", metadata={"tags": ["headline", "nbval-check-output"]},
                             outputs=[new_output("stream", name="stdout", text="starters: 265\n")])
    nb = new_notebook(cells=[note, new_markdown_cell("# The report"), headline, new_markdown_cell("Shown.")])
    assert title_of(nb) == "The report"
    page = export_html(nb, RunInfo("tiny", {}, None, STARTED, 1.0))
    assert "edits this notebook" not in page and "starters: 265" not in page
    assert "Shown." in page


@pytest.mark.parametrize(("value", "project", "shown"), [
    ("/home/ana/shop/uem.yml", "/home/ana/shop", "uem.yml"),
    ("/home/ana/shop/configs/shop.yml", "/home/ana/shop", "configs/shop.yml"),
    ("/srv/uem/other.yml", "/home/ana/shop", "other.yml"),  # outside the project: the file name alone
    ("/srv/uem/other.yml", None, "other.yml"),
])
def test_a_path_is_shown_relative_to_the_project_or_by_its_name(value, project, shown):
    assert shown_path(value, Path(project) if project else None) == shown


def test_the_parameters_block_shows_no_absolute_path(tmp_path):
    config = tmp_path / "configs" / "shop.yml"
    page = _page([new_markdown_cell("# T")], {"config_path": str(config), "plan_path": "/etc/plans/2026.yml",
                                              "note": "keep/this"}, project=tmp_path)
    assert '<code>config_path</code></td><td><code>"configs/shop.yml"</code>' in page
    assert '<code>plan_path</code></td><td><code>"2026.yml"</code>' in page
    assert '<code>"keep/this"</code>' in page  # a relative value is the user's own text
    assert str(tmp_path) not in page and "/etc/plans" not in page


def test_the_project_is_the_working_folder_when_it_holds_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_folder("configs/shop.yml") == tmp_path
    assert project_folder(tmp_path.parent / "elsewhere" / "uem.yml") == tmp_path.parent / "elsewhere"


def _sections(n: int, repeat: str | None = None) -> list:
    names = [f"Section {i}" for i in range(1, n + 1)]
    if repeat:
        names.append(repeat)
    return [new_markdown_cell("# Title"), *(new_markdown_cell(f"## {name}\n\nText.") for name in names)]


def test_a_report_with_more_than_four_sections_gets_contents_whose_links_work():
    page = _page(_sections(5, repeat="Section 2"))
    nav = re.search(rf'<nav class="{TOC_CLASS}">(.*?)</nav>', page, re.DOTALL)
    assert nav and page.index("</header>") < nav.start() < nav.end() < page.index('<h2 id="Section-1"')
    targets = re.findall(r'href="#([^"]+)"', nav.group(1))
    labels = re.findall(r'">([^<]+)</a>', nav.group(1))
    assert labels == ["Section 1", "Section 2", "Section 3", "Section 4", "Section 5", "Section 2"]
    assert len(set(targets)) == 6  # the repeated heading gets its own anchor
    for target in targets:
        assert len(re.findall(rf'<h2[^>]*\sid="{re.escape(target)}"', page)) == 1, target


def test_a_short_report_has_no_contents():
    assert f'class="{TOC_CLASS}"' not in _page(_sections(4))


def test_the_page_style_scrolls_wide_tables_keeps_charts_whole_in_print_and_covers_chinese():
    page = _page(_sections(1))
    style = page[page.index("<main>"):page.index("</header>")]
    assert "overflow-x:auto" in style and "@media print" in style and "break-inside:avoid" in style
    assert '"Noto Sans CJK SC"' in style and '"Microsoft YaHei"' in style and "sans-serif" in style
    assert '<html lang="en">' in page


@pytest.mark.skipif(not ZH_CATALOG.is_file(), reason="the zh catalog is compiled by make install")
def test_a_chinese_report_says_so_in_its_lang_and_its_header():
    page = _page(_sections(1), {"period_start": "2026-10-01"}, language="zh")
    assert '<html lang="zh-CN">' in page
    header = page[page.index('<header class="uem-header">'):page.index("</header>")]
    assert "<th>Period</th>" not in header and "<th>Parameters</th>" not in header
    assert "2026年11月2日" in header  # the run date in the reader's locale
    assert "2026年10月" in header  # the period too
