"""Journey charts: known labels, titles and values on small hand-made frames; hostile text stays inert.

Frames are written here in the shape of the journey analyses' outputs
(uem_helpers.analyses.journey.flow, journey_map, incidents), so these tests do not run them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from uem_helpers.present.plots import plain  # noqa: E402
from uem_helpers.present import plots  # noqa: E402
from uem_helpers.core.errors import ContractError, ParameterError  # noqa: E402

END = "(session end)"
HOSTILE = '<a href="javascript:alert(1)">x</a> 13800138000'


@pytest.fixture(autouse=True)
def style():
    plots.use_report_style()
    yield
    plt.close("all")


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_end_names_match_the_analyses():
    from uem_helpers.analyses.sessions import SESSION_END

    assert jp.SESSION_END == SESSION_END
    journey = pytest.importorskip("uem_helpers.analyses.journey.flow")
    assert jp.USER_END == journey.USER_END


def test_plotly_text_masks_then_escapes():
    assert jp.plotly_text(HOSTILE) == '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt; 138****8000'
    assert jp.plotly_text("R&D") == "R&amp;D"
    assert jp.plotly_text(None) == "" and jp.plotly_text(float("nan")) == ""


# --------------------------------------------------------------------------- Sankey

# 100 sessions start at app_open: 60 go home (then 40 search, 20 end), 25 search (all end), 15 end at once.
LINKS = pd.DataFrame({
    "step": [1, 1, 1, 2, 2, 2],
    "source": ["app_open", "app_open", "app_open", "home", "home", "search"],
    "target": ["home", "search", END, "search", END, END],
    "sessions": [60, 25, 15, 40, 20, 25],
})


def test_sankey_nodes_are_steps_with_exits_in_red_and_known_shares():
    fig = jp.sankey(LINKS)
    assert isinstance(fig, go.Figure)
    trace = fig.data[0]
    labels = list(trace.node.label)
    assert labels == ["step 1: app_open", "step 2: home", "step 2: search", f"step 2: {END}",
                      "step 3: search", f"step 3: {END}"]
    colors = dict(zip(labels, trace.node.color))
    assert colors[f"step 2: {END}"] == colors[f"step 3: {END}"] == plots.ACCENT
    assert colors["step 1: app_open"] == plots.MAIN
    link = trace.link
    pairs = [(labels[s], labels[t]) for s, t in zip(link.source, link.target)]
    assert pairs[0] == ("step 1: app_open", "step 2: home")
    assert pairs[4] == ("step 2: home", f"step 3: {END}")
    np.testing.assert_allclose(link.value, [60, 25, 15, 40, 20, 25])
    # Share of the source node's sessions: 60/100, 25/100, 15/100, 40/60, 20/60, 25/25.
    np.testing.assert_allclose(link.customdata, [0.6, 0.25, 0.15, 2 / 3, 1 / 3, 1.0])
    assert "%{customdata:.0%}" in link.hovertemplate and "<extra></extra>" in link.hovertemplate
    assert trace.node.hovertemplate == "%{label}<br>%{value:,} sessions<extra></extra>"
    # 15 + 20 + 25 = 60 of 100 sessions end within the 3 steps shown.
    assert fig.layout.title.text == "The first 3 steps from 'app_open': 60% of sessions end within them (red)"


def test_sankey_labels_and_title_are_masked_and_escaped():
    links = LINKS.replace({"search": HOSTILE})
    fig = jp.sankey(links, title=f"Flows <b>{HOSTILE}</b>")
    labels = list(fig.data[0].node.label)
    safe = '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt; 138****8000'
    assert f"step 2: {safe}" in labels and f"step 3: {safe}" in labels
    assert fig.layout.title.text == f"Flows &lt;b&gt;{safe}&lt;/b&gt;"
    assert "13800138000" not in fig.to_json() and "<a " not in fig.to_json()


def test_sankey_other_is_grey_and_empty_links_say_so():
    links = pd.DataFrame({"step": [1, 1], "source": ["a", "a"], "target": ["(other)", END], "sessions": [5, 5]})
    trace = jp.sankey(links).data[0]
    assert dict(zip(trace.node.label, trace.node.color))["step 2: (other)"] == jp.GREY
    empty = jp.sankey(LINKS.iloc[0:0])
    assert "No sessions" in empty.layout.annotations[0].text


def test_sankey_names_a_wrong_frame():
    with pytest.raises(ContractError, match="sankey links.*'sessions'.*sankey_links"):
        jp.sankey(LINKS.drop(columns="sessions"))
    with pytest.raises(ParameterError, match="DataFrame"):
        jp.sankey([1, 2])


# --------------------------------------------------------------------------- journey map

MAP = pd.DataFrame({
    "stage": ["发现", "发现", "service"],
    "touchpoint": ["app_open", "search $9.99", "customer_service"],
    "exit_rate": [0.10, 0.25, 0.65],
    "median_dwell_seconds": [30.0, 90.0, 480.0],
    "nps": [20.0, np.nan, -35.0],
    "users": [1000, 400, 120],
})


def test_journey_heatmap_annotates_cells_and_names_the_worst_touchpoint():
    ax = jp.journey_heatmap(MAP)
    assert ticks(ax.get_yticklabels()) == ["app_open", r"search \$9.99", "customer_service"]
    assert ticks(ax.get_xticklabels()) == ["发现", "service"]
    assert sorted(t for t in texts(ax) if t) == ["10%", "25%", "65%"]
    assert ax.get_title() == "Exit rate by stage and touchpoint: highest at 'customer_service' (65%)"
    ax.figure.canvas.draw()  # CJK glyphs render (a missing glyph warning fails the test run)


def test_journey_heatmap_other_values_and_a_journey_map_object():
    class JourneyMapLike:
        table = MAP

    dwell = jp.journey_heatmap(JourneyMapLike(), "median_dwell_seconds")
    assert sorted(t for t in texts(dwell) if t) == ["1.5 min", "30 s", "8.0 min"]
    nps = jp.journey_heatmap(MAP, "nps")
    assert sorted(t for t in texts(nps) if t) == ["+20", "-35"]
    assert nps.get_title().endswith("lowest at 'customer_service' (-35)")
    with pytest.raises(ParameterError, match="value='exit' is not a column.*exit_rate"):
        jp.journey_heatmap(MAP, "exit")


# --------------------------------------------------------------------------- transitions, loops

# Row shares: a -> b 50%, a -> c 30%, a -> end 20%; b -> a 10%, b -> end 90%; c -> a 100%.
TRANSITIONS = pd.DataFrame({
    "source": ["a", "a", "a", "b", "b", "c"],
    "target": ["b", "c", END, "a", END, "a"],
    "transitions": [50, 30, 20, 10, 90, 5],
    "share": [0.5, 0.3, 0.2, 0.1, 0.9, 1.0],
})


def test_transition_heatmap_puts_the_exit_column_last_and_names_the_worst_exit():
    ax = jp.transition_heatmap(TRANSITIONS)
    assert ticks(ax.get_yticklabels()) == ["a", "b", "c"]  # by outgoing transitions: 100, 100, 5
    assert ticks(ax.get_xticklabels()) == ["a", "b", "c", END]
    assert to_hex(ax.get_xticklabels()[-1].get_color()) == plots.ACCENT
    # Row-major cells; empty where no transition.
    assert texts(ax) == ["", "50%", "30%", "20%", "10%", "", "", "90%", "100%", "", "", ""]
    assert ax.get_title() == "Next step after each event: sessions end most often after 'b' (90% of its next steps)"


def test_transition_heatmap_top_n_keeps_the_exit_column():
    ax = jp.transition_heatmap(TRANSITIONS, top_n=1)
    assert ticks(ax.get_yticklabels()) == ["a"]
    assert ticks(ax.get_xticklabels()) == ["b", END]
    with pytest.raises(ParameterError, match="top_n must be a positive whole number; got 0"):
        jp.transition_heatmap(TRANSITIONS, top_n=0)
    empty = jp.transition_heatmap(TRANSITIONS.iloc[0:0])
    assert texts(empty) == ["No transitions in the period."]


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


# --------------------------------------------------------------------------- bottlenecks, segments, incidents

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


def _chart() -> pd.DataFrame:
    """Ten days of 100 payments each; 75% convert, except 15% on 2026-09-18 and 2026-09-19."""
    dates = pd.date_range("2026-09-14", periods=10, freq="D")
    successes = np.array([75, 75, 75, 75, 15, 15, 75, 75, 75, 75])
    center = successes.sum() / 1000  # 0.63
    half = 3 * np.sqrt(center * (1 - center) / 100)
    rate = successes / 100
    outside = np.where(rate < center - half, "below", None)
    return pd.DataFrame({"date": dates.date, "step": "payment → order_success", "trials": 100,
                         "successes": successes, "rate": rate, "center": center, "lcl": center - half,
                         "ucl": center + half, "outside": outside})


def test_p_chart_marks_and_dates_the_days_below_the_limits():
    ax = jp.p_chart(_chart())
    assert ax.get_title() == "'payment → order_success': 2 days below the control limits (2026-09-18–09-19)"
    assert "2026-09-18–09-19" in texts(ax)
    below = [c for c in ax.collections if c.get_label() == "below the limits"][0]
    np.testing.assert_allclose(below.get_offsets()[:, 1], [0.15, 0.15])
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def test_p_chart_step_choice_is_checked():
    two = pd.concat([_chart(), _chart().assign(step="cart → checkout")])
    with pytest.raises(ParameterError, match="pass step= one of: payment → order_success, cart → checkout"):
        jp.p_chart(two)
    with pytest.raises(ParameterError, match="step='x' is not in the chart"):
        jp.p_chart(two, "x")
    calm = jp.p_chart(two.assign(outside=None), "cart → checkout")
    assert calm.get_title() == "'cart → checkout': no day below the control limits"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(list("<>&/\"'= abj:") + ["<a", "<br>", "&lt;", " 13800138000 "]),
                        min_size=1, max_size=12).map("".join), min_size=1, max_size=3))
def test_no_sankey_label_holds_a_tag_whatever_the_event_names(names):
    """Property: plotly reads no markup in any node label or title, and no phone is left."""
    links = pd.DataFrame({"step": [1] * len(names), "source": "start", "target": names, "sessions": 1})
    fig = jp.sankey(links)
    for text in [*fig.data[0].node.label, fig.layout.title.text]:
        assert "<" not in text and ">" not in text
        assert "13800138000" not in text


def test_heatmaps_draw_dollar_signs_in_names_literally():
    # found by the hostile-input test: seaborn measured the raw labels, and "$...$" parsed as math
    name = "$9.99 vs $19.99 Ba$$in"
    table = pd.DataFrame({"stage": ["start", f"s {name}"], "touchpoint": ["home", name], "exit_rate": [0.1, 0.2]})
    ax = jp.journey_heatmap(table)
    ax.figure.canvas.draw()
    assert plain(name) in [t.get_text() for t in ax.get_yticklabels()]
    moves = pd.DataFrame({"source": ["home", name], "target": [name, "(session end)"], "transitions": [5, 5],
                          "share": [1.0, 1.0]})
    jp.transition_heatmap(moves).figure.canvas.draw()
    plt.close("all")
