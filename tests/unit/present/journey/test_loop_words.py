"""The loops in words and in a table: the costliest loop named with where, when, its gap and users; only a
harmful loop is recommended for investigation."""

from __future__ import annotations

import ibis
import pytest

from tests.unit.analyses.journey.test_loops import _planted_log
from uem_helpers.analyses.journey import loops
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.present.journey import tables, words
from uem_helpers.stories.journey import JourneyAnalysis


@pytest.fixture(scope="module")
def planted():
    sessions = prepare_sessions(ibis.memtable(_planted_log()))
    return loops(sessions, conversion_event="ok", goal_events=["ok"], segment_by="platform", min_users=5)


def _analysis(found, conversion="ok") -> JourneyAnalysis:
    empty = dict.fromkeys(["journey", "bottlenecks", "transitions", "paths", "sankey", "segment_diff", "p_chart",
                           "incidents", "start_event", "segment_by", "segment_a", "segment_b", "incident_steps"])
    return JourneyAnalysis(**empty, period_start="2025-01-01", period_end="2025-03-31", max_steps=4,
                           conversion_event=conversion, events=1000, sessions=270, users=270, loops=found)


def test_the_costliest_loop_is_named_with_where_when_gap_and_users(planted):
    text = words.loops_finding(_analysis(planted))
    assert text.startswith("The loop that costs most is **ship → add → cart → ship**: **20** users in 20 sessions")
    # rates among the sessions reaching ship: 20 of 135 on android, none elsewhere; 20 of 90 in March, none before
    assert "on **android** (made by 14.8% of the sessions there that reached **ship**, against 0.0% elsewhere)" in text
    assert "in **2025\\-03** (22.2% against 0.0% in the other months)" in text
    # the baseline at the loop's platform mix: android sessions reaching ship without a loop, 43 of 55 pay
    assert "20.0% of its sessions reach **ok**" in text
    assert "against 78.2% of sessions that reached **ship** without any loop, weighted to the loop's platform mix" in text
    assert "−58.2 pts (95% CI" in text and "about **12** conversions lost" in text  # (43/55 − 4/20) × 20 = 11.6
    steps = words.next_steps(_analysis(planted))
    assert "Find out why users go round **ship → add → cart → ship** on **android** and in **2025\\-03**: " in steps
    assert "It rests on the loops finding: its sessions convert −58.2 pts" in steps
    assert "add → cart → ship → add" not in steps  # a rotation of the same cycle is not a second item


def test_a_loop_that_converts_as_well_is_never_recommended(planted):
    harmless = planted[planted["loop"] == "item → catalogue → item"]
    text = words.loops_finding(_analysis(harmless))
    assert text.startswith("No loop's sessions convert less than comparable sessions. The most common loop, "
                           "**item → catalogue → item** (**120** users): 70.0% of its sessions reach **ok**")
    assert "go round" not in words.next_steps(_analysis(harmless))
    without = words.loops_finding(_analysis(harmless.assign(difference=float("nan")), conversion=None))
    assert without == "The most common loop is **item → catalogue → item**, made by **120** users in 120 sessions."
    top = planted.iloc[:1].assign(difference=float("nan"))
    assert words.loops_finding(_analysis(top, conversion=None)).startswith(
        "The loop that stands out is **ship → add → cart → ship**, made by **20** users in 20 sessions, "
        "concentrated on **android**")


def test_the_loops_table_reads_in_rank_order_without_rotations(planted):
    table = tables.loops_table(_analysis(planted))
    assert list(table.columns) == ["Users", "Sessions", "Sessions converting (95% CI)", "Comparable, without a loop",
                                   "Gap (95% CI)", "Conversions lost", "Concentrated"]
    assert table.index[0] == "ship → add → cart → ship" and "add → cart → ship → add" not in table.index
    first = table.iloc[0]
    assert first["Concentrated"] == "android; 2025-03" and first["Conversions lost"] == "12"
    assert first["Gap (95% CI)"].startswith("−58.2 pts (")
    assert table.loc["item → catalogue → item", "Conversions lost"] == ""


def test_the_loops_chart_keeps_the_rank_order_and_drops_rotations(planted):
    from tests.unit.present.journey._charts import ticks
    from uem_helpers.present.journey import loop_bars

    labels = ticks(loop_bars(planted).get_yticklabels())
    assert labels[0] == "ship → add → cart → ship" and "add → cart → ship → add" not in labels
    assert "item → catalogue → item" in labels
