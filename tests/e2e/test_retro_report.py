"""End to end: `uem run monthly_retro` on the sample gives the HTML report and the wiki page with the planted story.

One run for 2026-10 is shared by most tests (module fixture); a month without data and a small
data set full of hostile text run the same notebook once each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from uem_helpers.present import privacy
from uem_helpers.cli import app
from uem_helpers.core.config import load_config
from uem_helpers.stories.retro import analyse_retro
from uem_helpers.data.sources import load

from ..conftest import CONFIG_PATH, SAMPLE_DIR
from .test_hostile_input import HIDDEN, PAYLOADS, PERSONAL, _check_inert, _parse, shown

runner = CliRunner()
TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))
MINUS = "\u2212"
NUMBER = r"[\u2212-]?\d+(?:\.\d+)?"


def _num(text: str) -> float:
    return float(text.replace(MINUS, "-"))


@pytest.fixture(scope="module")
def report(sample_report) -> tuple[str, str, str]:
    """One run of the real notebook for 2026-10 on the sample: (HTML, its text, the wiki page)."""
    folder = sample_report("monthly_retro", "2026-10")
    html = (folder / "monthly_retro.html").read_text(encoding="utf-8")
    md = (folder / "monthly_retro.md").read_text(encoding="utf-8")
    return html, "".join(_parse(html).text), md


def test_report_and_wiki_page_are_published_with_every_section(report):
    html, text, md = report
    assert "analyse_retro(" not in html and not re.search(r"(src|href)=\"https?://", html)
    # small multiples, NPS, retention, feedback by theme, by channel; plus 9 sparklines and 9 status badges (8 KPIs and churn)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 5 + 9 + 9
    for heading in ["The month in five sentences", "KPI scorecard against the plan", "NPS", "Retention",
                    "The feedback loop", "Top themes", "You said, we did", "Rollouts", "Actions with owners"]:
        assert heading in text, heading
    assert md.startswith("# User engineering monthly retro: 2026\\-10")
    for heading in ["## The month in five sentences", "## KPI scorecard against the plan", "## NPS",
                    "## Feedback loop", "## Top themes", "## You said, we did", "## Rollouts", "## Actions"]:
        assert heading in md, heading
    assert "| Goal | Owner | Due |" in md and "\U0001F534 OFF TRACK" in md  # the scorecard, status marked
    assert "Rows read" in text and "events: " in text


def test_the_planted_nps_shift_is_recovered(report):
    _, text, md = report
    design = TRUTH["nps"]["design"]["2026-10"]["nps"]
    for page in (text, md):
        page = page.replace("\\", "")
        found = re.search(rf"NPS was \*?\*?({NUMBER})\*?\*? in 2026-10 \(95% CI ({NUMBER}) to ({NUMBER}).*?"
                          rf"significantly down \d+ points from 2026-09 \(95% CI ({NUMBER}) to ({NUMBER})\)", page)
        assert found, page[:2000]
        low, high, change_low, change_high = map(_num, found.groups()[1:])
        assert low <= design <= high  # the design's October NPS inside the October interval
        assert change_low < change_high < 0  # the shift from September excludes 0


def test_the_rollout_is_shipped_with_the_model_expected_conversions_inside_the_intervals(report):
    _, text, md = report
    realised = TRUTH["rollout"]["realised"]
    for page in (text, md.replace("\\", "")):
        arms = re.findall(rf"({NUMBER})% \(({NUMBER})% to ({NUMBER})%\), n=([\d,]+)", page)
        assert len(arms) >= 2, page
        for arm, (value, low, high, n) in zip(("control", "treatment"), arms[:2]):
            truth = realised[arm]
            assert int(n.replace(",", "")) == truth["carts_after_assignment"]
            assert _num(low) / 100 <= truth["model_expected_conversion"] <= _num(high) / 100, (arm, value, low, high)
        assert "one_tap_checkout: **ship**" in page or "one_tap_checkout: ship" in page
    assert "No sample ratio mismatch" in text


def test_the_feedback_spike_and_the_classifier_accuracy_are_reported(report, sample_report):
    _, text, md = report
    spike = TRUTH["feedback"]["spike"]
    for page in (text, md.replace("\\", "")):
        assert f"The sharpest spike of the last months: {spike['theme']} in {spike['month']}" in page.replace("*", "")
        assert re.search(r"held-out labelled items .* the character n-gram classifier was right \d+% of the time "
                         r"\(95% CI \d+%", page.replace("&#58;", ":")), page[:300]
    headline = json.loads((sample_report("monthly_retro", "2026-10") / "monthly_retro.headline.json").read_text(
        encoding="utf-8"))["headline"]  # the headline numbers, beside the report (not in it)
    assert headline[f"top theme {spike['month']}"].startswith(f"{spike['theme']} (")


def test_the_top_theme_of_the_spike_month_is_the_planted_one():
    config = load_config(CONFIG_PATH)
    privacy.use(config.privacy)
    spike = TRUTH["feedback"]["spike"]
    analysis = analyse_retro(load(config, tables=["events", "feedback", "nps"]), config, spike["month"])
    assert analysis.themes.iloc[0]["category"] == spike["theme"]
    low = analysis.themes.iloc[0]["share_low"]
    assert low > analysis.themes.iloc[1]["share_high"]  # clearly ahead of the second theme


def test_no_planted_personal_value_and_no_raw_user_id_is_shown(report):
    html, text, md = report
    planted = TRUTH["feedback"]["planted_personal_values"]["values"]
    values = [v for kind in planted.values() for v in kind]
    for name, page in (("html", html), ("md", md)):
        leaked = [v for v in values if v in page]
        assert not leaked, (name, leaked[:3])
    _check_inert(html, _parse(html))
    user_id = re.compile(r"(?<![\d*])0\d{6}(?![\d*])")  # the sample's ids: seven digits, zero-padded
    assert not user_id.search(text) and not user_id.search(md), (user_id.findall(text)[:3], user_id.findall(md)[:3])
    assert "****" in md.replace("\\", "")  # quotes with phone numbers are shown masked, not dropped


def test_a_month_without_data_says_so(tmp_path):
    result = runner.invoke(app, ["run", "monthly_retro", "--period", "2025-01", "--config", str(CONFIG_PATH),
                                 "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "2025-01" / "monthly_retro.html").read_text(encoding="utf-8")
    md = (tmp_path / "2025-01" / "monthly_retro.md").read_text(encoding="utf-8")
    message = "nothing happened in 2025-01 in the configured sources"
    assert message in "".join(_parse(html).text) and message in md.replace("\\", "")
    status = json.loads((tmp_path / "2025-01" / "monthly_retro.status.json").read_text(encoding="utf-8"))
    assert status["status"] == "no data"


def _hostile_case(root: Path) -> tuple[Path, dict[str, str]]:
    """Two months of events, feedback, NPS, carts and a rollout whose every text is hostile; a config and a plan."""
    rng = np.random.default_rng(3)
    t = {name: f"{payload} {personal}" for name, payload, personal in zip(
        ["channel", "theme", "touchpoint", "owner", "experiment", "quote", "resolution"], PAYLOADS, PERSONAL * 2)}
    for name in ("quote", "owner", "theme"):  # invisible characters too: bidi override, zero-width space, isolates
        t[name] = f"{t[name]} {PAYLOADS[-1]}"
    users = [f"U{i:04d}" for i in range(60)]
    events, feedback, nps, carts, assigned = [], [], [], [], []
    for month in ("2026-09", "2026-10"):
        start = pd.Timestamp(f"{month}-01 09:00")
        for i, user in enumerate(users):
            day = start + pd.Timedelta(days=int(rng.integers(0, 28)))
            events += [{"user_id": user, "timestamp": day + pd.Timedelta(minutes=k), "event": e}
                       for k, e in enumerate(["app_open", "product_view", "cart_view"])]
            created = day + pd.Timedelta(hours=1)
            carts.append({"cart_id": f"C{len(carts):05d}", "user_id": user, "created_at": created,
                          "cart_value": 100.0, "checked_out_at": created if rng.random() < 0.4 else pd.NaT,
                          "order_value": 100.0})
            nps.append({"response_id": f"R{len(nps):05d}", "user_id": user, "answered_at": created,
                        "score": int(rng.integers(0, 11)), "touchpoint": t["touchpoint"]})
            feedback.append({"feedback_id": f"F{len(feedback):05d}", "created_at": created, "channel": t["channel"],
                             "text": f"slowpoke {t['quote']}", "status": "resolved",
                             "first_reply_at": created + pd.Timedelta(hours=2),
                             "resolved_at": created + pd.Timedelta(hours=5), "resolution": t["resolution"]})
    for i, user in enumerate(users):
        assigned.append({"user_id": user, "experiment": t["experiment"], "variant": "treatment" if i % 2 else "control",
                         "assigned_at": pd.Timestamp("2026-09-01")})
    for name, rows in (("events", events), ("feedback", feedback), ("nps", nps), ("carts", carts),
                       ("assignments", assigned)):
        pd.DataFrame(rows).to_parquet(root / f"{name}.parquet", index=False)
    plan = {"goals": [{"metric": "nps", "baseline": 10, "target": 40, "owner": t["owner"], "due": "2026-12-31"},
                      {"metric": "cart_conversion", "baseline": 0.5, "target": 0.6, "owner": t["owner"],
                       "due": "2026-12-31"}]}
    (root / "plan.yml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    config = {"sources": {name: {"path": f"{name}.parquet"} for name in
                          ("events", "feedback", "nps", "carts", "assignments")},
              "plan": "plan.yml", "feedback_taxonomy": {t["theme"]: ["slowpoke"]},
              "rollouts": {t["experiment"]: {"expected_shares": {"control": 0.5, "treatment": 0.5}}},
              "report": {"output_dir": "reports"}}
    (root / "uem.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root / "uem.yml", t


def test_hostile_text_stays_inert_and_masked_in_the_report_and_the_wiki_page(tmp_path):
    config, texts = _hostile_case(tmp_path)
    result = runner.invoke(app, ["run", "monthly_retro", "--period", "2026-10", "--config", str(config),
                                 "--output-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "reports" / "2026-10" / "monthly_retro.html").read_text(encoding="utf-8")
    md = (tmp_path / "reports" / "2026-10" / "monthly_retro.md").read_text(encoding="utf-8")
    page = _parse(html)
    _check_inert(html, page)
    text = "".join(page.text)
    for value in PERSONAL:
        assert value not in html and value not in text and value not in md, value
    assert shown(texts["quote"]) in text  # quotes shown as masked literal text, hidden characters visible
    assert shown(texts["owner"]) in text  # the owner in the scorecard and the actions
    data = re.sub(r'<script class="uem-plotly-js">.*?</script>', "", html, flags=re.S)
    assert not HIDDEN.search(data) and not HIDDEN.search(md), "an invisible character reached the report or wiki"
    for payload in PAYLOADS:  # no payload survives as markup in the wiki page
        if "<" in payload:
            assert payload.split(" ")[0] not in md, payload
    assert "javascript:" not in md.lower()
