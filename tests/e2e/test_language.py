"""End to end in Chinese: ``uem report --period 2026-10 --language zh`` on the sample.

Four reports, the index and the wiki page must read Chinese: no English sentence left outside
data values and proper names (measured on the rendered text, not checked by eye), charts
drawn without a missing glyph, and the text rendered by Chromium with a CJK font.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.core.config import load_config

from ..conftest import CONFIG_PATH, ROOT
from .test_lab import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.slow

PERIOD = "2026-10"
NOTEBOOKS = ("onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro", "churn_warning")
#: Names a Chinese report keeps in Latin letters: methods, products, metric acronyms.
PROPER_NAMES = {
    "nps", "dau", "mau", "ci", "uem", "workbench", "newcombe", "wilson", "welch", "mann", "whitney", "sankey",
    "cusum", "bh", "benjamini", "hochberg", "jupyterlab", "duckdb", "spark", "papermill", "markdown", "python",
    "ocr", "id", "app", "h5", "ios", "android", "web", "p", "vs", "html", "csv", "json", "yaml", "uem.yml",
    "pdf", "sms", "kyc", "pts", "srm", "aov", "sla", "faq",
}
#: Three English words in a row, as a sentence has them; a data value or proper name never counts.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){2,}")


def data_words() -> set[str]:
    """Words of the sample's own values: event names, funnel and experiment names, config titles,
    segment values, the taxonomy's keywords, the launch description given as a parameter, and the
    feedback users wrote (quoted in the retro as written, some of it in English)."""
    import pandas as pd

    config = load_config(CONFIG_PATH)
    names: set[str] = set()
    for funnel_name, funnel in config.funnels.items():
        names |= {funnel_name, funnel.title or "", *funnel.steps}
    names |= {event for events in config.journey.stages.values() for event in events}
    names |= set(config.rollouts) | set(config.feedback_taxonomy)
    names |= {k for words in config.feedback_taxonomy.values() for k in words}
    for parameters in config.report.parameters.values():
        names |= {str(v) for v in parameters.values()}
    names |= {"control", "treatment", "new", "returning", "other"}
    feedback = config.sources["feedback"]
    names |= set(pd.read_csv(config.resolve(feedback.path), encoding="gb18030", usecols=["text"])["text"].dropna())
    return {w.lower() for name in names for w in re.split(r"[^A-Za-z0-9]+", name) if w}


class _VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles or code (parameter names, paths)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre", "svg"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "svg") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_sentences(text: str, allowed: set[str]) -> list[str]:
    """Runs of three or more English words that are not all data values or proper names."""
    found = []
    for run in ENGLISH_RUN.findall(text):
        words = [w.lower().strip("'’-") for w in re.split(r"[ ,;:]+", run) if w]
        if any(w not in allowed for w in words):
            found.append(run)
    return found


@pytest.fixture(scope="module")
def zh_reports(tmp_path_factory) -> Path:
    """The sample's reports for 2026-10 in Chinese (one ``uem report`` run)."""
    out = tmp_path_factory.mktemp("zh-reports")
    result = CliRunner().invoke(app, ["report", "--period", PERIOD, "--config", str(CONFIG_PATH),
                                      "--output-dir", str(out), "--language", "zh", "--no-progress"])
    assert result.exit_code == 0, result.output
    return out


def test_the_measure_finds_english_and_spares_data_and_names():
    allowed = PROPER_NAMES | {"open", "start", "account", "opening"}
    assert english_sentences("开户转化率为 45%（95% 置信区间 Wilson 42% 至 48%）", allowed) == []
    assert english_sentences("步骤 open start account opening 的流失最多", allowed) == []
    assert english_sentences("The funnel lost most users here.", allowed) == ["The funnel lost most users here"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_report_reads_chinese(zh_reports, notebook):
    html = (zh_reports / PERIOD / f"{notebook}.html").read_text(encoding="utf-8")
    assert 'lang="zh' in html
    text = visible_text(html)
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 300, "the report has little Chinese text"
    left = english_sentences(text, PROPER_NAMES | data_words())
    assert not left, f"{notebook}: {len(left)} English runs remain in the Chinese report: {left[:15]}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_chart_has_its_caption_in_chinese(zh_reports, notebook):
    from .test_report_finish import uncaptioned_figures

    page = (zh_reports / PERIOD / f"{notebook}.html").read_text(encoding="utf-8")
    assert 'class="uem-caption"' in page
    assert uncaptioned_figures(page) == []


def test_the_index_and_the_wiki_page_read_chinese(zh_reports):
    index = visible_text((zh_reports / "index.html").read_text(encoding="utf-8"))
    wiki = next((zh_reports / PERIOD).glob("monthly_retro*.md")).read_text(encoding="utf-8")
    wiki = re.sub(r"`[^`]*`", " ", wiki)  # code spans: names and paths
    for name, text in (("index.html", index), ("wiki page", wiki)):
        assert re.search(r"[\u4e00-\u9fff]", text), f"{name} has no Chinese"
        left = english_sentences(text, PROPER_NAMES | data_words())
        assert not left, f"{name}: English runs remain: {left[:15]}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_charts_have_every_glyph(zh_reports, notebook):
    """matplotlib reports no missing glyph while the Chinese report draws its charts."""
    executed = next((zh_reports / PERIOD).rglob(f"{notebook}*.ipynb"))
    nb = nbformat.read(executed, as_version=4)
    streams = [out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
               if out.get("output_type") == "stream"]
    missing = [s for s in streams if "missing from" in s or "Glyph" in s]
    assert not missing, f"{notebook}: {missing[:3]}"


def test_chromium_renders_the_chinese_report_with_a_cjk_font(zh_reports, tmp_path):
    """The zh onboarding report in headless Chromium: its Chinese text is drawn with a CJK font.

    A screenshot is left in ``tests/artifacts/zh_onboarding.png`` to look at.
    """
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs it (Debian package chromium)"
    page_file = zh_reports / PERIOD / "onboarding_funnel.html"
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 1400})
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            artifacts = ROOT / "tests" / "artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "zh_onboarding.png"))
            cdp = browser.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
            fonts: dict[str, int] = {}
            for selector in ("h1", "h2", "li", "p"):
                for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"][:20]:
                    for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                        fonts[font["familyName"]] = fonts.get(font["familyName"], 0) + font["glyphCount"]
        finally:
            browser.close()
    cjk = {name: n for name, n in fonts.items() if re.search(r"CJK|WenQuanYi|Hei|Song|PingFang|YaHei", name)}
    assert cjk, f"no CJK font drew the report's text; fonts used: {json.dumps(fonts, ensure_ascii=False)}"
    assert sum(cjk.values()) > 200, f"few glyphs drawn with a CJK font: {cjk}"
