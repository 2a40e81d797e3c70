"""No sentence of a sample report contradicts its own numbers.

Every sentence that claims significance ("rose", "significantly", "did not change significantly",
"no significant", ...) is read together with the interval and the p-value printed in it: a
"significant" claim must have an interval that excludes the null value (0 for a difference,
1 for a ratio) and a p-value below alpha; a "not significant" claim the opposite. The reports
are the ones the other end-to-end tests run (the shared ``sample_report`` fixture), read as the
text a reader sees.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

NOTEBOOKS = ["onboarding_funnel", "cart_abandonment", "journey_analysis", "monthly_retro"]

_BLOCK_END = re.compile(r"</(p|li|h[1-6]|td|th|tr|div|summary|pre|caption)>|<br\s*/?>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[−-])")
_NOT = re.compile(r"did not change significantly|no significant|not significant|not significantly|"
                  r"no \w+ got significantly|nothing significant", re.IGNORECASE)
_YES = re.compile(r"\bsignificant(ly)?\b|\b(rose|fell) from\b", re.IGNORECASE)
_NUMBER = r"[−+-]?[¥$€£]?\d[\d,]*(?:\.\d+)?"
_INTERVAL = re.compile(rf"(\d+(?:\.\d+)?)% CI ({_NUMBER})\s*(?:%|pts?|min|s|h|days)?\s*(?:to|–|-)\s*({_NUMBER})")
_P = re.compile(r"\bp\s*(=|<)\s*(\d+(?:\.\d+)?(?:e-?\d+)?)")


@dataclass(frozen=True)
class Claim:
    """One claim of a sentence: its direction, the interval it rests on and the sentence's p-values."""

    sentence: str
    significant: bool
    interval: tuple[float, float, float] | None  # (low, high, alpha)
    null: float
    p_values: tuple[tuple[str, float], ...]

    def contradiction(self) -> str:
        """What in the sentence contradicts the claim; "" when nothing does."""
        problems = []
        alpha = self.interval[2] if self.interval else 0.05
        if self.interval is not None:
            low, high, _ = self.interval
            excludes = low > self.null or high < self.null
            if excludes != self.significant:
                problems.append(f"interval {low:g} to {high:g} {'excludes' if excludes else 'contains'} {self.null:g}")
        for op, p in self.p_values:
            below = p < alpha or (op == "<" and p <= alpha)
            if below != self.significant:
                problems.append(f"p {op} {p:g} against alpha {alpha:g}")
        return "; ".join(problems)


def _number(text: str) -> float:
    return float(re.sub(r"[¥$€£,+]", "", text).replace("−", "-"))


def report_text(page: str) -> list[str]:
    """The sentences a reader sees in an exported report (scripts, styles and tags removed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.IGNORECASE | re.DOTALL)
    blocks = _BLOCK_END.sub("\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", blocks))
    sentences = []
    for block in text.split("\n"):
        block = re.sub(r"\s+", " ", block).strip()
        sentences += [s for s in _SENTENCE_END.split(block) if s]
    return sentences


def claims(sentence: str) -> list[Claim]:
    """The significance claims of one sentence, each with the interval printed after it (or last before it)."""
    found = []
    negatives = [(m.start(), m.end(), False) for m in _NOT.finditer(sentence)]
    positives = [(m.start(), m.end(), True) for m in _YES.finditer(sentence)
                 if not any(s <= m.start() < e for s, e, _ in negatives)]
    intervals = [(m.start(), _number(m.group(2)), _number(m.group(3)), 1 - float(m.group(1)) / 100)
                 for m in _INTERVAL.finditer(sentence)]
    p_values = tuple((m.group(1), float(m.group(2))) for m in _P.finditer(sentence))
    for start, _, significant in negatives + positives:
        after = [i for i in intervals if i[0] >= start]
        before = [i for i in intervals if i[0] < start]
        chosen = after[0] if after else before[-1] if before else None
        if chosen is None and not p_values:
            continue
        head = sentence[: chosen[0]] if chosen else sentence
        null = 1.0 if re.search(r"\bratio\b|×", head, re.IGNORECASE) else 0.0
        interval = (chosen[1], chosen[2], chosen[3]) if chosen else None
        found.append(Claim(sentence, significant, interval, null, p_values))
    return found


def contradictions(page: str) -> list[str]:
    """Every sentence of a report whose significance claim contradicts its interval or p-value, with why."""
    return [f"{c.sentence!r}: {why}" for s in report_text(page) for c in claims(s) if (why := c.contradiction())]


# --- the reader itself, on sentences written by hand -------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Abandonment fell from 45% (before) to 15% (after): −30 pts (95% CI −32 to −28), −66.7% relative "
    "(95% CI −70% to −62%); p < 0.001.",
    "Median opening time did not change significantly, 14.9 days (before) vs 14.4 days (after): −12.6 h "
    "(95% CI −28.2 to +2.9).",
    "The Mann-Whitney rank test finds a significant difference (p = 0.022).",
    "NPS was −16 in 2026-10 (95% CI −30 to −2, 130 answers), significantly down 33 points from 2026-09 "
    "(95% CI −53 to −13).",
    "Size guide is significantly associated with abandonment (odds ratio 1.12, 95% CI 1.02 to 1.24).",
    "No guardrail got significantly worse (average order value).",
])
def test_consistent_sentences_pass(sentence):
    assert contradictions(f"<p>{sentence}</p>") == []


@pytest.mark.parametrize(("sentence", "why"), [
    ("Median opening time did not change significantly, 21,500 min (before) vs 20,743 min (after): −757 min "
     "(95% CI −1,690 to +176), −3.5% relative (95% CI −8% to +0.8%); p = 0.022.", "p = 0.022 against alpha 0.05"),
    ("Conversion rose from 30% to 31%: +1 pt (95% CI −0.5 to +2.5); p = 0.2.", "interval -0.5 to 2.5 contains 0"),
    ("The odds ratio is significant (95% CI 0.91 to 1.05).", "interval 0.91 to 1.05 contains 1"),
    ("Abandonment did not change significantly: −3 pts (95% CI −5 to −1).", "interval -5 to -1 excludes 0"),
])
def test_contradicting_sentences_are_caught(sentence, why):
    found = contradictions(f"<li>{sentence}</li>")
    assert len(found) == 1 and why in found[0]


# --- the sample's reports ------------------------------------------------------------------------

@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_sentence_of_a_sample_report_contradicts_its_numbers(sample_report, notebook):
    page = (sample_report(notebook) / f"{notebook}.html").read_text(encoding="utf-8")
    checked = [c for s in report_text(page) for c in claims(s)]
    if notebook != "journey_analysis":  # its segment and loop words state significance without numbers
        assert checked, "the report states no significance at all; the reader found nothing to check"
    assert contradictions(page) == []
