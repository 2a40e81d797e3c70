"""What a Chinese sentence must keep from its English one, checked by the report tests.

A translated finding carries the same numbers as the English (counts, percentages, durations,
intervals), only dates are written the Chinese way (2026年8月15日 for 2026\\-08\\-15); it has no
run of English words left; event and step names appear by their display names.
"""

from __future__ import annotations

import re

#: A day as the English report writes it (Markdown-escaped or not) or as the Chinese one does.
_DAY = re.compile(r"\d{4}\\?-\d{2}\\?-\d{2}|\d{4}年\d{1,2}月\d{1,2}日")
#: A number as it is printed: digits with thousands separators and decimals, a minus sign and percent
#: (a plus sign is left out: "each +10 pts" reads "每提高 10 个百分点").
_NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?%?")
#: A character Markdown escaping wrote as an HTML entity ("&#58;" for a colon).
_ENTITY = re.compile(r"&#\d+;")
#: Three English words in a row, as a sentence has them (tests/e2e/test_language.py measures the same).
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){2,}")


def numbers(text: str) -> list[str]:
    """The numbers of ``text`` in reading order, each day counted as one ``DAY``."""
    return _NUMBER.findall(_DAY.sub("DAY", _ENTITY.sub(" ", text)).replace("\\", ""))


def english_runs(text: str) -> list[str]:
    """Runs of three or more English words (a Chinese sentence has none outside data values)."""
    return _ENGLISH_RUN.findall(text)
