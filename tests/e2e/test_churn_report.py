"""End to end: `uem run churn_warning` on the sample gives the churn report, the outreach file and the planted story.

One run for 2026-10 (as of 2026-11-01) is shared with the other report tests; the planted hazard
ratios and the outreach effect are checked on the survival view and the readout (one module fixture)
against the generator's design values in ground_truth.json.
"""

from __future__ import annotations

import json
import re

from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from uem_helpers.core.config import load_config
from uem_helpers.data.sources import load
from uem_helpers.analyses.churn import ChurnRule, as_of_instant, hazard_ratios, outreach_readout, survival_table

from ..conftest import CONFIG_PATH, SAMPLE_DIR
from .test_language import visible_text
from .test_report_finish import uncaptioned_figures

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))
PERIOD = "2026-10"


@pytest.fixture(scope="module")
def folder(sample_report):
    return sample_report("churn_warning", PERIOD)


@pytest.fixture(scope="module")
def page(folder) -> str:
    return (folder / "churn_warning.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def analysis():
    """The survival view and the outreach readout of the sample as of 2026-11-01 (the model is the report's)."""
    config = load_config(CONFIG_PATH)
    data, rule = load(config), ChurnRule.from_config(config)
    as_of = as_of_instant("2026-10-31")
    hazards, _notes = hazard_ratios(survival_table(data, rule, as_of, config), config.churn.segments)
    return SimpleNamespace(hazards=hazards, outreach=outreach_readout(data, rule, config.churn.outreach, as_of))


@pytest.fixture(scope="module")
def user_ids() -> set[str]:
    return set(pd.read_csv(SAMPLE_DIR / "users.csv", dtype=str, encoding="utf-8-sig")["user_id"])


def test_every_section_with_its_chart_and_caption(page):
    text = visible_text(page)
    for heading in ("Key findings", "Is the warning any good?", "Why users leave", "How fast each segment leaves",
                    "Who to reach now", "Did the last outreach help?", "The next campaign", "What to do next"):
        assert heading in text, heading
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) == 5
    assert uncaptioned_figures(page) == []
    assert "A user churns at the start of their first gap of 30 days without an active event" in text


def test_the_first_finding_is_the_models_verdict_against_recency(page):
    text = visible_text(page)
    start = text.index("Key findings", text.index("Who is about to leave"))  # the heading, not the contents
    findings = text[start:text.index("Is the warning any good?", start)]
    verdicts = [findings.find(v) for v in ("The model ranks users better than their last visit alone",
                                           "The model does not rank users better than their last visit alone")]
    found = [v for v in verdicts if v >= 0]
    assert len(found) == 1, "the findings give the model's verdict against recency once"
    assert found[0] < findings.find("as likely to churn"), "the verdict comes before the drivers"
    # The sample's users fade before they leave (docs/sample-data.md, story 7): the activity trend tells who
    # is leaving before recency does, and the paired interval of the AUC difference lies above 0.
    assert verdicts[0] >= 0, "the model beats the recency baseline on the sample"
    difference = re.search(r"a difference of \+(\d\.\d\d) \(95% CI \+(\d\.\d\d) to \+(\d\.\d\d)\)", findings)
    assert difference and 0 < float(difference[2]) <= float(difference[1]) <= float(difference[3])


def test_the_shared_report_holds_no_real_id_and_the_outreach_file_does(folder, page, user_ids):
    outreach = pd.read_csv(folder / "churn_warning.outreach.csv", dtype=str)
    listed = set(outreach["user_id"])
    assert listed and listed <= user_ids
    assert set(outreach["variant"]) == {"outreach", "holdout"}
    shown = re.findall(r"\b\d{7}\b", re.sub(r'data:image/[^"\']+', "", page))
    assert not set(shown) & user_ids, "a real user id is in the shared report"
    assert re.search(r"the file <code>churn_warning\.outreach\.csv</code> next to this report: it is not for sharing",
                     page)
    kept = nbformat.read(folder / "churn_warning.ipynb", as_version=4)
    assert not listed & set(re.findall(r"\b\d{7}\b", nbformat.writes(kept))), "the kept notebook copies the file"


def test_planted_hazard_ratios_lie_in_the_cox_intervals(analysis):
    planted = TRUTH["churn"]["design"]["hazard_ratios"]
    hazards = analysis.hazards.set_index(["covariate", "level"])
    for covariate in ("payment_error", "detractor"):
        row = hazards.loc[(covariate, "")]
        assert row["lower"] <= planted[covariate] <= row["upper"], (covariate, row.to_dict())
    returning = hazards.loc[("segment", "returning")]  # the loyal segment leaves more slowly, by the planted ratio
    assert returning["lower"] <= planted["returning"] <= returning["upper"], returning.to_dict()


def test_outreach_readout_counts_what_the_generator_counted_and_covers_its_effect(analysis):
    realised, design = TRUTH["churn"]["realised"]["outreach"], TRUTH["churn"]["design"]["outreach"]
    readout = analysis.outreach.readout
    holdout, treated = realised["holdout"], realised["outreach"]
    assert (readout.n_a, round(readout.value_a * readout.n_a)) == (holdout["users"], holdout["churned"])
    assert (readout.n_b, round(readout.value_b * readout.n_b)) == (treated["users"], treated["churned"])
    assert readout.ci_low <= design["expected_churn_difference"] <= readout.ci_high
    assert not analysis.outreach.srm.mismatch
