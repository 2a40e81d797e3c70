"""Data quality in numbers: what in the loaded data could make the numbers below it wrong.

The contract (:mod:`uem_helpers.data.schema`) stops on data that cannot be
read; this module counts what can be read but may mislead. Each check is one
aggregate query in the engine (DuckDB or Spark) and comes back as a
:class:`QualityFinding`: how many rows (or users, sessions, checkouts) are
affected, out of how many, a few example ids, and the threshold above which
the finding changes what the report's numbers mean. The checks:

``duplicate_rows``
    Exact duplicate rows (every column equal), per table.
``early_times``
    Times before 2000-01-01 (an epoch default such as 1970-01-01, a typing slip), per table.
``outside_period``
    Events outside the period the report covers (information: they are left out).
``checkout_before_cart``
    Carts checked out before they were created: the cart table's clocks disagree.
``nps_before_first_event``
    NPS answers given before the user's first event: the survey and event clocks (or zones) disagree.
``several_variants``
    Users assigned to more than one variant of the same experiment: they contaminate an A/B readout.
``shared_sessions``
    Session ids used by more than one user: reused or device-level session ids.
``cut_off_sessions``
    Users whose last event lies within the session gap of the end of the data: their session was
    still open when the export stopped, so its last page is not a real exit (the journey analyses
    count it as cut off, :mod:`uem_helpers.analyses.sessions`).
``hidden_characters``
    Ids and text holding NUL, control, bidirectional-override or zero-width characters (neutralised
    wherever the workbench shows them).
``same_time_ties``
    Events of one user stamped at the same instant as another of their events (ordered by the
    journey's configured order, then by name).
``lifecycle_rows``
    Rows of a process log's lifecycle column (``lifecycle``, ``lifecycle:transition``...) other
    than ``complete`` (schedule, start, suspend...): unless the event names carry the transition,
    one activity is counted once per row, which inflates steps and transitions.

Beside the checks, the result carries the data's **coverage** of the period
(:mod:`uem_helpers.data.coverage`: the first and last times of the events, and
of every other table, within the period, and how far they fall short of it), so
every report says what its data spans before it says what the data shows.

Thresholds are shares (0 to 1) of the finding's denominator, with defaults in
:data:`DEFAULT_THRESHOLDS`, overridden by ``validate.thresholds`` in the config;
a check without a threshold only informs. Above its threshold a finding
says in one sentence what it means for the numbers (:meth:`QualityFinding.sentence`).

Within one ``uem report`` run (``UEM_FINDINGS_CACHE`` set by the pipeline), each check's
counts and each table's coverage are counted once and reused by every later notebook that
reads the same tables (:mod:`uem_helpers.data.findings_cache`); thresholds are applied
after, so they never force a recount.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta

import ibis
import pandas as pd

from uem_helpers.core.errors import EXIT_DATA, UEMError
from uem_helpers.core.formats import number, percent
from uem_helpers.core.i18n import N_, _, in_language, ngettext
from uem_helpers.core.period import in_period, period_bounds
from uem_helpers.data import findings_cache
from uem_helpers.data.coverage import Coverage, combined, coverage
from uem_helpers.data.schema import PRIMARY_KEY, TIME_COLUMN, engine_count

#: Times before this are implausible for product analytics.
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1)
#: C0 controls (but tab, newline, carriage return), DEL, zero-width space, LRM/RLM, bidi embeddings,
#: overrides and isolates, word joiner and BOM. Zero-width (non-)joiners are left alone: emoji and
#: several scripts need them.
HIDDEN_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{200b}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2060}\x{2066}-\x{2069}\x{feff}]"
#: Example ids kept per finding.
EXAMPLES = 3

#: Share of the denominator above which a finding changes what the numbers mean; None: information only.
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    "duplicate_rows": 0.01,
    "early_times": 0.0,
    "outside_period": None,
    "checkout_before_cart": 0.01,
    "nps_before_first_event": 0.05,
    "several_variants": 0.0,
    "shared_sessions": 0.01,
    "cut_off_sessions": 0.05,
    "hidden_characters": 0.0,
    "same_time_ties": None,
    "lifecycle_rows": 0.0,
}

#: What each finding counted as a share means for the numbers, when above its threshold ({share} and
#: {table} are filled in; translated where shown).
MEANING = {
    "duplicate_rows": N_("{share} of the rows of table '{table}' are exact duplicates: counts from it are inflated "
                         "unless the export is de-duplicated."),
    "checkout_before_cart": N_("{share} of checkouts precede their cart: the cart table's clock may be off, so "
                               "checkout times and the checkout funnel are suspect."),
    "nps_before_first_event": N_("{share} of NPS answers come before the user's first event: the survey and event "
                                 "clocks (or time zones) may disagree."),
    "shared_sessions": N_("{share} of session ids are shared by several users: sessions from the source's ids "
                          "mix users, so paths and exits are suspect."),
    "cut_off_sessions": N_("{share} of users were still in a session when the data ends: those sessions are "
                           "cut off (their last page is not counted as an exit), and their journeys and "
                           "conversions are incomplete."),
    "lifecycle_rows": N_("{share} of the events are lifecycle rows other than 'complete' (schedule, start ...): "
                         "each activity may be counted once per row, so steps and transitions are inflated; keep "
                         "the 'complete' rows or map each transition to its own event name (sources.events.lifecycle: "
                         "{{column: ..., mode: activity | activity+lifecycle}})."),
}


def _counted_meaning(check: str, n: int) -> str | None:
    """What a finding counted in units means, when above its threshold ({n} and {table} to fill), or None."""
    if check == "early_times":
        return ngettext("{n} row of table '{table}' is dated before 2000: a default date (1970-01-01?) or a typing "
                        "error upstream; they fall outside every period.",
                        "{n} rows of table '{table}' are dated before 2000: a default date (1970-01-01?) or a typing "
                        "error upstream; they fall outside every period.", n)
    if check == "several_variants":
        return ngettext("{n} user is in more than one variant of the same experiment: the A/B readouts count them "
                        "in both arms.",
                        "{n} users are in more than one variant of the same experiment: the A/B readouts count them "
                        "in both arms.", n)
    if check == "hidden_characters":
        return ngettext("{n} value in table '{table}' holds invisible or control characters (NUL, bidirectional "
                        "overrides, zero-width spaces); they are neutralised where shown.",
                        "{n} values in table '{table}' hold invisible or control characters (NUL, bidirectional "
                        "overrides, zero-width spaces); they are neutralised where shown.", n)
    return None


#: Each check in words (translated where shown).
WHAT = {
    "duplicate_rows": N_("exact duplicate rows"),
    "early_times": N_("times before 2000"),
    "outside_period": N_("events outside the period"),
    "checkout_before_cart": N_("checkouts before their cart was created"),
    "nps_before_first_event": N_("NPS answers before the user's first event"),
    "several_variants": N_("users in more than one variant of an experiment"),
    "shared_sessions": N_("session ids shared by several users"),
    "cut_off_sessions": N_("users still in a session when the data ends"),
    "hidden_characters": N_("values with invisible or control characters"),
    "same_time_ties": N_("events at the same instant as another event of the user"),
    "lifecycle_rows": N_("lifecycle rows other than 'complete' (schedule, start ...)"),
}


@dataclass(frozen=True)
class QualityFinding:
    """One data-quality check's result.

    Attributes
    ----------
    check : str
        The check's key, e.g. ``checkout_before_cart`` (see the module docstring).
    table : str
        The table it looked at.
    n : int
        Affected rows (or users, sessions, checkouts: the check's unit).
    of : int
        The denominator: all units the check looked at.
    examples : list of str
        Up to three example ids (user ids where the table has them); pseudonymise before showing.
    threshold : float or None
        Share above which the finding matters; None for information only.
    """

    check: str
    table: str
    n: int
    of: int
    examples: list = field(default_factory=list)
    threshold: float | None = None

    @property
    def share(self) -> float:
        """``n / of`` (0 when nothing was looked at)."""
        return self.n / self.of if self.of else 0.0

    @property
    def what(self) -> str:
        """The check in words, in the reader's language."""
        return _(WHAT[self.check])

    @property
    def exceeded(self) -> bool:
        """Whether the share is above the check's threshold (never, for information-only checks)."""
        return self.threshold is not None and self.n > 0 and self.share > self.threshold

    def sentence(self) -> str:
        """What the finding means for the numbers, in one sentence (plain text; escape before Markdown)."""
        fields = {"share": percent(self.share, 1), "n": number(self.n, 0), "table": self.table}
        if self.check in MEANING:
            return _(MEANING[self.check]).format(**fields)
        counted = _counted_meaning(self.check, self.n)
        if counted is not None:
            return counted.format(**fields)
        return _("{n} {what} in table '{table}'.").format(what=self.what, **fields)

    def __str__(self) -> str:
        return (f"table '{self.table}': {WHAT[self.check]}: {number(self.n, 0)} of {number(self.of, 0)} "
                f"({percent(self.share, 1)})")


@dataclass(frozen=True)
class DataQuality:
    """Every check's finding for one dataset and period, and the data's coverage of the period.

    Attributes
    ----------
    findings : list of QualityFinding
        One per check and table, in check order.
    coverage : Coverage or None
        The first and last times of the data in the period (:func:`uem_helpers.data.coverage.coverage`).
    """

    findings: list[QualityFinding]
    coverage: Coverage | None = None

    @property
    def exceeded(self) -> list[QualityFinding]:
        """Findings above their threshold, in check order."""
        return [f for f in self.findings if f.exceeded]

    def frame(self) -> pd.DataFrame:
        """One row per finding with a count: ``check, table, what, n, of, share, threshold, exceeded, examples``."""
        rows = [{"check": f.check, "table": f.table, "what": WHAT[f.check], "n": f.n, "of": f.of, "share": f.share,
                 "threshold": f.threshold, "exceeded": f.exceeded, "examples": list(f.examples)}
                for f in self.findings if f.n]
        return pd.DataFrame(rows, columns=["check", "table", "what", "n", "of", "share", "threshold", "exceeded",
                                           "examples"])


class DataQualityError(UEMError):
    """``validate.strict`` is set and findings are above their thresholds."""

    exit_code = EXIT_DATA

    def __init__(self, findings: list[QualityFinding]):
        self.findings = findings
        with in_language("en"):  # an error message stays English, whatever the report's language
            meanings = [f.sentence() for f in findings]
        super().__init__(
            f"{len(findings)} data-quality finding(s) above their thresholds (validate.strict is on):\n"
            + "\n".join(f"  - {f} > {f.threshold:.1%}: {meaning}" for f, meaning in zip(findings, meanings))
            + "\nFix the data, raise the threshold under validate.thresholds, or set validate.strict: false."
        )


def data_quality(
    dataset,
    period_start: object = None,
    period_end: object = None,
    thresholds: Mapping[str, float | None] | None = None,
    gap: timedelta | None = None,
    strict: bool = False,
    *,
    config=None,
) -> DataQuality:
    """Run every data-quality check on the loaded tables.

    A report's notebook makes it one call: ``data_quality(data, period_start, period_end, config=config)``
    checks the tables it loaded, for its period, with the config's thresholds and session gap.

    Parameters
    ----------
    dataset : Dataset
        The loaded tables (:func:`uem_helpers.data.load`).
    period_start, period_end : date-like, optional
        The report's period (for ``outside_period``).
    thresholds : mapping, optional
        Check -> threshold overriding :data:`DEFAULT_THRESHOLDS` (and the config's ``validate.thresholds``).
    gap : timedelta, optional
        The session inactivity gap, for ``cut_off_sessions``; the config's ``sessions.gap``, else 30 minutes.
    strict : bool
        Raise instead of returning when a finding is above its threshold (``validate.strict``; not read
        from ``config``: the pipeline's preflight stops a strict run before any notebook, and a report
        shows its findings).
    config : UEMConfig, optional
        The workbench config: its ``validate.thresholds`` and ``sessions.gap`` are the defaults.

    Returns
    -------
    DataQuality
        The findings, and the data's coverage of the period (``quality.coverage``).

    Raises
    ------
    DataQualityError
        ``strict`` and at least one finding above its threshold.
    """
    if config is not None:
        thresholds = {**config.checks.thresholds, **(thresholds or {})}
        gap = gap if gap is not None else config.sessions.gap
    gap = gap if gap is not None else timedelta(minutes=30)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    tables = dataset.tables
    planned: list[tuple[str, str, list[str], dict, Callable[[], tuple[int, int, list]]]] = []
    for name, table in tables.items():
        planned.append(("duplicate_rows", name, [name], {}, partial(_duplicate_rows, table, name)))
        planned.append(("early_times", name, [name], {}, partial(_early_times, table, name)))
    events = tables.get("events")
    if events is not None:
        if period_start is not None or period_end is not None:
            planned.append(("outside_period", "events", ["events"], _period_key(period_start, period_end),
                            partial(_outside_period, events, period_start, period_end)))
        if "session_id" in events.columns:
            planned.append(("shared_sessions", "events", ["events"], {}, partial(_shared_sessions, events)))
        planned.append(("cut_off_sessions", "events", ["events"], {"gap": gap.total_seconds()},
                        partial(_cut_off, events, gap)))
        planned.append(("same_time_ties", "events", ["events"], {}, partial(_ties, events)))
        lifecycle = next((c for c in events.columns if "lifecycle" in c.lower()), None)
        if lifecycle is not None:
            planned.append(("lifecycle_rows", "events", ["events"], {"column": lifecycle},
                            partial(_lifecycle_rows, events, lifecycle)))
    if "carts" in tables and "checked_out_at" in tables["carts"].columns:
        planned.append(("checkout_before_cart", "carts", ["carts"], {},
                        partial(_checkout_before_cart, tables["carts"])))
    if "nps" in tables and events is not None:
        planned.append(("nps_before_first_event", "nps", ["nps", "events"], {},
                        partial(_nps_before_first_event, tables["nps"], events)))
    if "assignments" in tables:
        planned.append(("several_variants", "assignments", ["assignments"], {},
                        partial(_several_variants, tables["assignments"])))
    for name, table in tables.items():
        planned.append(("hidden_characters", name, [name], {}, partial(_hidden_characters, table, name)))
    findings = [QualityFinding(check, table, *_counted(dataset, check, reads, params, count), limits.get(check))
                for check, table, reads, params, count in planned]
    quality = DataQuality(findings, _coverage(dataset, period_start, period_end))
    if strict and quality.exceeded:
        raise DataQualityError(quality.exceeded)
    return quality


def _counted(dataset, check: str, reads: list[str], params: dict,
             count: Callable[[], tuple[int, int, list]]) -> tuple[int, int, list]:
    """``count()``: one check's ``(n, of, examples)``, counted once per report run (:mod:`.findings_cache`).

    The key is the tables the check reads and its own parameters; thresholds are applied after,
    so a run that changes one reuses the counts.
    """
    key = findings_cache.dataset_key(dataset, reads)
    return findings_cache.reuse("quality", key and {**key, "check": check, **params}, count)


def _coverage(dataset, period_start: object, period_end: object) -> Coverage:
    """:func:`coverage` of the period; within a report run, each table's part counted once (:mod:`.findings_cache`).

    With the findings kept, each table's part is its own query (the engine scans each table once
    either way), so a notebook loading other tables still reuses the events' part; the parts
    combine as :func:`coverage` combines them (:func:`.coverage.combined`).
    """
    if findings_cache.folder() is None:
        return coverage(dataset, period_start, period_end)
    period = _period_key(period_start, period_end)
    found = []
    for name, table in dataset.tables.items():
        key = findings_cache.dataset_key(dataset, [name])
        part = findings_cache.reuse("coverage", key and {**key, **period},
                                    partial(coverage, {name: table}, period_start, period_end))
        found += part.tables
    return combined(found, *period_bounds(period_start, period_end))


def _period_key(period_start: object, period_end: object) -> dict:
    """The period as a key: the instants it spans, ``[start, stop)`` (so ``"2026-10-31"`` and ``date(2026, 10, 31)``
    are one period, and a date as the end, its whole day, is not the same as that day's midnight)."""
    return {"period": [None if end is None else end.isoformat() for end in period_bounds(period_start, period_end)]}


# --------------------------------------------------------------------------- the checks
# Each returns (n, of, examples) from one aggregate query (and a small examples query when n > 0).
# A check that groups the whole log (duplicates, ties, the users' last and first events) counts per
# example id into a small table cached in the engine (:func:`_tallied`), so its examples do not group the log again.

def _duplicate_rows(table: ibis.Table, name: str) -> tuple[int, int, list]:
    groups = table.group_by(table.columns).aggregate(_n=ibis._.count())
    column = _example_column(groups, name)
    if column is None:
        stats = groups.aggregate(rows=groups._n.sum(), extra=(groups._n - 1).sum()).execute().iloc[0]
        return engine_count(stats["extra"]), engine_count(stats["rows"]), []
    return _tallied(groups.group_by(x=groups[column]).aggregate(n=(groups._n - 1).sum(), of=groups._n.sum()))


def _early_times(table: ibis.Table, name: str) -> tuple[int, int, list]:
    column = table[TIME_COLUMN[name]]
    early = column < ibis.literal(EARLIEST_PLAUSIBLE)
    stats = table.aggregate(n=early.cast("int64").sum(), of=table.count()).execute().iloc[0]
    n = engine_count(stats["n"])
    return n, engine_count(stats["of"]), _examples(table.filter(early), name) if n else []


def _outside_period(events: ibis.Table, period_start: object, period_end: object) -> tuple[int, int, list]:
    outside = ~in_period(events.timestamp, period_start, period_end)
    stats = events.aggregate(n=outside.cast("int64").sum(), of=events.count()).execute().iloc[0]
    return engine_count(stats["n"]), engine_count(stats["of"]), []


def _shared_sessions(events: ibis.Table) -> tuple[int, int, list]:
    sessions = (events.filter(events.session_id.notnull()).group_by("session_id")
                .aggregate(users=events.user_id.nunique()))
    stats = sessions.aggregate(n=(sessions.users > 1).cast("int64").sum(), of=sessions.count()).execute().iloc[0]
    n = engine_count(stats["n"])
    shared = sessions.filter(sessions.users > 1).select(x=sessions.session_id)
    return n, engine_count(stats["of"]), _first(shared) if n else []


def _cut_off(events: ibis.Table, gap: timedelta) -> tuple[int, int, list]:
    last = events.group_by(x="user_id").aggregate(last=events.timestamp.max())
    with last.cache() as last:  # the data's end is the latest of the users' last events
        end = last["last"].max().as_scalar()
        open_at_end = last["last"] > end - ibis.interval(seconds=int(gap.total_seconds()))
        return _tally(last.select("x", n=open_at_end.cast("int64"), of=ibis.literal(1, "int64")))


def _ties(events: ibis.Table) -> tuple[int, int, list]:
    instants = events.group_by(["user_id", "timestamp"]).aggregate(rows=events.count())
    return _tallied(instants.group_by(x="user_id").aggregate(n=ibis.ifelse(instants.rows > 1, instants.rows, 0).sum(),
                                                             of=instants.rows.sum()))


def _lifecycle_rows(events: ibis.Table, column: str) -> tuple[int, int, list]:
    value = events[column].cast("string").strip().lower()
    other = value.notnull() & (value != "complete")
    stats = events.aggregate(n=other.cast("int64").sum(), of=events.count()).execute().iloc[0]
    n = engine_count(stats["n"])
    return n, engine_count(stats["of"]), _examples(events.filter(other), "events") if n else []


def _checkout_before_cart(carts: ibis.Table) -> tuple[int, int, list]:
    done = carts.filter(carts.checked_out_at.notnull())
    before = done.checked_out_at < done.created_at
    stats = done.aggregate(n=before.cast("int64").sum(), of=done.count()).execute().iloc[0]
    n = engine_count(stats["n"])
    return n, engine_count(stats["of"]), _examples(done.filter(before), "carts") if n else []


def _nps_before_first_event(nps: ibis.Table, events: ibis.Table) -> tuple[int, int, list]:
    first = events.group_by(first_user="user_id").aggregate(first=events.timestamp.min())
    joined = nps.join(first, nps.user_id == first.first_user)
    early = joined.answered_at < joined["first"]
    return _tallied(joined.group_by(x="user_id").aggregate(n=early.cast("int64").sum(), of=joined.count()))


def _several_variants(assignments: ibis.Table) -> tuple[int, int, list]:
    per_user = assignments.group_by(["experiment", "user_id"]).aggregate(variants=assignments.variant.nunique())
    stats = per_user.aggregate(n=(per_user.variants > 1).cast("int64").sum(), of=per_user.count()).execute().iloc[0]
    n = engine_count(stats["n"])
    return n, engine_count(stats["of"]), _first(per_user.filter(per_user.variants > 1).select(x=per_user.user_id)) if n else []


def _hidden_characters(table: ibis.Table, name: str) -> tuple[int, int, list]:
    text = [c for c in table.columns if table[c].type().is_string()]
    if not text:
        return 0, 0, []
    bad = [table[c].re_search(HIDDEN_CHARACTERS).fill_null(False).cast("int64") for c in text]
    stats = table.aggregate(n=sum((b.sum() for b in bad[1:]), bad[0].sum()),
                            of=table.count() * len(text)).execute().iloc[0]
    n = engine_count(stats["n"])
    if not n:
        return 0, engine_count(stats["of"]), []
    any_bad = ibis.or_(*[table[c].re_search(HIDDEN_CHARACTERS).fill_null(False) for c in text])
    return n, engine_count(stats["of"]), _examples(table.filter(any_bad), name)


def _tallied(per_id: ibis.Table) -> tuple[int, int, list]:
    """:func:`_tally` of ``per_id`` cached in the engine: the query behind it runs once."""
    with per_id.cache() as cached:
        return _tally(cached)


def _tally(per_id: ibis.Table) -> tuple[int, int, list]:
    """``(n, of, examples)`` from one row per example id: columns ``x`` (the id), ``n`` (affected), ``of`` (looked at)."""
    stats = per_id.aggregate(n=per_id.n.sum(), of=per_id.of.sum()).execute().iloc[0]
    n = engine_count(stats["n"])
    return n, engine_count(stats["of"]), _first(per_id.filter(per_id.n > 0).select("x")) if n else []


def _example_column(rows: ibis.Table, name: str) -> str | None:
    """The column examples are taken from: user ids where the table has them, else its key (None: neither)."""
    column = "user_id" if "user_id" in rows.columns else PRIMARY_KEY.get(name)
    return column if column is not None and column in rows.columns else None


def _examples(rows: ibis.Table, name: str) -> list:
    """Up to three distinct ids of the affected rows: user ids where the table has them, else its key."""
    column = _example_column(rows, name)
    return [] if column is None else _first(rows.select(x=rows[column]))


def _first(ids: ibis.Table) -> list:
    values = ids.filter(ids.x.notnull()).distinct().order_by("x").limit(EXAMPLES).execute()["x"]
    return [str(v) for v in values]
