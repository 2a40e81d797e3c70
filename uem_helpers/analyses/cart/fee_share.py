"""Fee share: how abandonment rises with the shipping fee's share of the cart value.

Binned rates (:func:`abandonment_by_fee_share`) and a logistic fit of checkout on fee
share and cart value (:func:`fee_share_fit`), both read from the typed carts
(:class:`~uem_helpers.analyses.cart.table.Carts`); fee share is defined in
:mod:`uem_helpers.analyses.cart.table`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm

from uem_helpers.analyses.cart.abandonment import cart_counts, with_rates
from uem_helpers.analyses.cart.table import Carts
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.formats import number, percent
from uem_helpers.core.i18n import _

#: Default fee-share bins of :func:`abandonment_by_fee_share` (fractions of cart value).
FEE_SHARE_BINS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 1.0)
#: Fine grid of the logistic fit (:func:`fee_share_fit`): fee share to the nearest 0.5 pt ...
FIT_SHARE_STEP = 0.005
#: ... and cart value to the nearest 5 (currency units).
FIT_VALUE_STEP = 5.0


def abandonment_by_fee_share(
    carts: Carts,
    *,
    bins: Sequence[float] = FEE_SHARE_BINS,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Abandonment rate per bin of fee share (shipping fee / cart value, capped at 1).

    Bins are left-closed, ``[lo, hi)``; the last bin also holds its upper edge.

    Returns
    -------
    pandas.DataFrame
        ``bin`` (label such as ``"[5%, 10%)"``), ``share_low`` / ``share_high`` (edges),
        ``mean_share``, ``carts``, ``checked_out``, ``abandoned``, ``abandonment_rate`` and its
        Wilson bounds; one row per bin, empty bins included.

    Raises
    ------
    ParameterError
        Fewer than two edges, or edges not strictly increasing.
    """
    edges = [float(b) for b in bins]
    if len(edges) < 2 or any(b >= a for a, b in zip(edges[1:], edges[:-1])):
        raise ParameterError(f"fee-share bins must be at least two strictly increasing edges; got {list(bins)!r}")
    t = carts.window(period_start, period_end)
    t = t.filter((t.fee_share >= edges[0]) & (t.fee_share <= edges[-1]))
    index = ibis.literal(0)
    for i, edge in enumerate(edges[1:-1], start=1):
        index = ibis.ifelse(t.fee_share >= edge, i, index)
    t = t.mutate(_bin=index)
    counts = t.group_by("_bin").aggregate(**cart_counts(t), mean_share=t.fee_share.mean()).execute()
    frame = pd.DataFrame({"_bin": range(len(edges) - 1)}).merge(counts, on="_bin", how="left")
    frame["carts"] = frame["carts"].fillna(0)
    frame = with_rates(frame, alpha)
    frame["share_low"], frame["share_high"] = edges[:-1], edges[1:]
    frame["bin"] = [f"[{lo:.0%}, {hi:.0%}{']' if i == len(edges) - 2 else ')'}"
                    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    return frame[["bin", "share_low", "share_high", "mean_share", "carts", "checked_out", "abandoned",
                  "abandonment_rate", "abandonment_low", "abandonment_high"]]


@dataclass(frozen=True)
class FeeShareFit:
    """A logistic fit of checkout on fee share and cart value.

    Attributes
    ----------
    odds_ratio_10pts, odds_ratio_low, odds_ratio_high : float
        Multiplier of the odds of checkout for each +10 points of fee share (cart value held
        fixed), with its Wald confidence interval.
    odds_ratio_100, odds_ratio_100_low, odds_ratio_100_high : float
        The same for each +100 of cart value (fee share held fixed).
    p_value : float
        Wald test of "fee share has no effect".
    carts : int
        Carts in the fit.
    cells : int
        Distinct (fee share, cart value) grid cells the engine aggregated them to.
    alpha : float
        Two-sided level of the intervals.
    """

    odds_ratio_10pts: float
    odds_ratio_low: float
    odds_ratio_high: float
    odds_ratio_100: float
    odds_ratio_100_low: float
    odds_ratio_100_high: float
    p_value: float
    carts: int
    cells: int
    alpha: float

    def sentence(self) -> str:
        """E.g. ``"Each +10 pts of shipping fee as a share of cart value lowers the odds of checkout by 45%: ..."``."""
        change = self.odds_ratio_10pts - 1
        text = (_("Each +10 pts of shipping fee as a share of cart value lowers the odds of checkout by {change}: "
                  "odds ratio {ratio} ({level} CI {low} to {high}), cart value held fixed; logistic fit on {carts} "
                  "carts.") if change < 0 else
                _("Each +10 pts of shipping fee as a share of cart value raises the odds of checkout by {change}: "
                  "odds ratio {ratio} ({level} CI {low} to {high}), cart value held fixed; logistic fit on {carts} "
                  "carts."))
        return text.format(change=percent(abs(change)), ratio=f"{self.odds_ratio_10pts:.2f}",
                           level=f"{100 * (1 - self.alpha):g}%", low=f"{self.odds_ratio_low:.2f}",
                           high=f"{self.odds_ratio_high:.2f}", carts=number(self.carts, 0))


def fee_share_fit(
    carts: Carts,
    *,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> FeeShareFit:
    """Logistic regression of checkout on fee share and cart value, fitted on counts from the engine.

    Model: ``logit P(checked out) = b0 + b1 * fee_share + b2 * cart_value``. The engine rounds each
    cart's fee share to the nearest :data:`FIT_SHARE_STEP` (0.5 pt) and its value to the nearest
    :data:`FIT_VALUE_STEP` and counts carts and checkouts per grid cell; a binomial GLM
    (``statsmodels``, endog = [checked out, abandoned] per cell) is fitted on those cells. The fit
    is therefore on binned covariates: with cells this fine the coefficients match the per-cart
    fit to within rounding, and only a few thousand rows ever leave the engine. Reported:
    ``exp(0.1 * b1)``, the odds multiplier per +10 pts of fee share, and ``exp(100 * b2)``, each
    with its Wald interval.

    Returns
    -------
    FeeShareFit

    Raises
    ------
    ParameterError
        Fewer than 10 carts, no checkout or no abandonment, or fee share does not vary: the model
        cannot be fitted (the message says which).
    """
    t = carts.window(period_start, period_end)
    t = t.mutate(
        _s=(t.fee_share / FIT_SHARE_STEP).round().cast("int64"),
        _v=(t.cart_value.cast("float64") / FIT_VALUE_STEP).round().cast("int64"),
    )
    cells = t.group_by(["_s", "_v"]).aggregate(**cart_counts(t)).execute()
    n, k = int(cells["carts"].sum()), int(cells["checked_out"].fillna(0).sum())
    if n < 10 or k in (0, n) or cells["_s"].nunique() < 2:
        raise ParameterError(
            f"the fee-share fit needs at least 10 carts with both checkouts and abandonments and more than one "
            f"fee share; got {n} carts, {k} checked out, {cells['_s'].nunique()} distinct fee share(s)"
        )
    exog = sm.add_constant(
        np.column_stack([cells["_s"] * FIT_SHARE_STEP, cells["_v"] * FIT_VALUE_STEP]).astype(float), has_constant="add"
    )
    endog = np.column_stack([cells["checked_out"], cells["carts"] - cells["checked_out"]]).astype(float)
    result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    ci = np.asarray(result.conf_int(alpha=alpha))
    return FeeShareFit(
        odds_ratio_10pts=float(np.exp(0.1 * result.params[1])),
        odds_ratio_low=float(np.exp(0.1 * ci[1, 0])),
        odds_ratio_high=float(np.exp(0.1 * ci[1, 1])),
        odds_ratio_100=float(np.exp(100 * result.params[2])),
        odds_ratio_100_low=float(np.exp(100 * ci[2, 0])),
        odds_ratio_100_high=float(np.exp(100 * ci[2, 1])),
        p_value=float(result.pvalues[1]),
        carts=n,
        cells=len(cells),
        alpha=alpha,
    )
