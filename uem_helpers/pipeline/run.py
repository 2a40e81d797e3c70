"""The report pipeline: run a notebook for a period with papermill, publish it as HTML.

``uem run`` and ``uem report`` are thin wrappers over :func:`run_notebook`,
:func:`run_period` and :func:`build_index`.

A run, step by step:

1. The period (``"2026-10"`` or ``"2026-08..2026-10"``) fills the parameters
   the notebook declares: ``period_start``, ``period_end``, ``month`` and
   ``config_path``. Config defaults (``report.parameters.<notebook>``) come
   on top, explicit parameters on top of those. Every name is checked against
   the notebook's parameters cell and every value converted to the declared
   type before anything runs (see :func:`resolve_parameters`); the injected
   code is checked to assign exactly those values and nothing else
   (:func:`parameterize`).
2. A lock (``fcntl.flock`` on ``<output_dir>/<period>/.<notebook>.lock``)
   makes a second run of the same report fail fast with
   :class:`AlreadyRunningError`, writing nothing.
3. The notebook executes in its own run folder
   (``<output_dir>/<period>/.runs/<notebook>-<time>-<pid>/``) in a child
   process on the workbench's own kernel (:mod:`uem_helpers.pipeline.kernel`); the
   whole run has a deadline, after which the child and its kernel are killed.
4. Only a successful run is published: the executed notebook and its HTML
   (:mod:`uem_helpers.pipeline.export`) are moved over ``<notebook>.ipynb`` and
   ``<notebook>.html`` with ``os.replace`` (atomic), together with any file
   the notebook attached (:mod:`uem_helpers.pipeline.attachments`, e.g. the retro's
   ``monthly_retro.md``), and the run folder is removed. A failed run raises a :class:`NotebookRunError` naming the cell
   and the cause, keeps its run folder, and leaves the published report
   byte-identical.
5. Every run writes ``<notebook>.status.json`` beside the report;
   :func:`build_index` turns those into ``<output_dir>/index.html``, which
   links each report and its attached files (a failed run keeps linking the
   last good ones).
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import papermill

from uem_helpers.pipeline import attachments, runfacts
from uem_helpers.core.config import UEMConfig, load_config
from uem_helpers.core.errors import ParameterError, ReportError, UEMError
from uem_helpers.pipeline.export import RunInfo, export_html, index_html
from uem_helpers.pipeline.kernel import KERNEL_NAME
from uem_helpers.pipeline.params import declared_parameters, effective_parameters, parameterize, resolve_parameters
from uem_helpers.core.period import Period, parse_period

#: Exit code the CLI uses when the same report is already running (``EX_TEMPFAIL``).
EXIT_ALREADY_RUNNING = 75

STATUS_OK, STATUS_NO_DATA, STATUS_FAILED, STATUS_RUNNING = "ok", "no data", "failed", "running"
#: Status shown for a run whose status says "running" but whose process is gone.
STATUS_INTERRUPTED = "interrupted"

_RUNS = ".runs"
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_RUNNER = "import sys; from uem_helpers.pipeline.run import _runner_main; _runner_main(sys.argv[1])"


# --------------------------------------------------------------------------- errors


class NotebookRunError(ReportError):
    """A notebook run failed; the failed notebook is kept and the published report is unchanged.

    Parameters
    ----------
    notebook : str
        Report (notebook) name.
    cause : str
        What went wrong, in words.
    cell_number : int or None
        1-based position of the failing cell in the source notebook (markdown cells count).
    cell_line : str
        First non-empty line of the failing cell's source.
    kept : Path
        The failed executed notebook, kept for debugging (its run folder if the run
        stopped before papermill wrote it).
    """

    def __init__(self, notebook: str, cause: str, cell_number: int | None, cell_line: str, kept: Path):
        self.notebook, self.cause, self.kept = notebook, cause, kept
        self.cell_number, self.cell_line = cell_number, cell_line
        where = f" at cell {cell_number} ({cell_line})" if cell_number else ""
        super().__init__(
            f"report '{notebook}' failed{where}: {cause}. The failed notebook is kept at {kept}; "
            "the published report was not changed."
        )


class NotebookCellError(NotebookRunError):
    """A cell raised an exception (``error_name`` and ``error_message`` say which)."""

    def __init__(
        self, notebook: str, cell_number: int | None, cell_line: str, error_name: str, error_message: str, kept: Path
    ):
        self.error_name, self.error_message = error_name, error_message
        super().__init__(notebook, f"{error_name}: {error_message}", cell_number, cell_line, kept)


class KernelDiedError(NotebookRunError):
    """The kernel process died while a cell ran (killed, out of memory, crashed)."""


class CellTimeoutError(NotebookRunError):
    """A cell ran longer than the per-cell timeout."""


class RunTimeoutError(NotebookRunError):
    """The whole run took longer than the run timeout; the run was killed."""


class AlreadyRunningError(ReportError):
    """The same report (notebook and period) is being run by another process; nothing was written.

    Parameters
    ----------
    notebook : str
        Report (notebook) name.
    period : str
        Period label.
    pid : str
        Process id of the lock holder, as written in the lock file.
    lock : Path
        The lock file.
    """

    def __init__(self, notebook: str, period: str, pid: str, lock: Path):
        self.notebook, self.period, self.pid, self.lock = notebook, period, pid, lock
        super().__init__(
            f"report '{notebook}' for period {period} is already running (pid {pid}, lock {lock}); "
            "nothing was written. Try again when that run has finished."
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RunResult:
    """The outcome of one report run.

    Attributes
    ----------
    notebook : str
        Report (notebook) name.
    period : str
        Period label, e.g. ``2026-10``.
    status : str
        ``"ok"``, ``"no data"`` (the notebook recorded zero rows for every table) or ``"failed"``.
    html : Path or None
        The published HTML report (the last good one after a failure, if any).
    ipynb : Path or None
        The published executed notebook.
    run_dir : Path or None
        The kept run folder of a failed run.
    parameters : dict
        The parameters the notebook ran with.
    started_at : datetime or None
        When the run started.
    duration_s : float
        Seconds the run took.
    rows : dict or None
        Rows read per table, as the notebook recorded them.
    error : UEMError or None
        Why the run failed.
    """

    notebook: str
    period: str
    status: str
    html: Path | None = None
    ipynb: Path | None = None
    run_dir: Path | None = None
    parameters: dict = field(default_factory=dict)
    started_at: datetime | None = None
    duration_s: float = 0.0
    rows: dict | None = None
    error: UEMError | None = None

    @property
    def ok(self) -> bool:
        """True unless the run failed (a "no data" run is published, so it is not a failure)."""
        return self.status != STATUS_FAILED


# --------------------------------------------------------------------------- public API


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, object] | None = None,
    *,
    config_path: str | Path = "uem.yml",
    period: str | None = None,
    output_dir: str | Path | None = None,
    cell_timeout: int | None = None,
    run_timeout: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Run one notebook with papermill and publish ``<output_dir>/<period>/<notebook>.html``.

    Parameters
    ----------
    notebook : str or Path
        A name (``onboarding_funnel``, found in ``notebooks/`` beside the config) or a path.
    parameters : mapping, optional
        Explicit parameters; strings (as from ``-p key=value``) are converted to the declared type.
    config_path : str or Path
        The config file; its ``report`` section gives defaults.
    period : str, optional
        ``"YYYY-MM"`` or ``"YYYY-MM..YYYY-MM"``; when omitted it is read from the ``month`` or
        ``period_start``/``period_end`` parameters.
    output_dir : str or Path, optional
        Where reports go; the config's ``report.output_dir`` when omitted.
    cell_timeout : int, optional
        Seconds one cell may run; the config's ``report.cell_timeout`` when omitted.
    run_timeout : int, optional
        Seconds the whole run may take; the config's ``report.run_timeout`` when omitted.
    progress : bool
        Show papermill's per-cell progress bar on stderr.

    Returns
    -------
    RunResult
        The published run (status ``ok`` or ``no data``).

    Raises
    ------
    ParameterError
        Unknown parameter name, value of the wrong type, bad period or a name that would leave output_dir.
    AlreadyRunningError
        The same report is running in another process.
    NotebookRunError
        A cell failed, the kernel died, or a timeout was hit (see the subclasses).
    """
    cfg = load_config(config_path)
    source = find_notebook(notebook, cfg)
    name = _safe_component(source.stem, "notebook name")
    asked = parse_period(period) if period is not None else None
    values = resolve_parameters(
        source, parameters or {}, cfg.report.parameters.get(name, {}), asked, Path(config_path).resolve()
    )
    label = asked.label if asked else _period_from_parameters(source, values).label
    input_nb = parameterize(source, values)
    root = (Path(output_dir) if output_dir is not None else cfg.resolve(cfg.report.output_dir)).absolute()
    folder = _inside(root, label)
    folder.mkdir(parents=True, exist_ok=True)
    with _report_lock(folder, name, label):
        return _run_locked(
            input_nb,
            name=name,
            label=label,
            values=values,
            root=root,
            folder=folder,
            cwd=source.parent,
            cell_timeout=cell_timeout or cfg.report.cell_timeout,
            run_timeout=run_timeout or cfg.report.run_timeout,
            progress=progress,
        )


def run_period(
    period: str,
    *,
    config_path: str | Path = "uem.yml",
    notebooks: Sequence[str] | None = None,
    output_dir: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    cell_timeout: int | None = None,
    run_timeout: int | None = None,
    progress: bool = True,
) -> list[RunResult]:
    """Run every report of a period, continuing past failures, and rebuild the index.

    Parameters
    ----------
    period : str
        ``"YYYY-MM"`` or ``"YYYY-MM..YYYY-MM"``.
    config_path : str or Path
        The config file.
    notebooks : sequence of str, optional
        Names to run; by default the config's ``report.notebooks`` that exist in ``notebooks/``.
    output_dir : str or Path, optional
        Where reports go; the config's ``report.output_dir`` when omitted.
    parameters : mapping, optional
        Explicit parameters; each notebook gets those it declares, and a name no notebook
        declares is refused.
    cell_timeout, run_timeout : int, optional
        As in :func:`run_notebook`.
    progress : bool
        Show a progress bar for the batch.

    Returns
    -------
    list of RunResult
        One per notebook, in order; failed runs have ``status == "failed"`` and ``error`` set.

    Raises
    ------
    ParameterError
        A bad period, or a parameter name that no notebook of the batch declares.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cfg = load_config(config_path)
    parse_period(period)
    if notebooks is None:
        folders = notebook_folders(cfg)
        notebooks = [n for n in cfg.report.notebooks if any((f / f"{n}.ipynb").is_file() for f in folders)]
    root = Path(output_dir) if output_dir is not None else cfg.resolve(cfg.report.output_dir)
    declared: dict[str, set[str]] = {}
    for name in notebooks:
        with suppress(UEMError):  # a missing notebook fails on its own turn below
            declared[name] = set(declared_parameters(find_notebook(name, cfg)))
    valid = set().union(*declared.values())
    unknown = [key for key in (parameters or {}) if key not in valid]
    if unknown:
        raise ParameterError(
            f"no notebook of this batch has a parameter {unknown[0]!r}; "
            f"their parameters are: {', '.join(sorted(valid)) or 'none'}"
        )
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task(f"reports {period}", total=len(notebooks))
        for name in notebooks:
            bar.update(task, description=f"{period} {name}")
            try:
                own = {k: v for k, v in (parameters or {}).items() if k in declared.get(name, ())}
                results.append(
                    run_notebook(
                        name,
                        own,
                        config_path=config_path,
                        period=period,
                        output_dir=root,
                        cell_timeout=cell_timeout,
                        run_timeout=run_timeout,
                    )
                )
            except UEMError as exc:
                results.append(RunResult(notebook=str(name), period=period, status=STATUS_FAILED, error=exc))
            bar.advance(task)
    build_index(root)
    return results


def build_index(output_dir: str | Path = "reports") -> Path:
    """Write ``<output_dir>/index.html``: every report by period and notebook, with status and links.

    Parameters
    ----------
    output_dir : str or Path
        The reports folder.

    Returns
    -------
    Path
        The index file.
    """
    root = Path(output_dir)
    root.mkdir(parents=True, exist_ok=True)
    records = [_read_status(p) for p in sorted(root.glob("*/*.status.json"))]
    records = [r for r in records if r is not None]
    records.sort(key=lambda r: (r.get("period", ""), r.get("notebook", "")))
    records.sort(key=lambda r: r.get("period", ""), reverse=True)
    path = root / "index.html"
    _write_atomic(path, index_html(records))
    return path


# --------------------------------------------------------------------------- notebooks and parameters


#: The notebooks that ship with the workbench.
BUNDLED_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_folders(cfg: UEMConfig) -> list[Path]:
    """Where notebooks are looked up, in order: ``notebooks/`` beside the config, then the bundled ones."""
    folders = [cfg.resolve("notebooks"), BUNDLED_NOTEBOOKS]
    return [f for i, f in enumerate(folders) if f.resolve() not in {g.resolve() for g in folders[:i]}]


def find_notebook(notebook: str | Path, cfg: UEMConfig) -> Path:
    """The notebook file for a name or a path.

    A name is looked up as ``<name>.ipynb`` in :func:`notebook_folders`: a company's
    own ``notebooks/`` beside its config wins over the bundled notebook of that name.

    Raises
    ------
    ParameterError
        No such notebook; the message lists the available names.
    """
    text = str(notebook)
    is_path = isinstance(notebook, Path) or text.endswith(".ipynb") or os.sep in text or "/" in text
    folders = notebook_folders(cfg)
    candidates = [Path(text)] if is_path else [folder / f"{text}.ipynb" for folder in folders]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        available = sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.ipynb")})
        raise ParameterError(
            f"notebook '{text}' not found (looked for {', '.join(str(c) for c in candidates)}); "
            f"available notebooks: {', '.join(available) or 'none'}"
        )
    return found


def _period_from_parameters(notebook: Path, values: Mapping[str, object]) -> Period:
    """The period a run covers when none was given: from ``month`` or ``period_start``/``period_end``."""
    effective = {}
    for key, spec in declared_parameters(notebook).items():
        try:
            effective[key] = ast.literal_eval(spec.get("default") or "None")
        except (ValueError, SyntaxError):
            continue
    effective.update(values)
    if isinstance(effective.get("month"), str):
        return parse_period(effective["month"])
    start, end = effective.get("period_start"), effective.get("period_end")
    if isinstance(start, str) and isinstance(end, str):
        first, last = start[:7], end[:7]
        return parse_period(first if first == last else f"{first}..{last}")
    raise ParameterError(
        f"notebook '{notebook.stem}': no period given and none in its parameters; pass a period such as 2026-10"
    )


# --------------------------------------------------------------------------- running


def _run_locked(
    input_nb: nbformat.NotebookNode,
    *,
    name: str,
    label: str,
    values: dict,
    root: Path,
    folder: Path,
    cwd: Path,
    cell_timeout: int,
    run_timeout: int,
    progress: bool,
) -> RunResult:
    started = datetime.now().astimezone()
    run_dir = folder / _RUNS / f"{name}-{started:%Y%m%dT%H%M%S.%f}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    previous = _read_status(folder / f"{name}.status.json") or {}
    kept = [a for a in previous.get("attachments") or [] if (folder / str(a)).is_file()]  # the last good run's
    status = {"notebook": name, "period": label, "started_at": started.isoformat(timespec="seconds"),
              "attachments": kept}
    _set_status(root, folder, name, {**status, "status": STATUS_RUNNING, "pid": os.getpid()})
    executed = run_dir / f"{name}.ipynb"
    try:
        input_path = run_dir / f"{name}.input.ipynb"
        nbformat.write(input_nb, input_path)
        _execute(name, input_nb, input_path, executed, cwd, cell_timeout, run_timeout, progress)
        nb = nbformat.read(executed, as_version=4)
        duration = (datetime.now().astimezone() - started).total_seconds()
        page = export_html(nb, RunInfo(name, effective_parameters(input_path, values), label, started, duration))
    except UEMError as exc:
        _fail(root, folder, name, status, started, exc, run_dir)
        raise
    except Exception as exc:  # export or I/O failure: still a failed run, reported as such
        error = NotebookRunError(name, f"publishing failed: {type(exc).__name__}: {exc}", None, "", executed)
        _fail(root, folder, name, status, started, error, run_dir)
        raise error from exc
    html_tmp = run_dir / f"{name}.html"
    html_tmp.write_text(page, encoding="utf-8")
    attached = attachments.read(nb.cells)
    for filename, text in attached.items():
        (run_dir / filename).write_text(text, encoding="utf-8")
    os.replace(executed, folder / f"{name}.ipynb")
    os.replace(html_tmp, folder / f"{name}.html")
    for filename in attached:
        os.replace(run_dir / filename, folder / filename)
    shutil.rmtree(run_dir)
    with suppress(OSError):  # other runs' folders may still be there
        run_dir.parent.rmdir()
    facts = runfacts.read(nb.cells)
    outcome = STATUS_NO_DATA if facts is not None and facts.no_data else STATUS_OK
    rows = dict(facts.rows) if facts is not None else None
    _set_status(
        root,
        folder,
        name,
        {**status, "status": outcome, "duration_s": round(duration, 1), "rows": rows, "html": f"{name}.html",
         "attachments": sorted(attached)},
    )
    return RunResult(
        notebook=name,
        period=label,
        status=outcome,
        html=folder / f"{name}.html",
        ipynb=folder / f"{name}.ipynb",
        parameters=dict(values),
        started_at=started,
        duration_s=duration,
        rows=rows,
    )


def _fail(root: Path, folder: Path, name: str, status: dict, started: datetime, error: UEMError, run_dir: Path) -> None:
    """Record a failed run (the last good report, if any, stays linked)."""
    duration = (datetime.now().astimezone() - started).total_seconds()
    last_good = folder / f"{name}.html"
    record = {
        **status,
        "status": STATUS_FAILED,
        "duration_s": round(duration, 1),
        "message": str(error),
        "run_dir": str(run_dir.relative_to(folder)),
        "html": last_good.name if last_good.is_file() else None,
    }
    _set_status(root, folder, name, record)


def _execute(
    name: str,
    input_nb: nbformat.NotebookNode,
    input_path: Path,
    executed: Path,
    cwd: Path,
    cell_timeout: int,
    run_timeout: int,
    progress: bool,
) -> None:
    """Execute the notebook in a child process with a deadline; raise a NotebookRunError on failure."""
    run_dir = input_path.parent
    result_path = run_dir / "result.json"
    spec = {
        "input": str(input_path),
        "output": str(executed),
        "cwd": str(cwd),
        "cell_timeout": cell_timeout,
        "progress": progress,
        "result": str(result_path),
    }
    spec_path = run_dir / "runner.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    # Figures must be embedded even where the caller runs headless with MPLBACKEND=Agg.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    with open(run_dir / "run.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(spec_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=None if progress else log,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=run_timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            number, line = _failing_cell(input_nb, executed)
            cause = f"the run took longer than the run timeout of {run_timeout} s and was stopped"
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
        cause = f"the cell ran longer than the cell timeout of {cell_timeout} s"
        raise CellTimeoutError(name, cause, number, line, executed)
    raise KernelDiedError(name, f"the kernel died ({result['detail']})", number, line, _kept(executed))


def _kept(executed: Path) -> Path:
    """The failed notebook, or its run folder when papermill had not written it yet."""
    return executed if executed.is_file() else executed.parent



def _runner_main(spec_path: str) -> None:
    """Child-process entry point: execute one notebook with papermill and write result.json."""
    from nbclient.exceptions import CellTimeoutError as NbCellTimeout
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from uem_helpers.pipeline.kernel import UEMKernelManager

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    try:
        papermill.execute_notebook(
            spec["input"],
            spec["output"],
            kernel_name=KERNEL_NAME,
            language="python",
            cwd=spec["cwd"],
            execution_timeout=spec["cell_timeout"],
            progress_bar=spec["progress"],
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


@contextmanager
def _report_lock(folder: Path, name: str, label: str) -> Iterator[None]:
    """Hold ``<folder>/.<name>.lock`` exclusively, or raise AlreadyRunningError naming the holder."""
    path = folder / f".{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunningError(name, label, holder, path) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- paths, status, index


def _safe_component(text: str, what: str) -> str:
    """``text`` if it is one harmless path component, else a ParameterError."""
    if not text or text[0] in ".-" or any(ch in text for ch in "/\\\0") or not all(ch.isalnum() or ch in "_.-" for ch in text):
        raise ParameterError(f"{what} {text!r} cannot be used in a report path (letters, digits, '_', '.', '-' only)")
    return text


def _inside(root: Path, component: str) -> Path:
    """``root / component``, refusing anything that would resolve outside ``root``."""
    path = root / _safe_component(component, "period")
    if not path.resolve().is_relative_to(root.resolve()):
        raise ParameterError(f"report path {path} would leave the output folder {root}")
    return path


def _set_status(root: Path, folder: Path, name: str, record: dict) -> None:
    _write_atomic(folder / f"{name}.status.json", json.dumps(record, ensure_ascii=False, indent=1))
    build_index(root)


def _read_status(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("status") == STATUS_RUNNING and not _alive(record.get("pid")):
        record["status"] = STATUS_INTERRUPTED
    record["folder"] = path.parent.name
    return record


def _alive(pid: object) -> bool:
    """Whether process ``pid`` exists (only a positive int names one process for os.kill)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path`` and ``os.replace`` it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
