"""The reports' landing page and what it reads from an executed report: first finding, headline numbers."""

from __future__ import annotations

import json
import re

import pytest
from nbformat.v4 import new_code_cell, new_output

from uem_helpers.core.i18n import LOCALE_DIR, in_language
from uem_helpers.pipeline import summary
from uem_helpers.pipeline.index_page import index_html, run_time_words, status_words
from uem_helpers.pipeline.status import build_index
from uem_helpers.present.narrative import KEY_FINDINGS

ZH_CATALOG = LOCALE_DIR / "zh" / "LC_MESSAGES" / "uem.mo"

OK = {"folder": "2026-10", "period": "2026-10", "notebook": "onboarding_funnel", "status": "ok",
      "title": "Account opening: where do users get stuck?", "finding": "87% of starters completed within 1 h.",
      "started_at": "2026-11-02T09:30:00+08:00", "good_at": "2026-11-02T09:30:00+08:00",
      "html": "onboarding_funnel.html", "rows": {"events": 47704}, "duration_s": 31.2}
FAILED = {"folder": "2026-10", "period": "2026-10", "notebook": "monthly_retro", "status": "failed",
          "title": "Monthly retro", "finding": "NPS fell 4 points.", "started_at": "2026-11-03T08:00:00+08:00",
          "good_at": "2026-10-04T08:00:00+08:00", "html": "monthly_retro.html", "attachments": ["monthly_retro.md"],
          "message": "cell 12 failed: KeyError 'nps'"}
OLDER = {**OK, "folder": "2026-09", "period": "2026-09", "finding": "80% completed.",
         "started_at": "2026-10-02T09:30:00+08:00"}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_landing_page_shows_each_report_with_its_first_finding_status_and_link_latest_period_first():
    page = index_html([OLDER, OK, FAILED])
    assert page.index("2026-10") < page.index("80% completed.")  # the October section comes first
    assert '<a href="2026-10/onboarding_funnel.html">Account opening: where do users get stuck?</a>' in page
    assert '<p class="uem-finding">87% of starters completed within 1 h.</p>' in page
    assert '<span class="ok">up to date, run on 2026-11-02</span> · <span class="uem-took">took 31 s</span>' in page
    text = _text(page)
    assert "failed on 2026-11-03 — showing the last good report from 2026-10-04 · monthly_retro.md" in text
    assert '<a href="2026-10/monthly_retro.html">Monthly retro</a>' in page  # the last good report, still linked
    assert '<a href="2026-10/monthly_retro.md">monthly_retro.md</a>' in page
    assert "<details" in page and "KeyError" in page  # what went wrong, collapsed
    assert "47704" not in page and "47,704" not in page and "31.2" not in page  # no row counts; the time in words
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d", page)  # no bare ISO time stamps
    assert '<html lang="en">' in page


def test_a_range_sorts_by_its_last_month():
    page = index_html([{**OK, "folder": "2026-05..2026-08", "period": "2026-05..2026-08"},
                       {**OK, "folder": "2026-09", "period": "2026-09"}])
    assert page.index("2026-09") < page.index("2026-05 to 2026-08")


@pytest.mark.parametrize(("record", "words"), [
    ({"status": "no data", "started_at": "2026-11-02T09:30:00"}, "no data in this period, run on 2026-11-02"),
    ({"status": "failed", "started_at": "2026-11-02T09:30:00"}, "failed on 2026-11-02 — no report yet"),
    ({"status": "interrupted", "started_at": "2026-11-02T09:30:00", "html": "x.html"},
     "interrupted on 2026-11-02 — showing the last good report"),
    ({"status": "running", "started_at": "2026-11-02T09:30:00", "html": "x.html", "good_at": "2026-10-01T08:00:00"},
     "running since 2026-11-02 — showing the last good report from 2026-10-01"),
])
def test_status_words(record, words):
    assert status_words(record) == words


@pytest.mark.parametrize(("record", "words"), [
    ({"status": "ok", "duration_s": 31.2}, "took 31 s"),
    ({"status": "no data", "duration_s": 102.4}, "took 1.7 min"),
    ({"status": "failed", "duration_s": 3.0}, "stopped after 3 s"),
    ({"status": "interrupted", "duration_s": 7200}, "stopped after 2.0 h"),
    ({"status": "running", "duration_s": 5}, ""),  # a running record's time is the last run's, not this one's
    ({"status": "ok"}, ""),  # a status file written before runs recorded their time
    ({"status": "ok", "duration_s": "31"}, ""),
    ({"status": "ok", "duration_s": float("nan")}, ""),
])
def test_the_time_a_run_took_in_words(record, words):
    assert run_time_words(record) == words


def test_the_index_is_written_in_the_language_of_the_latest_run_unless_told(tmp_path):
    folder = tmp_path / "2026-10"
    folder.mkdir()
    (folder / "onboarding_funnel.html").write_text("report", encoding="utf-8")
    record = {k: v for k, v in OK.items() if k not in ("folder", "good_at")}
    (folder / "onboarding_funnel.status.json").write_text(json.dumps(record), encoding="utf-8")
    page = build_index(tmp_path).read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "up to date, run on 2026-11-02" in page  # the last good report's date from its file when not recorded


@pytest.mark.skipif(not ZH_CATALOG.is_file(), reason="the zh catalog is compiled by make install")
def test_a_chinese_landing_page():
    page = index_html([OK, FAILED], language="zh")
    assert '<html lang="zh-CN">' in page
    assert "2026年11月2日" in page and "2026年10月" in page
    assert "up to date" not in page and "failed on" not in page
    assert "耗时 31秒" in page and "took 31" not in page
    with in_language("zh"):
        assert "2026年10月4日" in status_words(FAILED)


def _finding_cell(markdown: str, marked: bool = True):
    metadata = {KEY_FINDINGS: True} if marked else {}
    return new_code_cell("narrative.show(...)", outputs=[
        new_output("display_data", data={"text/markdown": markdown, "text/plain": markdown}, metadata=metadata)])


def test_the_first_finding_is_the_first_point_of_the_marked_findings_in_one_plain_sentence():
    cells = [
        _finding_cell("- **Data coverage:** the events stop 4 h short.", marked=False),  # the quality opening
        _finding_cell("- Of 265 users who started, **87%** (95% CI 83% to 91%) completed. The rest left at "
                      "'id\\_verified'.\n- The bottleneck is 'id\\_verified'."),
    ]
    assert summary.first_finding(cells) == "Of 265 users who started, 87% (95% CI 83% to 91%) completed."


def test_a_chinese_finding_ends_at_its_full_stop_and_a_paragraph_counts_as_a_point():
    assert summary.first_finding([_finding_cell("265 名用户开始开户，87% 在 1 小时内完成。瓶颈是身份验证。")]) == (
        "265 名用户开始开户，87% 在 1 小时内完成。")
    assert summary.first_finding([_finding_cell("No data: nobody started.\n\nMore.")]) == "No data: nobody started."
    assert summary.first_finding([_finding_cell("- x", marked=False)]) is None


def test_the_headline_numbers_are_read_from_the_tagged_cell():
    cell = new_code_cell("print(report.headline(analysis))", metadata={"tags": ["headline"]}, outputs=[
        new_output("stream", name="stdout", text="starters: 265\nbottleneck: id_verified\n\ntop loop: a → b → a\n")])
    other = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="x: 1\n")])
    assert summary.headline([other, cell]) == {"starters": "265", "bottleneck": "id_verified", "top loop": "a → b → a"}
    assert summary.headline_record("onboarding_funnel", "2026-10", [cell])["period"] == "2026-10"
    assert summary.headline([other]) is None
