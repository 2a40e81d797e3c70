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

from uem_helpers.core.formats import MINUS, number, p_value, sign, signed, significant_decimals, with_unit


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

    @property
    def significant(self) -> bool:
        """True when ``p < alpha`` and the CI of the effect excludes 0 (both must agree)."""
        return self.p_value < self.alpha and (self.ci_low > 0 or self.ci_high < 0)

    @property
    def verdict(self) -> str:
        """``"better"``, ``"worse"``, ``"changed"`` (direction has no preference) or ``"no significant change"``."""
        if not self.significant:
            return "no significant change"
        if self.higher_is_better is None:
            return "changed"
        return "better" if (self.abs_effect > 0) == self.higher_is_better else "worse"

    def sentence(self) -> str:
        """The finding in one sentence, with the effect's interval and p-value.

        A change is called "rose" or "fell" only when it is :attr:`significant`;
        otherwise it "did not change significantly". Rate effects are in
        percentage points ("pts"), median effects in the metric's unit; a
        relative change is shown only with its interval. Numbers carry about
        three significant digits; an effect and its bounds share their decimals.

        Returns
        -------
        str
            E.g. ``"Abandonment fell from 45% (before) to 15% (after): −30 pts
            (95% CI −33.7 to −26.1), −66.7% relative (95% CI −71.6% to −60.7%); p < 0.001."``
        """
        scale = 100.0 if self.kind == "rate" else 1.0
        name = self.metric[:1].upper() + self.metric[1:]
        digits = significant_decimals(scale * self.value_a, scale * self.value_b)
        a = f"{self._value(scale * self.value_a, digits)} ({self.group_a})"
        b = f"{self._value(scale * self.value_b, digits)} ({self.group_b})"
        level = number(100 * (1 - self.alpha), 1)
        effect, low, high = (scale * x for x in (self.abs_effect, self.ci_low, self.ci_high))
        digits = significant_decimals(effect, low, high)
        text = f"{self._effect(effect, digits)} ({level}% CI {signed(low, digits)} to {signed(high, digits)})"
        rel = [100 * x for x in (self.rel_effect, self.rel_ci_low, self.rel_ci_high)]
        if not any(math.isnan(x) for x in rel):
            digits = significant_decimals(*rel)
            rel_low, rel_high = signed(rel[1], digits), signed(rel[2], digits)
            text += f", {signed(rel[0], digits)}% relative ({level}% CI {rel_low}% to {rel_high}%)"
        if self.significant:
            head = f"{name} {'rose' if self.abs_effect > 0 else 'fell'} from {a} to {b}"
        else:
            head = f"{name} did not change significantly, {a} vs {b}"
        return f"{head}: {text}; {p_value(self.p_value)}."

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: every field, plus ``significant``, ``verdict`` and ``sentence``."""
        row = asdict(self) | {"significant": self.significant, "verdict": self.verdict, "sentence": self.sentence()}
        return pd.DataFrame([row])

    def _value(self, x: float, digits: int) -> str:
        unit = "%" if self.kind == "rate" else self.unit
        return with_unit(number(x, digits), unit, MINUS if x < 0 else "")

    def _effect(self, x: float, digits: int) -> str:
        if self.kind == "rate":
            text = signed(x, digits)
            return f"{text} {'pt' if text.lstrip('+' + MINUS) == '1' else 'pts'}"
        return with_unit(number(x, digits), self.unit, sign(x))

