"""Findings in words: Markdown made safe from data text, and shown in a notebook.

Each report's words live beside it (:mod:`uem_helpers.present.onboarding`,
:mod:`uem_helpers.present.cart` ...) and return Markdown generated from the
results, so it is right for every run; :func:`show` displays it in a notebook. Text that comes from the data
(event names, segment values) passes through :func:`md_escape`, so it can
never become markup or script in a report, and personal data in it is masked
(:mod:`uem_helpers.present.privacy`). Segment breakdowns fold segments of fewer than
the minimum cell size into "other" before anything is said about them.

Each report opens with a title heading and an introduction written from the config and the run's
parameters (:func:`framing`, :func:`funnel_title`, :func:`period_words`), never from the bundled
sample's story, so a company's own log reads its own funnel, period and launch.
"""

from __future__ import annotations

import html
import re

from uem_helpers.core.formats import day
from uem_helpers.core.i18n import _, label
from uem_helpers.present import privacy

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|>~$])")
# What Markdown renderers turn into links by themselves (GFM autolinks): a scheme's colon,
# "www." and the "@" of an address. Written as character references, they render as the
# same characters but are no longer recognised, so data text never becomes a link.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)|(?<=www)(\.)|(@)")
_REFERENCE = {":": "&#58;", ".": "&#46;", "@": "&#64;"}


def md_escape(text: object) -> str:
    """Data text made safe in Markdown: personal data masked, hidden characters shown, ``<>&`` escaped, Markdown
    punctuation backslashed.

    Hidden characters (NUL and other controls, bidirectional overrides, zero-width spaces) show as U+FFFD
    (the policy's ``mask_text`` does both), so data text cannot reverse or hide what is around it.

    Masking follows the active privacy policy (:func:`uem_helpers.present.privacy.active`). Autolink
    triggers (``https:``, ``www.``, ``@``) become character references, so a URL or address
    in the data is shown as text, never rendered as a link.
    """
    visible = privacy.active().mask_text(text)  # masked, hidden characters shown
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(visible, quote=False))
    return _AUTOLINK.sub(lambda m: _REFERENCE[m.group(0)], escaped)


#: Output metadata key marking a report's key findings (the reports index shows the first one).
KEY_FINDINGS = "uem_key_findings"


def show(markdown: str, *, key_findings: bool = False) -> None:
    """Display Markdown in the notebook (as data: never read as a file path or URL); nothing for empty text.

    Empty text shows nothing, so a cell whose words apply only sometimes (the data-quality
    opening of the key findings) leaves no trace in the report when they do not.

    Parameters
    ----------
    markdown : str
        The text to show.
    key_findings : bool
        The report's key findings: the output is marked (metadata :data:`KEY_FINDINGS`) so the
        reports index can show the first of them beside the report's link.
    """
    if not markdown:
        return
    from IPython.display import display

    metadata = {KEY_FINDINGS: True} if key_findings else None
    display({"text/markdown": markdown, "text/plain": markdown}, raw=True, metadata=metadata)


def funnel_title(config, name: str) -> str:
    """A funnel's display name: its ``labels:`` entry in the reader's language, else its ``title`` in the
    config (``funnels.<name>.title``), else its name.

    Parameters
    ----------
    config : UEMConfig
        The loaded config.
    name : str
        The funnel's name in ``funnels``.
    """
    funnel = config.funnel(name)
    shown = label(name)
    return shown if shown != name else funnel.title or name


def period_words(period_start: object, period_end: object) -> str:
    """The period in words: ``"from 2026-05-01 to 2026-10-31"``; open ends as "the first/last day of data".

    The days are written for the reader's language (:func:`uem_helpers.core.formats.day`).
    """
    start = md_escape(day(period_start)) if period_start else _("the first day of data")
    end = md_escape(day(period_end)) if period_end else _("the last day of data")
    return _("from {start} to {end}").format(start=start, end=end)


def framing(title: str, *paragraphs: str) -> str:
    """A report's title heading and introduction as Markdown: ``# <title>`` then each non-empty paragraph.

    ``title`` is escaped here (it comes from the config or the data); paragraphs are Markdown
    already made safe by their writers.
    """
    return "\n\n".join([f"# {md_escape(title)}", *(p for p in paragraphs if p)])

