"""Charts draw, carry titles and units, render Chinese (no missing glyph) and show '$' literally."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.present import plots  # noqa: E402

STEPS = ["开始开户", "info_submitted", "id_verified"]


@pytest.fixture(autouse=True)
def style():
    plots.use_report_style()
    yield
    plt.close("all")


def readout(segment=None):
    frame = pd.DataFrame({
        "step_index": [1, 2, 3], "step": STEPS, "entered": [100] * 3, "reached": [100, 80, 40],
        "conversion": [1.0, 0.8, 0.4], "conversion_low": [0.96, 0.71, 0.31], "conversion_high": [1.0, 0.87, 0.5],
        "step_conversion": [1.0, 0.8, 0.5], "step_conversion_low": [0.96, 0.71, 0.39],
        "step_conversion_high": [1.0, 0.87, 0.61], "median_seconds": [np.nan, 30.0, 300.0],
    })
    if segment:
        frame[segment] = "广东"
    return frame


def draw(ax):
    """Render fully, turning a missing-glyph warning into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        ax.figure.canvas.draw()
    return ax


def test_a_cjk_font_is_installed_and_selected():
    assert plots.cjk_font() is not None, "no CJK font: the Makefile installs fonts-wqy-microhei"
    assert plt.rcParams["font.sans-serif"][0] == plots.cjk_font()


def test_funnel_chart_labels_percentages_and_chinese():
    ax = draw(plots.funnel_chart(readout()))
    texts = [t.get_text() for t in ax.texts]
    assert "40%  (40 users)" in texts
    assert "1. 开始开户" in [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_title() and "95% CI" in ax.get_xlabel()


def completion_times(n: int = 200) -> pd.DataFrame:
    """Completion times of ``n`` starters over August 2026 (seeded), as ``completion_times`` returns them."""
    rng = np.random.default_rng(0)
    entered = [datetime(2026, 8, 1) + timedelta(days=int(d)) for d in rng.integers(0, 30, n)]
    times = pd.DataFrame({
        "entered_at": pd.to_datetime(entered), "completed": rng.random(n) < 0.7,
        "seconds_from_previous_2": rng.exponential(60, n), "seconds_from_previous_3": rng.exponential(300, n),
    })
    times["seconds_to_complete"] = times["seconds_from_previous_2"] + times["seconds_from_previous_3"]
    return times


def test_step_times_and_before_after_distributions():
    times = completion_times()
    ax = draw(plots.step_times(times, STEPS))
    assert "Minutes" in ax.get_xlabel()
    ax = draw(plots.completion_time_before_after(times, "2026-08-15"))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("before launch (n=") and legend[1].startswith("after launch (n=")


def test_daily_rate_marks_the_launch():
    daily = pd.DataFrame({"date": pd.date_range("2026-08-01", periods=30), "rate": 0.5,
                          "rate_7d": 0.5, "rate_7d_low": 0.4, "rate_7d_high": 0.6})
    ax = draw(plots.daily_rate(daily, launch_date="2026-08-15"))
    assert any(t.get_text() == "launch" for t in ax.texts)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["daily", "7-day 95% CI", "7-day rate"]


def test_compare_steps_and_segments():
    ax = draw(plots.compare_steps(readout(), readout()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["before", "after"]
    seg = readout("region")
    ax = draw(plots.segment_conversion(seg, "region"))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["广东"]


def test_dollar_signs_from_data_are_literal():
    frame = readout()
    frame["step"] = ["$9.99 vs $19.99", "Ba$$in", "x"]
    ax = draw(plots.funnel_chart(frame))
    assert "1. \\$9.99 vs \\$19.99" in [t.get_text() for t in ax.get_yticklabels()]
