"""The ``uem`` command: a thin wrapper over the Python API, one command per job.

``uem sample``    write the sample data with its planted ground truth
``uem validate``  load every configured table, check the data contract, print a summary
``uem run``       run one notebook into a report
``uem report``    run every notebook for a period and rebuild the reports index

Everything here can be done from Python with the same names
(:func:`uem_helpers.sample.generate`, :func:`uem_helpers.sources.load`,
:func:`uem_helpers.report.run_notebook`, :func:`uem_helpers.report.run_period`).
Exit codes: 0 success, 1 a data, config or run problem (the message says
which), 2 wrong usage, 75 another run of the same report is already running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from .errors import UEMError

app = typer.Typer(help="UEM Workbench: user engineering analyses and shareable reports.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The workbench config (uem.yml).")]


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
    from .sample import generate

    try:
        truth = generate(out, users=users, seed=seed, progress=True)
    except UEMError as exc:
        _fail(exc)
    rows = truth["meta"]["row_counts"]
    console.print(f"Wrote {len(rows)} tables and ground_truth.json to {out}: "
                  + ", ".join(f"{name} {count:,} rows" for name, count in rows.items()))


@app.command()
def validate(config: ConfigOption = Path("uem.yml")) -> None:
    """Load every configured table, check the data contract and print a per-table summary."""
    from .config import load_config
    from .sources import load

    try:
        dataset = load(load_config(config))
        summary = dataset.summary()
    except UEMError as exc:
        _fail(exc)
    summary = summary.drop(columns=["timezone"], errors="ignore")
    table = Table(title=f"Data summary (times in {dataset.timezone})", box=box.SIMPLE_HEAD)
    for column in summary.columns:
        table.add_column(str(column), justify="right" if summary[column].dtype.kind in "iuf" else "left",
                         overflow="fold", no_wrap=True)
    for _, row in summary.iterrows():
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    for warning in dataset.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    missing = [name for name in ("users", "carts", "feedback", "nps", "assignments") if not dataset.has(name)]
    if missing:
        console.print(f"Not configured (analyses that need them say so and the rest runs): {', '.join(missing)}")
    console.print(f"[green]OK[/]: the data meets the contract; fingerprint {dataset.fingerprint()}")


def _cell(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.0f}" if value == value else ""
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
