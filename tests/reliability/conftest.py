"""A small real project for the failure catalogue: a generated sample, the repo's config pointed at
it, the pipeline's fast fixture notebook, and one good report that every case must leave untouched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONFIG_PATH
from tests.e2e.test_report_pipeline import FIXTURES

#: The period every case runs for (the generated sample covers 2026-05 to 2026-10).
PERIOD = "2026-10"
#: The fast fixture notebook (tests/e2e/notebooks) whose published report the cases must not change.
REPORT = "ok_report"


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """``root`` with ``data/`` (a 150-user sample), ``uem.yml``, ``notebooks/`` and ``reports/<PERIOD>/ok_report.html``.

    The cases change it as they go, so under pytest-xdist every test of this folder runs on one
    worker (the ``reliability`` group of tests/conftest.py) and the project is made once.
    """
    from uem_helpers.pipeline.run import run_notebook
    from uem_helpers.sample import generate

    root = tmp_path_factory.mktemp("reliability")
    generate(root / "data", users=150, seed=5)
    config = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = source["path"].replace("data/sample/", "data/")
    config["plan"] = config["plan"].replace("data/sample/", "data/")
    config["report"]["output_dir"] = "reports"  # the rest stays: labels name its launch_description
    (root / "uem.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copytree(FIXTURES, root / "notebooks")
    run_notebook(REPORT, config_path=root / "uem.yml", period=PERIOD)
    return root


def published(project: Path) -> dict[str, bytes]:
    """Every published file of the good report's folder (the lock aside), by name."""
    folder = project / "reports" / PERIOD
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}
