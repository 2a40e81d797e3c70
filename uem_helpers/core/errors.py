"""Errors of the UEM Workbench: one base class, a few precise subclasses.

Every message is written for the analyst who will read it: it names the
table, column, key, value, file or notebook cell that is wrong, and what
would be right. Catch :class:`UEMError` to catch everything the workbench
raises on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class UEMError(Exception):
    """Base class of every error the workbench raises on purpose."""


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
        rows = f" ({n_bad:,} rows)" if n_bad else ""
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

    def __init__(self, table: str, needed_for: str):
        self.table, self.needed_for = table, needed_for
        super().__init__(
            f"No '{table}' table is configured, so {needed_for} is skipped. "
            f"Add a '{table}' entry under 'sources' in the config to include it."
        )


class ParameterError(UEMError):
    """A notebook parameter is unknown, malformed or of the wrong type."""


class ReportError(UEMError):
    """A report run failed; the last good report was left untouched."""
