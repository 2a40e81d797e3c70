"""Faults of the machine, not of the user: a report folder that cannot be written, a full disk, a run
killed with SIGKILL, interrupted with Ctrl-C or stopped with SIGTERM, a cell that fails, hangs, kills
its kernel or runs DuckDB out of memory, a second run of the same report, and read-only data. Each
gets a clear message and a documented exit code, the status and the index say what happened, the
next run is not blocked, and the last good report stays byte-identical.

Runs use the pipeline's fast fixture notebook (``ok_report``: ``-p fail=raise|kill|sleep|memory``) on the
reliability project; signals go to a real ``uem`` process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uem_helpers.cli import app
from uem_helpers.pipeline.status import build_index
from tests.e2e.test_report_pipeline import _processes_in
from tests.reliability.conftest import PERIOD, REPORT

UEM = Path(sys.executable).with_name("uem")


@pytest.fixture(scope="module")
def published_once(project, tmp_path_factory):
    """One good ok_report for PERIOD, published once for the module (each test gets a copy)."""
    out = tmp_path_factory.mktemp("faults") / "reports"
    result = _invoke(project, out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def good(published_once, tmp_path, monkeypatch):
    """A copy of the published reports folder; returns (output_dir, snapshot())."""
    monkeypatch.setenv("UEM_LOG_DIR", str(tmp_path / "logs"))
    out = tmp_path / "reports"
    shutil.copytree(published_once, out)
    folder = out / PERIOD

    def snapshot() -> dict[str, bytes]:
        return {name: (folder / name).read_bytes() for name in (f"{REPORT}.html", f"{REPORT}.ipynb")}

    return out, snapshot


def _invoke(project: Path, out: Path, *args: str):
    command = ["run", REPORT, "--period", PERIOD, "--config", str(project / "uem.yml"), "--output-dir", str(out)]
    return CliRunner().invoke(app, [*command, *args])


def _status(out: Path) -> dict:
    return json.loads((out / PERIOD / f"{REPORT}.status.json").read_text(encoding="utf-8"))


@contextlib.contextmanager
def _read_only(folder: Path):
    """Make ``folder`` unwritable for this user: immutable for root (chattr +i), mode 555 otherwise."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
            pytest.skip("root here, and the file system has no immutable flag to make a folder read-only")
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o555)
        undo = None
    try:
        yield
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            folder.chmod(0o755)


def _start(project: Path, out: Path, *args: str, preexec_fn=None) -> subprocess.Popen:
    """A real ``uem run`` of the fixture report sleeping in its third cell; returns once that cell runs."""
    command = [str(UEM), "run", REPORT, "--period", PERIOD, "--config", str(project / "uem.yml"),
               "--output-dir", str(out), "-p", "fail=sleep", *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "UEM_LOG_DIR": str(out.parent / "logs")}, preexec_fn=preexec_fn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(_sleeping(nb) for nb in (out / PERIOD / ".runs").glob(f"{REPORT}-*/{REPORT}.ipynb")):
            time.sleep(1)
            return proc
        time.sleep(0.3)
    proc.kill()
    pytest.fail(f"the run did not reach its sleeping cell: {proc.communicate()[0]}")


def _sleeping(executed: Path) -> bool:
    """Whether papermill marks the fixture's sleeping cell as running in the executed notebook."""
    with contextlib.suppress(OSError, ValueError):
        for cell in json.loads(executed.read_text(encoding="utf-8"))["cells"]:
            if "time.sleep(120)" in "".join(cell["source"]):
                return cell.get("metadata", {}).get("papermill", {}).get("status") == "running"
    return False


# --------------------------------------------------------------------------- the folder and the disk


def test_a_read_only_report_folder_is_named_and_the_report_kept(project, good):
    out, snapshot = good
    before = snapshot()
    with _read_only(out / PERIOD):
        result = _invoke(project, out)
    assert result.exit_code == 4, result.output
    assert str(out / PERIOD) in result.output and "Traceback" not in result.output
    assert "report.output_dir" in result.output  # what to do
    assert snapshot() == before


def test_a_full_disk_is_named_and_the_report_kept(project, good, monkeypatch):
    out, snapshot = good
    before = snapshot()
    write_text = Path.write_text

    def full_disk(path: Path, *args, **kwargs):
        if ".runs" in path.parts and path.suffix == ".html":  # the report page is the big write
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    result = _invoke(project, out)
    monkeypatch.undo()
    assert result.exit_code == 4, result.output
    assert "No space left on device" in result.output and "Free disk space" in result.output
    assert "Traceback" not in result.output
    assert snapshot() == before
    status = _status(out)
    assert status["status"] == "failed" and "No space left on device" in status["message"]
    assert status["html"] == f"{REPORT}.html"  # the last good report stays linked
    assert 'class="failed"' in (out / "index.html").read_text(encoding="utf-8")


def test_read_only_data_folders_work(project, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(project / "data", data, ignore=shutil.ignore_patterns("cache"))
    config = tmp_path / "uem.yml"
    config.write_text((project / "uem.yml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    with _read_only(data):
        result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert not (data / "cache").exists() and (tmp_path / "cache-home" / "uem").is_dir()


# --------------------------------------------------------------------------- killed and interrupted runs


def test_a_run_killed_with_sigkill_shows_as_interrupted_and_blocks_nothing(project, good):
    out, snapshot = good
    before = snapshot()
    proc = _start(project, out)
    proc.kill()
    proc.wait()
    assert _processes_in(project / "notebooks", grace_s=10) == []  # the runner and kernel follow their parent
    assert snapshot() == before
    assert _status(out)["status"] == "running"  # as the killed process left it ...
    build_index(out)  # ... but every reader sees that its process is gone
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="interrupted"' in index and f"{PERIOD}/{REPORT}.html" in index
    assert _invoke(project, out).exit_code == 0  # the lock died with the process


def test_sigterm_stops_a_command_as_ctrl_c_does(project, tmp_path, monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda signum, handler: installed.update({signum: handler}))
    installed: dict = {}
    CliRunner().invoke(app, ["validate", "--config", str(project / "uem.yml")])
    with pytest.raises(KeyboardInterrupt):  # so a scheduler's SIGTERM ends a run like the test below
        installed[signal.SIGTERM](signal.SIGTERM, None)


def _ctrl_c_ignored_and_blocked() -> None:
    """What a parent may hand down: SIGINT ignored (a shell script's background job, ``cmd &``) and blocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _sigint_state(pid: int) -> str:
    """How the process ``pid`` treats SIGINT, from /proc: ignored, blocked, caught (bit 1 of each mask)."""
    with contextlib.suppress(OSError):
        masks = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if line.startswith(("SigIgn", "SigBlk", "SigCgt")))
        return ", ".join(f"{k} {bool(int(v, 16) & 2)}" for k, v in masks.items())
    return "gone"


@pytest.mark.parametrize("preexec_fn", [None, _ctrl_c_ignored_and_blocked], ids=["started-plainly", "ctrl-c-ignored-by-parent"])
def test_an_interrupted_run_says_so_and_keeps_the_report(project, good, preexec_fn):
    out, snapshot = good
    before = snapshot()
    proc = _start(project, out, preexec_fn=preexec_fn)
    state = _sigint_state(proc.pid)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        output, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"Ctrl-C did not stop the run; its SIGINT when sent: {state}")
    assert proc.returncode == 130, f"SIGINT when sent: {state}\n{output}"
    assert "interrupted" in output and "Traceback" not in output
    status = _status(out)
    assert status["status"] == "interrupted" and "interrupted" in status["message"]
    assert snapshot() == before
    assert 'class="interrupted"' in (out / "index.html").read_text(encoding="utf-8")
    assert _processes_in(project / "notebooks", grace_s=10) == []
    assert _invoke(project, out).exit_code == 0


# --------------------------------------------------------------------------- failing cells and a busy report


@pytest.mark.parametrize(
    ("fail", "args", "words"),
    [
        ("raise", (), ["cell 3", "ValueError: boom"]),
        ("kill", (), ["cell 3", "the kernel died"]),
        ("sleep", ("--cell-timeout", "2"), ["cell 3", "cell timeout of 2 s"]),
        ("memory", (), ["cell 3", "DuckDB ran out of its memory limit (Out of Memory Error", "engine.memory_limit",
                        "engine.temp_directory"]),
    ],
    ids=["cell-error", "kernel-died", "cell-timeout", "duckdb-out-of-memory"],
)
def test_a_failing_cell_is_named_and_the_report_kept(project, good, fail, args, words):
    out, snapshot = good
    before = snapshot()
    result = _invoke(project, out, "-p", f"fail={fail}", *args)
    assert result.exit_code == 1, result.output
    assert all(w in result.output for w in words) and "Traceback" not in result.output
    assert "the published report was not changed" in result.output
    assert snapshot() == before
    assert _status(out)["status"] == "failed"


def test_a_second_run_of_the_same_report_exits_75(project, good):
    out, snapshot = good
    before = snapshot()
    with open(out / PERIOD / f".{REPORT}.lock", "r+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.seek(0), holder.truncate(), holder.write("4242"), holder.flush()
        result = _invoke(project, out)
    assert result.exit_code == 75, result.output
    assert "already running (pid 4242" in result.output and "Traceback" not in result.output
    assert snapshot() == before
