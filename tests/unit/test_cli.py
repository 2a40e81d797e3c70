"""The uem command: each subcommand on good and bad input, exit codes and the words a user reads."""

from __future__ import annotations

import re

import pytest
import yaml
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.pipeline import progress

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

runner = CliRunner()


def test_validate_prints_a_summary_of_the_sample(monkeypatch):
    monkeypatch.setattr(progress, "STEP_EVERY", 0)  # every step a line (a log gets one per 30 s)
    result = runner.invoke(app, ["validate", "--config", str(CONFIG_PATH)])
    assert result.exit_code == 0, result.output
    for word in ["events", "users", "carts", "feedback", "nps", "assignments", "Asia/Shanghai", "OK"]:
        assert word in result.output
    assert "warning:" in result.output  # the sample plants users without events
    # not a terminal: its steps as time-stamped lines on stderr, each with the time so far
    steps = [line[20:] for line in result.stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d validate ", line)]
    assert steps[0] == "validate started" and re.fullmatch(r"validate done in \d+ s", steps[-1]), steps
    names = [re.sub(r" \(\d+:\d\d\)$", "", step) for step in steps[1:-1]]
    for table in ["events", "users", "carts", "feedback", "nps", "assignments"]:
        assert (names.index(f"validate opening {table}") < names.index(f"validate typing {table}")
                < names.index(f"validate checking {table} against the data contract"))
    assert names[-4:] == ["validate checking that ids join across tables",
                          "validate checking the config's names against the data", "validate measuring data quality",
                          "validate counting rows and users per table"]
    assert "\r" not in result.stderr


def test_validate_names_a_missing_file(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": "nowhere/events.csv"}}}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 3  # data that fails the contract
    assert "events" in result.output and "nowhere/events.csv" in result.output
    assert re.search(r"validate failed in \d+ s\n", result.stderr)  # the progress line ends before the message
    assert result.stderr.index("validate failed") < result.stderr.index("error:")


def test_validate_names_a_wrong_config_key(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": "e.csv"}}, "timezon": "UTC"}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 2 and "timezon" in result.output and "unknown key" in result.output


def test_validate_with_only_an_event_log_says_what_is_skipped(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(yaml.safe_dump({"sources": {"events": {"path": str(SAMPLE_DIR / "events.parquet")}}}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "Not configured" in result.output and "carts" in result.output
    assert "validate" not in result.stderr  # --no-progress: no progress lines


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


def test_chinese_data_text_shows_as_written_in_messages_and_aligned_in_tables(tmp_path):
    """Chinese event names and ids: the did-you-mean message and the terminal tables show them as written,
    and every row of a table is as wide on screen as its header (CJK characters take two cells)."""
    import pandas as pd
    from rich.cells import cell_len

    steps = ["开户开始", "提交资料", "身份认证", "开户成功"]
    rows = [(f"用户{u}", f"2026-10-{u % 20 + 1:02d} 10:0{i}:00", step)
            for u in range(40) for i, step in enumerate(steps[: u % 4 + 1])]
    pd.DataFrame(rows, columns=["user_id", "timestamp", "event"]).to_csv(tmp_path / "events.csv", index=False)
    config = {"sources": {"events": {"path": "events.csv"}}, "funnels": {"开户": {"steps": steps}}}
    (tmp_path / "uem.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    ok = runner.invoke(app, ["validate", "--config", str(tmp_path / "uem.yml")], env={"COLUMNS": "120"})
    assert ok.exit_code == 0, ok.output
    assert "'用户19'" in ok.output  # an example id of a quality finding, in its table
    lines = ok.output.splitlines()
    header = next(i for i, line in enumerate(lines) if "finding" in line)
    row = next(i for i, line in enumerate(lines) if "用户19" in line)
    table = lines[header:row + 1]  # header, rule and the row with Chinese ids, each padded to the table's width
    assert len({cell_len(line) for line in table}) == 1, table

    config["funnels"]["开户"]["steps"][2] = "身份认正"
    (tmp_path / "uem.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    wrong = runner.invoke(app, ["validate", "--config", str(tmp_path / "uem.yml")])
    assert wrong.exit_code == 2
    assert "config key 'funnels.开户.steps[2]': event '身份认正' is not in the events table; did you mean '身份认证'?" \
        in wrong.output
