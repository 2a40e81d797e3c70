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
Exit codes: 0 success, 1 a data, config or run problem (the message says
which), 2 wrong usage or a config that names events, funnels, columns or
experiments the data does not have, 75 another run of the same report is
already running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from uem_helpers.core.errors import UEMError

app = typer.Typer(help="UEM Workbench: user engineering analyses and shareable reports.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
#: Exit code of a config that names what the data does not have (like wrong usage: fix the command's input).
EXIT_CONFIG_MISMATCH = 2

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The workbench config (uem.yml).")]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--parameter", "-p", help="A notebook parameter as key=value; repeat for more."),
]
OutputOption = Annotated[Path | None, typer.Option("--output-dir", help="Where reports go (default: the config's).")]
CellTimeoutOption = Annotated[int | None, typer.Option("--cell-timeout", min=1, help="Seconds one cell may run.")]
RunTimeoutOption = Annotated[int | None, typer.Option("--run-timeout", min=1, help="Seconds one notebook may run.")]


def _fail(exc: Exception, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables into.")] = Path("data/generated"),
    users: Annotated[int, typer.Option("--users", "-n", min=1, help="Number of users.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed; same seed, same bytes.")] = 9,
) -> None:
    """Write the sample tables (events, users, carts, feedback, nps, assignments, plan) and ground_truth.json."""
    from uem_helpers.sample import generate

    try:
        truth = generate(out, users=users, seed=seed, progress=True)
    except UEMError as exc:
        _fail(exc)
    rows = truth["meta"]["row_counts"]
    console.print(f"Wrote {len(rows)} tables and ground_truth.json to {out}: "
                  + ", ".join(f"{name} {count:,} rows" for name, count in rows.items()))


@app.command()
def validate(
    config: ConfigOption = Path("uem.yml"),
    period: Annotated[str | None, typer.Option(
        "--period", help="YYYY-MM or YYYY-MM..YYYY-MM: also warn about configured events with no rows in it.")] = None,
) -> None:
    """Load every configured table, check the data contract and the config's names, print a per-table summary."""
    from uem_helpers.core.config import load_config
    from uem_helpers.core.period import parse_period
    from uem_helpers.data.config_check import check_config_against_data
    from uem_helpers.data.quality import data_quality
    from uem_helpers.data.sources import load

    try:
        settings = load_config(config)
        dataset = load(settings)
        window = parse_period(period) if period else None
        name_warnings = check_config_against_data(settings, dataset, window and window.start, window and window.end,
                                                  source=str(config))
        quality = data_quality(dataset, window and window.start, window and window.end,
                               thresholds=settings.checks.thresholds, gap=settings.sessions.gap,
                               strict=settings.checks.strict)
        summary = dataset.summary()
    except UEMError as exc:
        _fail(exc, _exit_code(exc))
    summary = summary.drop(columns=["timezone"], errors="ignore")
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
def run(
    notebook: Annotated[str, typer.Argument(help="Notebook name in notebooks/ (e.g. onboarding_funnel) or a path.")],
    parameter: ParamOption = None,
    period: Annotated[str | None, typer.Option("--period", help="YYYY-MM or YYYY-MM..YYYY-MM.")] = None,
    config: ConfigOption = Path("uem.yml"),
    output_dir: OutputOption = None,
    cell_timeout: CellTimeoutOption = None,
    run_timeout: RunTimeoutOption = None,
) -> None:
    """Run one notebook with papermill into reports/<period>/<notebook>.html (and rebuild the index)."""
    from uem_helpers.pipeline.run import run_notebook

    try:
        result = run_notebook(
            notebook, _parameters(parameter), config_path=config, period=period, output_dir=output_dir,
            cell_timeout=cell_timeout, run_timeout=run_timeout, progress=True,
        )
    except UEMError as exc:
        _fail(exc, _exit_code(exc))
    _print_results([result])
    if not result.ok:
        raise typer.Exit(_exit_code(result.error))


@app.command()
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
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Run every notebook for a period (the config's report.notebooks that exist) and rebuild reports/index.html."""
    from uem_helpers.pipeline.run import run_period

    try:
        results = run_period(
            period, config_path=config, notebooks=notebook or None, output_dir=output_dir,
            parameters=_parameters(parameter), cell_timeout=cell_timeout, run_timeout=run_timeout, progress=progress,
        )
    except UEMError as exc:
        _fail(exc, _exit_code(exc))
    _print_results(results)
    codes = {_exit_code(r.error) for r in results if not r.ok}
    if codes:  # 75 only when every failure was "already running"; any other failure is 1
        raise typer.Exit(codes.pop() if len(codes) == 1 else 1)


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


def _exit_code(error: Exception | None) -> int:
    """75 for a report already running, 2 for a config that names what the data lacks, else 1."""
    from uem_helpers.core.errors import ConfigDataError
    from uem_helpers.pipeline.failures import EXIT_ALREADY_RUNNING, AlreadyRunningError

    if isinstance(error, AlreadyRunningError):
        return EXIT_ALREADY_RUNNING
    return EXIT_CONFIG_MISMATCH if isinstance(error, ConfigDataError) else 1


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
    for r in results:
        if r.status == "failed":
            err_console.print(f"[bold red]failed[/] {r.notebook} ({r.period}): {r.error}", highlight=False, soft_wrap=True)
        elif r.status == "no data":
            console.print(f"[yellow]no data[/] {r.notebook} ({r.period}): the report says so -> {r.html}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]ok[/] {r.notebook} ({r.period}) in {r.duration_s:.0f} s -> {r.html}", highlight=False, soft_wrap=True)


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
