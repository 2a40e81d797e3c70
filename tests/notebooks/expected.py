"""Notebooks under nbval: checked copies whose expected headline output comes from the ground truth.

Notebooks are committed without outputs. Before collection, :func:`write_checked_copies`
writes a copy of each notebook into ``tests/notebooks/generated/`` (git-ignored) with

- ``config_path`` pointing at the repository's ``uem.yml`` (the copy lives elsewhere),
- in English and, as ``<name>.zh.ipynb``, in Chinese (:data:`LANGUAGES`), and
- the expected output of the headline cell (tagged ``headline`` and ``nbval-check-output``)
  filled in from ``data/sample/ground_truth.json``: numbers the sample generator counted
  while it planted them, independent of the analysis helpers.

nbval (``--nbval-lax``) then runs every cell and compares the checked cell's output,
so the notebook must print exactly the planted, realised numbers. The report's HTML
leaves that cell out (the reader never sees it); the pipeline records the same numbers
in ``<notebook>.headline.json`` beside the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from uem_helpers.analyses.journey import cycle_name
from uem_helpers.pipeline.markdown_cells import translate_markdown

ROOT = Path(__file__).resolve().parents[2]
GENERATED = Path(__file__).resolve().parent / "generated"


def onboarding_headline(truth: dict) -> str:
    """What ``uem_helpers.present.onboarding.headline`` must print on the bundled sample, from the generator's own counts."""
    realised = truth["onboarding"]["realised"]
    before, after = realised["before"], realised["after"]
    abandonment = {g: 1 - r["completed"] / r["starters"] for g, r in realised.items() if g in ("before", "after")}
    return "\n".join([
        f"starters: {before['starters'] + after['starters']}",
        f"completed: {before['completed'] + after['completed']}",
        f"bottleneck: {truth['onboarding']['bottleneck_step']}",
        f"abandonment before: {abandonment['before']:.3f} after: {abandonment['after']:.3f}",
        f"mean minutes before: {before['mean_minutes_to_open']:.2f} after: {after['mean_minutes_to_open']:.2f}",
    ]) + "\n"


def churn_headline(truth: dict) -> str:
    """What ``uem_helpers.present.churn.words.headline`` must print: the past outreach's users and churned users
    per arm, as the generator counted them (no active event in the 30 days after assignment)."""
    realised = truth["churn"]["realised"]["outreach"]
    return "\n".join(f"outreach {arm}: users {realised[arm]['users']} churned {realised[arm]['churned']}"
                     for arm in ("holdout", "outreach")) + "\n"


EXPECTED = {"onboarding_funnel": onboarding_headline, "churn_warning": churn_headline}


#: Each notebook is checked in every report language: ``<name>.ipynb`` in English, ``<name>.zh.ipynb`` in Chinese
#: (its ``language`` parameter set and its Markdown cells translated, as ``uem run --language zh`` does). The
#: headline is machine-readable and the same in both.
LANGUAGES = ("en", "zh")
#: Notebooks checked in fewer languages (test time): the churn report's Chinese run is the e2e language test's.
ONLY_IN = {"churn_warning": ("en",)}


def write_checked_copies() -> list[Path]:
    """Write the checked copy of every notebook that has an expectation, in each language; return their paths."""
    truth = json.loads((ROOT / "data" / "sample" / "ground_truth.json").read_text(encoding="utf-8"))
    GENERATED.mkdir(exist_ok=True)
    written = []
    for (name, expected), language in ((item, language) for item in EXPECTED.items()
                                       for language in ONLY_IN.get(item[0], LANGUAGES)):
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert 'config_path = "../uem.yml"' in parameters.source, f"{name}: parameters cell changed; update this copy step"
        assert '\nlanguage = ""' in parameters.source, f"{name}: no language parameter; update this copy step"
        parameters.source = parameters.source.replace('"../uem.yml"', repr(str(ROOT / "uem.yml")))
        parameters.source = parameters.source.replace('\nlanguage = ""', f"\nlanguage = {language!r}")
        translate_markdown(nb, language)
        checked = [c for c in nb.cells if c.cell_type == "code" and "nbval-check-output" in c.metadata.get("tags", [])]
        assert len(checked) == 1, f"{name}: expected one cell tagged 'nbval-check-output'"
        assert "headline" in checked[0].metadata.tags, f"{name}: the checked cell is the headline cell"
        checked[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected(truth))]
        checked[0].execution_count = 1  # nbval compares only cells that look run
        path = GENERATED / (f"{name}.ipynb" if language == "en" else f"{name}.{language}.ipynb")
        nbformat.write(nb, path)
        written.append(path)
    return written


def cart_headline(truth: dict) -> str:
    """What ``cart_report.headline`` must print on the bundled sample, from the generator's own counts."""
    realised = truth["cart"]["realised"]
    before, after = realised["before"], realised["after"]
    return "\n".join([
        f"carts: {before['carts'] + after['carts']}",
        f"checked out: {before['checked_out'] + after['checked_out']}",
        f"conversion before: {before['checked_out'] / before['carts']:.4f} after: {after['checked_out'] / after['carts']:.4f}",
        f"aov before: {before['aov']:.2f} after: {after['aov']:.2f}",
        f"share in band before: {before['share_in_band']:.4f} after: {after['share_in_band']:.4f}",
    ]) + "\n"


EXPECTED["cart_abandonment"] = cart_headline


def cut_off_last_events(gap_seconds: float = 1800) -> dict[str, int]:
    """Per event: sessions of the sample whose last event (the generator's order) is that event and lies within
    the session gap of the data's last event. The generator counts them as exits; the workbench counts them as
    cut off (still open when the export stopped), so they leave the exit rate's numerator and denominator."""
    import pandas as pd

    df = pd.read_parquet(ROOT / "data" / "sample" / "events.parquet", columns=["session_id", "timestamp", "event"])
    last = df.groupby("session_id", sort=False).tail(1)  # rows are in the generator's order within a session
    late = last[(df["timestamp"].max() - last["timestamp"]).dt.total_seconds() <= gap_seconds]
    return late["event"].value_counts().to_dict()


def journey_headline(truth: dict) -> str:
    """What ``journey_report.headline`` must print on the bundled sample, from the generator's own counts
    (the bottleneck's exit rate without the sessions cut off by the end of the data, :func:`cut_off_last_events`)."""
    journey, meta = truth["journey"], truth["meta"]
    realised, bottleneck = journey["realised"], journey["bottleneck_touchpoint"]
    events = realised["events"][bottleneck]
    cut = cut_off_last_events().get(bottleneck, 0)
    exit_rate = (round(realised["exit_rate"][bottleneck] * events) - cut) / (events - cut)
    incident = realised["payment_incident"]
    start, end = truth["meta"]["launch_dates"]["payment_incident"]
    loop = journey["design"]["loop"]["touchpoints"]
    return "\n".join([
        f"events: {meta['row_counts']['events.parquet']}",
        f"sessions: {realised['sessions']}",
        f"users: {meta['users'] - meta['zero_event_users']}",
        f"bottleneck: {bottleneck} exit rate {exit_rate:.4f} "
        f"mean dwell {realised['mean_dwell_seconds'][bottleneck]:.1f} s",
        # The planted back-and-forth, named from its alphabetically first rotation (either rotation may
        # cost most: the one-pass loop and its repeated form, see docs/sample-data.md).
        f"top loop cycle: {cycle_name(' → '.join([*loop, loop[0]]))}",
        f"largest incident: payment → order_success {start} to {end}" if incident["payments_during"] else "",
    ]) + "\n"


EXPECTED["journey_analysis"] = journey_headline


def retro_headline(truth: dict) -> str:
    """What ``retro_report.headline`` must print for 2026-10 on the bundled sample, from the generator's own counts."""
    nps, feedback = truth["nps"]["realised"], truth["feedback"]["realised"]["theme_counts"]
    rollout = truth["rollout"]
    control, treatment = rollout["realised"]["control"], rollout["realised"]["treatment"]
    lines = [f"nps {month}: {nps[month]['nps']:.1f} ({nps[month]['responses']} answers)"
             for month in ("2026-09", "2026-10")]
    for month in sorted(feedback):
        top = max(sorted(feedback[month]), key=feedback[month].get)
        lines.append(f"top theme {month}: {top} ({feedback[month][top]} items)")
    lines.append(
        f"rollout {rollout['experiment']}: control {control['checked_out']}/{control['carts_after_assignment']} "
        f"({control['conversion']:.4f}) treatment {treatment['checked_out']}/{treatment['carts_after_assignment']} "
        f"({treatment['conversion']:.4f})"
    )
    return "\n".join(lines) + "\n"


EXPECTED["monthly_retro"] = retro_headline
