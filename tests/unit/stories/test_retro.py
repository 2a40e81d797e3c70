"""The monthly retro's composition and its words, tables and wiki page, on tiny tables with hand-counted answers."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from uem_helpers.present import privacy, retro as retro_report
from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ParameterError
from uem_helpers.stories.retro import analyse_retro, month_rows
from uem_helpers.data.sources import from_frames

T = pd.Timestamp
OWNER = "<b>Wang</b> 13812345678"
QUOTE = "运费太贵 <script>alert(1)</script> call 13912345678"


@pytest.fixture(autouse=True)
def _policy():
    privacy.use(None)


def _config(tmp_path, plan=True, **extra):
    goals = [{"metric": "nps", "baseline": 10, "target": 40, "owner": OWNER, "due": "2026-12-31"},
             {"metric": "cart_conversion", "baseline": 0.2, "target": 0.3, "owner": "Li", "due": "2026-12-31"}]
    (tmp_path / "plan.yml").write_text(yaml.safe_dump({"goals": goals}, allow_unicode=True), encoding="utf-8")
    config = {"sources": {"events": {"path": "events.parquet"}},
              "feedback_taxonomy": {"shipping": ["运费", "shipping"], "payment": ["支付", "payment"]},
              "metrics": {"feedback_sla_hours": 12}, **({"plan": "plan.yml"} if plan else {}), **extra}
    (tmp_path / "uem.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return load_config(tmp_path / "uem.yml")


def _frames():
    events = pd.DataFrame(
        [(f"u{i}", T(f"2026-{m}-{d:02d} 10:00"), "app_open")
         for i in range(4) for m, d in (("09", 3 + i), ("10", 5 + i))],
        columns=["user_id", "timestamp", "event"])
    # September: 10, 10, 9, 8 -> NPS 75; October: 9, 3, 2, 0 -> 1 promoter, 3 detractors of 4 = -50
    nps = pd.DataFrame({"response_id": [f"r{i}" for i in range(8)], "user_id": [f"u{i % 4}" for i in range(8)],
                        "answered_at": [T("2026-09-10")] * 4 + [T("2026-10-10")] * 4,
                        "score": [10, 10, 9, 8, 9, 3, 2, 0]})
    # October: 3 shipping items (one quoted with personal data and markup), 1 payment; September: 1 payment
    feedback = pd.DataFrame({
        "feedback_id": [f"f{i}" for i in range(5)], "channel": ["app", "app", "email", "app", "store"],
        "text": [QUOTE, "运费 again", "shipping is slow", "支付 failed", "payment failed"],
        "created_at": [T("2026-10-02"), T("2026-10-03"), T("2026-10-04"), T("2026-10-05"), T("2026-09-05")],
        "first_reply_at": [T("2026-10-02 02:00"), T("2026-10-04 00:00"), pd.NaT, T("2026-10-05 01:00"),
                           T("2026-09-05 01:00")],
        "resolved_at": [pd.NaT] * 5,
    })
    carts = pd.DataFrame({"cart_id": ["c1", "c2", "c3", "c4"], "user_id": ["u0", "u1", "u2", "u3"],
                          "created_at": [T("2026-10-02"), T("2026-10-03"), T("2026-09-03"), T("2026-09-04")],
                          "cart_value": [10.0] * 4,
                          "checked_out_at": [T("2026-10-02 01:00"), pd.NaT, pd.NaT, pd.NaT]})
    return {"events": events, "nps": nps, "feedback": feedback, "carts": carts}


def test_every_section_on_tiny_tables(tmp_path):
    a = analyse_retro(from_frames(_frames()), _config(tmp_path), "2026-10")
    assert (a.month, a.last_month, a.events, a.sla_hours) == ("2026-10", "2026-09", 4, 12.0)
    nps = a.nps_monthly.set_index("month")["nps"]
    assert nps["2026-09"] == pytest.approx(75) and nps["2026-10"] == pytest.approx(-50)
    assert list(a.scorecard["metric"]) == ["nps", "cart_conversion"]
    assert a.scorecard.set_index("metric").loc["nps", "status"] == "off track"  # -50 against 10 -> 40
    assert a.themes.iloc[0]["category"] == "shipping" and int(a.themes.iloc[0]["items"]) == 3
    assert int(a.loop.summary.set_index("channel").loc["all", "items"]) == 4
    assert a.rollouts == () and "rollouts:" in a.notes["rollouts"]
    assert month_rows(from_frames(_frames()), "2026-10") == {"events": 4, "carts": 2, "feedback": 4, "nps": 4}


def test_words_tables_and_wiki_page_mask_and_escape_data_text(tmp_path):
    a = analyse_retro(from_frames(_frames()), _config(tmp_path), "2026-10")
    nps = retro_report.nps_finding(a)
    assert nps.startswith("NPS was **\u221250** in 2026\\-10") and "down 125 points from 2026\\-09" in nps
    page = retro_report.wiki_page(a)
    assert "13812345678" not in page and "13912345678" not in page
    assert "<script>" not in page and "<b>" not in page and "&lt;b&gt;" in page
    assert "| Goal | Owner |" in page and "\U0001F534 OFF TRACK" in page
    html = retro_report.scorecard_html(a)._repr_html_()
    assert "<b>Wang" not in html and "&lt;b&gt;Wang" in html and "13812345678" not in html
    actions = retro_report.actions(a)
    assert privacy.mask_text(OWNER) in set(actions["Owner"])  # the off-track goal's owner
    assert any("shipping" in x for x in actions["Action"])  # the top feedback theme
    themes = retro_report.themes_table(a)._repr_html_()
    assert "13912345678" not in themes and "<script>" not in themes


def test_missing_inputs_empty_their_sections_with_a_reason(tmp_path):
    frames = _frames()
    a = analyse_retro(from_frames({"events": frames["events"]}), _config(tmp_path, plan=False), "2026-10")
    assert a.scorecard is None and a.nps_monthly is None and a.classified is None and a.rollouts == ()
    assert {"plan", "nps", "feedback", "rollouts"} <= set(a.notes)
    assert retro_report.scorecard_finding(a).startswith("No annual plan is configured")
    assert "sources.feedback" in retro_report.feedback_finding(a)
    assert "## Actions" in retro_report.wiki_page(a)


def test_a_month_without_data_gives_a_clear_message(tmp_path):
    a = analyse_retro(from_frames(_frames()), _config(tmp_path), "2025-01")
    assert not a.has_data
    assert "nothing happened in 2025\\-01" in retro_report.month_in_five(a)
    assert "nothing happened in 2025\\-01" in retro_report.wiki_page(a)
    assert retro_report.headline(a) == "no data"


def test_sla_hours_default_and_bad_value(tmp_path):
    data, config = from_frames(_frames()), _config(tmp_path)
    assert analyse_retro(data, config, "2026-10", sla_hours=0).sla_hours == 12.0  # 0/None: the config's
    assert analyse_retro(data, config, "2026-10", sla_hours=48).sla_hours == 48.0
    with pytest.raises(ParameterError, match="sla_hours=-1"):
        analyse_retro(data, config, "2026-10", sla_hours=-1)
