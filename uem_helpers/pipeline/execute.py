"""Executing one notebook: papermill in a child process on the workbench's kernel, under a deadline;
the failing cell found in the executed notebook; the process tree killed on timeout; the folder of
findings a run's check and kernels share (:func:`shared_findings`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import papermill
from papermill.engines import NBClientEngine, papermill_engines

from uem_helpers.data.findings_cache import ENV as FINDINGS_ENV
from uem_helpers.pipeline.failures import (
    CellTimeoutError,
    KernelDiedError,
    NotebookCellError,
    NotebookRunError,
    RunTimeoutError,
)
from uem_helpers.pipeline.kernel import KERNEL_NAME
from uem_helpers.pipeline.progress import cell_numbers, is_injected, read_step, write_step
from uem_helpers.pipeline.status import _write_atomic


_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


_RUNNER = "import sys; from uem_helpers.pipeline.execute import _runner_main; _runner_main(sys.argv[1])"

#: Seconds between two looks at the runner (has it ended, which cell is it on).
_POLL = 0.5

#: The runner's papermill engine (registered in the runner process only).
_ENGINE = "uem-steps"


#: The findings folders this process made and named in the environment, innermost last.
_SHARED: list[str] = []


@contextmanager
def shared_findings(runs: Path) -> Iterator[None]:
    """Name a new folder under ``runs`` in ``UEM_FINDINGS_CACHE`` for the ``with`` block, then remove it.

    The run's check and every notebook kernel (which inherit the environment) then count the
    loader's warnings and the data-quality findings once and reuse them
    (:mod:`uem_helpers.data.findings_cache`). Inside a block of this process (a batch's notebooks
    inside the batch) the outer folder is kept; a value set before the run is never reused, and is
    restored afterwards. A folder that cannot be made leaves the variable as it was: every notebook
    counts its findings, as without it.

    Parameters
    ----------
    runs : Path
        The report folder's folder of runs (``<output_dir>/<period>/.runs``).
    """
    before = os.environ.get(FINDINGS_ENV)
    if before is not None and before in _SHARED:
        yield
        return
    try:
        runs.mkdir(parents=True, exist_ok=True)
        where = tempfile.mkdtemp(prefix="findings-", dir=runs)
    except OSError:
        where = None
    if where is None:
        yield
        return
    os.environ[FINDINGS_ENV] = where
    _SHARED.append(where)
    try:
        yield
    finally:
        _SHARED.remove(where)
        if before is None:
            os.environ.pop(FINDINGS_ENV, None)
        else:
            os.environ[FINDINGS_ENV] = before
        shutil.rmtree(where, ignore_errors=True)
        with suppress(OSError):  # other runs' folders may still be there
            runs.rmdir()


def _execute(
    name: str,
    input_nb: nbformat.NotebookNode,
    input_path: Path,
    executed: Path,
    cwd: Path,
    cell_timeout: int,
    run_timeout: int,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Execute the notebook in a child process with a deadline; raise a NotebookRunError on failure.

    ``on_step`` is called with the cell the runner is on (``"cell 14/31"``) each time it moves on.
    """
    run_dir = input_path.parent
    result_path = run_dir / "result.json"
    spec = {
        "input": str(input_path),
        "output": str(executed),
        "cwd": str(cwd),
        "cell_timeout": cell_timeout,
        "result": str(result_path),
    }
    spec_path = run_dir / "runner.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    # Figures must be embedded even where the caller runs headless with MPLBACKEND=Agg.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if on_step is not None:
        on_step("starting the kernel")
    with open(run_dir / "run.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(spec_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        try:
            code = _wait(proc, run_dir, time.monotonic() + run_timeout, on_step)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            number, line = _failing_cell(input_nb, executed)
            cause = (f"the run took longer than the run timeout of {run_timeout} s and was stopped; for a large log "
                     "raise report.run_timeout in the config or pass --run-timeout (docs/engine.md)")
            raise RunTimeoutError(name, cause, number, line, _kept(executed)) from None
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C) while waiting
                _kill_tree(proc)
    result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.is_file() else None
    if result is not None and result["ok"]:
        return
    number, line = _failing_cell(input_nb, executed)
    if result is None:
        cause = f"the runner process exited with code {code} without a result; see {run_dir / 'run.log'}"
        raise NotebookRunError(name, cause, number, line, _kept(executed))
    if result["kind"] == "cell_error":
        raise NotebookCellError(name, number, line, result["ename"], result["evalue"], executed)
    if result["kind"] == "cell_timeout":
        cause = (f"the cell ran longer than the cell timeout of {cell_timeout} s; for a large log raise "
                 "report.cell_timeout in the config or pass --cell-timeout (docs/engine.md)")
        raise CellTimeoutError(name, cause, number, line, executed)
    cause = (f"the kernel died ({result['detail']}); when the machine ran out of memory, keep engine.memory_limit "
             "below its memory minus ~2 GB for the kernel (docs/troubleshooting.md)")
    raise KernelDiedError(name, cause, number, line, _kept(executed))


def _wait(proc: subprocess.Popen, run_dir: Path, deadline: float, on_step: Callable[[str], None] | None) -> int:
    """The runner's exit code, handing its step to ``on_step`` meanwhile (and its last one when it ends);
    TimeoutExpired at the deadline."""
    while True:
        try:
            code = proc.wait(timeout=max(min(_POLL, deadline - time.monotonic()), 0.01))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
            code = None
        step = read_step(run_dir)
        if on_step is not None and step:
            on_step(step)
        if code is not None:
            return code


class _StepEngine(NBClientEngine):
    """papermill's nbclient engine, writing the cell it starts into the run folder (:func:`write_step`)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        run_dir = Path(nb_man.output_path).parent
        numbers, total = cell_numbers(nb_man.nb.cells, is_injected)
        cell_start = nb_man.cell_start

        def start(cell, cell_index=None, **more):
            if cell_index is not None:
                with suppress(OSError):  # progress is a courtesy; the run goes on without it
                    write_step(run_dir, f"cell {numbers[cell_index]}/{total}")
            return cell_start(cell, cell_index, **more)

        nb_man.cell_start = start
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


def _kept(executed: Path) -> Path:
    """The failed notebook, or its run folder when papermill had not written it yet."""
    return executed if executed.is_file() else executed.parent


def _runner_main(spec_path: str) -> None:
    """Child-process entry point: execute one notebook with papermill and write result.json."""
    from nbclient.exceptions import CellTimeoutError as NbCellTimeout
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from uem_helpers.pipeline.kernel import UEMKernelManager

    _stop_with_parent(os.getppid())
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    papermill_engines.register(_ENGINE, _StepEngine)
    try:
        papermill.execute_notebook(
            spec["input"],
            spec["output"],
            kernel_name=KERNEL_NAME,
            language="python",
            cwd=spec["cwd"],
            execution_timeout=spec["cell_timeout"],
            progress_bar=False,
            engine_name=_ENGINE,
            log_output=False,
            kernel_manager_class=UEMKernelManager,
        )
        result: dict = {"ok": True}
    except PapermillExecutionError as exc:
        result = {"ok": False, "kind": "cell_error", "ename": exc.ename, "evalue": exc.evalue}
    except NbCellTimeout:
        result = {"ok": False, "kind": "cell_timeout"}
    except DeadKernelError as exc:
        result = {"ok": False, "kind": "kernel_died", "detail": str(exc)}
    _write_atomic(Path(spec["result"]), json.dumps(result))


def _stop_with_parent(parent: int) -> None:
    """Kill this runner and its kernel when the ``uem`` process that started it is gone (``kill -9``).

    The runner lives in its own session so that a timeout can kill it as a tree; without this watch a
    killed ``uem`` would leave it computing a report nobody will publish.
    """
    import psutil

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        for child in psutil.Process().children(recursive=True):
            with suppress(psutil.Error):
                child.kill()
        os._exit(1)

    threading.Thread(target=watch, name="stop-with-parent", daemon=True).start()


def _failing_cell(input_nb: nbformat.NotebookNode, executed: Path) -> tuple[int | None, str]:
    """1-based number (in the source notebook) and first line of the last cell that started."""
    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return None, ""
    started = [c for c in nb.cells if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    if not started:
        return None, ""
    cell = started[-1]
    source_ids = [c.get("id") for c in input_nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if cell.get("id") not in source_ids:
        return None, ""
    line = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
    return source_ids.index(cell.get("id")) + 1, line[:100]


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the runner and every process it started (the kernel runs in its own session)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for p in [*children, proc]:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    psutil.wait_procs(children, timeout=5)
