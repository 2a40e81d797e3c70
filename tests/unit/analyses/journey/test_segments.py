"""Segment diff: a planted difference is found, a null one is not; segments from events or users."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from tests.unit.analyses.journey.hand_made import log
from uem_helpers.analyses.journey import segment_diff
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.core.errors import ParameterError

def test_segment_diff_finds_a_planted_difference_and_not_a_null_one():
    rows, platform = [], []
    for i in range(120):
        seg = "ios" if i % 2 else "web"
        # web: 12 of 60 users buy after view, ios: 48 of 60; home -> view is the same in both
        last = "buy" if (i % 10 == 0 if seg == "web" else i % 10 != 1) else None
        user = [(f"u{i:03d}", 0, "home"), (f"u{i:03d}", 5, "view")] + ([(f"u{i:03d}", 9, last)] if last else [])
        rows += user
        platform += [seg] * len(user)
    ev = log(rows, platform=pd.Series(platform, dtype="string"))
    out = segment_diff(prepare_sessions(ev), "platform", "web", "ios", min_transitions=10).set_index(["source", "target"])
    buy = out.loc[("view", "buy")]
    assert buy["share_a"] == pytest.approx(12 / 60) and buy["share_b"] == pytest.approx(48 / 60)
    assert buy["difference"] == pytest.approx(0.6)
    assert buy["significant"] and buy["ci_low"] > 0.4
    assert not out.loc[("home", "view"), "significant"]
    assert out.loc[("home", "view"), "difference"] == 0
    users = ibis.memtable(pd.DataFrame({"user_id": [f"u{i:03d}" for i in range(120)],
                                        "tier": ["new" if i % 2 else "old" for i in range(120)]}))
    by_user = segment_diff(prepare_sessions(log(rows)), "tier", "old", "new", users=users, min_transitions=10)
    assert by_user.set_index(["source", "target"]).loc[("view", "buy"), "difference"] == pytest.approx(0.6)
    with pytest.raises(ParameterError, match="platform='android' has no events.*'ios', 'web'"):
        segment_diff(prepare_sessions(ev), "platform", "android", "ios")
    with pytest.raises(ParameterError, match="not a column"):
        segment_diff(prepare_sessions(ev), "country", "a", "b")
