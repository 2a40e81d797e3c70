"""The report pipeline: run a notebook for a period with papermill, publish it as HTML.

``uem run`` and ``uem report`` are thin wrappers over :func:`run_notebook`,
:func:`run_period` and :func:`~uem_helpers.pipeline.status.build_index`.

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
   whole run has a deadline, after which the child and its kernel are killed. The check before
   the run and every notebook's kernel share one folder of findings
   (``<output_dir>/<period>/.runs/findings-*/``, named in ``UEM_FINDINGS_CACHE``,
   :func:`~uem_helpers.pipeline.execute.shared_findings`), so the loader's warnings and the data
   quality are counted once per run; it is removed when the run ends.
4. Only a successful run is published: the executed notebook and its HTML
   (:mod:`uem_helpers.pipeline.export`) are moved over ``<notebook>.ipynb`` and
   ``<notebook>.html`` with ``os.replace`` (atomic), together with any file
   the notebook attached (:mod:`uem_helpers.pipeline.attachments`, e.g. the retro's
   ``monthly_retro.md``) and the headline numbers the notebook printed for its tests
   (``<notebook>.headline.json``, also in the executed notebook's metadata; :mod:`uem_helpers.pipeline.summary`),
   and the run folder is removed. A failed run raises a :class:`NotebookRunError` naming the cell
   and the cause, keeps its run folder, and leaves the published report
   byte-identical.
5. Every run writes ``<notebook>.status.json`` beside the report (with its language, and the
   title, first finding and date of the last good report);
   :func:`~uem_helpers.pipeline.status.build_index` turns those into ``<output_dir>/index.html``, the
   landing page in the run's language, which links each report and its attached files (a failed run
   keeps linking the last good ones).

The steps live in their own modules: :mod:`.notebooks` (finding one), :mod:`.status` (lock, status
files and the index), :mod:`.execute` (papermill in a child process), :mod:`.failures` (what can go
wrong); this module runs them in order.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from functools import partial
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import nbformat

from uem_helpers.core.config import EngineConfig, load_config
from uem_helpers.core.errors import EnvironmentFault, ParameterError, UEMError
from uem_helpers.core.period import parse_period
from uem_helpers.data.spark_server import needs_server, shared_spark
from uem_helpers.pipeline import attachments, runfacts, summary
from uem_helpers.pipeline.execute import _execute, shared_findings
from uem_helpers.pipeline.export import RunInfo, export_html, title_of
from uem_helpers.pipeline.page import project_folder
from uem_helpers.pipeline.markdown_cells import translate_markdown
from uem_helpers.pipeline.failures import NotebookRunError, RunInterruptedError
from uem_helpers.pipeline.notebooks import _period_from_parameters, batch_notebooks, find_notebook
from uem_helpers.pipeline.preflight import check_inputs
from uem_helpers.pipeline.progress import Progress, slowest_cells
from uem_helpers.pipeline.params import (
    declared_parameters,
    report_language,
    effective_parameters,
    parameterize,
    resolve_parameters,
)
from uem_helpers.pipeline.status import (
    STATUS_FAILED,
    STATUS_INTERRUPTED,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_RUNNING,
    _inside,
    _read_status,
    _report_lock,
    _safe_component,
    _set_status,
    build_index,
)


_RUNS = ".runs"


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
    warnings : tuple of str
        What the check before the run noticed (configured events without rows in the period...).
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
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True unless the run failed (a "no data" run is published, so it is not a failure)."""
        return self.status != STATUS_FAILED


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, object] | None = None,
    *,
    config_path: str | Path = "uem.yml",
    period: str | None = None,
    output_dir: str | Path | None = None,
    cell_timeout: int | None = None,
    run_timeout: int | None = None,
    progress: bool | Progress = False,
    check: bool = True,
    language: str | None = None,
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
    progress : bool or Progress
        Show the run's progress (the cell it is on, the time so far) on stderr; or report it into this
        :class:`~uem_helpers.pipeline.progress.Progress` (a batch's), which the caller starts and finishes.
    check : bool
        Check the data and the config's names first (:func:`~uem_helpers.pipeline.preflight.check_inputs`);
        :func:`run_period` checks once for the batch and turns this off.
    language : str, optional
        ``"en"`` or ``"zh"``: the report's language (its sentences, and its Markdown cells translated
        here); a ``language`` parameter, then the config's ``report.language``, when omitted.

    Returns
    -------
    RunResult
        The published run (status ``ok`` or ``no data``).

    Raises
    ------
    ParameterError
        Unknown parameter name, value of the wrong type, bad period or a name that would leave output_dir.
    ConfigDataError, SourceError, ContractErrors, DataQualityError
        The check before the run failed; nothing was run or written.
    EnvironmentFault
        The report folder cannot be written (read-only, permissions, a full disk).
    RunInterruptedError
        Ctrl-C or SIGTERM during the run; the status says interrupted.
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
    covered = asked or _period_from_parameters(source, values)
    label = covered.label
    chosen = report_language(cfg, language or values.get("language"))
    if "language" in declared_parameters(source):
        values["language"] = chosen
    input_nb = translate_markdown(parameterize(source, values), chosen)
    own_line = not isinstance(progress, Progress)  # a batch's Progress: the batch starts and finishes this item
    shown = Progress(enabled=bool(progress)) if own_line else progress
    root = (Path(output_dir) if output_dir is not None else cfg.resolve(cfg.report.output_dir)).absolute()
    folder = _inside(root, label)
    with shown.ticking() if own_line else nullcontext(), _spark_for_the_run(shown, cfg.engine), \
            shared_findings(folder / _RUNS):
        warnings = ()
        if check:
            own = {name: {**cfg.report.parameters.get(name, {}), **values}}
            warnings = tuple(_checked(shown, lambda: check_inputs(cfg, config_path, parse_period(label), own,
                                                                  on_step=shown.step)))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentFault.from_os_error(exc, "creating the report folder") from exc

        def locked() -> RunResult:
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
                    on_step=shown.step,
                    language=chosen,
                    project=project_folder(config_path),
                )

        result = _tracked(shown, name, locked) if own_line else locked()
    return replace(result, warnings=warnings)


def run_period(
    period: str,
    *,
    config_path: str | Path = "uem.yml",
    notebooks: Sequence[str] | None = None,
    output_dir: str | Path | None = None,
    parameters: Mapping[str, object] | None = None,
    cell_timeout: int | None = None,
    run_timeout: int | None = None,
    progress: bool | Progress = True,
    language: str | None = None,
) -> list[RunResult]:
    """Run every report of a period, continuing past failures, and rebuild the index.

    The data and the config's names are checked once, before the first notebook
    (:func:`~uem_helpers.pipeline.preflight.check_inputs`); a failed check runs nothing.

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
    progress : bool or Progress
        Show each notebook's progress on stderr (:mod:`uem_helpers.pipeline.progress`: one updating line on a
        terminal, time-stamped lines in a log), or report it into this :class:`Progress`.
    language : str, optional
        ``"en"`` or ``"zh"`` for every report of the batch; the config's ``report.language`` when omitted.

    Returns
    -------
    list of RunResult
        One per notebook, in order; failed runs have ``status == "failed"`` and ``error`` set.

    Raises
    ------
    ParameterError
        A bad period, or a parameter name that no notebook of the batch declares.
    ConfigDataError, SourceError, ContractErrors, DataQualityError
        The check before the batch failed; nothing was run or written.
    RunInterruptedError
        Ctrl-C or SIGTERM; the interrupted report's status says so, later reports did not run.
    """
    cfg = load_config(config_path)
    covered = parse_period(period)
    chosen = report_language(cfg, language)
    left_out: list[str] = []
    if notebooks is None:
        notebooks, left_out = batch_notebooks(cfg)
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
    own = {name: {k: v for k, v in (parameters or {}).items() if k in declared.get(name, ())} for name in notebooks}
    results = []
    shown = progress if isinstance(progress, Progress) else Progress(enabled=bool(progress))
    shown.total = len(notebooks)
    with shown.ticking(), _spark_for_the_run(shown, cfg.engine), \
            shared_findings(_inside(root.absolute(), covered.label) / _RUNS):
        named = {name: {**cfg.report.parameters.get(name, {}), **own[name]} for name in notebooks}
        warnings = tuple(left_out) + tuple(_checked(shown, lambda: check_inputs(cfg, config_path, covered, named,
                                                                                on_step=shown.step)))
        for name in notebooks:
            try:
                result = _tracked(shown, str(name), partial(
                    run_notebook,
                    name,
                    own[name],
                    config_path=config_path,
                    period=period,
                    output_dir=root,
                    cell_timeout=cell_timeout,
                    run_timeout=run_timeout,
                    check=False,
                    language=language,
                    progress=shown,
                ))
            except RunInterruptedError:
                build_index(root, chosen)
                raise
            except UEMError as exc:
                result = RunResult(notebook=str(name), period=period, status=STATUS_FAILED, error=exc)
            results.append(replace(result, warnings=warnings))
    build_index(root, chosen)
    return results


@contextmanager
def _spark_for_the_run(shown: Progress, engine: EngineConfig) -> Iterator[None]:
    """On ``backend: spark``, one Spark Connect server for every notebook of the run (a step of ``shown``)."""
    if not needs_server(engine):
        yield
        return
    shown.start("starting Spark", counted=False)
    with ExitStack() as stack:
        try:
            stack.enter_context(shared_spark(engine))
        except BaseException:
            shown.finish(STATUS_FAILED)
            raise
        shown.finish("done")
        yield


def _checked(shown: Progress, work: Callable[[], list[str]]) -> list[str]:
    """``work()``, the check before a run, as a step of ``shown`` outside its count of notebooks."""
    shown.start("checking the data and the config", counted=False)
    try:
        found = work()
    except BaseException:
        shown.finish(STATUS_FAILED)
        raise
    shown.finish("done")
    return found


def _tracked(shown: Progress, name: str, work: Callable[[], RunResult]) -> RunResult:
    """``work()`` as one item of ``shown``: started, then finished with its outcome (a failure's too)."""
    shown.start(name)
    try:
        result = work()
    except RunInterruptedError:
        shown.finish(STATUS_INTERRUPTED)
        raise
    except (UEMError, KeyboardInterrupt):
        shown.finish(STATUS_FAILED)
        raise
    shown.finish(result.status, result.duration_s)
    return result


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
    on_step: Callable[[str], None],
    language: str,
    project: Path,
) -> RunResult:
    started = datetime.now().astimezone()
    run_dir = folder / _RUNS / f"{name}-{started:%Y%m%dT%H%M%S.%f}-{os.getpid()}"
    previous = _read_status(folder / f"{name}.status.json") or {}
    kept = [a for a in previous.get("attachments") or [] if (folder / str(a)).is_file()]  # the last good run's
    last_good = f"{name}.html" if (folder / f"{name}.html").is_file() else None  # linked until replaced
    status = {"notebook": name, "period": label, "started_at": started.isoformat(timespec="seconds"),
              "attachments": kept, "html": last_good, "language": language}
    if last_good:  # what the index shows of the last good report until this run replaces it
        status.update({k: previous[k] for k in ("title", "finding", "good_at") if k in previous})
    executed = run_dir / f"{name}.ipynb"
    try:
        run_dir.mkdir(parents=True)
        _set_status(root, folder, name, {**status, "status": STATUS_RUNNING, "pid": os.getpid()})
        input_path = run_dir / f"{name}.input.ipynb"
        nbformat.write(input_nb, input_path)
        _execute(name, input_nb, input_path, executed, cwd, cell_timeout, run_timeout, on_step)
        nb = nbformat.read(executed, as_version=4)
        duration = (datetime.now().astimezone() - started).total_seconds()
        page = export_html(nb, RunInfo(name, effective_parameters(input_path, values), label, started, duration,
                                       language, project))
        # Everything is written into the run folder first (where a full disk would stop it), then moved.
        html_tmp = run_dir / f"{name}.html"
        html_tmp.write_text(page, encoding="utf-8")
        attached = attachments.read(nb.cells)
        for filename, text in attached.items():
            (run_dir / filename).write_text(text, encoding="utf-8")
        attachments.strip(nb.cells)  # the kept notebook (rewritten below) holds no copy: the churn outreach file has real ids
        recorded = _record_summary(nb, name, label, executed)
    except UEMError as exc:
        _fail(root, folder, name, status, started, exc, run_dir)
        raise
    except KeyboardInterrupt:
        error = RunInterruptedError(name, "the run was interrupted (Ctrl-C or SIGTERM)", None, "", run_dir)
        _fail(root, folder, name, status, started, error, run_dir, STATUS_INTERRUPTED)
        raise error from None
    except OSError as exc:  # a full disk or a folder that cannot be written, while running or publishing
        error = EnvironmentFault.from_os_error(exc, f"running report '{name}': writing")
        _fail(root, folder, name, status, started, error, run_dir)
        raise error from exc
    except Exception as exc:  # export failure: still a failed run, reported as such
        error = NotebookRunError(name, f"publishing failed: {type(exc).__name__}: {exc}", None, "", executed)
        _fail(root, folder, name, status, started, error, run_dir)
        raise error from exc
    os.replace(executed, folder / f"{name}.ipynb")
    os.replace(html_tmp, folder / f"{name}.html")
    for filename in [*attached, *recorded]:
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
         "attachments": sorted(attached), "title": title_of(nb) or name, "finding": summary.first_finding(nb.cells),
         "good_at": status["started_at"], "slowest_cells": slowest_cells(nb.cells)},
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


def _record_summary(nb: nbformat.NotebookNode, name: str, label: str, executed: Path) -> list[str]:
    """Record the first finding and the headline numbers in the executed notebook's metadata (rewritten in place)
    and the headline numbers in ``<name>.headline.json`` beside it; the names of the files to publish besides it."""
    record = summary.headline_record(name, label, nb.cells)
    nb.metadata[summary.METADATA_KEY] = {"first_finding": summary.first_finding(nb.cells),
                                         "headline": record["headline"] if record else None}
    nbformat.write(nb, executed)
    if record is None:
        return []
    filename = f"{name}.headline.json"
    (executed.parent / filename).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [filename]


def _fail(root: Path, folder: Path, name: str, status: dict, started: datetime, error: UEMError, run_dir: Path,
          outcome: str = STATUS_FAILED) -> None:
    """Record a failed or interrupted run (the last good report, if any, stays linked).

    Where the folder cannot be written (read-only, a full disk) the record is lost, not the message:
    the error raised after this says what happened.
    """
    duration = (datetime.now().astimezone() - started).total_seconds()
    last_good = folder / f"{name}.html"
    record = {
        **status,
        "status": outcome,
        "duration_s": round(duration, 1),
        "message": str(error),
        "run_dir": str(run_dir.relative_to(folder)) if run_dir.is_dir() else None,
        "html": last_good.name if last_good.is_file() else None,
    }
    with suppress(OSError):
        _set_status(root, folder, name, record)
