"""``reports/index.html``: the landing page a manager opens first.

The latest period first; for each report its title (linking to the last good report), its first
finding in one sentence (:func:`uem_helpers.pipeline.summary.first_finding`, recorded in the
status file when the report was published), its status in words ("up to date", "failed — showing
the last good report from ...") and the run date in the reader's locale, how long the run took
(``duration_s`` of its status file), then any file published beside it (the retro's wiki page).
What went wrong with a failed run is in a collapsed block (the error messages stay English). The page is written in the language of the run that builds it and
shares the reports' style (:data:`uem_helpers.pipeline.page.PAGE_CSS`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from itertools import groupby
from urllib.parse import quote

from uem_helpers.core import formats
from uem_helpers.core.i18n import DEFAULT_LANGUAGE, _, in_language
from uem_helpers.pipeline.page import PAGE_CSS, html_lang, period_words

#: Class of each report's entry on the page.
ENTRY_CLASS = "uem-report"

_INDEX_CSS = (
    ".uem-intro{color:#57606a;margin:0 0 1.5rem}"
    f".{ENTRY_CLASS}{{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1.25rem;margin:0 0 1rem}}"
    f".{ENTRY_CLASS} h3{{margin:0 0 .25rem}}.{ENTRY_CLASS} h3 a{{color:#0969da;text-decoration:none}}"
    ".uem-finding{margin:.25rem 0 .5rem;font-size:1.0625rem}"
    ".uem-status{font-size:.875rem;color:#57606a;margin:0}"
    ".uem-status .ok{color:#1a7f37}.uem-status .failed,.uem-status .interrupted{color:#cf222e}"
    ".uem-status .running,.uem-status .no-data{color:#9a6700}"
    ".uem-status span{font-weight:600}.uem-status span.uem-took{font-weight:400}"
    "details.uem-error{margin:.5rem 0 0;font-size:.875rem}"
    "details.uem-error pre{font-family:ui-monospace,monospace;white-space:pre-wrap;margin:.25rem 0 0}"
)


def index_html(records: Sequence[Mapping], language: str = DEFAULT_LANGUAGE) -> str:
    """The reports' landing page in ``language``: the latest period first, each report with its first finding.

    Parameters
    ----------
    records : sequence of mappings
        Status records, each with ``folder`` (the period folder name), ``period``, ``notebook``,
        ``status`` and optionally ``title``, ``finding``, ``started_at``, ``good_at`` (when the
        last good report was made), ``html`` (file name of the last good report),
        ``attachments`` and ``message``.
    language : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        A self-contained HTML document; every value from a record is HTML-escaped.
    """
    ordered = sorted(records, key=lambda r: (*_period_key(str(r.get("period") or r["folder"])), str(r["folder"])),
                     reverse=True)
    with in_language(language):
        sections = []
        for (period, folder), group in groupby(ordered, key=lambda r: (str(r.get("period") or ""), str(r["folder"]))):
            entries = "\n".join(_entry(r) for r in sorted(group, key=lambda r: str(r.get("notebook", ""))))
            sections.append(f"<section>\n<h2>{html.escape(period_words(period or folder))}</h2>\n{entries}\n</section>")
        empty = _("No reports yet.")
        body = "\n".join(sections) or f"<p>{empty}</p>"
        title = _("User experience reports")
        intro = _("The latest period first. Under each report's title is its first finding; "
                  "open the report for the evidence.")
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang(language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{html.escape(title)}</title>\n'
        f"<style>{PAGE_CSS}{_INDEX_CSS}</style>\n</head>\n<body>\n<main>\n<h1>{html.escape(title)}</h1>\n"
        f'<p class="uem-intro">{html.escape(intro)}</p>\n{body}\n</main>\n</body>\n</html>\n'
    )


def status_words(record: Mapping) -> str:
    """A run's status in words, with its date in the reader's locale (the language in force).

    ``"up to date, run on 2026-11-02"``; ``"failed on 2026-11-02 — showing the last good report from 2026-10-03"``.
    """
    status = str(record.get("status", ""))
    run = _day(record.get("started_at"))
    good = _day(record.get("good_at"))
    has_report = bool(record.get("html"))
    if status in ("ok", "no data"):
        words = _("up to date") if status == "ok" else _("no data in this period")
        return _("{status}, run on {date}").format(status=words, date=run) if run else words
    if status == "running":
        words = _("running since {date}").format(date=run) if run else _("running")
    elif status == "interrupted":
        words = _("interrupted on {date}").format(date=run) if run else _("interrupted")
    else:
        words = _("failed on {date}").format(date=run) if run else _("failed")
    if not has_report:
        return _("{status} — no report yet").format(status=words)
    if good:
        return _("{status} — showing the last good report from {date}").format(status=words, date=good)
    return _("{status} — showing the last good report").format(status=words)


def run_time_words(record: Mapping) -> str:
    """How long the recorded run took, in the reader's language (``"took 1.7 min"``); empty when not recorded.

    A failed or interrupted run says how long it ran before it stopped (``"stopped after 3 s"``).
    """
    seconds = record.get("duration_s")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
        return ""
    if str(record.get("status", "")) in ("failed", "interrupted"):
        return _("stopped after {duration}").format(duration=formats.duration(seconds))
    if str(record.get("status", "")) in ("ok", "no data"):
        return _("took {duration}").format(duration=formats.duration(seconds))
    return ""


def _entry(record: Mapping) -> str:
    esc = html.escape
    folder = quote(str(record["folder"]))
    title = esc(str(record.get("title") or record.get("notebook", "")))
    if record.get("html"):
        title = f'<a href="{esc(folder)}/{esc(quote(str(record["html"])))}">{title}</a>'
    lines = [f'<article class="{ENTRY_CLASS}">', f"<h3>{title}</h3>"]
    if record.get("finding") and record.get("html"):
        lines.append(f'<p class="uem-finding">{esc(str(record["finding"]))}</p>')
    status = str(record.get("status", "?"))
    files = "".join(f' · <a href="{esc(folder)}/{esc(quote(str(a)))}">{esc(str(a))}</a>'
                    for a in record.get("attachments") or [])
    took = run_time_words(record)
    took = f' · <span class="uem-took">{esc(took)}</span>' if took else ""
    lines.append(f'<p class="uem-status"><span class="{esc(status.replace(" ", "-"))}">'
                 f"{esc(status_words(record))}</span>{took}{files}</p>")
    if record.get("message") and status in ("failed", "interrupted"):
        summary = _("What went wrong")
        lines.append(f'<details class="uem-error"><summary>{summary}</summary>'
                     f'<pre>{esc(str(record["message"]))}</pre></details>')
    lines.append("</article>")
    return "\n".join(lines)


def _period_key(period: str) -> tuple[str, str]:
    """Sorts periods by their last month, then their first: the latest (and, on a tie, the shortest) last."""
    start, _sep, end = period.partition("..")
    return end or start, start


def _day(stamp: object) -> str:
    """An ISO time stamp as its day in the reader's locale; empty when missing or not a time stamp."""
    try:
        return formats.day(str(stamp)) if stamp else ""
    except ValueError:
        return ""
