"""How a report run fails: a cell error, a dead kernel, a cell or run timeout, an interruption
(Ctrl-C, SIGTERM; exit code 130), or the same report already running (exit code 75). Each names the
notebook, the cell and the cause.
"""

from __future__ import annotations

from pathlib import Path

from uem_helpers.core.errors import EXIT_BUSY, EXIT_INTERRUPTED, ReportError


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
    """A cell raised an exception (``error_name`` and ``error_message`` say which).

    DuckDB running out of its memory limit is said in the config's terms (:data:`OUT_OF_MEMORY`)
    instead of DuckDB's own advice, which names SQL settings a report user cannot reach.
    """

    def __init__(
        self, notebook: str, cell_number: int | None, cell_line: str, error_name: str, error_message: str, kept: Path
    ):
        self.error_name, self.error_message = error_name, error_message
        if error_name == "OutOfMemoryException":
            cause = OUT_OF_MEMORY.format(detail=(error_message.strip().splitlines() or [""])[0])
        else:
            cause = f"{error_name}: {error_message}"
        super().__init__(notebook, cause, cell_number, cell_line, kept)


#: The cause of a cell that ran DuckDB out of its memory limit; ``detail`` is DuckDB's first line.
OUT_OF_MEMORY = (
    "DuckDB ran out of its memory limit ({detail}). Give it more room in the config: engine.memory_limit up to "
    "what the machine can spare (leave ~2 GB for the notebook kernel), engine.temp_directory on a disk with free "
    "space about the size of the events' files, so that it can spill; or run on Spark (engine.backend: spark). "
    "See docs/engine.md, 'Big logs on one machine'"
)


class KernelDiedError(NotebookRunError):
    """The kernel process died while a cell ran (killed, out of memory, crashed)."""


class CellTimeoutError(NotebookRunError):
    """A cell ran longer than the per-cell timeout."""


class RunTimeoutError(NotebookRunError):
    """The whole run took longer than the run timeout; the run was killed."""


class RunInterruptedError(NotebookRunError):
    """The run was interrupted (Ctrl-C or SIGTERM); its status says so and the lock is released."""

    exit_code = EXIT_INTERRUPTED


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

    exit_code = EXIT_BUSY

    def __init__(self, notebook: str, period: str, pid: str, lock: Path):
        self.notebook, self.period, self.pid, self.lock = notebook, period, pid, lock
        super().__init__(
            f"report '{notebook}' for period {period} is already running (pid {pid}, lock {lock}); "
            "nothing was written. Try again when that run has finished."
        )
