"""End to end: `uem run journey_analysis` on the sample and on a differently shaped log.

The sample run must name the planted bottleneck with the planted values inside its intervals,
render its Sankey offline (plotly.js inlined once, drawn by a headless browser), and show the
payment incident. The second log (:mod:`tests.e2e.other_log`: other column names, string user
ids, given session ids, Chinese event names, no users/carts/NPS/feedback tables) runs through
the config alone and must show its own planted loop, bottleneck and incident.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.core.config import load_config
from uem_helpers.stories.journey import analyse_journey
from uem_helpers.data.sources import load

from ..conftest import CONFIG_PATH, SAMPLE_DIR
from . import other_log

runner = CliRunner()
TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["journey"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _run(config, out, period, *extra):
    result = runner.invoke(app, ["run", "journey_analysis", "--period", period, "--config", str(config),
                                 "--output-dir", str(out), *extra])
    assert result.exit_code == 0, result.output
    return (out / period / "journey_analysis.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html(sample_report):
    """One run of the real notebook on the whole sample (shared with the leak test)."""
    return (sample_report("journey_analysis") / "journey_analysis.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    """The other log, its config, and one report run on it comparing iOS with Android."""
    folder = tmp_path_factory.mktemp("other_log")
    config = other_log.write(folder)
    page = _run(config, folder / "reports", "2026-03", "-p", "segment_by=platform", "-p", "segment_a=ios",
                "-p", "segment_b=android")
    return config, page


def test_sample_planted_bottleneck_is_named_with_the_planted_values_inside_its_intervals():
    config = load_config(CONFIG_PATH)
    a = analyse_journey(load(config, tables=["events"]), config, period_start="2026-05-01", period_end="2026-10-31")
    top = a.bottlenecks.iloc[0]
    planted = TRUTH["bottleneck_touchpoint"]
    assert top["touchpoint"] == planted
    assert top["exit_low"] <= TRUTH["design"]["exit_probability"][planted] <= top["exit_high"]
    assert top["dwell_low"] <= TRUTH["design"]["mean_dwell_seconds"][planted] <= top["dwell_high"]
    worst = a.incidents[a.incidents["outside"] == "below"].assign(
        lost=lambda d: (d["center"] - d["rate"]) * d["trials"]).sort_values("lost").iloc[-1]
    start, end = TRUTH["design"]["payment_incident"]["from"], TRUTH["design"]["payment_incident"]["to"]
    assert (worst["step"], f"{worst['first_date']:%Y-%m-%d}", f"{worst['last_date']:%Y-%m-%d}") == (
        "payment → order_success", start, end)


def test_sample_report_tells_the_story_offline(html):
    assert "The bottleneck is <strong>customer_service</strong>" in html
    assert "payment → order_success from 2026-09-18 to 2026-09-20" in html
    # Loops rank by conversions lost: the planted back-and-forth, in one of its rotations (see docs/sample-data.md).
    assert any(f"The loop that costs most is <strong>{loop}</strong>" in html
               for loop in _rotations(("product_view", "size_guide", "product_view")))
    outside_scripts = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    assert not re.search(r"(src|href)=\"https?://", outside_scripts)
    assert not re.search(r"<script[^>]+src=", html)  # nothing loaded from elsewhere
    assert html.count("plotly.js v") == 1  # the library's banner: inlined exactly once
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 6  # map, transitions, loops, bottlenecks, segments, incidents


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="chromium is not installed (make test installs it)")
def test_sample_report_sankey_is_drawn_by_a_browser(html, tmp_path):
    page = tmp_path / "journey.html"
    page.write_text(html, encoding="utf-8")
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'class="sankey"' in dom or "sankey-node" in dom
    assert dom.count('class="sankey-link"') >= 10


def test_other_log_runs_through_the_config_alone(other):
    _, page = other
    assert "No data" not in page
    assert "The bottleneck is <strong>客服</strong>" in page
    assert any(f"The loop that costs most is <strong>{loop}</strong>" in page for loop in _rotations(other_log.LOOP))
    assert (f"支付 → 支付成功 on {other_log.INCIDENT_DAY}" in page
            or f"支付 → 支付成功 from {other_log.INCIDENT_DAY} to" in page)
    assert "transitions differ significantly between <strong>ios</strong> vs <strong>android</strong>" in page \
        or "No transition differs significantly between <strong>ios</strong> vs <strong>android</strong>" in page


def test_other_log_planted_values_are_recovered(other):
    config_path, _ = other
    config = load_config(config_path)
    a = analyse_journey(load(config), config)
    top = a.loops.iloc[0]
    assert top["loop"] in _rotations(other_log.LOOP) and top["harmful"]
    assert a.bottlenecks.iloc[0]["touchpoint"] == other_log.BOTTLENECK
    below = a.incidents[a.incidents["outside"] == "below"]
    assert f"{other_log.INCIDENT_DAY}" in {f"{d:%Y-%m-%d}" for d in below["first_date"]}
    assert a.conversion_event == "支付成功" and a.journey.notes  # no NPS/feedback: said in a note


def _rotations(loop: tuple[str, ...]) -> set[str]:
    """The planted back-and-forth from each of its events: 列表 → 详情 → 列表 and 详情 → 列表 → 详情."""
    ring = list(loop[:-1])
    return {" → ".join(ring[i:] + ring[:i] + [ring[i]]) for i in range(len(ring))}


def test_a_period_without_events_says_so(tmp_path):
    page = _run(CONFIG_PATH, tmp_path, "2025-01")
    assert "No data" in page and "no event falls between" in page
