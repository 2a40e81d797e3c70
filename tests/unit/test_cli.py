"""The uem command: each subcommand on good and bad input, exit codes and the words a user reads."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from uem_helpers.cli import app

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

runner = CliRunner()


def test_validate_prints_a_summary_of_the_sample():
    result = runner.invoke(app, ["validate", "--config", str(CONFIG_PATH)])
    assert result.exit_code == 0, result.output
    for word in ["events", "users", "carts", "feedback", "nps", "assignments", "Asia/Shanghai", "OK"]:
        assert word in result.output
    assert "warning:" in result.output  # the sample plants users without events


def test_validate_names_a_missing_file(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": "nowhere/events.csv"}}}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 3  # data that fails the contract
    assert "events" in result.output and "nowhere/events.csv" in result.output


def test_validate_names_a_wrong_config_key(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": "e.csv"}}, "timezon": "UTC"}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 2 and "timezon" in result.output and "unknown key" in result.output


def test_validate_with_only_an_event_log_says_what_is_skipped(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": str(SAMPLE_DIR / "events.parquet")}}}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Not configured" in result.output and "carts" in result.output


def test_sample_writes_every_table(tmp_path):
    result = runner.invoke(app, ["sample", "--users", "60", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert {"events.parquet", "users.csv", "carts.csv", "feedback.csv", "nps.csv", "assignments.csv",
            "plan.yml", "ground_truth.json"} <= names
    assert "events" in result.output


@pytest.mark.parametrize("args", [["sample", "--users", "0"], ["nonsense"]])
def test_usage_errors_exit_2(args):
    assert runner.invoke(app, args).exit_code == 2
