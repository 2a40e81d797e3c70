"""Find and mask personal data in free text: phone numbers, e-mails, ID and card numbers, IP addresses.

Each kind has a pattern and, where the format has one, a validity check, so
number-like text that is not personal data stays as written:

- ``phone``: Chinese mobile numbers (``1[3-9]`` + 9 digits), with or without
  ``+86``/``0086``/``86``, written plain or in 3-4-4 groups split by spaces or
  dashes. Masked as ``138****5678`` (prefix kept: ``+86 138****5678``).
- ``landline``: an area code (``010``, ``02x``, ``0xxx``, optionally in
  brackets) followed by a space or dash and a 7- or 8-digit local number,
  optionally ``-extension``. Masked as ``010-****5678``.
- ``email``: ``local@domain.tld``. Masked as ``z***@qq.com``.
- ``id_number``: 18-character resident ID numbers whose birth date is a real
  date and whose check character (ISO 7064 MOD 11-2) is right, so 18-digit
  order numbers are not flagged. Masked as ``110***********123X``.
- ``bank_card``: 16 to 19 digits (optionally in groups of four) starting with
  a card-network prefix (2-6) that pass the Luhn check. Masked as
  ``6222 **** **** 1234`` style: first and last four digits kept.
- ``ip``: IPv4 dotted quads (each part 0-255) and IPv6 addresses (full form,
  or compressed with ``::``). Masked as ``192.168.*.*`` / ``2001:****``.

A match must not touch another digit on either side, so a phone number is
never found inside a longer order, tracking or ID number. Full-width digits
and signs (``１３８``, ``＠``, ``＋``) are read as their ASCII forms. Prices
(``99元``, ``¥129.00``), dates (``2026-09-15``, ``9月15日``), times,
12-digit order numbers and ``SF`` + 12-digit tracking numbers match none of
the patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from uem_helpers.core.i18n import N_
from uem_helpers.present.privacy.pseudonyms import PSEUDONYM

#: The kinds of personal data, in the order they are looked for (earlier kinds win overlaps).
KINDS = ("email", "id_number", "bank_card", "phone", "landline", "ip")

#: Words for each kind, as the report footer names them (translated there).
KIND_NAMES = {
    "phone": N_("mobile numbers"),
    "landline": N_("landline numbers"),
    "email": N_("e-mail addresses"),
    "id_number": N_("ID numbers"),
    "bank_card": N_("bank card numbers"),
    "ip": N_("IP addresses"),
}

# Full-width forms (and the ideographic space) read as ASCII; one character for one, so spans stay aligned.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_PATTERNS = {
    "email": re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "id_number": re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])"),
    "bank_card": re.compile(r"(?<!\d)[2-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{4,7}(?!\d)"),
    "phone": re.compile(r"(?<![\d+])(?P<prefix>(?:\+|00)?86[ -]?)?(?P<a>1[3-9]\d)[ -]?(?P<b>\d{4})[ -]?(?P<c>\d{4})(?!\d)"),
    "landline": re.compile(
        r"(?<![\d+])(?P<area>\(0(?:10|2\d|[3-9]\d{2})\)\s?|0(?:10|2\d|[3-9]\d{2})[ -])"
        r"(?P<local>[2-9]\d{6,7})(?P<ext>-\d{1,5})?(?!\d)"
    ),
    "ip": re.compile(
        r"(?<![\d.:A-Za-z])(?:"
        r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)"
        r"|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![:\w])"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}(?![:\w])"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:(?![:\w])"
        r")"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    start, end : int
        Its span in the text (``text[start:end]``).
    value : str
        The text as written.
    masked : str
        What replaces it in a report.
    """

    kind: str
    start: int
    end: int
    value: str
    masked: str


def id_number_valid(value: str) -> bool:
    """True for an 18-character Chinese resident ID number with a real birth date and the right check character.

    Parameters
    ----------
    value : str
        17 digits and a check character (digit or ``X``), nothing else.

    Returns
    -------
    bool
    """
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(w * int(c) for w, c in zip(_ID_WEIGHTS, value[:17]))
    return _ID_CHECK[total % 11] == value[17].upper()


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn (mod 10) check that card numbers carry.

    Parameters
    ----------
    digits : str
        Digits only.

    Returns
    -------
    bool
    """
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_phone(m: re.Match) -> str:
    return f"{m['prefix'] or ''}{m['a']}****{m['c']}"


def _mask_landline(m: re.Match) -> str:
    local = m["local"]
    return f"{m['area']}{'*' * (len(local) - 4)}{local[-4:]}"


def _mask_email(m: re.Match) -> str:
    local, domain = m.group().split("@", 1)
    return f"{local[0]}***@{domain}"


def _mask_id(m: re.Match) -> str:
    v = m.group()
    return f"{v[:3]}{'*' * 11}{v[-4:]}"


def _mask_card(m: re.Match) -> str:
    text = m.group()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(digits[4:-4])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def _mask_ip(m: re.Match) -> str:
    text = m.group()
    if "." in text:
        first, second = text.split(".")[:2]
        return f"{first}.{second}.*.*"
    return f"{text.split(':')[0] or ''}:****"


def _valid_card(m: re.Match) -> bool:
    digits = re.sub(r"\D", "", m.group())
    return 16 <= len(digits) <= 19 and luhn_valid(digits) and not id_number_valid(digits)


_CHECKS: dict[str, Callable[[re.Match], bool]] = {
    "id_number": lambda m: id_number_valid(m.group()),
    "bank_card": _valid_card,
}
_MASKS: dict[str, Callable[[re.Match], str]] = {
    "phone": _mask_phone,
    "landline": _mask_landline,
    "email": _mask_email,
    "id_number": _mask_id,
    "bank_card": _mask_card,
    "ip": _mask_ip,
}


def _kinds(kinds: Iterable[str] | None) -> list[str]:
    if kinds is None:
        return list(KINDS)
    wanted = list(kinds)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown personal-data kind(s) {', '.join(map(repr, unknown))}; kinds are: {', '.join(KINDS)}")
    return [k for k in KINDS if k in wanted]


def find_personal_data(text: object, kinds: Iterable[str] | None = None) -> list[Finding]:
    """Every piece of personal data in a text, in reading order, without overlaps.

    Parameters
    ----------
    text : object
        The text (anything else is read as ``str(text)``; None and NaN hold nothing).
    kinds : iterable of str, optional
        Kinds to look for (:data:`KINDS`); all of them when None.

    Returns
    -------
    list of Finding
        Earlier kinds in :data:`KINDS` win where two would overlap.

    Raises
    ------
    ValueError
        A kind is not one of :data:`KINDS`.
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    original = str(text)
    readable = original.translate(_FULL_WIDTH)
    found: list[Finding] = []
    taken = [m.span() for m in PSEUDONYM.finditer(readable)]  # the workbench's own pseudonyms are no one's data
    for kind in _kinds(kinds):
        check = _CHECKS.get(kind)
        for m in _PATTERNS[kind].finditer(readable):
            if check is not None and not check(m):
                continue
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(Finding(kind, start, end, original[start:end], _MASKS[kind](m)))
    return sorted(found, key=lambda f: f.start)


def mask_text(text: object, kinds: Iterable[str] | None = None) -> str:
    """The text with every piece of personal data masked, the rest as written.

    Parameters
    ----------
    text : object
        The text (None and NaN give ``""``; anything else is read as ``str(text)``).
    kinds : iterable of str, optional
        Kinds to mask (:data:`KINDS`); all of them when None.

    Returns
    -------
    str
        E.g. ``"call me at 138****5678"`` for ``"call me at 13812345678"``.

    Raises
    ------
    ValueError
        A kind is not one of :data:`KINDS`.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    original = str(text)
    out, last = [], 0
    for f in find_personal_data(original, kinds):
        out += [original[last:f.start], f.masked]
        last = f.end
    out.append(original[last:])
    return "".join(out)
