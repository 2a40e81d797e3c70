"""Bar charts: loops against the no-loop baseline, bottlenecks with dwell, segment differences."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from uem_helpers.present import plots  # noqa: E402
from uem_helpers.core.errors import ContractError, ParameterError  # noqa: E402
from tests.unit.present.journey._charts import END, texts, ticks  # noqa: E402


# --------------------------------------------------------------------------- loops

LOOPS = pd.DataFrame({
    "loop": ["product_view → size_guide → product_view", "search → list → search", "a → b → a"],
    "length": [2, 2, 2], "users": [300, 50, 4], "sessions": [320, 55, 4], "occurrences": [500, 60, 4],
    "session_conversion": [0.10, 0.30, 0.25], "session_conversion_low": [0.07, 0.19, 0.05],
    "session_conversion_high": [0.14, 0.44, 0.70], "baseline_conversion": [0.40, 0.20, 0.40],
    "baseline_low": [0.38, 0.18, 0.38], "baseline_high": [0.42, 0.22, 0.42],
})


def test_loop_bars_compare_with_the_no_loop_baseline_and_hide_small_loops():
    ax = jp.loop_bars(LOOPS)
    assert ticks(ax.get_yticklabels()) == ["product_view → size_guide → product_view", "search → list → search"]
    assert "10% of 320 sessions (no loop: 40%)" in texts(ax) and "30% of 55 sessions (no loop: 20%)" in texts(ax)
    assert "fewer than 10 users not shown" in ax.get_xlabel()  # "a → b → a" has 4 users
    assert ax.get_title() == ("Sessions with 'product_view → size_guide → product_view' convert at 10% "
                              "vs 40% without a loop")


def test_loop_bars_count_users_without_a_conversion_event():
    ax = jp.loop_bars(LOOPS.assign(session_conversion=np.nan))
    assert ax.get_xlabel().startswith("Users who made the loop")
    assert ax.get_title() == "Most common loop: 'product_view → size_guide → product_view' (300 users)"
    assert texts(jp.loop_bars(LOOPS[LOOPS["users"] < 10])) == ["No loop made by at least 10 users in the period."]


# --------------------------------------------------------------------------- bottlenecks, segments

BOTTLENECKS = pd.DataFrame({
    "rank": [2, 1], "touchpoint": ["payment", "customer_service"], "exit_rate": [0.3, 0.65],
    "exit_low": [0.27, 0.62], "exit_high": [0.33, 0.68], "mean_dwell_seconds": [90.0, 480.0],
    "dwell_low": [80.0, 460.0], "dwell_high": [100.0, 500.0], "users_lost": [800, 2900],
})


def test_bottleneck_chart_ranks_touchpoints_with_exit_rate_and_dwell_panels():
    ax = jp.bottleneck_chart(BOTTLENECKS)
    assert ticks(ax.get_yticklabels()) == ["customer_service", "payment"]  # by rank
    assert "65%  (2,900 users lost)" in texts(ax)
    assert texts(ax.dwell_axes) == ["  8.0 min", "  1.5 min"]
    x, _ = ax.dwell_axes.lines[0].get_data()
    np.testing.assert_allclose(x, [8.0, 1.5])  # minutes
    assert ax.get_title(loc="left") == ("Bottleneck #1: 'customer_service', 65% of its events end the session, "
                              "mean dwell 8.0 min")
    with pytest.raises(ContractError, match="'dwell_low'"):
        jp.bottleneck_chart(BOTTLENECKS.drop(columns=["dwell_low"]))


DIFF = pd.DataFrame({
    "source": ["home", "payment", "search"], "target": ["search", "order_success", END],
    "transitions_a": [400, 300, 200], "share_a": [0.40, 0.75, 0.20], "transitions_b": [350, 280, 150],
    "share_b": [0.30, 0.74, 0.22], "difference": [-0.10, -0.01, 0.02], "ci_low": [-0.14, -0.05, -0.01],
    "ci_high": [-0.06, 0.03, 0.05], "p_value": [0.0001, 0.6, 0.2], "q_value": [0.0003, 0.6, 0.3],
    "significant": [True, False, False],
})


def test_segment_diff_chart_highlights_significant_differences():
    ax = jp.segment_diff_chart(DIFF, labels=("iOS", "Android"))
    assert ticks(ax.get_yticklabels()) == ["home → search", f"search → {END}", "payment → order_success"]
    right = ax.figure.axes[-1]
    assert ticks(right.get_yticklabels())[0] == "iOS 40% · Android 30%"
    significant = ax.containers[0]
    assert to_hex(significant.lines[0].get_color()) == plots.ACCENT
    np.testing.assert_allclose(significant.lines[0].get_xdata(), [-0.10])
    assert ax.get_title() == ("1 of 3 transitions differ significantly between iOS and Android; "
                              "largest: home → search (-10 pp)")
    assert "Android − iOS" in ax.get_xlabel()
    with pytest.raises(ParameterError, match="labels must name the two segments"):
        jp.segment_diff_chart(DIFF, labels=("a",))
