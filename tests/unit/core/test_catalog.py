"""The Chinese catalog holds every message a report can show, translated, and compiled as it is in git.

The messages are found the way ``make catalog`` finds them: Babel's extraction over the
package and the notebooks' Markdown cells (``uem_helpers/locale/babel.cfg``), not a list
kept by hand. A sentence added to a report without a translation fails here.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from uem_helpers.core.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[3]
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "uem.po"
MO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "uem.mo"


def _key(message_id) -> str:
    """A message's id as the catalog keys it (the singular of a plural)."""
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], list[str]]:
    """Every message in the package and the notebooks, as ``(id, context)`` -> where it is used."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, strip_comment_tags=True
    ):
        found.setdefault((_key(message), context), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh")


def test_extraction_finds_the_reports_messages(extracted):
    """The extraction itself works: it finds messages in the package and in every notebook."""
    assert ("95% CI", None) in extracted  # core/formats.py
    notebooks = {where.split(":")[0] for places in extracted.values() for where in places if ".ipynb" in where}
    assert {Path(n).stem for n in notebooks} >= {"onboarding_funnel", "cart_abandonment", "journey_analysis",
                                                  "monthly_retro"}


def test_every_message_is_translated(extracted, catalog):
    """Each extracted message has a Chinese translation that is not marked fuzzy."""
    untranslated = []
    for (message_id, context), places in sorted(extracted.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        entry = catalog.get(message_id, context=context)
        strings = entry.string if entry is not None and isinstance(entry.string, (tuple, list)) else (
            [entry.string] if entry is not None else [])
        if entry is None or entry.fuzzy or not all(strings):
            untranslated.append(f"{message_id[:70]!r} ({places[0]})")
    assert not untranslated, (
        f"{len(untranslated)} messages have no Chinese translation; run `make catalog` and translate them in "
        f"{PO.relative_to(ROOT)}:\n" + "\n".join(untranslated[:40])
    )


def _fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_translations_keep_every_field(catalog):
    """A translation fills the same named fields as its English message (none lost, none invented)."""
    wrong = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, (tuple, list)) else [entry.id]
        strings = entry.string if isinstance(entry.string, (tuple, list)) else [entry.string]
        try:
            expected = set().union(*(_fields(i) for i in ids)) if "{" in "".join(ids) else set()
            got = set().union(*(_fields(s) for s in strings)) if expected else set()
        except ValueError as exc:  # an unbalanced brace
            wrong.append(f"{ids[0][:60]!r}: {exc}")
            continue
        if expected != got:
            wrong.append(f"{ids[0][:60]!r}: fields {sorted(expected)} but the translation has {sorted(got)}")
    assert not wrong, "\n".join(wrong)


def test_the_compiled_catalog_matches_the_translations(catalog):
    """``uem.mo`` (built by ``make install``) holds exactly the translations in ``uem.po``."""
    assert MO.is_file(), f"{MO.relative_to(ROOT)} is missing: `make install` compiles it"
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    def strings(entry):  # a plural's forms are a tuple in the .po and a list in the .mo
        return tuple(entry.string) if isinstance(entry.string, (tuple, list)) else entry.string

    stale = [_key(e.id)[:70] for e in catalog if e.id and e.string and not e.fuzzy
             and (compiled.get(e.id, context=e.context) is None
                  or strings(compiled.get(e.id, context=e.context)) != strings(e))]
    assert not stale, f"{len(stale)} translations are not compiled (run `make install`): {stale[:5]}"


def test_no_message_is_built_at_run_time():
    """``_()`` gets a literal, outside any f-string: extraction reads neither an f-string or a concatenation
    given to ``_()`` nor a ``_()`` call inside an f-string's braces, so those would never translate."""
    built = re.compile(r"""\b(?:_|N_|ngettext|pgettext)\(\s*(?:f["']|[A-Za-z_][\w.]*\s*\+|["'][^"']*["']\s*\+)"""
                       r"""|\{\s*(?:_|ngettext|pgettext)\(""")
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in sorted((ROOT / "uem_helpers").rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if built.search(line)]
    assert not offenders, f"messages built at run time (use named fields and .format): {offenders}"


def test_no_message_reads_as_a_percent_format(catalog):
    """"95% confidence" reads as the placeholder "% c" to gettext tools, and `pybabel compile` (so `make install`)
    fails on its translation: give the percentage as a field ("its {level} confidence interval")."""
    flagged = [_key(e.id)[:70] for e in catalog if e.id and "python-format" in e.flags]
    assert not flagged, f"messages that read as %-formats: {flagged}"
