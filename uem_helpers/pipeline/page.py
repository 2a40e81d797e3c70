"""The page around a report: its header, table of contents, privacy footer and the one style of every page.

:func:`header_html` writes the title once (the notebook's own title heading is taken out of the
body by the exporter), the period and the run time in view, and the run's details (parameters,
rows read, data fingerprint, time zone, version) in a collapsed block. A parameter holding a path
shows it relative to the project (:func:`shown_path`), never as an absolute path of the machine.

:func:`with_contents` puts a table of contents after the header of a report with more than
:data:`TOC_MIN_SECTIONS` sections (its ``<h2>`` headings), each entry an in-page link.

:data:`PAGE_CSS` is shared by the reports and ``reports/index.html``: one type scale, a font stack
that covers Chinese (so CJK text never falls back to a font without its glyphs), wide tables that
scroll inside their box, and a print style that keeps each chart and the caption under it on one
page. Every word is written in the language in force (:mod:`uem_helpers.core.i18n`); the exporter
sets it from the run.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePath

from uem_helpers import __version__
from uem_helpers.core import formats
from uem_helpers.core.i18n import _
from uem_helpers.present import privacy
from uem_helpers.pipeline import runfacts

#: Class of the header row holding the run time: the only line that differs between runs.
RUNTIME_CLASS = "uem-runtime"
#: Class of the privacy footer.
FOOTER_CLASS = "uem-privacy"
#: Class of the table of contents.
TOC_CLASS = "uem-toc"
#: A report with more sections than this gets a table of contents.
TOC_MIN_SECTIONS = 4
#: ``<html lang>`` of each report language.
HTML_LANG = {"en": "en", "zh": "zh-CN"}

#: Fonts of every page, Latin first, then the Chinese fonts of Linux, macOS and Windows.
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", '
              '"WenQuanYi Micro Hei", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", sans-serif')

#: The style of every page: type scale (1 / 1.25 / 1.5 / 2 rem on a 16 px base), fonts, scrolling tables, print.
PAGE_CSS = f"""
body{{--jp-content-font-family:{FONT_STACK};--jp-ui-font-family:{FONT_STACK};--jp-content-font-size1:1rem;
--jp-content-line-height:1.6;font-family:{FONT_STACK};font-size:16px;line-height:1.6;color:#1f2328}}
main{{max-width:62rem;margin:0 auto;padding:1.5rem 1.5rem 3rem}}
h1{{font-size:2rem;line-height:1.25;margin:0 0 .75rem}}
.jp-RenderedHTMLCommon h2,h2{{font-size:1.5rem;line-height:1.3;margin:2.5rem 0 .75rem;padding-bottom:.25rem;
border-bottom:1px solid #d0d7de}}
.jp-RenderedHTMLCommon h3,h3{{font-size:1.25rem;line-height:1.35;margin:1.75rem 0 .5rem}}
.jp-RenderedHTMLCommon p,.jp-RenderedHTMLCommon li{{font-size:1rem;line-height:1.6}}
.jp-RenderedHTMLCommon table,.uem-header table,.uem-privacy,.uem-toc{{font-size:.875rem}}
.jp-OutputArea-output{{overflow-x:auto;max-width:100%}}
.jp-RenderedMarkdown table{{display:block;overflow-x:auto;max-width:100%}}
.jp-OutputArea-output img{{max-width:100%;height:auto}}
.uem-header{{border-bottom:2px solid #d0d7de;margin:0 0 1.5rem;padding:0 0 1rem}}
.uem-header table{{border-collapse:collapse}}
.uem-header th,.uem-header td{{text-align:left;vertical-align:top;padding:2px 12px 2px 0}}
.uem-header th{{font-weight:600;color:#57606a}}
.uem-header details{{margin-top:.5rem}}.uem-header summary{{cursor:pointer;color:#57606a}}
.uem-toc{{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1.25rem;margin:0 0 2rem}}
.uem-toc h2{{font-size:1rem;margin:0 0 .25rem;border:0;padding:0}}
.uem-toc ol{{margin:0;padding-left:1.5rem;columns:2 18rem}}
.uem-toc a{{color:#0969da;text-decoration:none}}
.uem-privacy{{color:#57606a;border-top:2px solid #d0d7de;margin:2rem 0 0;padding:.5rem 0 0}}
.jp-RenderedHTMLCommon p.uem-caption,p.uem-caption{{font-size:.9375rem;line-height:1.5;color:#424a53;margin:.25rem 0 1rem;
padding:0 0 0 .75rem;border-left:3px solid #d0d7de;max-width:52rem}}
@media print{{
@page{{margin:1.5cm}}
main{{max-width:none;padding:0}}
.jp-Cell-outputWrapper,.jp-OutputArea,.jp-OutputArea-child,.jp-OutputArea-output{{display:block;overflow:visible}}
.jp-RenderedMarkdown table{{display:table}}
.jp-RenderedHTMLCommon table{{font-size:.7rem;max-width:100%}}
.jp-RenderedHTMLCommon td,.jp-RenderedHTMLCommon th{{padding:2px 4px}}
.jp-MarkdownCell,.jp-OutputArea-child,.jp-OutputArea-output,img,svg,figure,tr,.uem-plotly,.uem-toc,.uem-privacy{{break-inside:avoid;page-break-inside:avoid}}
.jp-Cell:has(img),.jp-Cell:has(.uem-plotly),.jp-Cell:has(.uem-caption){{break-inside:avoid;page-break-inside:avoid}}
.uem-caption{{break-before:avoid;page-break-before:avoid}}
h1,h2,h3,.jp-MarkdownCell{{break-after:avoid;page-break-after:avoid}}
.jp-Cell:has(img)+.jp-Cell:not(:has(h2)){{break-before:avoid;page-break-before:avoid}}
.uem-header details{{display:none}}
}}
"""


def html_lang(language: str) -> str:
    """The ``lang`` attribute of a page in ``language`` (``"zh-CN"`` for Chinese)."""
    return HTML_LANG.get(language, language)


def header_html(title: str, *, period: str | None, parameters: Mapping[str, object], started_at, duration_s: float,
                facts: runfacts.RunFacts | None, project: Path | None = None) -> str:
    """The report header: the title, the period and run time, the run's details collapsed; every value escaped.

    Parameters
    ----------
    title : str
        Report title (shown once: the exporter takes the notebook's own title heading out of the body).
    period : str or None
        The period asked for, ``"2026-10"``.
    parameters : mapping
        Parameters the notebook ran with; masked for personal data, paths shown by :func:`shown_path`.
    started_at : datetime
        When the run started.
    duration_s : float
        Seconds the run took.
    facts : RunFacts or None
        What the notebook recorded; None when it recorded nothing.
    project : Path, optional
        The project folder paths are shown relative to.

    Returns
    -------
    str
        An HTML ``<header>`` element.
    """
    esc = html.escape
    masked = masked_kinds(facts)
    params = "".join(
        f"<tr><td><code>{esc(name)}</code></td><td><code>{privacy.html_text(_show(value, project), masked)}</code></td></tr>"
        for name, value in parameters.items()
    )
    details = [(_("Parameters"), f"<table>{params}</table>" if params else _("none"))]
    if facts is not None and facts.rows:
        details.append((_("Rows read"), ", ".join(f"{esc(t)}: {n:,}" for t, n in facts.rows.items())))
    else:
        details.append((_("Rows read"), _("not recorded")))
    details.append((_("Data fingerprint"), esc(facts.fingerprint) if facts and facts.fingerprint else _("not recorded")))
    if facts is not None and facts.timezone:
        details.append((_("Time zone"), esc(facts.timezone)))
    details.append((_("Version"), f"uem-workbench {esc(__version__)}"))
    run = _("started {time}, took {duration}").format(time=formats.instant(started_at), duration=formats.duration(duration_s))
    # Words are looked up outside the f-strings: Babel does not extract a call inside one.
    period_word, run_word = _("Period"), _("Run")
    about = _("About this run: parameters, rows read, data fingerprint")
    lines = ['<header class="uem-header">', f"<h1>{esc(title)}</h1>", "<table>",
             f"<tr><th>{period_word}</th><td>{esc(_period_text(period, facts))}</td></tr>",
             f'<tr class="{RUNTIME_CLASS}"><th>{run_word}</th><td>{esc(run)}</td></tr>',
             "</table>", f"<details><summary>{about}</summary>", "<table>"]
    lines += [f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in details]
    lines += ["</table>", "</details>", "</header>"]
    return "\n".join(lines)


def footer_html(facts: runfacts.RunFacts | None) -> str:
    """The report's privacy footer: which protections the notebook recorded (every value escaped).

    Parameters
    ----------
    facts : RunFacts or None
        What the notebook recorded; without privacy facts the footer says they are unknown.

    Returns
    -------
    str
        An HTML ``<footer>`` element.
    """
    sentences = privacy.footer_text(facts.privacy if facts is not None else None)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    heading = _("Privacy")
    return f'<footer class="{FOOTER_CLASS}"><strong>{heading}</strong><ul>{items}</ul></footer>'


_H2 = re.compile(r"<h2(?P<attrs>[^>]*)>(?P<inner>.*?)</h2>", re.DOTALL)
_ID = re.compile(r'\sid="([^"]*)"')
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_MONTH = re.compile(r"\d{4}-\d{2}")


def with_contents(page: str, after: str = "</header>") -> str:
    """``page`` with a table of contents after its header when its body has more than :data:`TOC_MIN_SECTIONS` sections.

    The sections are the ``<h2>`` headings after ``after``; each gets a unique ``id`` (its own when it has one),
    and the contents list links to it (``href="#<id>"``).

    Parameters
    ----------
    page : str
        The rendered HTML page.
    after : str
        The marker the table of contents follows (the end of the report header).

    Returns
    -------
    str
    """
    start = page.find(after)
    if start < 0:
        return page
    start += len(after)
    entries: list[tuple[str, str]] = []
    seen: set[str] = set()

    def anchor(match: re.Match) -> str:
        attrs, inner = match.group("attrs"), match.group("inner")
        found = _ID.search(attrs)
        ident = html.unescape(found.group(1)) if found else ""
        if not ident or ident in seen:
            ident = f"section-{len(entries) + 1}"
            attrs = _ID.sub("", attrs) + f' id="{ident}"'
        seen.add(ident)
        text = _TAG.sub("", _ANCHOR_LINK.sub("", inner)).strip()
        entries.append((ident, text))
        return f"<h2{attrs}>{inner}</h2>"

    body = _H2.sub(anchor, page[start:])
    if len(entries) <= TOC_MIN_SECTIONS:
        return page
    items = "".join(f'<li><a href="#{html.escape(ident)}">{text}</a></li>' for ident, text in entries)
    heading = _("Contents")
    toc = f'\n<nav class="{TOC_CLASS}"><h2>{heading}</h2><ol>{items}</ol></nav>'
    return page[:start] + toc + body


def project_folder(config_path: str | Path) -> Path:
    """The folder a run's paths are shown relative to: the working folder when it holds the config, else the config's."""
    config = Path(config_path).absolute()
    here = Path.cwd()
    return here if config.is_relative_to(here) else config.parent


def shown_path(value: str, project: Path | None) -> str:
    """An absolute path as a reader may see it: relative to ``project`` inside it, else its file name alone.

    >>> shown_path("/home/ana/shop/configs/shop.yml", Path("/home/ana/shop"))
    'configs/shop.yml'
    >>> shown_path("/srv/data/uem.yml", Path("/home/ana/shop"))
    'uem.yml'
    """
    path = PurePath(value)
    if project is not None and path.is_relative_to(project):
        return path.relative_to(project).as_posix() or "."
    return path.name or value


def masked_kinds(facts: runfacts.RunFacts | None) -> list[str]:
    """Kinds of personal data the notebook masked (every kind when it recorded none)."""
    if facts is not None and facts.privacy is not None:
        return [k for k in facts.privacy.get("masked", ()) if k in privacy.KINDS]
    return list(privacy.KINDS)


def period_words(period: str) -> str:
    """A period label in the reader's words: ``2026-10`` as ``2026年10月`` in Chinese, a range as "from ... to ..."."""
    start, _sep, end = period.partition("..")
    if not all(_MONTH.fullmatch(p) for p in (start, end or start)):
        return period
    if not end:
        return formats.month(start)
    return _("{start} to {end}").format(start=formats.month(start), end=formats.month(end))


def _period_text(period: str | None, facts: runfacts.RunFacts | None) -> str:
    if facts is not None and facts.period:
        data = _("data {start} to {end}").format(start=_day(facts.period[0]), end=_day(facts.period[1]))
        return _("{period}; {data}").format(period=period_words(period), data=data) if period else data
    return period_words(period) if period else _("not given")


def _day(text: str) -> str:
    """An ISO day in the reader's locale; any other text as it is."""
    try:
        return formats.day(text)
    except ValueError:
        return text


def _show(value: object, project: Path | None = None) -> str:
    """A parameter value as the notebook sees it (strings quoted, so "007" reads as text; absolute paths shortened)."""
    if isinstance(value, str):
        return json.dumps(shown_path(value, project) if os.path.isabs(value) else value, ensure_ascii=False)
    return repr(value)
