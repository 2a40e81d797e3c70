"""Findings counted once per report run: the loader's warnings, contract verdicts and id overlap, and data
quality, reused exactly, recounted when anything they depend on changes, and never stored without
``UEM_FINDINGS_CACHE``."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ContractErrors
from uem_helpers.data import findings_cache, id_overlap, quality, schema
from uem_helpers.data.coverage import Coverage, TableCoverage
from uem_helpers.data.quality import data_quality
from uem_helpers.data.schema import ContractWarning
from uem_helpers.data.sources import Dataset, from_frames, load

from tests.planted_quality import planted_frames

# Every load warning planted once: a duplicate event (u1), an event out of row order (u2), a user with
# no events (u9), events before signup (u3).
EVENTS = """user_id,timestamp,event,session_id
u1,2026-10-01 10:00:00,app_open,s1
u1,2026-10-01 10:00:00,app_open,s1
u2,2026-10-01 12:00:00,search,s2
u2,2026-10-01 11:00:00,app_open,s2
u3,2026-10-02 09:00:00,app_open,s3
u3,2026-11-01 09:00:00,search,s3
"""
USERS = """user_id,signup_at
u1,2026-09-01 00:00:00
u2,2026-09-01 00:00:00
u3,2026-10-05 00:00:00
u9,2026-09-01 00:00:00
"""
NPS = "response_id,user_id,answered_at,score\nr1,u1,2026-10-01 09:00:00,9\n"
PERIOD = ("2026-10-01", "2026-10-31")
# Every count data quality makes, and load's warnings, by the function that makes it.
COUNTED = ["_duplicate_rows", "_early_times", "_outside_period", "_shared_sessions", "_cut_off", "_ties",
           "_nps_before_first_event", "_hidden_characters", "coverage"]


@pytest.fixture
def project(tmp_path):
    pd.read_csv(io.StringIO(EVENTS), dtype=str).to_parquet(tmp_path / "events.parquet")  # it has a row order
    for name, text in {"users.csv": USERS, "nps.csv": NPS}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return _config(tmp_path)


def _config(folder: Path, **events):
    sources = {"events": {"path": "events.parquet", **events}, "users": {"path": "users.csv"},
               "nps": {"path": "nps.csv"}}
    return config_from_dict({"timezone": "Asia/Shanghai", "sources": sources}, base_dir=folder)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "findings"
    monkeypatch.setenv(findings_cache.ENV, str(folder))
    return folder


@pytest.fixture
def calls(monkeypatch) -> dict[str, int]:
    """How often each warning and quality count runs in the engine."""
    counted: dict[str, int] = {}

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            counted[name] = counted.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(schema, "table_warnings")
    spy(schema, "validate_table")
    spy(id_overlap, "id_overlap")
    for name in COUNTED:
        spy(quality, name)
    return counted


def _run(config, tables=("events", "users", "nps"), **kwargs):
    data = load(config, tables=list(tables))
    return data.warnings, data_quality(data, *PERIOD, config=config, **kwargs)


# --------------------------------------------------------------------------- exact round trip

def test_warnings_and_quality_read_back_identical_to_what_was_counted(project, cache, monkeypatch):
    counted = _run(project)
    reused = _run(project)
    monkeypatch.delenv(findings_cache.ENV)
    uncached = _run(project)
    assert counted == reused == uncached
    warnings, found = reused
    assert {w.problem: w.examples for w in warnings} == {
        "duplicate events (same user, timestamp and event)": ["u1"],
        "events earlier than the user's previous event in the source's row order": ["u2"],
        "users with no events": ["u9"],
        "events before the user's signup_at": ["u3"],
    }
    assert all(type(w) is ContractWarning for w in warnings)
    assert found.coverage.first == datetime(2026, 10, 1, 10) and found.coverage.tables[0].rows == 5
    assert [f.examples for f in found.findings if f.check == "outside_period"] == [[]]
    assert {(f.check, f.table): f.examples for f in found.findings if f.examples}[("duplicate_rows", "events")] == ["u1"]


def test_every_planted_quality_problem_reads_back_identical(cache, monkeypatch):
    data = from_frames(planted_frames(), validate=False)
    first = data_quality(data, *PERIOD, gap=timedelta(minutes=30))
    again = data_quality(from_frames(planted_frames(), validate=False), *PERIOD, gap=timedelta(minutes=30))
    monkeypatch.delenv(findings_cache.ENV)
    assert first == again == data_quality(data, *PERIOD, gap=timedelta(minutes=30))
    assert len([f for f in again.findings if f.examples]) >= 8
    assert list(cache.glob("quality-*.json")) and list(cache.glob("coverage-*.json"))


def test_coverage_without_events_is_the_earliest_and_latest_of_every_table(cache, monkeypatch):
    frames = {name: frame for name, frame in planted_frames().items() if name in ("carts", "nps", "feedback")}
    data = from_frames(frames, validate=False)
    cached = data_quality(data, *PERIOD).coverage
    monkeypatch.delenv(findings_cache.ENV)
    assert cached == data_quality(data, *PERIOD).coverage
    assert cached.table == "data" and [t.table for t in cached.tables] == ["carts", "nps", "feedback"]


@pytest.mark.parametrize("value", [
    [ContractWarning("events", None, "p", 3, ["u1", "u2"]), ContractWarning("users", "user_id", "q", 1, [])],
    (2, 10, ["a", "b"]),
    Coverage(datetime(2026, 10, 1, 0, 2, 3, 4), None, datetime(2026, 10, 1), None, "data",
             [TableCoverage("nps", "answered_at", datetime(2026, 10, 1), None, 0)], timedelta(hours=1, microseconds=5)),
])
def test_encoding_reads_back_equal_and_of_the_same_types(value):
    back = findings_cache.decode(json.loads(json.dumps(findings_cache.encode(value))))
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("value", [datetime(2026, 10, 1, tzinfo=UTC), np.int64(3), {"a": 1}, pd.Timestamp(0)])
def test_what_would_not_read_back_equal_is_counted_and_not_stored(cache, value):
    assert findings_cache.reuse("quality", {"k": 1}, lambda: value) is value
    assert not cache.exists() or not list(cache.iterdir())


# --------------------------------------------------------------------------- counted once

def test_a_second_load_and_data_quality_count_nothing_again(project, cache, calls, monkeypatch):
    first = _run(project)
    assert calls["table_warnings"] == 1 and calls["_duplicate_rows"] == 3 and calls["coverage"] == 3
    assert calls["validate_table"] == 3 and calls["id_overlap"] == 1  # nps's ids against events
    for name in ["table_warnings", "validate_table", "id_overlap", *COUNTED]:
        module = {"table_warnings": schema, "validate_table": schema, "id_overlap": id_overlap}.get(name, quality)
        monkeypatch.setattr(module, name, lambda *a, **k: pytest.fail("counted again"))
    assert _run(project) == first


def test_a_table_that_breaks_the_contract_is_checked_and_named_by_every_load(project, cache, calls, tmp_path):
    (tmp_path / "nps.csv").write_text("response_id,user_id,answered_at,score\nr1,u1,2026-10-01 09:00:00,11\n",
                                      encoding="utf-8")
    for checked in (3, 4):  # the second load checks nps again, not events and users
        with pytest.raises(ContractErrors) as caught:
            load(project, tables=["events", "users", "nps"])
        assert "nps" in str(caught.value) and "score" in str(caught.value)
        assert calls["validate_table"] == checked


def test_notebooks_loading_other_tables_reuse_the_counts_of_the_tables_they_share(project, cache, calls):
    _run(project)
    before = dict(calls)
    warnings, found = _run(project, tables=("events", "users"))
    assert calls == before  # the warnings read events and users only; each check one table
    assert [f.table for f in found.findings if f.check == "duplicate_rows"] == ["events", "users"]


def test_a_changed_file_period_gap_or_mapping_counts_again(project, cache, calls, tmp_path):
    _run(project)
    stat = (tmp_path / "events.parquet").stat()
    os.utime(tmp_path / "events.parquet", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    _run(project)
    assert calls["table_warnings"] == 2
    assert calls["_duplicate_rows"] == 4  # events again; users and nps did not change
    assert calls["_nps_before_first_event"] == 2  # it reads events

    data = load(project, tables=["events", "users", "nps"])
    data_quality(data, "2026-10-01", "2026-10-15", config=project)
    assert calls["_outside_period"] == 3 and calls["coverage"] == 3 + 1 + 3
    assert calls["_cut_off"] == 2 and calls["_duplicate_rows"] == 4
    data_quality(data, "2026-10-01", "2026-10-15", gap=timedelta(minutes=5), config=project)
    assert calls["_cut_off"] == 3 and calls["_ties"] == 2

    load(_config(tmp_path, event_names={"search": "query"}), tables=["events", "users"])
    assert calls["table_warnings"] == 3


def test_a_changed_threshold_applies_to_the_reused_counts(project, cache, calls):
    _, before = _run(project)
    _, after = _run(project, thresholds={"duplicate_rows": 0.5})
    assert calls["_duplicate_rows"] == 3
    changed = {f.table: f for f in after.findings if f.check == "duplicate_rows"}
    assert changed["events"].threshold == 0.5 and not changed["events"].exceeded
    assert [f for f in before.findings if f.check == "duplicate_rows"][0].exceeded
    assert [(f.n, f.of, f.examples) for f in after.findings] == [(f.n, f.of, f.examples) for f in before.findings]


def test_tables_whose_origin_cannot_be_told_are_always_counted(project, cache, calls):
    data = load(project, tables=["events", "users"])
    by_hand = Dataset(data.con, data.tables, data.timezone)
    data_quality(by_hand, *PERIOD)
    data_quality(by_hand, *PERIOD)
    assert calls["_duplicate_rows"] == 2 * 2
    engine_table = [{"table": "events", "files": [{"engine_table": "events"}]}]
    assert findings_cache.source_key("duckdb", engine_table, data.tables, ["events"]) is None


# --------------------------------------------------------------------------- unset, corrupt

def test_with_the_variable_unset_nothing_is_stored_and_everything_is_counted(project, tmp_path, calls, monkeypatch):
    monkeypatch.delenv(findings_cache.ENV, raising=False)
    monkeypatch.setattr(findings_cache, "_store", lambda *a: pytest.fail("stored without the variable"))
    before = set(tmp_path.rglob("*"))
    _run(project)
    _run(project)
    assert calls["table_warnings"] == 2 and calls["_duplicate_rows"] == 6
    assert {p for p in set(tmp_path.rglob("*")) - before if p.suffix == ".json"} == set()


def _bad_value(text: bytes) -> bytes:
    entry = json.loads(text)
    return json.dumps({**entry, "value": {"dataclass": "Nope", "fields": {}}}).encode()


@pytest.mark.parametrize("damage", [lambda t: b"", lambda t: t[: len(t) // 2], lambda t: b'{"key": 1}',
                                    lambda t: b"[1, 2]", lambda t: b"\xff\xfe", _bad_value])
def test_a_corrupt_entry_is_counted_again_and_rewritten(project, cache, calls, damage):
    first = _run(project)
    entries = sorted(cache.glob("*.json"))
    for path in entries:
        path.write_bytes(damage(path.read_bytes()))
    assert _run(project) == first
    assert calls["table_warnings"] == 2 and calls["_duplicate_rows"] == 6
    assert sorted(cache.glob("*.json")) == entries and all(json.loads(p.read_text()) for p in entries)
    assert not list(cache.glob(".*.tmp"))


def test_an_entry_whose_stored_key_differs_is_not_used(cache):
    findings_cache.reuse("quality", {"k": 1}, lambda: (1, 2, ["a"]))
    (path,) = cache.glob("*.json")
    entry = json.loads(path.read_text())
    entry["key"]["key"]["k"] = 2
    path.write_text(json.dumps(entry))
    assert findings_cache.reuse("quality", {"k": 1}, lambda: (3, 4, [])) == (3, 4, [])


def test_an_unwritable_folder_counts_without_storing(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(findings_cache.ENV, str(tmp_path / "file" / "findings"))
    assert findings_cache.reuse("quality", {"k": 1}, lambda: (1, 2, [])) == (1, 2, [])


def test_one_period_written_as_text_or_dates_is_counted_once(project, cache, calls):
    from datetime import date

    data = load(project, tables=["events", "users", "nps"])
    data_quality(data, "2026-10-01", "2026-10-31", config=project)
    data_quality(data, date(2026, 10, 1), date(2026, 10, 31), config=project)
    assert calls["_outside_period"] == 1 and calls["coverage"] == 3
    data_quality(data, "2026-10-01", datetime(2026, 10, 31), config=project)  # ends at that midnight: another period
    assert calls["_outside_period"] == 2
