"""Shared fixtures. Spark is started at most once per test run (it is slow and large)."""

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
    """The one Spark backend of the test run (local mode, session time zone UTC)."""
    from uem_helpers.core.config import EngineConfig
    from uem_helpers.data.engine import connect

    return connect(EngineConfig(backend="spark", spark_master="local[2]"))


@pytest.fixture
def duckdb_con():
    """A fresh in-memory DuckDB backend."""
    from uem_helpers.data.engine import connect

    return connect()


def pytest_sessionstart(session):
    """Write the nbval copies of the notebooks (tests/notebooks/expected.py) before collection."""
    from tests.notebooks.expected import write_checked_copies

    write_checked_copies()
