"""The sample's reports, each run once per test session and shared by every test that reads them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app

from ..conftest import CONFIG_PATH

#: The months the bundled sample covers.
SAMPLE_PERIOD = "2026-05..2026-10"

#: The row guard (uem_helpers/data/row_guard.py) every sample report runs under: no cell may bring back more
#: rows than this into pandas. The sample has 3,000 users, 16,771 carts, about 60,000 sessions and 325,207
#: events; the largest results an analysis should bring back are one row per user (the churn survival table and
#: model features, the funnel's completion times: at most 3,000), the rest are aggregates of a few hundred rows.
#: 5,000 leaves room above the users and trips on carts, sessions or events brought into pandas.
GUARD_ROWS = 5_000


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Callable[..., Path]:
    """``sample_report(notebook, period=SAMPLE_PERIOD)``: the folder holding that report on the sample.

    The first call runs ``uem run`` on the real notebook, under the row guard at :data:`GUARD_ROWS`
    (``UEM_MAX_RESULT_ROWS``, inherited by the runner and the kernel); later calls return the same folder.
    Under pytest-xdist the workers share one folder per report in the run's temporary root:
    the first worker to ask runs it while holding that report's file lock, and every later
    call, on any worker, reads the same folder, so each report still runs once per test run.
    """
    folders: dict[tuple[str, str], Path] = {}
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = tmp_path_factory.getbasetemp().parent / "sample-reports" if worker else None

    def run(out: Path, notebook: str, period: str) -> None:
        result = CliRunner().invoke(app, ["run", notebook, "--period", period, "--config", str(CONFIG_PATH),
                                          "--output-dir", str(out)], env={"UEM_MAX_RESULT_ROWS": str(GUARD_ROWS)})
        assert result.exit_code == 0, result.output

    def report(notebook: str, period: str = SAMPLE_PERIOD) -> Path:
        if (notebook, period) not in folders:
            if shared is None:
                out = tmp_path_factory.mktemp(f"sample-{notebook}")
                run(out, notebook, period)
            else:
                from filelock import FileLock  # a dev dependency that only pytest-xdist runs need

                shared.mkdir(exist_ok=True)
                out, done = shared / f"{notebook}-{period}", shared / f"{notebook}-{period}.done"
                with FileLock(shared / f"{notebook}-{period}.lock"):
                    if not done.exists():
                        shutil.rmtree(out, ignore_errors=True)  # what a failed run on another worker left
                        run(out, notebook, period)
                        done.touch()
            folders[notebook, period] = out / period
        return folders[notebook, period]

    return report
