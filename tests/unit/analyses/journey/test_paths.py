"""Paths and Sankey links: known answers on a hand-made log, consistency on the sample."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.analyses.journey.hand_made import END, log, sample  # noqa: F401 (a fixture)
from uem_helpers.analyses.journey import OTHER, OTHER_PATHS, paths, sankey_links
from uem_helpers.analyses.sessions import CUT_OFF, prepare_sessions
from uem_helpers.core.errors import ParameterError

PATH_LOG = [
    ("u1", 0, "home"), ("u1", 5, "open"), ("u1", 9, "view"), ("u1", 12, "buy"),   # open view buy end
    ("u2", 0, "open"), ("u2", 5, "view"), ("u2", 9, "buy"),                       # open view buy end
    ("u3", 0, "open"), ("u3", 5, "view"), ("u3", 7, "view"), ("u3", 9, "view"),   # open view view (cut)
    ("u4", 0, "open"),                                                            # open end
    ("u5", 0, "home"), ("u5", 3, "view"),                                         # no open: not counted
    ("u6", 5 * 3600, "home"),       # the data goes on for hours: the sessions above ended, none is cut off
]


def test_paths_known_answer_top_and_other():
    out = paths(prepare_sessions(log(PATH_LOG)), "open", max_steps=3, top_n=2)
    assert out["path"].tolist() == [f"open → view → buy → {END}", f"open → {END}", OTHER_PATHS]
    assert out["sessions"].tolist() == [2, 1, 1]
    assert out["steps"].tolist()[:2] == [3, 1] and pd.isna(out["steps"].iloc[2])
    assert out["share"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert out["users"].tolist() == [2, 1, 1]
    everything = paths(prepare_sessions(log(PATH_LOG)), "open", max_steps=3, top_n=10)
    assert "open → view → view" in everything["path"].tolist()
    assert OTHER_PATHS not in everything["path"].tolist()


def test_a_session_still_open_when_the_data_stops_is_cut_off_not_ended():
    cut = PATH_LOG[:-1]  # without u6 the data stops seconds after every session: all are still open
    out = paths(prepare_sessions(log(cut)), "open", max_steps=3, top_n=10)
    assert f"open → view → buy → {CUT_OFF}" in out["path"].tolist()
    assert not out["path"].str.endswith(END).any()
    links = sankey_links(prepare_sessions(log(cut)), "open", max_steps=3, top_n=5)
    assert ((links["target"] == CUT_OFF) & (links["source"] == "open")).sum() == 1
    assert not (links["source"] == CUT_OFF).any() and not (links["target"] == END).any()


def test_paths_start_at_the_first_start_event_of_the_session():
    out = paths(prepare_sessions(log([("u1", 0, "open"), ("u1", 5, "x"), ("u1", 9, "open")])), "open", max_steps=2)
    assert out["path"].tolist() == ["open → x"]


def test_paths_bad_parameters_and_no_start_event():
    with pytest.raises(ParameterError, match="max_steps=1"):
        paths(prepare_sessions(log(PATH_LOG)), "open", max_steps=1)
    with pytest.raises(ParameterError, match="start_event="):
        paths(prepare_sessions(log(PATH_LOG)), "")
    assert paths(prepare_sessions(log(PATH_LOG)), "never").empty


def test_sankey_links_known_answer():
    out = sankey_links(prepare_sessions(log(PATH_LOG)), "open", max_steps=3, top_n=1)
    got = {(r.step, r.source, r.target): r.sessions for r in out.itertuples()}
    # step 3 holds buy (2 sessions) and view (1): with top_n=1 the view is "(other)"
    assert got == {(1, "open", "view"): 3, (1, "open", END): 1, (2, "view", "buy"): 2, (2, "view", OTHER): 1}
    wide = sankey_links(prepare_sessions(log(PATH_LOG)), "open", max_steps=4, top_n=5)
    got = {(r.step, r.source, r.target): r.sessions for r in wide.itertuples()}
    assert got[(3, "buy", END)] == 2 and got[(3, "view", "view")] == 1
    # flow is conserved: what leaves a node at step k never exceeds what entered it
    into = wide.groupby(["step", "target"])["sessions"].sum()
    out_of = wide.groupby(["step", "source"])["sessions"].sum()
    for (step, node), n in out_of.items():
        if step > 1:
            assert n <= into[(step - 1, node)]


def test_sample_paths_and_sankey_are_consistent(sample):
    events, real = sample
    out = paths(prepare_sessions(events), "app_open")
    assert out["sessions"].sum() == real["sessions"]        # every session opens the app
    assert out["share"].sum() == pytest.approx(1.0)
    links = sankey_links(prepare_sessions(events), "app_open")
    assert links[links["step"] == 1]["sessions"].sum() == real["sessions"]
    every = paths(prepare_sessions(events), "app_open", top_n=10_000)
    one_event = every["path"].isin([f"app_open → {END}", f"app_open → {CUT_OFF}"])  # bounces, ended or still open
    assert every.loc[one_event, "sessions"].sum() == round(real["bounce_rate"] * real["sessions"])
