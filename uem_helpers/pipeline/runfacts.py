"""Run facts: what a notebook tells its report header about the data it read.

A notebook calls :func:`record` once its tables are loaded::

    runfacts.record(rows={"events": 1_204_332, "users": 50_000},
                    fingerprint="9f2c41d0a7b3", period=(period_start, period_end),
                    timezone=cfg.timezone)

:func:`record` displays a JSON output with the MIME type :data:`MIME_TYPE`.
JupyterLab has no renderer for it, so it shows nothing in the notebook; the
report exporter finds it in the executed notebook with :func:`read` and puts
the rows read per table, the data fingerprint and the period in the report
header. Several calls merge: row counts add up per table name (the last call
wins for a table named twice), other facts are replaced by the later call.

Every call also records the privacy settings in force (``privacy``: the
active :class:`uem_helpers.present.privacy.Policy`'s facts, or those passed), so
every report that records run facts gets a privacy footer without code. A
notebook therefore calls :func:`uem_helpers.present.privacy.use` before
:func:`record`; privacy itself knows nothing of run facts (it sits below the
pipeline).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from uem_helpers.core.errors import ParameterError
from uem_helpers.present import privacy as _privacy

#: MIME type of the run-facts output a notebook displays.
MIME_TYPE = "application/vnd.uem.runfacts+json"


@dataclass(frozen=True)
class RunFacts:
    """Facts a notebook recorded about one run.

    Attributes
    ----------
    rows : dict of str to int
        Rows read per canonical table, e.g. ``{"events": 1204332}``.
    fingerprint : str or None
        A short digest identifying the data read (the same data gives the same digest).
    period : tuple of (str, str) or None
        First and last day the data covers, ``("2026-10-01", "2026-10-31")``.
    timezone : str or None
        Time zone of the wall-clock timestamps (the config's ``timezone``).
    privacy : dict or None
        The privacy settings applied (:meth:`uem_helpers.present.privacy.Policy.facts`), for the footer.
    """

    rows: dict[str, int] = field(default_factory=dict)
    fingerprint: str | None = None
    period: tuple[str, str] | None = None
    timezone: str | None = None
    privacy: dict | None = None

    @property
    def no_data(self) -> bool:
        """True when rows were recorded and every table read zero rows."""
        return bool(self.rows) and all(n == 0 for n in self.rows.values())


def record(
    *,
    rows: Mapping[str, int] | None = None,
    fingerprint: str | None = None,
    period: tuple[object, object] | None = None,
    timezone: str | None = None,
    privacy: Mapping[str, object] | None = None,
) -> dict:
    """Record facts about the data this notebook read, for the report header.

    Parameters
    ----------
    rows : mapping of str to int, optional
        Rows read per table; zeros for every table mark the run "no data" in the index.
    fingerprint : str, optional
        Digest identifying the data read.
    period : (start, end), optional
        First and last day of the data period (dates or ISO date strings).
    timezone : str, optional
        Time zone of the wall-clock timestamps.
    privacy : mapping, optional
        Privacy settings applied; the active policy's (:func:`uem_helpers.present.privacy.active`) when None.

    Returns
    -------
    dict
        The JSON payload displayed (useful in tests).

    Raises
    ------
    ParameterError
        A row count is not a non-negative integer.
    """
    payload: dict[str, object] = {}
    if rows is not None:
        payload["rows"] = {str(table): _row_count(table, n) for table, n in rows.items()}
    if fingerprint is not None:
        payload["fingerprint"] = str(fingerprint)
    if period is not None:
        start, end = period
        payload["period"] = [_iso(start), _iso(end)]
    if timezone is not None:
        payload["timezone"] = str(timezone)
    if privacy is None:
        privacy = _privacy.active().facts()
    payload["privacy"] = dict(privacy)
    from IPython.display import display  # lazy: the exporter imports this module without IPython

    display({MIME_TYPE: payload}, raw=True)
    return payload


def read(cells: Iterable[Mapping]) -> RunFacts | None:
    """Collect the facts recorded in an executed notebook's cells.

    Parameters
    ----------
    cells : iterable of notebook cells
        ``nb.cells`` of the executed notebook.

    Returns
    -------
    RunFacts or None
        The merged facts, or None when the notebook recorded nothing.
    """
    found = False
    rows: dict[str, int] = {}
    facts: dict[str, object] = {}
    for cell in cells:
        for output in cell.get("outputs", ()):
            payload = output.get("data", {}).get(MIME_TYPE)
            if not isinstance(payload, Mapping):
                continue
            found = True
            rows.update({str(k): int(v) for k, v in payload.get("rows", {}).items()})
            facts.update({k: payload[k] for k in ("fingerprint", "timezone", "period", "privacy") if k in payload})
    if not found:
        return None
    period = facts.get("period")
    return RunFacts(
        rows=rows,
        fingerprint=facts.get("fingerprint"),
        period=(str(period[0]), str(period[1])) if period else None,
        timezone=facts.get("timezone"),
        privacy=dict(facts["privacy"]) if isinstance(facts.get("privacy"), Mapping) else None,
    )


def is_runfacts_output(output: Mapping) -> bool:
    """True for an output cell produced by :func:`record` (the exporter drops it from the body)."""
    return MIME_TYPE in output.get("data", {})


def _row_count(table: object, n: object) -> int:
    """``n`` as an int (numpy integers too), or a ParameterError naming the table."""
    try:
        count = -1 if isinstance(n, bool) else operator.index(n)
    except TypeError:
        count = -1
    if count < 0:
        raise ParameterError(f"runfacts.record: rows for table '{table}' must be a non-negative integer, got {n!r}")
    return count


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
