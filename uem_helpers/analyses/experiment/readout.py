"""The readout of a comparison: two values, the effect with its interval, and a sentence.

Every comparison in the workbench (before/after a launch, rollout vs control)
returns one :class:`Readout`. Its :meth:`Readout.sentence` never states an
effect without its interval: "Abandonment fell from 45% (before) to 15%
(after): −30 pts (95% CI −34 to −26), −67% relative (95% CI −72% to −61%);
p < 0.001."
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from uem_helpers.core.formats import (MINUS, duration_unit, number, p_value, percent, signed_alike,
                                     significant_decimals, with_unit)
from uem_helpers.core.i18n import N_, _, label, sentences

#: Seconds in one of each time unit a Readout's values may be given in; these print in the unit
#: :func:`~uem_helpers.core.formats.duration_unit` picks for their size ("13.8 days", not "19910.3 min").
TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0, "days": 86400.0}
#: The groups of a before/after comparison; the sentence names them in the reader's language
#: (other groups, such as an experiment's variants, are names from the config and shown as they are).
BEFORE = N_("before")
AFTER = N_("after")

#: The sentence's opening and effect, by direction and by whether the p-value closes it (see
#: :meth:`Readout.sentence`); translated where used.
_HEADS = {
    ("rose", True): N_("{metric} rose from {a} to {b}: {effect}; {p}."),
    ("fell", True): N_("{metric} fell from {a} to {b}: {effect}; {p}."),
    ("same", True): N_("{metric} did not change significantly, {a} vs {b}: {effect}; {p}."),
    ("rose", False): N_("{metric} rose from {a} to {b}: {effect}."),
    ("fell", False): N_("{metric} fell from {a} to {b}: {effect}."),
    ("same", False): N_("{metric} did not change significantly, {a} vs {b}: {effect}."),
}


def group_name(group: str) -> str:
    """A group as a reader sees it: "before"/"after" in the reader's language, a variant by its display name
    (the config's ``labels:``, e.g. ``holdout: {zh: 对照组}``), else as it is."""
    return _(group) if group in (BEFORE, AFTER) else label(group)


@dataclass(frozen=True)
class Readout:
    """The result of one comparison of group ``b`` against group ``a`` (the baseline).

    Attributes
    ----------
    metric : str
        What was compared, in words, e.g. ``"abandonment"``, ``"median opening time"``.
    kind : str
        ``"rate"`` (a proportion), ``"mean"`` or ``"median"``.
    group_a, group_b : str
        Names of the baseline and the comparison group, e.g. ``"before"``/``"after"``.
    value_a, value_b : float
        The metric in each group (rates as proportions, 0.45 for 45%).
    n_a, n_b : int
        Observations behind each value (rates: units counted; medians: values used).
    abs_effect : float
        ``value_b - value_a`` (rates in proportion units: 0.05 is 5 percentage points).
    rel_effect : float
        ``value_b / value_a - 1``; NaN when ``value_a`` is 0.
    ci_low, ci_high : float
        Confidence interval of ``abs_effect``.
    rel_ci_low, rel_ci_high : float
        Confidence interval of ``rel_effect`` (NaN when it is undefined).
    p_value : float
        Two-sided p-value of "no difference".
    p_test : str
        The test behind ``p_value`` when it is another method than the interval's (e.g.
        ``"Mann-Whitney rank test"`` beside a bootstrap interval of a median difference); ``""`` when
        the p-value and the interval come from the same method. The verdict always follows the
        interval; a p-value from another test is reported with its own verdict.
    alpha : float
        Two-sided level; intervals have coverage ``1 - alpha``.
    unit : str
        Unit of the values for the sentence: ``"%"`` for rates, ``"min"``, ``"s"``, ``"¥"`` ...
    higher_is_better : bool or None
        Whether a rise is good news; None when it depends.
    value_a_low, value_a_high, value_b_low, value_b_high : float
        Confidence interval of each group's own value (Wilson for rates,
        Student t for means, order statistics for medians).
    """

    metric: str
    kind: str
    group_a: str
    group_b: str
    value_a: float
    value_b: float
    n_a: int
    n_b: int
    abs_effect: float
    rel_effect: float
    ci_low: float
    ci_high: float
    rel_ci_low: float
    rel_ci_high: float
    p_value: float
    alpha: float
    unit: str
    higher_is_better: bool | None
    value_a_low: float = float("nan")
    value_a_high: float = float("nan")
    value_b_low: float = float("nan")
    value_b_high: float = float("nan")
    p_test: str = ""

    @property
    def significant(self) -> bool:
        """True when the interval of the effect excludes 0: the verdict follows the interval the sentence prints."""
        return _excludes_zero(self.ci_low, self.ci_high)

    @property
    def test_significant(self) -> bool:
        """True when the p-value is below ``alpha`` (the test's own verdict, which may differ from the interval's)."""
        return self.p_value < self.alpha

    @property
    def verdict(self) -> str:
        """``"better"``, ``"worse"``, ``"changed"`` (direction has no preference) or ``"no significant change"``."""
        if not self.significant:
            return "no significant change"
        if self.higher_is_better is None:
            return "changed"
        return "better" if (self.abs_effect > 0) == self.higher_is_better else "worse"

    def sentence(self) -> str:
        """The finding in words, with the effect's interval and p-value, never contradicting them.

        A change is called "rose" or "fell" only when its interval excludes 0 (:attr:`significant`);
        otherwise it "did not change significantly". The p-value closes the same sentence when it
        comes from the same method and agrees; a p-value from another test (:attr:`p_test`), or one
        that disagrees with the interval, gets a sentence of its own with its own verdict. The
        relative change is shown with its interval, in a sentence of its own when that interval's
        verdict differs. Rate effects are in percentage points ("pts"); durations in the unit a
        person would use (:func:`~uem_helpers.core.formats.duration`); numbers carry about three
        significant digits, and an effect and its bounds share their decimals and unit.

        Returns
        -------
        str
            E.g. ``"Abandonment fell from 45% (before) to 15% (after): −30 pts
            (95% CI −33.7 to −26.1), −66.7% relative (95% CI −71.6% to −60.7%); p < 0.001."``
        """
        scale = 100.0 if self.kind == "rate" else TIME_UNITS.get(self.unit, 1.0)
        name = _(self.metric) if self.metric else ""  # the metric in the reader's language when its caller marked it
        name = name[:1].upper() + name[1:]
        a, b = (_("{value} ({group})").format(value=self._values(scale * self.value_a, scale * self.value_b)[i],
                                               group=group_name(g))
                for i, g in enumerate((self.group_a, self.group_b)))
        level = number(100 * (1 - self.alpha), 1)
        effect, low, high = (scale * x for x in (self.abs_effect, self.ci_low, self.ci_high))
        text = self._effect(effect, low, high, level)
        rel = [100 * x for x in (self.rel_effect, self.rel_ci_low, self.rel_ci_high)]
        extra = []
        if not any(math.isnan(x) for x in rel):
            digits = significant_decimals(*rel)
            effect, low, high = signed_alike(rel, digits)
            relative = _("{effect} relative ({level}% CI {low} to {high})").format(
                effect=f"{effect}%", level=level, low=f"{low}%", high=f"{high}%")
            rel_significant = _excludes_zero(rel[1], rel[2])
            if rel_significant == self.significant:
                text = _("{effect}, {relative}").format(effect=text, relative=relative)
            elif rel_significant:
                extra.append(_("The relative change, {relative}, is significant on its own.").format(relative=relative))
            else:
                extra.append(_("The relative change, {relative}, is not significant on its own.").format(
                    relative=relative))
        direction = ("rose" if self.abs_effect > 0 else "fell") if self.significant else "same"
        p = p_value(self.p_value)
        closes = not self.p_test and self.test_significant == self.significant
        head = _(_HEADS[direction, closes]).format(metric=name, a=a, b=b, effect=text, p=p)
        if closes:
            return sentences(head, *extra)
        if self.p_test and self.test_significant:
            extra.append(_("The {test} finds a significant difference ({p}).").format(test=_(self.p_test), p=p))
        elif self.p_test:
            extra.append(_("The {test} finds no significant difference ({p}).").format(test=_(self.p_test), p=p))
        elif self.test_significant:
            extra.append(_("The test alone finds a significant difference ({p}); it and the interval disagree, "
                           "so read this change as borderline.").format(p=p))
        else:
            extra.append(_("The test alone finds no significant difference ({p}); it and the interval disagree, "
                           "so read this change as borderline.").format(p=p))
        return sentences(head, *extra)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: every field, plus ``significant``, ``verdict`` and ``sentence``."""
        row = asdict(self) | {"significant": self.significant, "verdict": self.verdict, "sentence": self.sentence()}
        return pd.DataFrame([row])

    def _values(self, x: float, y: float) -> tuple[str, str]:
        """Both groups' values: durations each in its own unit, other values with the metric's unit and shared decimals."""
        if self.kind != "rate" and self.unit in TIME_UNITS:
            return tuple(_duration(v) for v in (x, y))
        unit = "%" if self.kind == "rate" else self.unit
        return tuple(_with_unit(text.lstrip("+"), unit) for text in signed_alike((x, y), significant_decimals(x, y)))

    def _effect(self, effect: float, low: float, high: float, level: str) -> str:
        """The effect and its interval, sharing decimals (and, for durations, the unit of the largest)."""
        unit = self.unit
        if self.kind != "rate" and unit in TIME_UNITS:
            one, unit = duration_unit(max(abs(x) for x in (effect, low, high) if x == x))
            effect, low, high = effect / one, low / one, high / one
        digits = significant_decimals(effect, low, high)
        text, low_text, high_text = signed_alike((effect, low, high), digits)
        ends = {"level": level, "low": low_text, "high": high_text}
        if self.kind == "rate":
            if text.lstrip("+" + MINUS) == "1":
                return _("{effect} pt ({level}% CI {low} to {high})").format(effect=text, **ends)
            return _("{effect} pts ({level}% CI {low} to {high})").format(effect=text, **ends)
        return _("{effect} ({level}% CI {low} to {high})").format(effect=_with_unit(text, unit), **ends)


def _with_unit(text: str, unit: str) -> str:
    """A signed number's text with its unit, the sign before a prefix unit ("−¥12")."""
    signs = text[:1] if text[:1] in ("+", MINUS) else ""
    return with_unit(text[len(signs):], unit, signs)


def _excludes_zero(low: float, high: float) -> bool:
    """True when the interval lies wholly above or wholly below 0."""
    return low > 0 or high < 0


def _duration(seconds: float) -> str:
    """One duration in the unit its size calls for, with about three significant digits ("8.2 min", "14.9 days")."""
    one, unit = duration_unit(seconds)
    value = seconds / one
    return with_unit(number(value, significant_decimals(value)), unit, MINUS if value < 0 else "")


def srm_sentence(srm) -> str:
    """A sample-ratio check (:class:`~uem_helpers.stats.SRMResult`) in one sentence: each group's users with its
    observed and designed share, the p-value and the verdict.

    >>> from uem_helpers.stats import sample_ratio_mismatch
    >>> srm_sentence(sample_ratio_mismatch({"control": 940, "treatment": 60}, {"control": 0.95, "treatment": 0.05}))
    'No sample ratio mismatch: control 940 (94.0% vs 95.0% expected) / treatment 60 (6.0% vs 5.0% expected); p = 0.15.'
    """
    total = sum(srm.observed.values())
    split = " / ".join(
        _("{group} {users} ({observed} vs {designed} expected)").format(
            group=label(name), users=number(n, 0), observed=percent(n / total, 1),
            designed=percent(srm.expected_shares[name], 1))
        for name, n in srm.observed.items())
    if srm.mismatch:
        return _("Sample ratio mismatch: {split}; {p}. Do not trust this comparison until the cause is found.").format(
            split=split, p=p_value(srm.p_value))
    return _("No sample ratio mismatch: {split}; {p}.").format(split=split, p=p_value(srm.p_value))
