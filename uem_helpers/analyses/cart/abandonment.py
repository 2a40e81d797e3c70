"""Carts: how many are left, why, and what a shipping policy did to them.

The canonical ``carts`` table (``cart_id``, ``user_id``, ``created_at``,
``cart_value``, optional ``shipping_fee``, ``checked_out_at``, ``order_value``,
``discount``) is typed once (:func:`prepare_carts`: :func:`cart_table` over every
cart, materialised by the story) and handed to every helper, which takes its
window of it, builds Ibis expressions, executes once and returns a small pandas
frame or dataclass.

Definitions
-----------
- A cart **counts in a period** when its ``created_at`` falls in the period
  (both ends inclusive, :mod:`uem_helpers.core.period`).
- A cart is **checked out** when ``checked_out_at`` is set (at any time after
  creation), else **abandoned**. Abandonment rate = abandoned / carts, with a
  Wilson 95% interval; cart conversion = 1 - abandonment rate.
- **Fee share** = ``shipping_fee / cart_value``, capped at 1 (a missing fee
  counts as 0).
- **Order value** = ``order_value`` of a checked-out cart (what was paid);
  **average order value (AOV)** = mean order value of checked-out carts;
  **revenue per cart** = mean over all carts of the order value, 0 for an
  abandoned cart (= conversion x AOV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import Table2x2

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.period import in_period
from uem_helpers.stats import wilson_ci

#: Default fee-share bins of :func:`abandonment_by_fee_share` (fractions of cart value).
FEE_SHARE_BINS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 1.0)
#: Fine grid of the logistic fit (:func:`fee_share_fit`): fee share to the nearest 0.5 pt ...
FIT_SHARE_STEP = 0.005
#: ... and cart value to the nearest 5 (currency units).
FIT_VALUE_STEP = 5.0


def cart_table(carts: ibis.Table, *, period_start: object = None, period_end: object = None) -> ibis.Table:
    """The carts created in the period with the derived columns every helper uses (not executed).

    Parameters
    ----------
    carts : ibis.Table
        Canonical carts.
    period_start, period_end : date-like, optional
        Carts created in this period (both ends inclusive).

    Returns
    -------
    ibis.Table
        The carts' columns plus ``checked_out`` and ``abandoned`` (bool), ``fee`` (shipping fee, 0
        when missing), ``fee_share`` (``fee / cart_value`` capped at 1) and ``paid`` (order value of
        a checked-out cart, 0 for an abandoned one).

    Raises
    ------
    ContractError
        A required column is missing.
    """
    for column in ("cart_id", "user_id", "created_at", "cart_value"):
        if column not in carts.columns:
            raise ContractError("carts", column, "required column is missing")
    t = carts.filter(in_period(carts.created_at, period_start, period_end))
    checked = t.checked_out_at.notnull() if "checked_out_at" in t.columns else ibis.literal(False)
    fee = t.shipping_fee.cast("float64").fill_null(0.0) if "shipping_fee" in t.columns else ibis.literal(0.0)
    value = t.cart_value.cast("float64")
    share = ibis.ifelse(value > 0, ibis.least(fee / value, 1.0), 1.0)
    if "order_value" in t.columns:
        order = t.order_value.cast("float64")
    else:  # what the customer pays: the cart less its discount, plus shipping
        order = value + fee - (t.discount.cast("float64").fill_null(0.0) if "discount" in t.columns else 0.0)
    paid = ibis.ifelse(checked, order.fill_null(0.0), 0.0)
    return t.mutate(checked_out=checked, abandoned=~checked, fee=fee, fee_share=share, paid=paid)


@dataclass(frozen=True)
class Carts:
    """The typed cart table (:func:`cart_table` over every cart), built once and handed to every cart analysis.

    Each analysis takes its own window of it (the period, or the days before a launch), so the
    typing and the derived columns are computed once per report, not once per analysis.
    """

    table: ibis.Table


def prepare_carts(carts: ibis.Table, *, cache: bool = False) -> Carts:
    """Type the canonical carts once (:func:`cart_table`) for every analysis that follows.

    Parameters
    ----------
    carts : ibis.Table
        Canonical carts.
    cache : bool
        Materialise the typed table in the backend, so the analyses that share it read it once.

    Raises
    ------
    ContractError
        A required column is missing.
    """
    table = cart_table(carts)
    return Carts(table.cache() if cache else table)


def _window(carts: Carts, period_start: object, period_end: object) -> ibis.Table:
    """The typed carts created in the period (both ends inclusive)."""
    t = carts.table
    return t.filter(in_period(t.created_at, period_start, period_end))


def with_rates(frame: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add ``abandoned``, ``abandonment_rate`` and its Wilson bounds to a frame of ``carts`` / ``checked_out``."""
    frame["carts"] = frame["carts"].astype("int64")
    frame["checked_out"] = frame["checked_out"].fillna(0).astype("int64")
    frame["abandoned"] = frame["carts"] - frame["checked_out"]
    frame["abandonment_rate"] = frame["abandoned"] / frame["carts"].where(frame["carts"] > 0)
    frame["abandonment_low"], frame["abandonment_high"] = wilson_ci(frame["abandoned"], frame["carts"], alpha=alpha)
    return frame


def _counts(t: ibis.Table) -> dict:
    return {"carts": t.count(), "checked_out": t.count(where=t.checked_out)}


def cart_outcomes(
    carts: Carts, *, period_start: object = None, period_end: object = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Carts created, checked out and abandoned in the period, and the abandonment rate.

    Returns
    -------
    pandas.DataFrame
        One row: ``carts``, ``checked_out``, ``abandoned``, ``abandonment_rate`` (abandoned / carts,
        NaN without carts) and its Wilson ``abandonment_low`` / ``abandonment_high``.
    """
    t = _window(carts, period_start, period_end)
    return with_rates(t.aggregate(**_counts(t)).execute(), alpha)


def daily_abandonment(
    carts: Carts, *, period_start: object = None, period_end: object = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Abandonment rate by day of cart creation, and the pooled 7-day rate.

    The pooled 7-day rate is abandoned / carts over the day and the six calendar days before it
    (days without carts count as zero), as in :func:`uem_helpers.analyses.funnel.daily_completion`.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``carts``, ``checked_out``, ``abandoned``, ``rate`` (abandonment) with Wilson
        ``rate_low`` / ``rate_high``, ``rate_7d`` with ``rate_7d_low`` / ``rate_7d_high``; one row
        per day with at least one cart, in date order.
    """
    t = _window(carts, period_start, period_end)
    t = t.mutate(date=t.created_at.date())
    daily = with_rates(t.group_by("date").aggregate(**_counts(t)).order_by("date").execute(), alpha)
    daily["date"] = pd.to_datetime(daily["date"])
    daily = daily.rename(columns={"abandonment_rate": "rate", "abandonment_low": "rate_low",
                                  "abandonment_high": "rate_high"})
    pooled = daily.set_index("date")[["carts", "abandoned"]].asfreq("D", fill_value=0).rolling(7, min_periods=1).sum()
    pooled = pooled.loc[daily["date"]]
    n_7d, k_7d = pooled["carts"].to_numpy(), pooled["abandoned"].to_numpy()
    daily["rate_7d"] = k_7d / np.where(n_7d > 0, n_7d, np.nan)
    daily["rate_7d_low"], daily["rate_7d_high"] = wilson_ci(k_7d, n_7d, alpha=alpha)
    return daily


def abandonment_by_segment(
    carts: Carts,
    segment_by: str,
    *,
    users: ibis.Table | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Abandonment rate per segment (a carts column, else a column of the cart's user).

    Parameters
    ----------
    carts : Carts
        The typed carts (:func:`prepare_carts`).
    segment_by : str
        Column to break down by: read from the carts table when it has it, else from ``users``
        (joined on ``user_id``); carts whose user has no value count as ``"(unknown)"``.
    users : ibis.Table, optional
        Canonical users.

    Returns
    -------
    pandas.DataFrame
        [segment_by], ``carts``, ``users`` (distinct users with a cart), ``checked_out``,
        ``abandoned``, ``abandonment_rate`` and its Wilson bounds, largest segment first.

    Raises
    ------
    ParameterError
        ``segment_by`` is in neither table (the message lists the columns there are).
    """
    t = with_segment(_window(carts, period_start, period_end), carts.table, segment_by, users)
    out = with_rates(t.group_by(segment_by).aggregate(**_counts(t), users=t.user_id.nunique()).execute(), alpha)
    out["users"] = out["users"].astype("int64")
    return out.sort_values(["carts", segment_by], ascending=[False, True], kind="stable").reset_index(drop=True)


def with_segment(t: ibis.Table, carts: ibis.Table, segment_by: str, users: ibis.Table | None) -> ibis.Table:
    """``t`` (carts, e.g. :func:`cart_table`) with ``segment_by`` as text, ``"(unknown)"`` when missing.

    The column is the carts' own when they have it, else the cart's user's from ``users`` (joined
    on ``user_id``; a cart whose user is not there is ``"(unknown)"``).

    Raises
    ------
    ParameterError
        ``segment_by`` is in neither table (the message lists the columns of ``carts`` and ``users``).
    """
    if segment_by not in t.columns:
        if users is None or segment_by not in users.columns:
            present = sorted(set(carts.columns) | set(users.columns if users is not None else []))
            raise ParameterError(f"segment_by={segment_by!r} is not a column of the carts or users table; "
                                 f"columns there are: {', '.join(present)}")
        seg = users.select(_u=users.user_id, _s=users[segment_by].cast("string"))
        t = t.left_join(seg, t.user_id == seg._u).mutate(**{segment_by: ibis._._s}).drop("_u", "_s")
    return t.mutate(**{segment_by: t[segment_by].cast("string").fill_null("(unknown)")})


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
    t = _window(carts, period_start, period_end)
    t = t.filter((t.fee_share >= edges[0]) & (t.fee_share <= edges[-1]))
    index = ibis.literal(0)
    for i, edge in enumerate(edges[1:-1], start=1):
        index = ibis.ifelse(t.fee_share >= edge, i, index)
    t = t.mutate(_bin=index)
    counts = t.group_by("_bin").aggregate(**_counts(t), mean_share=t.fee_share.mean()).execute()
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
        """E.g. ``"Each +10 pts of fee share multiplies the odds of checkout by 0.55 (95% CI 0.51 to 0.60) ..."``."""
        level = f"{100 * (1 - self.alpha):g}%"
        change = self.odds_ratio_10pts - 1
        direction = "lowers" if change < 0 else "raises"
        return (
            f"Each +10 pts of shipping fee as a share of cart value {direction} the odds of checkout by "
            f"{abs(change):.0%}: odds ratio {self.odds_ratio_10pts:.2f} ({level} CI {self.odds_ratio_low:.2f} to "
            f"{self.odds_ratio_high:.2f}), cart value held fixed; logistic fit on {self.carts:,} carts."
        )


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
    t = _window(carts, period_start, period_end)
    t = t.mutate(
        _s=(t.fee_share / FIT_SHARE_STEP).round().cast("int64"),
        _v=(t.cart_value.cast("float64") / FIT_VALUE_STEP).round().cast("int64"),
    )
    cells = t.group_by(["_s", "_v"]).aggregate(**_counts(t)).execute()
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


def conversion_drivers(
    carts: Carts,
    events: ibis.Table,
    *,
    lookback: int = 1800,
    min_support: int = 30,
    min_users: int = 10,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Events done before a cart was created, ranked by how strongly they go with abandonment.

    For each cart, the event names its user logged in the ``lookback`` seconds before the cart's
    ``created_at`` (strictly before: the event that creates the cart is not counted). For each
    event name, carts are split into those with and without it, and the odds ratio of
    abandonment ``(a / b) / (c / d)`` (a, b = abandoned / checked-out carts with the event;
    c, d = without) is given with its Woolf (log) interval and p-value
    (``statsmodels`` ``Table2x2``; a zero cell counts as 0.5 so the ratio stays finite). Events done before fewer than ``min_support`` carts, or
    before all but fewer than ``min_support``, are left out, and so are events seen before the carts of
    fewer than ``min_users`` distinct users (a driver then describes at least that many people; pass the
    privacy minimum). An association, not a cause.

    Returns
    -------
    pandas.DataFrame
        ``event``, ``carts_with``, ``abandonment_with``, ``carts_without``, ``abandonment_without``,
        ``odds_ratio``, ``odds_ratio_low``, ``odds_ratio_high``, ``p_value``; ranked by odds ratio,
        most associated with abandonment first.
    """
    t = _window(carts, period_start, period_end).select("cart_id", "user_id", "created_at",
                                                                                  "abandoned")
    ev = events.select(_u=events.user_id, _ts=events.timestamp, event=events.event)
    j = t.join(ev, [t.user_id == ev._u, ev._ts < t.created_at,
                    ev._ts >= t.created_at - ibis.interval(seconds=int(lookback))])
    per_cart = j.select("cart_id", "user_id", "event", "abandoned").distinct()
    by_event = per_cart.group_by("event").aggregate(
        n_with=per_cart.count(), ab_with=per_cart.abandoned.cast("int64").sum(), users_with=per_cart.user_id.nunique()
    )
    totals = t.aggregate(n=t.count(), ab=t.abandoned.cast("int64").sum())
    counts = by_event.cross_join(totals).execute()
    columns = ["event", "carts_with", "abandonment_with", "carts_without", "abandonment_without",
               "odds_ratio", "odds_ratio_low", "odds_ratio_high", "p_value"]
    rows = []
    for r in counts.itertuples():
        n_wo, ab_wo = int(r.n) - int(r.n_with), int(r.ab) - int(r.ab_with)
        if min(int(r.n_with), n_wo) < min_support or int(r.users_with) < min_users:
            continue
        table = Table2x2([[r.ab_with, r.n_with - r.ab_with], [ab_wo, n_wo - ab_wo]], shift_zeros=True)
        low, high = table.oddsratio_confint(alpha=alpha)
        rows.append([r.event, int(r.n_with), r.ab_with / r.n_with, n_wo, ab_wo / n_wo,
                     float(table.oddsratio), float(low), float(high), float(table.oddsratio_pvalue())])
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["odds_ratio", "event"], ascending=[False, True], kind="stable").reset_index(drop=True)
