"""Every notebook on a log the workbench was not built on, through its config alone.

:mod:`tests.second_log` writes an events-only, gzipped export with its own column and event
names, 19-digit member numbers, UTC-suffixed second-resolution times with ties, unsorted rows
and data that ends mid-session, and plants a sustained low-volume payment incident, a
four-step checkout loop on one platform in one month, harmless cycles that must not outrank
it, and a sign-up launch. One ``uem report`` over its quarter runs all five notebooks; the
tests read those reports and the stories behind them.
"""

from __future__ import annotations

import gzip
import html as html_lib
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.core.config import load_config
from uem_helpers.data.sources import load
from uem_helpers.stories.cart import analyse_carts
from uem_helpers.stories.journey import analyse_journey

from .. import second_log
from ..story_words import STORY_WORDS

NOTEBOOKS = ("onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro", "churn_warning")
PERIOD_START, PERIOD_END = "2025-01-01", "2025-03-31"


def _text(page: str) -> str:
    """What a reader sees: the report without scripts, styles and tags."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """The log, its config, its truth, and the five reports of one ``uem report`` over the quarter."""
    folder = tmp_path_factory.mktemp("second_log")
    config_path, truth = second_log.write(folder)
    result = CliRunner().invoke(app, ["report", "--period", second_log.PERIOD, "--config", str(config_path),
                                      "--output-dir", str(folder / "reports"), "--no-progress"])
    assert result.exit_code == 0, result.output
    pages = {name: (folder / "reports" / second_log.PERIOD / f"{name}.html").read_text(encoding="utf-8")
             for name in NOTEBOOKS}
    return config_path, truth, pages


@pytest.fixture(scope="module")
def journey(second):
    config_path, _, _ = second
    config = load_config(config_path)
    return analyse_journey(load(config), config, period_start=PERIOD_START, period_end=PERIOD_END)


def test_the_generator_writes_the_same_bytes_for_the_same_seed(tmp_path):
    second_log.write(tmp_path / "a", users=60)
    second_log.write(tmp_path / "b", users=60)
    assert (tmp_path / "a" / "events.csv.gz").read_bytes() == (tmp_path / "b" / "events.csv.gz").read_bytes()
    with gzip.open(tmp_path / "a" / "events.csv.gz", "rt", encoding="utf-8") as f:
        assert f.readline().strip() == "member_no,occurred_at,action,client_os,order_amount"


def test_every_notebook_runs_on_the_events_only_log(second):
    _, truth, pages = second
    for name, page in pages.items():
        text = _text(page)
        assert "Traceback" not in text, name
        assert "No data" not in text, name


def test_no_report_tells_the_samples_story(second):
    _, _, pages = second
    for name, page in pages.items():
        text = _text(page).lower()
        told = [w for w in STORY_WORDS if w.lower() in text]
        assert not told, f"{name} tells the sample's story: {told}"


def test_titles_and_launch_come_from_the_config(second):
    _, _, pages = second
    onboarding = _text(pages["onboarding_funnel"])
    assert "Merchant sign-up (商户注册)" in onboarding
    assert "the one-page KYC form" in onboarding


def test_durations_print_in_human_units(second):
    _, _, pages = second
    for name, page in pages.items():
        text = _text(page)
        assert not re.search(r"\b\d{4,}(\.\d+)? ?(min|h|s)\b", text.replace(",", "")), name


def test_every_report_states_the_datas_coverage_and_that_it_ends_early(second):
    _, truth, pages = second
    last = truth["last_event"][:16]  # minute resolution is what a reader needs
    for name, page in pages.items():
        text = _text(page)
        assert last in text, f"{name} does not state where the data ends ({last})"


def test_journey_names_the_planted_four_step_loop_first(journey, second):
    _, truth, pages = second
    first = journey.loops.iloc[0]
    assert first["loop"] == truth["loop"]["cycle"]
    assert not journey.loops["loop"].str.contains("payment_ok").any()  # never a cycle through the goal
    assert first["harmful"] and first["worst_segment"] == truth["loop"]["platform"]
    assert first["worst_period"] == truth["loop"]["month"]
    text = _text(pages["journey_analysis"])
    assert truth["loop"]["cycle"] in text
    cut = text[text.index(truth["loop"]["cycle"]):][:600]
    assert truth["loop"]["platform"] in cut


def test_journey_reports_the_sustained_incident_as_a_date_range_at_the_payment_step(journey, second):
    _, truth, pages = second
    planted = truth["incident"]
    at_step = journey.incidents[(journey.incidents["step"] == planted["step"])
                                & (journey.incidents["outside"] == "below")]
    assert not at_step.empty, journey.incidents
    first, last = date.fromisoformat(planted["first_date"]), date.fromisoformat(planted["last_date"])
    overlap = [max((min(r.last_date.date(), last) - max(r.first_date.date(), first)).days + 1, 0)
               for r in at_step.itertuples()]
    assert max(overlap) >= 0.6 * ((last - first).days + 1), at_step
    best = at_step.iloc[overlap.index(max(overlap))]
    assert f"{best.first_date:%Y-%m-%d}" in _text(pages["journey_analysis"])


def test_sessions_cut_off_by_the_export_are_not_exits(journey, second):
    _, truth, _ = second
    table = journey.journey.table.set_index("touchpoint")
    # The push landed sixty people on item pages minutes before the export stopped: cut off, not exits.
    assert table.loc[truth["campaign_page"], "cut_off"] >= truth["cut_off_sessions_at_least"]
    assert journey.bottlenecks.iloc[0]["touchpoint"] != truth["campaign_page"]


def test_carts_are_derived_from_events_by_the_documented_rule(second):
    config_path, truth, pages = second
    config = load_config(config_path)
    a = analyse_carts(load(config), config.funnels.get("checkout"), period_start=PERIOD_START,
                      period_end=PERIOD_END, segment_by="auto")
    assert (a.carts, a.checked_out) == (truth["carts"]["carts"], truth["carts"]["checked_out"])
    assert a.segment_by == "platform"  # carried from the cart events
    assert "Carts are derived from events" in _text(pages["cart_abandonment"])


def test_the_alarm_events_rise_with_the_incident(journey, second):
    _, truth, _ = second
    alarms = journey.incidents[journey.incidents["kind"] == "alarm event"]
    first = date.fromisoformat(truth["incident"]["first_date"])
    for event in truth["incident"]["alarm_events"]:
        rows = alarms[alarms["step"] == event]
        assert not rows.empty, event
        assert abs((rows.iloc[0]["first_date"].date() - first).days) <= 3


def test_onboarding_leaves_out_starters_still_inside_their_window(second):
    _, _, pages = second
    assert "still inside the conversion window" in _text(pages["onboarding_funnel"])
