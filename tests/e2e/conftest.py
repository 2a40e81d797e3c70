"""The sample's reports, each run once per test session and shared by every test that reads them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app

from ..conftest import CONFIG_PATH

#: The months the bundled sample covers.
SAMPLE_PERIOD = "2026-05..2026-10"


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Callable[..., Path]:
    """``sample_report(notebook, period=SAMPLE_PERIOD)``: the folder holding that report on the sample.

    The first call runs ``uem run`` on the real notebook; later calls return the same folder.
    """
    folders: dict[tuple[str, str], Path] = {}

    def report(notebook: str, period: str = SAMPLE_PERIOD) -> Path:
        if (notebook, period) not in folders:
            out = tmp_path_factory.mktemp(f"sample-{notebook}")
            result = CliRunner().invoke(app, ["run", notebook, "--period", period, "--config", str(CONFIG_PATH),
                                              "--output-dir", str(out)])
            assert result.exit_code == 0, result.output
            folders[notebook, period] = out / period
        return folders[notebook, period]

    return report
