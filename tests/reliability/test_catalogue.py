"""Every case of the catalogue through the ``uem`` command: the documented exit code, a message that
names the culprit in a few lines, no traceback on the screen (it is in the log file the message
names), no byte of a damaged file echoed, and the last good report unchanged.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from uem_helpers.cli import app
from tests.reliability.catalogue import CASES, FAULT_MESSAGES, FILE_CASES, SECRET, Case
from tests.reliability.conftest import PERIOD, REPORT, published

ROOT = Path(__file__).resolve().parents[2]
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"


def _command(case: Case, config: Path, folder: Path) -> list[str]:
    args = [a.replace("{dir}", str(folder)) for a in case.args]
    period = [] if "--period" in args else ["--period", PERIOD]
    if case.command == "validate":
        return ["validate", "--config", str(config), *args]
    if case.command == "report":
        return ["report", *period, "--config", str(config), "-n", REPORT, "--no-progress", *args]
    if case.command == "run-named":
        return ["run", args[0], *period, "--config", str(config), *args[1:]]
    return ["run", REPORT, *period, "--config", str(config), *args]


def _case_config(case: Case, project: Path, folder: Path) -> Path:
    """The project's config changed as the case says, written beside the project's (relative paths hold)."""
    config = copy.deepcopy(yaml.safe_load((project / "uem.yml").read_text(encoding="utf-8")))
    config["base"] = str(project)
    case.prepare(folder, config)
    config.pop("base")
    path = project / f"case-{case.id}.yml"
    if config.pop("_missing", False):
        return project / "nowhere.yml"
    raw = config.pop("_raw", None)
    path.write_text(raw if raw is not None else yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_user_mistake_gets_a_clear_answer_and_loses_nothing(case, project, tmp_path, monkeypatch):
    monkeypatch.setenv("UEM_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("UEM_DEBUG", raising=False)
    before = published(project)
    config = _case_config(case, project, tmp_path)
    result = CliRunner().invoke(app, _command(case, config, tmp_path))
    output = result.output
    assert result.exit_code == case.code, output
    message = output[output.index("error:"):] if "error:" in output else output
    for name in case.names:
        assert name.replace("{dir}", str(tmp_path)) in message, f"{name!r} not named in:\n{message}"
    assert "Traceback" not in output and SECRET not in output
    if case in FILE_CASES:
        assert len(message.strip().splitlines()) <= 5, message
    if result.exit_code != 2 or "details:" in output:  # typer's own usage errors have no log
        log = Path(re.search(r"details: (\S+)", output)[1])
        assert "Traceback" in log.read_text(encoding="utf-8")
    assert published(project) == before


def test_debug_shows_the_traceback_on_screen(project, tmp_path, monkeypatch):
    monkeypatch.setenv("UEM_LOG_DIR", str(tmp_path / "logs"))
    config = project / "case-debug.yml"
    text = (project / "uem.yml").read_text(encoding="utf-8").replace("id_verified", "id_verfied")
    config.write_text(text, encoding="utf-8")
    plain = CliRunner().invoke(app, ["validate", "--config", str(config)])
    debug = CliRunner().invoke(app, ["--debug", "validate", "--config", str(config)])
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.output and "Traceback" in debug.output and "ConfigDataError" in debug.output


def test_every_message_of_the_catalogue_is_in_the_troubleshooting_guide():
    guide = TROUBLESHOOTING.read_text(encoding="utf-8")
    missing = sorted({m for m in [*(c.doc for c in CASES), *FAULT_MESSAGES] if m not in guide})
    assert not missing, f"docs/troubleshooting.md does not explain: {missing}"


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 60 - 9  # with the machine faults of test_faults.py, at least 60
