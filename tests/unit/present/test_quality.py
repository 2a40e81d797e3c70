"""Data quality in a report: exceeded findings open the key findings; every count sits in a collapsed, inert block."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from uem_helpers.data import data_quality
from uem_helpers.data.quality import DataQuality, QualityFinding
from uem_helpers.data.sources import from_frames
from uem_helpers.pipeline.export import sanitize_html
from uem_helpers.present import privacy
from uem_helpers.present import quality as quality_words
from uem_helpers.present.narrative import show

from tests.planted_quality import BIDI, ZERO_WIDTH, planted_frames

HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
RAW_IDS = ["u1", "u2", "u3", "u4", "s1", "c2"]


@pytest.fixture(scope="module")
def planted():
    return data_quality(from_frames(planted_frames(), validate=False), "2026-10-01", "2026-10-31")


@pytest.fixture(scope="module")
def clean():
    hours = pd.date_range("2026-10-01 08:00", periods=100, freq="h")
    events = pd.DataFrame({"user_id": [f"u{i:03d}" for i in range(100)], "timestamp": hours, "event": "x"})
    # the period is the data's own span, so the data covers it
    return data_quality(from_frames({"events": events}), "2026-10-01 08:00", "2026-10-05 11:00")


@pytest.fixture(autouse=True)
def _policy():
    privacy.use(None)


def test_the_opening_names_each_planted_problem_in_check_order(planted):
    opening = quality_words.opening(planted)
    coverage, *bullets = opening.split("\n")
    # the planted events start at 10:00 on the period's first day: the coverage warning comes first
    assert coverage == ("- **Data coverage:** The events cover 2026\\-10\\-01 10:00 to 2026\\-10\\-31 23:50, starting "
                        "10 h after the period's start.")
    assert len(bullets) == len(planted.exceeded) == 8 and all(b.startswith("- **Data quality:** ") for b in bullets)
    text = markdown2html_mistune(opening)
    order = [text.index(words) for words in (
        "12.5% of the rows of table 'events' are exact duplicates",   # planted duplicates
        "50.0% of checkouts precede their cart",                      # checkouts before carts
        "1 user is in more than one variant of the same experiment",  # a user in both variants
        "2 values in table 'feedback' hold invisible or control characters",  # bidi and zero-width in feedback
    )]
    assert order == sorted(order)


def test_the_opening_says_nothing_when_no_finding_exceeds(clean, capsys):
    assert quality_words.opening(clean) == ""
    show(quality_words.opening(clean))
    assert capsys.readouterr().out == ""  # the cell leaves no output


def test_the_block_is_collapsed_and_counts_every_finding(planted):
    html = quality_words.section(planted)._repr_html_()
    assert html.startswith('<details class="uem-quality">') and html.endswith("</details>")
    assert not re.search(r"<details[^>]*\bopen\b", html)
    assert ("<summary>Data quality: 10 findings, 8 above threshold; the data covers less than the period</summary>"
            in html)
    assert ("<p>Coverage: The events cover 2026-10-01 10:00 to 2026-10-31 23:50, starting 10 h after the period&#x27;s "
            "start.</p>") in html
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", html)
    assert rows[0] == ("exact duplicate rows", "events", "1 of 8", "<strong>12.5%</strong>",
                       "<strong>1.0%, exceeded</strong>")
    assert ("checkouts before their cart was created", "carts", "1 of 2", "<strong>50.0%</strong>",
            "<strong>1.0%, exceeded</strong>") in rows
    assert ("events outside the period", "events", "2 of 8", "25.0%", "information") in rows
    assert [r[0] for r in rows].index("events outside the period") == 8  # information after the exceeded ones


def test_examples_are_pseudonyms_never_raw_ids(planted):
    html = quality_words.section(planted)._repr_html_()
    policy = privacy.active()
    examples = dict((f.check, f.examples) for f in planted.findings if f.n)
    assert examples["several_variants"] == ["u1"]  # the raw id the check found ...
    assert policy.pseudonym("u1") in html  # ... shown as its pseudonym
    for raw in RAW_IDS:
        assert not re.search(rf"(?<![\w]){raw}(?![\w])", html), raw
    assert not any(re.search(rf"(?<![\w]){raw}(?![\w])", line) for line in repr(quality_words.section(planted))
                   .splitlines()[1:] for raw in RAW_IDS)


def test_a_clean_log_gives_an_empty_block_that_says_what_was_checked(clean):
    html = quality_words.section(clean)._repr_html_()
    assert "<summary>Data quality: 1 finding, 0 above threshold</summary>" in html  # the one open session
    assert "Checked, nothing found: " in html and "exact duplicate rows" in html
    nothing = DataQuality([QualityFinding("duplicate_rows", "events", 0, 10, [], 0.01)])
    html = quality_words.section(nothing)._repr_html_()
    assert "<summary>Data quality: no findings</summary>" in html and "<table>" not in html


def test_text_is_escaped_masked_and_hidden_characters_shown():
    hostile = QualityFinding("hidden_characters", f"<img src=x onerror=alert(1)>{BIDI}13812345678{ZERO_WIDTH}\x00",
                             3, 10, ["<script>alert(2)</script>", "13912345678"], 0.0)
    quality = DataQuality([hostile])
    html = quality_words.section(quality)._repr_html_()
    assert "<img" not in html and "<script" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "13812345678" not in html and "138****5678" in html and "13912345678" not in html
    assert not HIDDEN.search(html) and "\ufffd138****5678\ufffd\ufffd" in html
    opening = quality_words.opening(quality)
    assert not HIDDEN.search(opening) and "13812345678" not in opening
    rendered = markdown2html_mistune(opening)
    assert "<img" not in rendered and "&lt;img src=x onerror=alert(1)&gt;" in rendered


def test_the_block_survives_the_report_sanitiser_collapsed(planted):
    html = quality_words.section(planted)._repr_html_()
    assert sanitize_html(html) == html  # nothing in it is stripped: details, summary, table, strong, its class
    assert sanitize_html(html.replace("<details ", "<details open ")) == html  # and an open attribute would be


@pytest.mark.parametrize("share, text", [(0.1234, "12.3%"), (0.00024, "< 0.1%"), (0.0, "0.0%"), (1.0, "100.0%")])
def test_shares(share, text):
    assert quality_words.share_text(share) == text
