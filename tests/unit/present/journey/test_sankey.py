"""Sankey: known nodes, colours and shares on a small hand-made frame; hostile labels stay inert."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from uem_helpers.present import plots  # noqa: E402
from uem_helpers.core.errors import ContractError, ParameterError  # noqa: E402
from tests.unit.present.journey._charts import END, HOSTILE  # noqa: E402


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
