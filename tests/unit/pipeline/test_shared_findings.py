"""One folder of findings per report run: named for the check and the kernels, removed when the run ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from uem_helpers.data.findings_cache import ENV
from uem_helpers.pipeline import run
from uem_helpers.pipeline.execute import shared_findings
from uem_helpers.pipeline.run import RunResult, run_notebook, run_period


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def test_the_folder_is_named_inside_the_runs_folder_and_removed_after(tmp_path):
    runs = tmp_path / "2026-10" / ".runs"
    with shared_findings(runs):
        where = Path(os.environ[ENV])
        assert where.parent == runs and where.is_dir() and where.name.startswith("findings-")
        (where / "quality-x.json").write_text("{}")
        with shared_findings(runs):  # a batch's notebook keeps the batch's folder
            assert os.environ[ENV] == str(where)
        assert where.is_dir()
    assert ENV not in os.environ and not where.exists() and not runs.exists()


def test_a_value_set_before_the_run_is_never_reused_and_comes_back_after(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "stale"))
    with pytest.raises(RuntimeError), shared_findings(tmp_path / ".runs"):
        assert Path(os.environ[ENV]).parent == tmp_path / ".runs"
        raise RuntimeError("a failed run removes its folder too")
    assert os.environ[ENV] == str(tmp_path / "stale") and not (tmp_path / ".runs").exists()


def test_a_folder_that_cannot_be_made_leaves_the_run_without_it(tmp_path):
    (tmp_path / "file").write_text("")
    with shared_findings(tmp_path / "file" / ".runs"):
        assert ENV not in os.environ


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "uem.yml"
    path.write_text("sources:\n  events:\n    path: events.parquet\n", encoding="utf-8")
    return path


def test_a_batch_shares_one_folder_between_its_check_and_every_notebook(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(run, "check_inputs", lambda *a, **k: seen.append(("check", os.environ.get(ENV))) or [])

    def notebook(name, *args, **kwargs):
        seen.append((name, os.environ.get(ENV)))  # the kernel's environment is copied from this one
        assert Path(os.environ[ENV]).is_dir()
        return RunResult(notebook=name, period="2026-10", status="ok")

    monkeypatch.setattr(run, "run_notebook", notebook)
    run_period("2026-10", config_path=_config(tmp_path), notebooks=["onboarding_funnel", "journey_analysis"],
               output_dir=tmp_path / "reports", progress=False)
    assert [name for name, _ in seen] == ["check", "onboarding_funnel", "journey_analysis"]
    folders = {folder for _, folder in seen}
    assert len(folders) == 1 and Path(folders.pop()).parent == tmp_path / "reports" / "2026-10" / ".runs"
    assert ENV not in os.environ and not (tmp_path / "reports" / "2026-10" / ".runs").exists()


def test_one_notebooks_run_shares_a_folder_between_its_check_and_its_kernel(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(run, "check_inputs", lambda *a, **k: seen.append(os.environ.get(ENV)) or [])

    def locked(*args, **kwargs):
        seen.append(os.environ.get(ENV))
        return RunResult(notebook="onboarding_funnel", period="2026-10", status="ok")

    monkeypatch.setattr(run, "_run_locked", locked)
    run_notebook("onboarding_funnel", config_path=_config(tmp_path), period="2026-10",
                 output_dir=tmp_path / "reports")
    assert seen[0] is not None and seen == [seen[0], seen[0]]
    assert ENV not in os.environ and not Path(seen[0]).exists()
