"""End to end: `uem run onboarding_funnel` on the sample gives a self-contained report with the planted story."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app

from ..conftest import CONFIG_PATH, SAMPLE_DIR

runner = CliRunner()
TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports(sample_report):
    """One run of the real notebook on the whole sample, shared by the tests below (and the leak test)."""
    return sample_report("onboarding_funnel").parent


@pytest.fixture(scope="module")
def html(reports):
    return (reports / "2026-05..2026-10" / "onboarding_funnel.html").read_text(encoding="utf-8")


def test_report_is_one_offline_file_with_code_hidden(html):
    assert "from uem_helpers import" not in html and "analyse_onboarding(" not in html
    assert not re.search(r"<script[^>]+src=", html), "no external scripts"
    assert not re.search(r"(src|href)=\"https?://", html), "nothing fetched from the network"
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 6


def test_report_opens_with_the_header(html):
    head = html[: html.index("Key findings")]
    for words in ["Account opening (开户): where do users get stuck", "Parameters", "launch_date", "2026-08-15",
                  "Rows read", "events: 325,207",  # every event of the sample falls in these six months
                  "Data fingerprint", "Asia/Shanghai", "uem-workbench 0.1.0", "Run"]:
        assert words in head, words


def test_report_tells_the_planted_story(html):
    realised = TRUTH["onboarding"]["realised"]
    assert "The bottleneck is 'id_verified'" in html
    assert f"{realised['before']['abandonment_rate']:.1%}"[:-1] in html  # e.g. 46.2 / 46.3
    assert "Abandonment fell from" in html and "Mean opening time fell from" in html
    assert "95% CI" in html


def test_index_lists_the_run(reports):
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "onboarding_funnel" in index and "2026-05..2026-10" in index and "ok" in index


def test_a_period_without_data_says_so(tmp_path):
    result = runner.invoke(app, ["run", "onboarding_funnel", "--period", "2025-01", "--config", str(CONFIG_PATH),
                                 "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "no data" in result.output
    html = (tmp_path / "2025-01" / "onboarding_funnel.html").read_text(encoding="utf-8")
    assert "No data" in html and "nobody started" in html
    status = json.loads((tmp_path / "2025-01" / "onboarding_funnel.status.json").read_text(encoding="utf-8"))
    assert status["status"] == "no data"
