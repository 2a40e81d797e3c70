"""Loops: a known answer on a hand-made log, the sample's planted loop first."""

from __future__ import annotations

import pytest

from tests.unit.analyses.journey.hand_made import log, sample  # noqa: F401 (a fixture)
from uem_helpers.analyses.journey import loops
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.core.errors import ParameterError

LOOP_LOG = [
    ("u1", 0, "pv"), ("u1", 5, "sg"), ("u1", 9, "pv"), ("u1", 12, "sg"), ("u1", 15, "pv"), ("u1", 20, "buy"),
    ("u2", 0, "pv"), ("u2", 5, "sg"), ("u2", 9, "pv"),                                  # loops, no buy
    ("u3", 0, "pv"), ("u3", 5, "rv"), ("u3", 8, "sg"), ("u3", 9, "pv"), ("u3", 30, "buy"),  # length-3 loop
    ("u4", 0, "pv"), ("u4", 3, "pv"), ("u4", 5, "buy"),                                 # a repeat is no loop
    ("u5", 0, "pv"), ("u5", 4, "sg"),                                                   # no loop, no buy
]


def test_loops_known_answer():
    out = loops(prepare_sessions(log(LOOP_LOG)), max_length=3, conversion_event="buy", min_users=1).set_index("loop")
    assert out.loc["pv → sg → pv", ["users", "sessions", "occurrences", "length"]].tolist() == [2, 2, 3, 2]
    assert out.loc["sg → pv → sg", ["users", "occurrences"]].tolist() == [1, 1]
    assert out.loc["pv → rv → sg → pv", ["users", "length"]].tolist() == [1, 3]
    assert "pv → pv" not in " ".join(out.index)
    assert out.index[0] == "pv → sg → pv"                       # most users first
    # u1 buys after the loop, u2 never: 1 of 2
    assert out.loc["pv → sg → pv", "converted_users"] == 1
    assert out.loc["pv → sg → pv", "conversion"] == pytest.approx(0.5)
    # baseline: sessions reaching pv without any loop: u4 (buys) and u5 (does not) -> 1/2
    assert out.loc["pv → sg → pv", "baseline_sessions"] == 2
    assert out.loc["pv → sg → pv", "baseline_conversion"] == pytest.approx(0.5)
    only_two = loops(prepare_sessions(log(LOOP_LOG)), max_length=2, min_users=1)
    assert set(only_two["length"]) == {2} and only_two["conversion"].isna().all()
    assert loops(prepare_sessions(log(LOOP_LOG)), min_users=3).empty
    with pytest.raises(ParameterError, match="max_length=1"):
        loops(prepare_sessions(log(LOOP_LOG)), max_length=1)


def test_sample_loop_product_view_size_guide_ranks_first(sample):
    events, _ = sample
    out = loops(prepare_sessions(events), conversion_event="order_success")
    assert out["loop"].iloc[0] == "product_view → size_guide → product_view"
