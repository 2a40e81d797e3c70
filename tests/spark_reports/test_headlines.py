"""Every notebook of the batch gives the same headline numbers on Spark as on DuckDB (`make test-spark`).

`uem report` runs the whole batch on the sample twice, once with the bundled config (DuckDB) and once
with the same config on `engine: {backend: spark}` (Spark local), and each notebook's
``<notebook>.headline.json`` beside its report must be identical. The Spark batch runs on one Spark
Connect server, started once for the run and stopped after it (:mod:`uem_helpers.data.spark_server`).
Too slow for `make test` (two batches, ~10 min); `.ci/run` calls `make test-spark` after it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.data import spark_server

from ..conftest import CONFIG_PATH, SAMPLE_DIR

PERIOD = "2026-05..2026-10"
NOTEBOOKS = ("onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro", "churn_warning")


def _config(folder: Path, backend: str) -> Path:
    """The bundled config on ``backend``, its sample paths made absolute so it runs from ``folder``."""
    text = CONFIG_PATH.read_text(encoding="utf-8").replace("data/sample/", f"{SAMPLE_DIR.as_posix()}/")
    text, found = re.subn(r"(?m)^(  backend: )duckdb\b", rf"\g<1>{backend}", text)
    assert found == 1, "the bundled config names its backend once"
    path = folder / f"uem-{backend}.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def servers() -> list[list[str]]:
    """The command of every Spark Connect server started while the reports ran."""
    return []


@pytest.fixture(scope="module")
def reports(tmp_path_factory, servers) -> dict[str, Path]:
    """The batch's report folder for the period, per backend."""
    folders = {}
    started = spark_server.subprocess.Popen

    def counted(command, *args, **kwargs):  # every process the run starts here: kernels' runners too
        if "SparkConnectServer" in " ".join(map(str, command)):
            servers.append(command)
        return started(command, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spark_server.subprocess, "Popen", counted)
        for backend in ("duckdb", "spark"):
            root = tmp_path_factory.mktemp(backend)
            result = CliRunner().invoke(app, ["report", "--period", PERIOD, "--config", str(_config(root, backend)),
                                              "--output-dir", str(root / "reports"), "--no-progress"])
            assert result.exit_code == 0, result.output
            folders[backend] = root / "reports" / PERIOD
    return folders


def test_the_spark_batch_ran_on_one_server_that_is_gone_after_it(reports, servers):
    assert len(servers) == 1
    running = [p.pid for p in psutil.process_iter(["cmdline"]) if "SparkConnectServer" in " ".join(p.info["cmdline"] or [])]
    assert running == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_headline_numbers_are_the_same_on_spark(reports, notebook):
    duckdb, spark = (json.loads((reports[b] / f"{notebook}.headline.json").read_text(encoding="utf-8"))
                     for b in ("duckdb", "spark"))
    assert duckdb["headline"], f"{notebook} printed no headline"
    assert spark["headline"] == duckdb["headline"]
