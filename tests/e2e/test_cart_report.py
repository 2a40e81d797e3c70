"""End to end: `uem run cart_abandonment` on the sample gives a self-contained report with the planted story."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app

from ..conftest import CONFIG_PATH, SAMPLE_DIR

runner = CliRunner()
TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["cart"]


@pytest.fixture(scope="module")
def html(sample_report):
    """One run of the real notebook on the whole sample, shared by the tests below (and the leak test)."""
    return (sample_report("cart_abandonment") / "cart_abandonment.html").read_text(encoding="utf-8")


def test_report_is_one_offline_file_with_every_chart(html):
    assert "analyse_carts(" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 6  # trend, segments, funnel, fee, bunching, drivers


def test_report_header_counts_carts_and_events(html):
    head = html[: html.index("Key findings")]
    for words in ["policy_launch_date", "2026-09-01", "free_shipping_threshold", "Rows read",
                  f"carts: {TRUTH['realised']['before']['carts'] + TRUTH['realised']['after']['carts']:,}"]:
        assert words in head, words


def test_report_tells_the_planted_story(html):
    before, after = TRUTH["realised"]["before"], TRUTH["realised"]["after"]
    assert f"Cart conversion rose from {before['conversion']:.1%} (before) to {after['conversion']:.1%} (after)" in html
    assert "Average order value rose from" in html
    assert "lowers the odds of checkout by" in html
    assert (f"Carts valued 99 to 109 made up {after['share_in_band']:.1%} of carts after the launch vs "
            f"{before['share_in_band']:.1%} before") in html
    assert "Recommended next tests" in html


def test_a_period_without_carts_says_so(tmp_path):
    result = runner.invoke(app, ["run", "cart_abandonment", "--period", "2025-01", "--config", str(CONFIG_PATH),
                                 "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "2025-01" / "cart_abandonment.html").read_text(encoding="utf-8")
    assert "No data" in html and "no cart was created between" in html
    status = json.loads((tmp_path / "2025-01" / "cart_abandonment.status.json").read_text(encoding="utf-8"))
    assert status["status"] == "no data"


def test_the_policy_read_as_an_ab_test_renders_with_its_srm_check(tmp_path):
    result = runner.invoke(app, ["run", "cart_abandonment", "--period", "2026-05..2026-10", "--config",
                                 str(CONFIG_PATH), "--output-dir", str(tmp_path),
                                 "-p", "policy_experiment=one_tap_checkout",
                                 "-p", 'policy_expected_shares={"control": 0.95, "treatment": 0.05}'])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "2026-05..2026-10" / "cart_abandonment.html").read_text(encoding="utf-8")
    assert "one_tap_checkout" in html[: html.index("Key findings")]  # the parameter in the header
    assert "assignment to the experiment" in html and "No sample ratio mismatch" in html
    assert "Cart conversion rose from 37.4% (control) to 60.6% (treatment)" in html
    band = TRUTH["realised"]["after"]["share_in_band"]
    assert f"Carts valued 99 to 109 made up {band:.1%} of carts after the launch" in html  # bunching stays before/after
