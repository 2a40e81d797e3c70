"""Data quality in a report: what it means for the numbers first, every check's count behind a fold.

Each report computes its :class:`~uem_helpers.data.quality.DataQuality` once
(``quality = data_quality(data, period_start, period_end, config=config)``)
and shows it twice, one helper call per cell:

- :func:`opening`: when the data covers less than the period, that first
  (:meth:`~uem_helpers.data.coverage.Coverage.sentence`: "The events cover 2025-01-01 00:02 to
  2025-03-31 14:10, 9 h 50 min short of the period's end."), so every "between <period start>
  and <period end>" below it is read with what the data spans; then the findings above their
  threshold, each as the sentence that says what it means for the numbers
  (:meth:`~uem_helpers.data.quality.QualityFinding.sentence`), as the first bullets under
  "Key findings"; nothing when the data covers the period and no finding exceeds;
- :func:`section`: a collapsed ``<details>`` block after the findings, "Data quality:
  N findings, K above threshold", opening onto a table of every check that found
  something: the finding in words, its table, the count ("n of m"), the share, the
  threshold ("information" for checks without one) and up to three example ids; above
  the table, the data's coverage: what the events span and each table's first and last
  time in the period.

Example ids are user ids (or a table's key) from the data, so they are shown only
as pseudonyms of the active privacy policy (:func:`uem_helpers.present.privacy.active`);
every text is masked for personal data, hidden characters (controls, bidi
overrides, zero-width spaces) are shown as U+FFFD, and everything is HTML-escaped.
Numbers go through :mod:`uem_helpers.core.formats`.
"""

from __future__ import annotations

from uem_helpers.core.formats import instant, number, percent
from uem_helpers.core.i18n import N_, _, clauses, ngettext
from uem_helpers.data.coverage import Coverage, TableCoverage
from uem_helpers.data.quality import DataQuality, QualityFinding
from uem_helpers.present import privacy
from uem_helpers.present.narrative import md_escape

#: Class of the collapsed block (the report's HTML keeps it; its ``open`` attribute never is).
SECTION_CLASS = "uem-quality"
#: What a check without a threshold shows in the threshold column.
INFORMATION = N_("information")
_COLUMNS = (N_("Finding"), N_("Table"), N_("Count"), N_("Share"), N_("Threshold"), N_("Examples (pseudonymised)"))


def opening(quality: DataQuality) -> str:
    """The findings above their threshold as the first key findings (Markdown bullets); ``""`` when none exceeds.

    Parameters
    ----------
    quality : DataQuality
        The report's data quality (:func:`uem_helpers.data.data_quality`).

    Returns
    -------
    str
        ``- **Data coverage:** <what the data spans>`` first when it covers less than the period, then
        one bullet per exceeded finding, in check order: ``- **Data quality:** <what it means>``.
    """
    lines = []
    if quality.coverage is not None and not quality.coverage.covers_period:
        lines.append("- " + _("**Data coverage:** {sentence}").format(sentence=md_escape(quality.coverage.sentence())))
    lines += ["- " + _("**Data quality:** {sentence}").format(sentence=md_escape(f.sentence())) for f in quality.exceeded]
    return "\n".join(lines)


def summary(quality: DataQuality) -> str:
    """The block's one-line title: ``"Data quality: 3 findings, 1 above threshold"`` (plain text), ending
    with "; the data covers less than the period" when it does.

    >>> summary(DataQuality([]))
    'Data quality: no findings'
    """
    found = [f for f in quality.findings if f.n]
    short = quality.coverage is not None and not quality.coverage.covers_period
    if not found:
        return _("Data quality: no findings; the data covers less than the period") if short else \
            _("Data quality: no findings")
    fields = {"n": number(len(found), 0), "above": number(len(quality.exceeded), 0)}
    if short:
        return ngettext("Data quality: {n} finding, {above} above threshold; the data covers less than the period",
                        "Data quality: {n} findings, {above} above threshold; the data covers less than the period",
                        len(found)).format(**fields)
    return ngettext("Data quality: {n} finding, {above} above threshold",
                    "Data quality: {n} findings, {above} above threshold", len(found)).format(**fields)


def share_text(share: float) -> str:
    """A finding's share, one decimal; a share too small to show as 0.1% says so.

    >>> share_text(0.1234), share_text(0.00024), share_text(0.0)
    ('12.3%', '< 0.1%', '0.0%')
    """
    return "< 0.1%" if 0 < share < 0.0005 else percent(share, 1)


def threshold_text(finding: QualityFinding) -> str:
    """The finding's threshold (``"1.0%"``), ``"information"`` without one, and whether the share is above it."""
    if finding.threshold is None:
        return _(INFORMATION)
    limit = percent(finding.threshold, 1) if finding.threshold else "0%"
    return _("{threshold}, exceeded").format(threshold=limit) if finding.exceeded else limit


def example_text(finding: QualityFinding) -> str:
    """Up to three example ids as pseudonyms of the active privacy policy, comma-separated (plain text)."""
    policy = privacy.active()
    return ", ".join(policy.pseudonym(e) or "" for e in finding.examples[:3])


class QualitySection:
    """The collapsed data-quality block of a report; a notebook shows it like a table.

    Build it with :func:`section`. It renders as ``<details class="uem-quality">`` (collapsed: no
    ``open`` attribute) with the :func:`summary` as its ``<summary>`` and every text escaped.

    Attributes
    ----------
    quality : DataQuality
        The findings shown.
    """

    def __init__(self, quality: DataQuality):
        self.quality = quality

    def found(self) -> list[QualityFinding]:
        """The findings with a count, those above their threshold first (each group in check order)."""
        return sorted((f for f in self.quality.findings if f.n), key=lambda f: not f.exceeded)

    def rows(self) -> list[tuple[str, ...]]:
        """The table's rows as plain text (not masked, not escaped), in :meth:`found` order."""
        return [(f.what, f.table, _("{n} of {of}").format(n=number(f.n, 0), of=number(f.of, 0)), share_text(f.share),
                 threshold_text(f),
                 example_text(f)) for f in self.found()]

    def _repr_html_(self) -> str:
        text = privacy.active().html_text
        head = "".join(f"<th>{text(_(c))}</th>" for c in _COLUMNS)
        body = []
        for finding, row in zip(self.found(), self.rows()):
            cells = [text(v) for v in row]
            if finding.exceeded:
                cells[3:5] = [f"<strong>{c}</strong>" for c in cells[3:5]]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts = [f'<details class="{SECTION_CLASS}">', f"<summary>{text(summary(self.quality))}</summary>",
                 f"<p>{text(_(_EXPLAINED))}</p>"]
        parts += [f"<p>{text(line)}</p>" for line in coverage_lines(self.quality.coverage)]
        if body:
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        found = {f.what for f in self.quality.findings if f.n}
        clean = sorted({f.what for f in self.quality.findings} - found)
        if clean:
            checked = _("Checked, nothing found: {checks}.").format(checks=clauses(clean))
            parts.append(f"<p>{text(checked)}</p>")
        parts.append("</details>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        lines = [summary(self.quality), *coverage_lines(self.quality.coverage)]
        lines += [" | ".join(privacy.active().mask_text(v) for v in row) for row in self.rows()]
        return "\n".join(lines)


def coverage_lines(coverage: Coverage | None) -> list[str]:
    """The coverage in the block (plain text): what the data spans, then each table's first and last time.

    >>> from datetime import datetime
    >>> from uem_helpers.data.coverage import Coverage, TableCoverage
    >>> c = Coverage(datetime(2025, 1, 1, 0, 2), datetime(2025, 3, 31, 14, 10), datetime(2025, 1, 1),
    ...              datetime(2025, 4, 1), tables=[TableCoverage("events", "timestamp", datetime(2025, 1, 1, 0, 2),
    ...                                                          datetime(2025, 3, 31, 14, 10), 120)])
    >>> print(coverage_lines(c)[1])
    Coverage by table: events (timestamp) 2025-01-01 00:02 to 2025-03-31 14:10, 120 rows in the period.
    """
    if coverage is None:
        return []
    lines = [_("Coverage: {sentence}").format(sentence=coverage.sentence())]
    if coverage.tables:
        lines.append(_("Coverage by table: {tables}.").format(tables=clauses(map(_table_coverage, coverage.tables))))
    return lines


def _table_coverage(table: TableCoverage) -> str:
    """One table's coverage in the block: ``"events (timestamp) 2025-01-01 00:02 to 2025-03-31 14:10, 120 rows in
    the period"``."""
    if not table.rows:
        return _("{table} ({column}) no rows in the period").format(table=table.table, column=table.column)
    return ngettext("{table} ({column}) {first} to {last}, {n} row in the period",
                    "{table} ({column}) {first} to {last}, {n} rows in the period", table.rows).format(
        table=table.table, column=table.column, first=instant(table.first), last=instant(table.last),
        n=number(table.rows, 0))


_EXPLAINED = N_(
    "What in the loaded data could make the numbers above wrong, counted over the tables this report read. "
    "Shares are of the rows (or users, sessions, checkouts) each check looked at; a finding above its "
    "threshold (validate.thresholds in the config) opens the key findings with what it means. "
    "Example ids are pseudonyms, as everywhere in this report."
)


def section(quality: DataQuality) -> QualitySection:
    """The collapsed data-quality block shown after a report's key findings.

    Parameters
    ----------
    quality : DataQuality
        The report's data quality (:func:`uem_helpers.data.data_quality`).

    Returns
    -------
    QualitySection
        Renders as a collapsed ``<details>`` block: the summary line, and the table behind it.
    """
    return QualitySection(quality)
