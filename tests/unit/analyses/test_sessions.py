"""Sessions: known answers on hand-made logs, and the sessions planted in the sample."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import ibis
import pandas as pd
import pytest

from uem_helpers.core.errors import ParameterError
from uem_helpers.analyses.sessions import SESSION_END, SessionRule, prepare_sessions, session_starts, sessionize

T0 = datetime(2026, 10, 1, 9, 0, 0)
ROOT = Path(__file__).resolve().parents[3]


def log(rows, session_ids=None) -> ibis.Table:
    """Events from (user, seconds after T0, event) triples; optional session ids, one per row."""
    df = pd.DataFrame({
        "user_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + timedelta(seconds=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
    })
    if session_ids is not None:
        df["session_id"] = pd.Series(session_ids, dtype="string")
    return ibis.memtable(df)


def table(events, **kw) -> pd.DataFrame:
    s = sessionize(events, **kw)
    out = s.order_by(["user_id", "timestamp", "event"]).execute()
    # Number the sessions 1, 2, ... per user in time order, so tests do not depend on the key's spelling.
    first = out.groupby("session")["timestamp"].transform("min")
    out["n"] = out.assign(first=first).groupby("user_id")["first"].rank(method="dense").astype(int)
    return out


def test_gap_of_exactly_thirty_minutes_stays_in_the_session_one_second_more_splits():
    out = table(log([
        ("u1", 0, "a"), ("u1", 1800, "b"),      # exactly 30 min: same session
        ("u1", 3601, "c"),                      # 30 min 1 s after b: new session
        ("u2", 0, "a"),                         # a user's events never share a session with another user's
    ]))
    assert out["n"].tolist() == [1, 1, 2, 1]
    assert out["session"].nunique() == 3
    assert out["position"].tolist() == [1, 2, 1, 1]
    assert out["next_event"].fillna("-").tolist() == ["b", "-", "-", "-"]
    assert out["dwell_seconds"].tolist()[:1] == [1800.0]
    assert out["dwell_seconds"].isna().tolist() == [False, True, True, True]
    assert out["is_exit"].tolist() == [False, True, True, True]


def test_gap_is_configurable():
    ev = log([("u1", 0, "a"), ("u1", 700, "b"), ("u1", 1300, "c")])
    assert table(ev, gap="10min")["n"].tolist() == [1, 2, 2]     # 700 s > 600 s, 600 s is not
    assert table(ev, gap=3600)["n"].tolist() == [1, 1, 1]
    assert table(ev, gap=timedelta(seconds=599))["n"].tolist() == [1, 2, 3]


def test_source_session_ids_win_and_missing_ids_fall_back_to_the_gap():
    ev = log(
        [("u1", 0, "a"), ("u1", 5000, "b"),        # one source session despite 83 min of silence
         ("u1", 6000, "c"),                        # another source session 17 min later
         ("u1", 7000, "d"), ("u1", 7100, "e")],    # no id: gap sessions of their own
        session_ids=["s1", "s1", "s2", None, None],
    )
    out = table(ev)
    assert out.groupby("session")["event"].apply("".join).sort_values().tolist() == ["ab", "c", "de"]
    assert out.loc[out["event"] == "a", "next_event"].item() == "b"
    assert out.loc[out["event"] == "a", "dwell_seconds"].item() == 5000.0


def test_same_instant_in_event_name_order_whatever_the_row_order():
    rows = [("u1", 0, "open"), ("u1", 9, "pay"), ("u1", 9, "done")]
    for ordered in (rows, rows[::-1]):
        out = table(log(ordered))
        assert out["event"].tolist() == ["open", "done", "pay"]
        assert out["next_event"].fillna("-").tolist() == ["done", "pay", "-"]
        assert out["dwell_seconds"].tolist()[:2] == [9.0, 0.0]


def test_same_instant_in_the_rules_tie_order_then_by_name():
    # pay and done share a second; the journey's order (pay before done) decides, not the names
    rows = [("u1", 0, "open"), ("u1", 9, "pay"), ("u1", 9, "done"), ("u1", 9, "zzz"), ("u1", 9, "aaa")]
    rule = SessionRule("30min", tie_order=("open", "pay", "done"))
    for ordered in (rows, rows[::-1]):
        out = sessionize(log(ordered), gap=rule).order_by("position").execute()
        assert out["event"].tolist() == ["open", "pay", "done", "aaa", "zzz"]
        assert out["position"].tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("cache", [False, True])
def test_only_some_events_keep_their_sessions_and_order(cache):
    # pay and done share a second (the rule orders them); x between them and the ids' sessions do not matter
    rows = [("u1", 0, "open"), ("u1", 9, "done"), ("u1", 9, "pay"), ("u1", 12, "x"), ("u1", 20, "pay"),
            ("u1", 30, "pay"), ("u1", 40, "done")]
    rule = SessionRule("30min", tie_order=("open", "pay", "done"))
    sessions = prepare_sessions(log(rows, session_ids=[None] * 5 + ["s1", "s1"]), gap=rule, cache=cache)
    out = sessions.only(["done", "pay"]).order_by(["session", "place"]).execute()
    assert list(out.columns) == ["session", "user_id", "timestamp", "event", "place"]
    assert out.groupby("session", sort=False)["event"].apply(",".join).tolist() == ["pay,done,pay", "pay,done"]


def test_rule_from_stages_lists_touchpoints_stage_by_stage_once():
    rule = SessionRule.from_stages("10min", {"find": ["home", "search"], "buy": ["cart", "pay", "home"]})
    assert rule.tie_order == ("home", "search", "cart", "pay") and rule.gap == "10min"


def test_sub_second_times_give_fractional_dwell_and_gaps():
    df = pd.DataFrame({
        "user_id": pd.Series(["u1"] * 3, dtype="string"),
        "timestamp": pd.to_datetime(["2026-10-01 09:00:00.250", "2026-10-01 09:00:01.900",
                                     "2026-10-01 09:30:02.150"]).astype("datetime64[us]"),
        "event": pd.Series(["a", "b", "c"], dtype="string"),
    })
    out = sessionize(ibis.memtable(df)).order_by("timestamp").execute()
    assert out["dwell_seconds"].tolist()[0] == pytest.approx(1.65)
    # 30 min 0.25 s after b: more than the gap, though whole seconds would say exactly 30 min
    assert out["session"].nunique() == 2


def test_period_cuts_sessions_at_its_ends():
    # T0 is 09:00: a at 23:59:30 the day before, b at 00:00:10, c at 23:59:59, d at 00:00:20 the day after
    ev = log([("u1", -9 * 3600 - 30, "a"), ("u1", -9 * 3600 + 10, "b"), ("u1", 15 * 3600 - 1, "c"),
              ("u1", 15 * 3600 + 20, "d")])
    whole = table(ev)
    assert whole["n"].tolist() == [1, 1, 2, 2]                  # a-b and c-d are sessions over midnight
    out = table(ev, period_start="2026-10-01", period_end="2026-10-01")
    assert out["event"].tolist() == ["b", "c"]
    assert out["position"].tolist() == [1, 1]                   # b starts its session: a is cut off
    assert out["is_exit"].tolist() == [True, True]              # c ends its session: d is cut off


def test_bad_gap_is_a_parameter_error():
    with pytest.raises(ParameterError, match="gap='soon'"):
        sessionize(log([("u1", 0, "a")]), gap="soon")
    with pytest.raises(ParameterError, match="gap=0"):
        sessionize(log([("u1", 0, "a")]), gap=0)


def test_empty_log_gives_an_empty_table():
    ev = log([("u1", 0, "a")])
    out = sessionize(ev, period_start="2027-01-01").execute()
    assert len(out) == 0 and {"session", "position", "next_event", "dwell_seconds", "is_exit"} <= set(out.columns)


def test_sample_sessions_exits_and_total_dwell_match_the_ground_truth():
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    truth = json.loads((ROOT / "data" / "sample" / "ground_truth.json").read_text(encoding="utf-8"))["journey"]
    real = truth["realised"]
    s = sessionize(load(load_config(ROOT / "uem.yml"))["events"])
    got = s.aggregate(
        sessions=s.session.nunique(), exits=s.is_exit.cast("int64").sum(),
        single=(s.is_exit & (s.position == 1)).cast("int64").sum(), dwell=s.dwell_seconds.sum(),
    ).execute().iloc[0]
    assert got["sessions"] == real["sessions"]
    assert got["exits"] == real["sessions"]
    assert got["single"] / got["sessions"] == pytest.approx(real["bounce_rate"], abs=1e-6)
    # Same-second ties can move dwell between touchpoints, never change a session's total.
    events, exits = real["events"], {e: round(r * real["events"][e]) for e, r in real["exit_rate"].items()}
    total = sum(real["mean_dwell_seconds"][e] * (events[e] - exits[e]) for e in real["mean_dwell_seconds"])
    browse = s.filter(s.event.isin(list(real["mean_dwell_seconds"])) & s.dwell_seconds.notnull())
    # the browse touchpoints' dwell: the account-opening events (not in the truth's dwell table) are left out
    ours = browse.dwell_seconds.sum().execute()
    assert ours == pytest.approx(total, rel=2e-3)
    assert SESSION_END == "(session end)"


@pytest.mark.parametrize("rule", [SessionRule("30min"), SessionRule("1min", tie_order=["c", "b"])])
def test_session_starts_are_the_first_events_of_sessionize_and_single_is_their_exit(rule):
    # mixed ids and gaps, same-instant ties in and out of the rule's order, a period cutting the last sessions
    events = ibis.memtable(_mixed_log())
    kw = {"gap": rule, "period_start": "2026-10-01", "period_end": "2026-10-01 10:07"}
    s = sessionize(events, **kw)
    expected = (s.filter(s.position == 1).select("user_id", "timestamp", "event", single=s.is_exit)
                .execute().sort_values(["user_id", "timestamp"]).reset_index(drop=True))
    got = (session_starts(events, **kw).select("user_id", "timestamp", "event", "single")
           .execute().sort_values(["user_id", "timestamp"]).reset_index(drop=True))
    assert len(got) > 40 and got["single"].any() and not got["single"].all()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


# --- cut-off sessions: still open when the data stops ------------------------------------------


def test_a_session_ending_within_the_gap_of_the_data_end_is_cut_off_one_ending_earlier_is_not():
    # The data ends at u2's c (3 h). u1's session ends 31 min before it: an exit. u2's ends at it; u3's
    # ends exactly 30 min before it (a further event at the end would still have joined it): cut off.
    out = table(log([("u1", 10_800 - 1900, "a"), ("u1", 10_800 - 1860, "b"),
                     ("u2", 10_000, "a"), ("u2", 10_800, "c"),
                     ("u3", 9_000, "a")]))
    flags = out.groupby("user_id")["cut_off"].agg(["all", "any"])
    assert flags["all"].tolist() == flags["any"].tolist() == [False, True, True]  # the same on every row
    assert out.loc[out["is_exit"], "ends"].tolist() == [True, False, False]
    assert out.loc[~out["is_exit"], "ends"].tolist() == [False, False]


def test_the_period_end_stops_the_data_when_the_data_continues_past_it():
    # T0 is 09:00 on 2026-10-01; the data runs to the next day, the period ends at the end of 10-01.
    ev = log([("u1", 14 * 3600 + 1700, "a"),        # 23:28:20, 31 min 40 s before the period's end: an exit
              ("u2", 14 * 3600 + 1900, "a"),        # 23:31:40, within 30 min of it: cut off
              ("u3", 16 * 3600, "b")])              # 01:00 the next day, outside the period
    out = table(ev, period_end="2026-10-01")
    assert out["user_id"].tolist() == ["u1", "u2"] and out["cut_off"].tolist() == [False, True]
    assert table(ev)["cut_off"].tolist() == [False, False, True]  # without a period: only u3, at the data's end


def test_sessions_from_source_ids_use_the_same_rule_on_their_last_event():
    ids = ["s1", "s1", "s2", "s2"]
    out = table(log([("u1", 0, "a"), ("u1", 100, "b"), ("u1", 2000, "a"), ("u1", 2100, "c")], ids))
    # s1 ends at 100 s, 2000 s before the end of the data (2100 s): an exit; s2 ends at the end: cut off
    assert out["cut_off"].tolist() == [False, False, True, True]
    assert out["ends"].tolist() == [False, True, False, False]


@pytest.mark.spark
def test_cut_off_is_identical_on_duckdb_and_spark(spark_con):
    rows = [("u1", 0, "a"), ("u1", 100, "b"), ("u2", 5000, "a"), ("u2", 6000, "c"), ("u3", 4000, "a")]
    df = log(rows).execute()
    spark_con._session.createDataFrame(df).createOrReplaceTempView("ev_cut_off")
    columns = ["user_id", "timestamp", "event", "is_exit", "cut_off", "ends"]
    duck = sessionize(log(rows), period_end="2026-10-01").order_by(["user_id", "timestamp"]).execute()[columns]
    spark = sessionize(spark_con.table("ev_cut_off"), period_end="2026-10-01").order_by(
        ["user_id", "timestamp"]).execute()[columns]
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
    assert duck["cut_off"].tolist() == [False, False, True, True, False]  # u3 ends 2000 s before the end


# --- a log too big for the memory limit: sessionized in parts of its users ----------------------


def _mixed_log(users: int = 40) -> pd.DataFrame:
    """Users with gaps, same-second ties, and session ids on some rows only; the last user ends the data."""
    rows, ids = [], []
    for u in range(users):
        for i, (seconds, event) in enumerate([(0, "b"), (0, "a"), (60, "c"), (4000, "a"), (4030, "b")]):
            rows.append((f"u{u:03d}", seconds + 10 * u, event))
            ids.append(f"s{u}-{i // 3}" if u % 3 == 0 else None)  # every third user's rows carry ids
    df = log(rows, ids).execute()
    return df


def _in_parts(monkeypatch, con, events, parts: int):
    import uem_helpers.analyses.sessions as sessions_module
    from uem_helpers.data.engine import _memory_limit

    rows = events.count().execute()
    monkeypatch.setattr(sessions_module, "WINDOW_BYTES_PER_ROW", parts * _memory_limit(con) // rows)
    return prepare_sessions(events, cache=True, gap="30min", period_end="2026-10-01")


def test_a_log_beyond_the_memory_limit_is_sessionized_in_parts_to_the_same_table(monkeypatch, tmp_path):
    from uem_helpers.core.config import EngineConfig
    from uem_helpers.data import engine

    con = engine.connect(EngineConfig(temp_directory=str(tmp_path)))
    events = con.create_table("events", _mixed_log())
    whole = sessionize(events, gap="30min", period_end="2026-10-01").execute()
    sessions = _in_parts(monkeypatch, con, events, parts=4)
    assert [p.name for p in tmp_path.glob("uem-parts-*.duckdb")] != []  # written in parts, to the spill file
    name = sessions.table.op().name
    assert name in con.list_tables(database=(engine.SPILL_CATALOG, "main"))
    key = ["user_id", "timestamp", "position"]
    got = sessions.table.execute().sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(got, whole.sort_values(key, ignore_index=True), check_dtype=False)
    assert got["cut_off"].any() and not got["cut_off"].all()  # the data's end is every part's, not its own
    del sessions, got
    import gc

    gc.collect()
    assert name not in con.list_tables(database=(engine.SPILL_CATALOG, "main"))  # dropped with its last reference


def test_by_default_sessions_stay_an_expression_unless_their_windows_would_not_fit_in_memory(monkeypatch, tmp_path):
    import uem_helpers.analyses.sessions as sessions_module
    from uem_helpers.core.config import EngineConfig
    from uem_helpers.data import engine
    from uem_helpers.data.engine import _memory_limit

    con = engine.connect(EngineConfig(temp_directory=str(tmp_path)))
    events = con.create_table("events", _mixed_log())
    fits = prepare_sessions(events, gap="30min")
    assert fits.source is not None  # an expression: the analyses push their filters into the events
    monkeypatch.setattr(sessions_module, "WINDOW_BYTES_PER_ROW", 3 * _memory_limit(con) // len(_mixed_log()))
    too_big = prepare_sessions(events, gap="30min")  # executed whole, this would run out of memory
    assert too_big.source is None
    assert too_big.table.op().name in con.list_tables(database=(engine.SPILL_CATALOG, "main"))
    assert prepare_sessions(events, gap="30min", cache=False).source is not None  # asked for: an expression


def test_the_spill_file_is_deleted_when_the_process_ends(tmp_path):
    import subprocess
    import sys

    script = f"""
import ibis, pandas as pd
import tests.unit.analyses.test_sessions as t
from uem_helpers.core.config import EngineConfig
from uem_helpers.data import engine
con = engine.connect(EngineConfig(temp_directory={str(tmp_path)!r}))
table = engine.cache_in_parts(lambda part: con.create_table("x", {{"v": [1, 2, 3]}}, overwrite=True).filter(
    lambda r: r.v % (part[1] if part else 1) == (part[0] if part else 0)), ibis.literal(10 ** 9), 10 ** 3)
print(sorted(table.v.execute()), len(list(__import__("pathlib").Path({str(tmp_path)!r}).glob("uem-parts-*.duckdb"))))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "[1, 2, 3] 1"
    assert list(tmp_path.glob("uem-parts-*")) == []
