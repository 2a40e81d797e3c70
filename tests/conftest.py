"""Shared fixtures, and how the tests share two workers.

Spark is started at most once per test run (it is slow and large). ``make test`` runs the
suite on two pytest-xdist workers (tests/scheduling.py): every test on the Spark session,
and every test of the reliability catalogue's one project, is routed to one worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
CONFIG_PATH = ROOT / "uem.yml"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def spark_con():
    """The one Spark backend of the test run (local mode, session time zone UTC).

    Under pytest-xdist every test that uses it (or is marked ``spark``) runs on the same worker
    (the ``spark`` group, :func:`_group`), so the run still starts one Spark session.
    """
    from uem_helpers.core.config import EngineConfig
    from uem_helpers.data.engine import connect

    return connect(EngineConfig(backend="spark", spark_master="local[2]"))


@pytest.fixture
def duckdb_con():
    """A fresh in-memory DuckDB backend."""
    from uem_helpers.data.engine import connect

    return connect()


#: The folder whose tests share one session fixture that they change as they go (the project of
#: tests/reliability/conftest.py): they run on one worker, in the xdist group of the same name.
RELIABILITY = ROOT / "tests" / "reliability"


def pytest_sessionstart(session):
    """Write the nbval copies of the notebooks (tests/notebooks/expected.py) before collection.

    Under pytest-xdist the controller writes them once, before it starts the workers that collect them.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from tests.notebooks.expected import write_checked_copies

    write_checked_copies()


def _group(item) -> str | None:
    """The group of tests that must share one worker that ``item`` belongs to: ``spark`` for a test on
    the Spark session (marked ``spark`` or using ``spark_con``), ``reliability`` under :data:`RELIABILITY`."""
    if item.get_closest_marker("spark") or "spark_con" in getattr(item, "fixturenames", ()):  # nbval cells have none
        return "spark"
    if item.path.is_relative_to(RELIABILITY):
        return "reliability"
    return None


def pytest_collection_modifyitems(config, items):
    """On a pytest-xdist worker, tell the scheduler each test's group (tests/scheduling.py)."""
    if hasattr(config, "workerinput"):  # only pytest-xdist's workers have it
        from tests.scheduling import write_groups

        write_groups(config, {item.nodeid: group for item in items if (group := _group(item))})


@pytest.hookimpl(optionalhook=True)  # pytest-xdist hooks: nothing to do without the plugin
def pytest_configure_node(node):
    """With ``--dist loadgroup``: name the folder where each worker writes its tests' groups."""
    if node.config.getvalue("dist") == "loadgroup":
        from tests.scheduling import name_groups_dir

        name_groups_dir(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadgroup``: one work unit per group, otherwise one per file (tests/scheduling.py)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.scheduling import FileOrGroupScheduling

    return FileOrGroupScheduling(config, log)
