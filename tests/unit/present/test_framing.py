"""Each report's title and introduction come from the config and the parameters, never from the sample's story."""

from __future__ import annotations

import re

import nbformat
import pytest

from uem_helpers.core import load_config
from uem_helpers.core.config import UEMConfig
from uem_helpers.present import cart, journey, narrative, onboarding, retro

from ...conftest import CONFIG_PATH, ROOT
from ...story_words import STORY_WORDS

#: A log like the second test log: its own funnels and events, events only, no plan, no launch description.
OTHER = UEMConfig.model_validate({
    "sources": {"events": {"path": "events.csv.gz"}},
    "funnels": {"loan": {"title": "Loan application", "steps": ["apply_start", "docs_upload", "loan_granted"],
                         "window": "7d"},
                "checkout": {"steps": ["add_to_cart", "cart", "shipping_details", "payment_attempt", "payment_ok"]}},
    "journey": {"start_event": "launch"},
})
PERIOD = {"period_start": "2025-01-01", "period_end": "2025-03-31"}


def story_words_in(text: str) -> list[str]:
    plain = text.replace("\\", "").lower()
    return [w for w in STORY_WORDS if w.lower() in plain]


def introductions(config: UEMConfig) -> dict[str, str]:
    return {
        "onboarding_funnel": onboarding.introduction(config, "loan", **PERIOD, launch_date="2025-02-03"),
        "cart_abandonment": cart.introduction(config, **PERIOD, launch_date="", threshold=None),
        "journey_analysis": journey.introduction(config, **PERIOD, start_event="", segment_by="client_os",
                                                 segment_a="android", segment_b="ios"),
        "monthly_retro": retro.introduction(config, "2025-03"),
    }


@pytest.mark.parametrize("notebook", ["onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro"])
def test_another_config_gets_its_own_framing_and_none_of_the_sample_story(notebook):
    text = introductions(OTHER)[notebook]
    assert text.startswith("# ") and story_words_in(text) == []
    assert "2025\\-01\\-01" in text or "2025\\-03" in text  # the period (or month) of this run


def test_the_funnel_report_names_the_configured_funnel_its_goal_and_the_launch_by_date():
    text = onboarding.introduction(OTHER, "loan", **PERIOD, launch_date="2025-02-03")
    assert text.splitlines()[0] == "# Loan application&#58; where do users get stuck, and did the launch help?"
    assert "'apply\\_start'" in text and "'loan\\_granted'" in text and "3 steps" in text and "(within 1 week)" in text
    assert "the launch on 2025\\-02\\-03 made completion faster" in text
    no_launch = onboarding.introduction(OTHER, "loan", **PERIOD)
    assert "no before/after comparison" in no_launch and "did the launch help" not in no_launch
    # a funnel without a title is called by its name
    assert onboarding.title(OTHER, "checkout").startswith("checkout: ")


def test_the_sample_keeps_its_launch_story_from_its_config():
    config = load_config(CONFIG_PATH)
    description = config.report.parameters["onboarding_funnel"]["launch_description"]
    assert description == "OCR auto-fill, step guidance, progress bar"
    text = onboarding.introduction(config, "account_opening", period_start="2026-05-01", period_end="2026-10-31",
                                   launch_date="2026-08-15", launch_description=description)
    assert text.startswith("# Account opening \\(开户\\)") and "(OCR auto\\-fill, step guidance, progress bar)" in text


def test_the_retro_names_only_the_sections_its_tables_support():
    other = introductions(OTHER)["monthly_retro"]
    assert "NPS" not in other and "feedback loop" not in other and "staged rollout" not in other
    assert "no plan is configured" in other and "lists no actions with owners" in other
    sample = retro.introduction(load_config(CONFIG_PATH), "2026-10")
    assert "NPS" in sample and "feedback loop" in sample and "staged rollout" in sample


@pytest.mark.parametrize("notebook", ["onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro"])
def test_static_markdown_cells_carry_no_sample_story(notebook):
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert story_words_in(markdown) == []
    assert not re.search(r"^# ", markdown, re.MULTILINE), "the title heading is written from the config"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    assert "report.introduction(" in code


def test_framing_escapes_the_title_and_skips_empty_paragraphs():
    assert narrative.framing("A *b*", "", "Body.") == "# A \\*b\\*\n\nBody."


def test_the_report_header_takes_the_title_a_cell_writes():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from uem_helpers.pipeline.export import title_of

    shown = onboarding.introduction(OTHER, "loan", **PERIOD)
    cell = new_code_cell("narrative.show(...)", outputs=[new_output("display_data", data={"text/markdown": shown})])
    nb = new_notebook(cells=[new_markdown_cell("For the funnel's owners."), cell])
    assert title_of(nb) == "Loan application: where do users get stuck?"
