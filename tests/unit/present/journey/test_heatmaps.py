"""Journey map and transition heatmaps: known labels, cell texts and titles; dollar signs stay literal."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from uem_helpers.present.plots import plain  # noqa: E402
from uem_helpers.present import plots  # noqa: E402
from uem_helpers.core.errors import ParameterError  # noqa: E402
from tests.unit.present.journey._charts import END, texts, ticks  # noqa: E402


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


# --------------------------------------------------------------------------- transitions

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
