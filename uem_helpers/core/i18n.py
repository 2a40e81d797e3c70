"""The reader's language: which catalog every sentence, heading and label is translated with.

A report is written in one language, English (``en``, the language of the source
strings) or Chinese (``zh``). The notebook picks it once, near its top, with
:func:`use_language` (from its ``language`` parameter, or ``report.language`` in the
config); from then on every text a reader sees is looked up here:

- :func:`_` translates a message (``_("Key findings")``); a sentence with numbers is
  one message with named fields, filled after translation, so a translator can move
  them: ``_("{share} of starters completed").format(share=percent(x))``;
- :func:`ngettext` for counted nouns (English has plural forms, Chinese has none);
- :func:`pgettext` when one English word needs two translations;
- :func:`N_` marks a module-level constant for extraction; translate it where it is shown;
- :func:`label` is an event's or step's display name from the config's ``labels:``
  (``open_start: {en: Open started, zh: 开始开户}``), falling back to the name itself.

The messages live in gettext catalogs managed with Babel: ``uem_helpers/locale/uem.pot``
(extracted from the package and the notebooks' Markdown cells by ``make catalog``), the
translations in ``uem_helpers/locale/zh/LC_MESSAGES/uem.po`` (in git) and the compiled
``uem.mo`` beside it (built by ``make install``; not in git). ``docs/translation.md``
says how to add a sentence.

The language is process-wide (one report per kernel); tests switch it with
:func:`in_language` as a context manager.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

#: Languages a report can be written in: English (the source strings) and Chinese.
LANGUAGES = ("en", "zh")
#: The language when nothing else is said.
DEFAULT_LANGUAGE = "en"
#: The gettext domain of the workbench's catalogs.
DOMAIN = "uem"
#: Where the catalogs live: ``<lang>/LC_MESSAGES/uem.po`` and the compiled ``uem.mo``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The Babel locale each language formats numbers, dates and units in.
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}

_state: dict[str, object] = {"language": DEFAULT_LANGUAGE, "labels": {}}


class CatalogMissing(RuntimeError):
    """The compiled catalog of a language is not on this machine (``make install`` compiles it)."""

    def __init__(self, language: str, path: Path) -> None:
        super().__init__(
            f"the compiled '{language}' catalog is missing: {path}\n"
            f"Compile the catalogs with `make install` (it runs `pybabel compile -d uem_helpers/locale -D uem`)."
        )


@cache
def _translations(language: str) -> gettext.NullTranslations:
    """The gettext translations of ``language`` (English: the source strings themselves)."""
    if language == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        raise CatalogMissing(language, path)
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def check_language(language: str, where: str = "language") -> str:
    """``language`` if it is one of :data:`LANGUAGES`, else a ``ValueError`` naming ``where`` and the choices."""
    if language not in LANGUAGES:
        raise ValueError(f"{where}: unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def use_language(language: str = DEFAULT_LANGUAGE, labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Write everything from now on in ``language``, naming events and steps by ``labels``.

    Parameters
    ----------
    language : str
        ``"en"`` or ``"zh"``; ``""`` means English.
    labels : mapping, optional
        The config's ``labels:``: event or step name -> ``{language: display name}``.

    Returns
    -------
    str
        The language now in use.
    """
    chosen = check_language(language or DEFAULT_LANGUAGE)
    _translations(chosen)  # a missing catalog stops here, before anything is written
    _state["language"] = chosen
    _state["labels"] = {name: dict(names) for name, names in (labels or {}).items()}
    return chosen


def current_language() -> str:
    """The language reports are being written in now."""
    return str(_state["language"])


def babel_locale() -> str:
    """The Babel locale of the current language (``"zh_Hans_CN"`` for Chinese)."""
    return BABEL_LOCALES[current_language()]


@contextmanager
def in_language(name: str, labels: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[str]:
    """Write in ``name`` inside the ``with`` block, then go back to the language (and labels) before it."""
    before = dict(_state)
    try:
        yield use_language(name, labels)
    finally:
        _state.update(before)


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in the current language."""
    return _translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as meant in ``context`` (one English word, two translations)."""
    return _translations(current_language()).pgettext(context, message)


def sentences(*texts: str) -> str:
    """Whole sentences one after another, empty ones left out, as the reader's language writes them:
    a space between them in English, none after a Chinese full stop (the message ``"{sentence} {next}"``).
    """
    joined = ""
    for text in filter(None, texts):
        joined = _("{sentence} {next}").format(sentence=joined, next=text) if joined else text
    return joined


def clauses(items) -> str:
    """Clauses or items of one sentence, one after another, empty ones left out: ``"a; b; c"`` in English,
    ``"a；b；c"`` in Chinese (the message ``"; "``)."""
    return _("; ").join(item for item in items if item)


def N_(message: str) -> str:
    """``message`` unchanged, marked for the catalog: translate it with :func:`_` where it is shown."""
    return message


def label(name: object) -> str:
    """The display name of an event, step or marker in the current language.

    The config's ``labels:`` win; a marker the workbench writes itself (``"(cut off)"``)
    is translated from the catalog; any other name is shown as it is.
    """
    text = str(name)
    names = _state["labels"].get(text)  # type: ignore[union-attr]
    if names and names.get(current_language()):
        return names[current_language()]
    return _(text) if text.startswith("(") and text.endswith(")") else text
