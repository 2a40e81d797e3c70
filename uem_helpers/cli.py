"""The ``uem`` command: a thin wrapper over the Python API, one command per job.

``uem sample``    write the sample data with its planted ground truth
``uem validate``  load every configured table, check the data contract, print a summary
``uem run``       run one notebook into a report
``uem report``    run every notebook for a period and rebuild the reports index
``uem lab``       start JupyterLab on the notebooks, with the workbench's kernel

Everything here can be done from Python with the same names
(:func:`uem_helpers.sample.generate`, :func:`uem_helpers.data.sources.load`,
:func:`uem_helpers.pipeline.run.run_notebook`, :func:`uem_helpers.pipeline.run.run_period`,
:func:`uem_helpers.widgets.lab.run_lab`).
Exit codes (the table in the README and :mod:`uem_helpers.core.errors`): 0 done, 1 a report run
failed, 2 bad config or arguments, 3 data that fails the contract, 4 the environment (a folder
that cannot be written, a full disk), 70 an internal error, 75 busy, 130 interrupted.

A failure prints a few lines: what is wrong, where, what to do, and the log file that holds the
full traceback (``$UEM_LOG_DIR``, else ``~/.cache/uem-workbench/logs``). ``uem --debug ...``
(or ``UEM_DEBUG=1``) prints the traceback on the screen too; ``--debug`` may stand anywhere
on the command line.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from uem_helpers.core import formats
from uem_helpers.core.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_RUN_FAILED,
    EnvironmentFault,
    UEMError,
)

app = typer.Typer(help="UEM Workbench: user engineering analyses and shareable reports.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)
#: This invocation's options (set by the callback on every command line).
_state = {"debug": False}
#: Where tracebacks go unless $UEM_LOG_DIR says otherwise.
LOG_DIR = Path("~/.cache/uem-workbench/logs")

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The workbench config (uem.yml).")]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--parameter", "-p", help="A notebook parameter as key=value; repeat for more."),
]
OutputOption = Annotated[Path | None, typer.Option("--output-dir", help="Where reports go (default: the config's).")]
CellTimeoutOption = Annotated[int | None, typer.Option("--cell-timeout", min=1, help="Seconds one cell may run.")]
RunTimeoutOption = Annotated[int | None, typer.Option("--run-timeout", min=1, help="Seconds one notebook may run.")]
ProgressOption = Annotated[bool, typer.Option(
    "--progress/--no-progress",
    help="Show progress on stderr: one updating line on a terminal, time-stamped lines in a log.")]
LanguageOption = Annotated[
    str | None, typer.Option("--language", help="en or zh: the reports' language (default: the config's report.language).")
]


def main() -> None:
    """The ``uem`` entry point: ``--debug`` anywhere on the line becomes the global option."""
    args = sys.argv[1:]
    if "--debug" in args:
        args = ["--debug", *[a for a in args if a != "--debug"]]
    app(args=args, prog_name="uem")


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="On failure, print the full traceback too.")] = False,
) -> None:
    """UEM Workbench: user engineering analyses and shareable reports."""
    _state["debug"] = debug or bool(os.environ.get("UEM_DEBUG"))
    # Ctrl-C and SIGTERM stop a command whatever this process inherited: a parent may hand SIGINT down
    # ignored (a shell script's background job, `uem report &`) or blocked, and Python keeps both.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a scheduler stopping the job) ends a run like Ctrl-C: status interrupted, lock released."""
    raise KeyboardInterrupt


def _guarded(command: Callable) -> Callable:
    """Run a command so that every failure ends in a few lines and a documented exit code.

    A workbench error prints its message; an ``OSError`` is an :class:`EnvironmentFault` (exit 4);
    Ctrl-C exits 130; anything else is a bug (exit 70). The traceback goes to a log file the message
    names, and to the screen only with ``--debug``.
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except UEMError as exc:
            _fail(exc, exc.exit_code)
        except OSError as exc:
            _fail(EnvironmentFault.from_os_error(exc), EnvironmentFault.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; nothing more was run (a report that was running says so in its status).",
                  EXIT_INTERRUPTED)
        except Exception as exc:  # a bug: say so, keep the traceback
            _fail(f"internal error ({type(exc).__name__}: {_first_line(exc)}). This is a bug in the workbench; "
                  "please report it with the log file.", EXIT_INTERNAL)

    return run


def _fail(problem: object, code: int = EXIT_RUN_FAILED) -> None:
    """Print the problem and the log file holding the traceback (also on screen with --debug); exit ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    log = _write_log(problem)
    if log is not None:
        err_console.print(f"details: {log}", highlight=False, soft_wrap=True)
    if _state["debug"] and sys.exc_info()[0] is not None:
        err_console.print(traceback.format_exc(), highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(code)


def _write_log(problem: object) -> Path | None:
    """Write the command line, the message and the traceback to a new log file; None if nowhere is writable."""
    stamp = f"{datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}"
    text = f"uem {' '.join(sys.argv[1:])}\n{problem}\n\n{traceback.format_exc()}"
    configured = os.environ.get("UEM_LOG_DIR")
    for folder in [Path(configured)] if configured else [LOG_DIR.expanduser(), Path(tempfile.gettempdir()) / "uem-logs"]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"uem-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


@app.command()
@_guarded
def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables into.")] = Path("data/generated"),
    users: Annotated[int, typer.Option("--users", "-n", min=1, help="Number of users.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed; same seed, same bytes.")] = 9,
) -> None:
    """Write the sample tables (events, users, carts, feedback, nps, assignments, plan) and ground_truth.json."""
    from uem_helpers.sample import generate

    truth = generate(out, users=users, seed=seed, progress=True)
    rows = truth["meta"]["row_counts"]
    console.print(f"Wrote {len(rows)} tables and ground_truth.json to {out}: "
                  + ", ".join(f"{name} {count:,} rows" for name, count in rows.items()))


@app.command()
@_guarded
def validate(
    config: ConfigOption = Path("uem.yml"),
    period: Annotated[str | None, typer.Option(
        "--period", help="YYYY-MM or YYYY-MM..YYYY-MM: also warn about configured events with no rows in it.")] = None,
    progress: ProgressOption = True,
) -> None:
    """Load every configured table, check the data contract and the config's names, print a per-table summary."""
    from uem_helpers.core.config import load_config
    from uem_helpers.core.period import parse_period
    from uem_helpers.data.config_check import check_config_against_data
    from uem_helpers.data.quality import data_quality
    from uem_helpers.data.sources import load
    from uem_helpers.pipeline.progress import Progress

    settings = load_config(config)
    window = parse_period(period) if period else None
    shown = Progress(enabled=progress)
    with shown.ticking():
        shown.start("validate")
        try:
            dataset = load(settings, on_step=shown.step)
            shown.step("checking the config's names against the data")
            name_warnings = check_config_against_data(settings, dataset, window and window.start,
                                                      window and window.end, source=str(config))
            shown.step("measuring data quality")
            quality = data_quality(dataset, window and window.start, window and window.end,
                                   strict=settings.checks.strict, config=settings)
            shown.step("counting rows and users per table")
            summary = dataset.summary().drop(columns=["timezone"], errors="ignore")
        except BaseException:
            shown.finish("failed")
            raise
        shown.finish("done")
    table = Table(title=f"Data summary (times in {dataset.timezone})", box=box.SIMPLE_HEAD)
    for column in summary.columns:
        table.add_column(str(column), justify="right" if summary[column].dtype.kind in "iuf" else "left",
                         overflow="fold", no_wrap=True)
    for _, row in summary.iterrows():
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    for warning in [*dataset.warnings, *name_warnings]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    _print_quality(quality)
    missing = [name for name in ("users", "carts", "feedback", "nps", "assignments") if not dataset.has(name)]
    if missing:
        console.print(f"Not configured (analyses that need them say so and the rest runs): {', '.join(missing)}")
    console.print(f"[green]OK[/]: the data meets the contract and has every event, column and experiment the config "
                  f"names; fingerprint {dataset.fingerprint()}")


@app.command()
@_guarded
def run(
    notebook: Annotated[str, typer.Argument(help="Notebook name in notebooks/ (e.g. onboarding_funnel) or a path.")],
    parameter: ParamOption = None,
    period: Annotated[str | None, typer.Option("--period", help="YYYY-MM or YYYY-MM..YYYY-MM.")] = None,
    config: ConfigOption = Path("uem.yml"),
    output_dir: OutputOption = None,
    cell_timeout: CellTimeoutOption = None,
    run_timeout: RunTimeoutOption = None,
    language: LanguageOption = None,
    progress: ProgressOption = True,
) -> None:
    """Run one notebook with papermill into reports/<period>/<notebook>.html (and rebuild the index)."""
    from uem_helpers.pipeline.run import run_notebook

    result = run_notebook(
        notebook, _parameters(parameter), config_path=config, period=period, output_dir=output_dir,
        cell_timeout=cell_timeout, run_timeout=run_timeout, progress=progress, language=language,
    )
    _print_results([result])


@app.command()
@_guarded
def report(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM or YYYY-MM..YYYY-MM.")],
    config: ConfigOption = Path("uem.yml"),
    notebook: Annotated[
        list[str] | None, typer.Option("--notebook", "-n", help="Only this notebook; repeat for more.")
    ] = None,
    parameter: ParamOption = None,
    output_dir: OutputOption = None,
    cell_timeout: CellTimeoutOption = None,
    run_timeout: RunTimeoutOption = None,
    progress: ProgressOption = True,
    language: LanguageOption = None,
) -> None:
    """Run every notebook for a period (the config's report.notebooks that exist) and rebuild reports/index.html."""
    from uem_helpers.pipeline.run import run_period

    results = run_period(
        period, config_path=config, notebooks=notebook or None, output_dir=output_dir,
        parameters=_parameters(parameter), cell_timeout=cell_timeout, run_timeout=run_timeout, progress=progress,
        language=language,
    )
    _print_results(results)
    codes = {r.error.exit_code for r in results if not r.ok}
    if codes:  # one cause, its code (75 when every failure was "already running"); mixed causes are 1
        raise typer.Exit(codes.pop() if len(codes) == 1 else EXIT_RUN_FAILED)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab(
    ctx: typer.Context,
    root: Annotated[
        Path, typer.Option("--root", help="Folder to open: the one holding notebooks/ and uem.yml.")
    ] = Path("."),
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="Address to listen on (default: localhost).")] = None,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open a browser tab.")] = True,
) -> None:
    """Start JupyterLab on the notebooks with the workbench's kernel; other options go to jupyter lab as given."""
    from uem_helpers.widgets.lab import run_lab

    if not (root / "notebooks").is_dir():
        err_console.print(f"[yellow]warning:[/] {root.resolve()} has no notebooks/ folder; opening it anyway.",
                          highlight=False, soft_wrap=True)
    run_lab(root, port=port, ip=ip, open_browser=browser, extra=ctx.args)


def _parameters(pairs: list[str] | None) -> dict[str, str]:
    """``key=value`` pairs as given; the pipeline converts each value to the type the notebook declares."""
    values = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"'{pair}' is not key=value", param_hint="--parameter")
        values[key.strip()] = value
    return values


def _print_results(results) -> None:
    for warning in dict.fromkeys(w for r in results for w in r.warnings):
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    for r in results:
        if r.status == "failed":
            err_console.print(f"[bold red]failed[/] {r.notebook} ({r.period}): {r.error}", highlight=False, soft_wrap=True)
        elif r.status == "no data":
            console.print(f"[yellow]no data[/] {r.notebook} ({r.period}): the report says so -> {r.html}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]ok[/] {r.notebook} ({r.period}) in {formats.duration(r.duration_s)} -> {r.html}",
                          highlight=False, soft_wrap=True)


def _print_quality(quality) -> None:
    """The data-quality findings with a count, as a table; those above their threshold also say what they mean."""
    frame = quality.frame()
    if frame.empty:
        console.print("Data quality: no finding.")
        return
    table = Table(title="Data quality (validate.thresholds)", box=box.SIMPLE_HEAD)
    for column, justify in [("table", "left"), ("finding", "left"), ("rows", "right"), ("share", "right"),
                            ("threshold", "right"), ("e.g.", "left")]:
        table.add_column(column, justify=justify, overflow="fold")
    for f in (f for f in quality.findings if f.n):
        threshold = "info" if f.threshold is None else f"{f.threshold:.1%}"
        share = f"[bold red]{f.share:.1%}[/]" if f.exceeded else f"{f.share:.1%}"
        table.add_row(f.table, f.what, f"{f.n:,} of {f.of:,}", share, threshold, ", ".join(map(repr, f.examples)))
    console.print(table)
    for f in quality.exceeded:
        console.print(f"[yellow]data quality:[/] {f.sentence()}", highlight=False)


def _cell(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.0f}" if value == value else ""
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
