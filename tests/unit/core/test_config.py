"""Config: the sample config loads; every wrong key or value names the key, the value and what is allowed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from uem_helpers.core.config import config_from_dict, load_config, parse_duration
from uem_helpers.core.errors import ConfigError

from tests.conftest import CONFIG_PATH

MINIMAL = {"sources": {"events": {"path": "events.parquet"}}}


def test_sample_config_loads_and_resolves_paths():
    cfg = load_config(CONFIG_PATH)
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg.engine.backend == "duckdb"
    assert cfg.funnel("account_opening").steps[2] == "id_verified"
    assert cfg.funnel("account_opening").window == timedelta(hours=1)
    assert cfg.resolve(cfg.sources["events"].path) == CONFIG_PATH.parent / "data/sample/events.parquet"


def test_only_events_is_required():
    cfg = config_from_dict(MINIMAL)
    assert set(cfg.sources) == {"events"}
    assert cfg.privacy.min_cell_size == 10


def test_missing_events_source_is_named():
    with pytest.raises(ConfigError, match=r"'sources'.*'events' source is required"):
        config_from_dict({"sources": {"users": {"path": "u.csv"}}})


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({**MINIMAL, "timezon": "UTC"}, ["'timezon'", "unknown key", "timezone", "sources"]),
        (
            {"sources": {"events": {"path": "e.csv", "encodng": "gbk"}}},
            ["'sources.events.encodng'", "unknown key", "encoding", "columns"],
        ),
        (
            {"sources": {"events": {"path": "e.csv", "encoding": "latin-9"}}},
            ["'sources.events.encoding'", "'latin-9'", "'auto'", "'gbk'", "'gb18030'"],
        ),
        ({"sources": {"events": {"path": "e.csv"}, "orders": {"path": "o.csv"}}}, ["'sources.orders'", "unknown table", "carts"]),
        ({**MINIMAL, "timezone": "Mars/Olympus"}, ["'timezone'", "'Mars/Olympus'", "IANA time zone"]),
        ({**MINIMAL, "engine": {"backend": "postgres"}}, ["'engine.backend'", "'postgres'", "'duckdb'", "'spark'"]),
        ({**MINIMAL, "funnels": {"f": {"steps": ["a", "b"], "window": "soon"}}}, ["'funnels.f.window'", "'soon'", "'30min'"]),
        ({**MINIMAL, "funnels": {"f": {"steps": ["a"]}}}, ["'funnels.f.steps'", "at least 2"]),
        ({**MINIMAL, "privacy": {"min_cell_size": 0}}, ["'privacy.min_cell_size'", "0", "greater than or equal to 1"]),
        ({**MINIMAL, "privacy": {"mask": ["phone", "passport"]}}, ["'privacy.mask.1'", "'passport'", "'email'"]),
    ],
)
def test_wrong_key_or_value_names_key_value_and_allowed(raw, words):
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw)
    for word in words:
        assert word in str(info.value)


def test_unknown_funnel_lists_defined_ones():
    cfg = load_config(CONFIG_PATH)
    with pytest.raises(ConfigError, match="defined funnels are: account_opening, checkout"):
        cfg.funnel("acount_opening")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "uem.yml"
    path.write_text(yaml.safe_dump(MINIMAL), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.resolve("events.parquet") == tmp_path / "cfg" / "events.parquet"
    assert cfg.resolve("/abs/e.parquet").as_posix() == "/abs/e.parquet"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30min", 1800), ("1h", 3600), ("7d", 604800), ("1.5h", 5400), (45, 45), ("2w", 1209600)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "-1h", "0s", True, "5 parsecs"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
