"""The typed cart table: the canonical carts with the derived columns every cart analysis reads.

The canonical ``carts`` table (``cart_id``, ``user_id``, ``created_at``,
``cart_value``, optional ``shipping_fee``, ``checked_out_at``, ``order_value``,
``discount``) is typed once (:func:`prepare_carts`: :func:`cart_table` over every
cart, materialised by the story) and handed to every helper, which takes its
window of it (:meth:`Carts.window`), builds Ibis expressions, executes once and
returns a small pandas frame or dataclass.

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

from dataclasses import dataclass

import ibis

from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.i18n import N_
from uem_helpers.core.period import in_period

#: The segment of a cart without a value in the segment column (a marker: ``label()`` translates it where shown).
UNKNOWN = N_("(unknown)")


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

    Attributes
    ----------
    table : ibis.Table
        The output of :func:`cart_table` over every cart (no period filter), materialised in the
        backend when prepared with ``cache=True``.
    source_columns : tuple of str
        The canonical carts' own columns (what a segment can be read from, named when it is not there).
    """

    table: ibis.Table
    source_columns: tuple[str, ...]

    def window(self, period_start: object = None, period_end: object = None) -> ibis.Table:
        """The typed carts created in the period (both ends inclusive; an open end is not filtered)."""
        t = self.table
        return t.filter(in_period(t.created_at, period_start, period_end))


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
    return Carts(table.cache() if cache else table, tuple(carts.columns))


def with_segment(t: ibis.Table, carts: Carts, segment_by: str, users: ibis.Table | None) -> ibis.Table:
    """``t`` (typed carts, e.g. :meth:`Carts.window`) with ``segment_by`` as text, ``"(unknown)"`` when missing.

    The column is the carts' own when they have it, else the cart's user's from ``users`` (joined
    on ``user_id``; a cart whose user is not there is ``"(unknown)"``).

    Raises
    ------
    ParameterError
        ``segment_by`` is in neither table (the message lists the columns of ``carts`` and ``users``).
    """
    if segment_by not in t.columns:
        if users is None or segment_by not in users.columns:
            present = sorted(set(carts.source_columns) | set(users.columns if users is not None else []))
            raise ParameterError(f"segment_by={segment_by!r} is not a column of the carts or users table; "
                                 f"columns there are: {', '.join(present)}")
        seg = users.select(_u=users.user_id, _s=users[segment_by].cast("string"))
        t = t.left_join(seg, t.user_id == seg._u).mutate(**{segment_by: ibis._._s}).drop("_u", "_s")
    return t.mutate(**{segment_by: t[segment_by].cast("string").fill_null(UNKNOWN)})
