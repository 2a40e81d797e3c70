"""Errors of the UEM Workbench: one base class, a few precise subclasses.

Every message is written for the analyst who will read it: it names the
table, column, key, value, file or notebook cell that is wrong, and what
would be right. Catch :class:`UEMError` to catch everything the workbench
raises on purpose.

Each class carries the exit code the ``uem`` command ends with when it stops
on that error (the table in the README):

====  ==========================================================================
code  meaning
====  ==========================================================================
0     done (a report that found no data in its period says so and counts as done)
1     a report run failed: a cell raised, the kernel died, a cell or run timeout
2     bad config or arguments: a wrong key or value, a name the data lacks, a bad period
3     data that fails the contract: unreadable file, missing column, ids that do not join,
      data-quality findings above threshold with ``validate.strict``
4     the environment: a folder that cannot be written, a full disk, a missing permission
70    an internal error (a bug in the workbench: the log file has the traceback)
75    busy: the same report is already running
130   interrupted (Ctrl-C or SIGTERM); the status says so and the next run is not blocked
====  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


#: Exit codes of the ``uem`` command, by cause (see the table above).
EXIT_RUN_FAILED, EXIT_USAGE, EXIT_DATA, EXIT_ENVIRONMENT = 1, 2, 3, 4
EXIT_INTERNAL, EXIT_BUSY, EXIT_INTERRUPTED = 70, 75, 130


class UEMError(Exception):
    """Base class of every error the workbench raises on purpose."""

    #: The ``uem`` command's exit code when it stops on this error.
    exit_code = EXIT_RUN_FAILED


class ConfigError(UEMError):
    """The config file (``uem.yml``) has a wrong key or value.

    Parameters
    ----------
    key : str
        Dotted path of the offending key, e.g. ``sources.events.format``.
    value : object
        The value found there.
    allowed : str
        What would be accepted, in words.
    source : str, optional
        The config file the value came from.
    """

    exit_code = EXIT_USAGE

    def __init__(self, key: str, value: object, allowed: str, source: str | None = None):
        self.key, self.value, self.allowed, self.source = key, value, allowed, source
        where = f" in {source}" if source else ""
        super().__init__(f"config key '{key}'{where}: got {value!r}; {allowed}")


@dataclass(frozen=True)
class ConfigProblem:
    """One name in the config that the data does not have.

    Attributes
    ----------
    key : str
        Config key path, e.g. ``funnels.account_opening.steps[2]``.
    name : str
        The name found there, e.g. ``id_verfied``.
    kind : str
        What it names: ``event``, ``funnel``, ``column``, ``experiment`` or ``variant``.
    where : str
        Where it was looked for, e.g. ``the events table``.
    suggestions : tuple of str
        Up to three existing names closest to it, best first.
    """

    key: str
    name: str
    kind: str
    where: str
    suggestions: tuple[str, ...] = ()

    def __str__(self) -> str:
        hint = f"; did you mean {' or '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        return f"config key '{self.key}': {self.kind} {self.name!r} is not in {self.where}{hint}"


class ConfigDataError(UEMError):
    """The config names events, funnels, columns or experiments that the data does not have.

    Every problem is listed, one line each; fix the config (or the ``event_names``
    mapping of the source) and run again.

    Parameters
    ----------
    problems : sequence of ConfigProblem
        What is missing, where.
    source : str, optional
        The config file.
    """

    exit_code = EXIT_USAGE

    def __init__(self, problems: Sequence[ConfigProblem], source: str | None = None):
        self.problems, self.source = list(problems), source
        where = f" ({source})" if source else ""
        super().__init__(
            f"the config{where} names {len(self.problems)} thing(s) the data does not have:\n"
            + "\n".join(f"  - {p}" for p in self.problems)
            + "\nFix the names in the config, or map your event names under the source's 'event_names'."
        )


class SourceError(UEMError):
    """A data source cannot be opened: a missing path, an unknown format, an empty file."""

    exit_code = EXIT_DATA


class EncodingError(SourceError):
    """A text file could not be decoded with any supported encoding.

    Parameters
    ----------
    path : str
        The file.
    offset : int
        Byte offset of the first byte that did not decode (with the last encoding tried).
    tried : sequence of str
        The encodings tried, in order.
    """

    def __init__(self, path: str, offset: int, tried: Sequence[str]):
        self.path, self.offset, self.tried = path, offset, list(tried)
        super().__init__(
            f"{path}: cannot decode the file at byte offset {offset}; "
            f"tried encodings {', '.join(self.tried)}. "
            "Re-export it as UTF-8, or set 'encoding' for this source in the config."
        )


class ContractError(UEMError):
    """A table breaks the data contract (missing column, bad values, duplicate ids...).

    Parameters
    ----------
    table : str
        Canonical table name, e.g. ``events``.
    column : str or None
        Canonical column name, or None for a table-level problem.
    problem : str
        What is wrong, in words.
    n_bad : int
        Number of offending rows (0 for a missing column or an empty table).
    examples : sequence, optional
        Up to five offending values.
    """

    exit_code = EXIT_DATA

    def __init__(
        self,
        table: str,
        column: str | None,
        problem: str,
        n_bad: int = 0,
        examples: Sequence[object] = (),
    ):
        self.table, self.column, self.problem = table, column, problem
        self.n_bad, self.examples = n_bad, list(examples)[:5]
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        rows = f" ({n_bad:,} {'row' if n_bad == 1 else 'rows'})" if n_bad else ""
        shown = f"; e.g. {', '.join(repr(e) for e in self.examples)}" if self.examples else ""
        super().__init__(f"{where}: {problem}{rows}{shown}")


class ContractErrors(ContractError):
    """Several contract errors found in one validation pass, reported together."""

    def __init__(self, errors: Sequence[ContractError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.table, first.column, first.problem, first.n_bad, first.examples)
        self.args = (
            f"{len(self.errors)} data contract problem(s):\n"
            + "\n".join(f"  - {e.args[0]}" for e in self.errors),
        )


class MissingTableError(UEMError):
    """An analysis needs a table the config does not provide.

    The message is one sentence a report can show as it is.
    """

    exit_code = EXIT_USAGE

    def __init__(self, table: str, needed_for: str):
        self.table, self.needed_for = table, needed_for
        super().__init__(
            f"No '{table}' table is configured, so {needed_for} is skipped. "
            f"Add a '{table}' entry under 'sources' in the config to include it."
        )


class ParameterError(UEMError):
    """A notebook parameter is unknown, malformed or of the wrong type."""

    exit_code = EXIT_USAGE


class ReportError(UEMError):
    """A report run failed; the last good report was left untouched."""


class ResultTooLargeError(UEMError):
    """An Ibis expression brought back more rows than the row guard allows (:mod:`uem_helpers.data.row_guard`).

    An analysis should aggregate in the engine and bring back a small frame; this one
    materialised more rows than the limit in pandas or pyarrow.

    Parameters
    ----------
    rows : int
        Rows the result held.
    limit : int
        The guard's limit (``UEM_MAX_RESULT_ROWS``).
    where : str
        The function that asked for the result, and the workbench function the call came through.
    exact : bool
        False when the guard stopped reading at ``limit + 1`` rows: the result had at least ``rows``.
    """

    def __init__(self, rows: int, limit: int, where: str, exact: bool = True):
        self.rows, self.limit, self.where, self.exact = rows, limit, where, exact
        count = f"{rows:,}" if exact else f"more than {limit:,}"
        super().__init__(
            f"{where} brought back {count} rows into memory, and the row guard (UEM_MAX_RESULT_ROWS) allows "
            f"{limit:,}: aggregate in the Ibis expression and bring back only the small result"
        )


class EnvironmentFault(UEMError):
    """The machine refused: a folder that cannot be written, a full disk, a missing permission.

    Parameters
    ----------
    path : str or None
        The file or folder the operation was on.
    doing : str
        What the workbench was doing, e.g. ``writing the report``.
    reason : str
        The system's reason (``No space left on device``).
    advice : str
        What to do about it.
    """

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, path: str | None, doing: str, reason: str, advice: str):
        self.path, self.doing, self.reason, self.advice = path, doing, reason, advice
        where = f" {path}" if path else ""
        super().__init__(f"{doing}{where} failed: {reason}. {advice}")

    @classmethod
    def from_os_error(cls, error: OSError, doing: str = "a file operation on") -> EnvironmentFault:
        """The fault for an ``OSError``, with advice that fits its errno."""
        import errno

        advice = {
            errno.ENOSPC: "Free disk space (or point report.output_dir / cache_dir at a larger disk) and run again.",
            errno.EDQUOT: "Free space within your disk quota and run again.",
            errno.EROFS: "The file system is read-only: set report.output_dir (and cache_dir) to a writable folder.",
            errno.EACCES: "You may not write there: fix the folder's permissions or set report.output_dir (and "
                          "cache_dir) to a folder you own.",
            errno.EPERM: "You may not write there (read-only or immutable): fix the folder's permissions or set "
                         "report.output_dir (and cache_dir) to a folder you own.",
            errno.EMFILE: "Too many open files: raise the limit (ulimit -n) and run again.",
            errno.EEXIST: "A file stands where a folder is expected: check report.output_dir and cache_dir.",
            errno.ENOTDIR: "A file stands where a folder is expected: check report.output_dir and cache_dir.",
        }.get(error.errno, "Check the path and the machine, then run again.")
        path = error.filename if error.filename is not None else None
        return cls(None if path is None else str(path), doing, error.strerror or type(error).__name__, advice)
