"""Carts derived from events, for logs that have no carts table (most clickstream exports).

Configured under ``carts:`` (:class:`uem_helpers.core.config.CartEventsConfig`): the event that
puts something in the cart (``cart_event``), the event that completes the purchase
(``checkout_event``), optionally the events column holding an amount (``value_column``), and how
long a cart stays open without a new addition (``window``).

Definition
----------
Take each user's cart and checkout events in time order (at one instant, the cart event first).

- A **cart opens** at a cart event when the user has no open cart: it is the user's first
  cart event, or the one before it was a checkout, or more than ``window`` passed since the
  previous cart event (an untouched cart expires).
- Later cart events within ``window`` of the previous one add to the same cart.
- The cart is **checked out** at the first checkout event that comes within ``window`` of its
  last addition; that closes it. A checkout with no open cart (a repeat purchase) opens nothing.
- ``cart_value`` is the sum of ``value_column`` over the cart events (null when the column is not
  configured: analyses that need a value say so), ``order_value`` the checkout event's
  ``value_column``; ``created_at`` is the first cart event, ``checked_out_at`` the checkout;
  ``platform``, ``channel`` and ``region``, when the events have them, come from the cart events.

Everything is one Ibis expression with window functions (lag, running sum), so it runs in the
engine on DuckDB and on Spark, on any number of events.
"""

from __future__ import annotations

import ibis

from uem_helpers.core.config import CartEventsConfig
from uem_helpers.core.errors import ContractError
from uem_helpers.core.i18n import _, label

#: Segment columns of the events carried onto the carts (of the cart events; the smallest when they differ).
CARRIED = ("platform", "channel", "region")


def derive_carts(events: ibis.Table, rule: CartEventsConfig) -> ibis.Table:
    """The canonical carts table (``cart_id``, ``user_id``, ``created_at``, ``cart_value``, ``checked_out_at``,
    ``order_value``) derived from cart and checkout events by the rule in the module docstring (not executed).

    Raises
    ------
    ContractError
        ``value_column`` is not a column of the events table, or holds values that are not numbers.
    """
    window = int(rule.window.total_seconds())
    t = events.mutate(amount=_amount(events, rule.value_column))
    t = t.filter(t.event.isin([rule.cart_event, rule.checkout_event]))
    carried = [c for c in CARRIED if c in events.columns]
    t = t.select("user_id", "timestamp", "amount", *carried, is_add=t.event == rule.cart_event)
    by_user = ibis.window(group_by=t.user_id, order_by=[t.timestamp, ~t.is_add])
    prev_add = t.is_add.lag().over(by_user)
    prev_time = t.timestamp.lag().over(by_user)
    gap = t.timestamp.epoch_seconds() - prev_time.epoch_seconds()
    opens = t.is_add & (prev_add.isnull() | ~prev_add.fill_null(True) | (gap > window))
    t = t.mutate(opens=opens.cast("int64"), gap=gap)
    t = t.mutate(cart=t.opens.sum().over(ibis.window(group_by=t.user_id, order_by=[t.timestamp, ~t.is_add],
                                                      rows=(None, 0))))
    # A checkout belongs to the cart before it when it follows a cart event (not another checkout) in time.
    closes = ~t.is_add & prev_add.fill_null(False) & (t.gap <= window)
    t = t.mutate(closes=closes).filter(t.cart > 0)
    carts = t.group_by(["user_id", "cart"]).aggregate(
        created_at=t.timestamp.min(where=t.is_add),
        cart_value=t.amount.sum(where=t.is_add),
        checked_out_at=t.timestamp.min(where=t.closes),
        order_value=t.amount.min(where=t.closes),
        **{c: t[c].min(where=t.is_add) for c in carried},
    )
    return carts.select(
        cart_id=carts.user_id.concat("#", carts.cart.cast("string")),
        user_id=carts.user_id,
        created_at=carts.created_at,
        cart_value=carts.cart_value,
        checked_out_at=carts.checked_out_at,
        order_value=carts.order_value,
        *carried,
    )


def note(rule: CartEventsConfig, span: str) -> str:
    """One sentence for the report, in the reader's language: how the carts were derived (``span`` is the window
    in words)."""
    fields = {"cart": label(rule.cart_event), "checkout": label(rule.checkout_event), "window": span}
    if rule.value_column:
        return _("Carts are derived from events: each '{cart}' opens a cart or adds to the open one, and a "
                 "'{checkout}' within {window} of the last addition checks it out; its value is the sum of "
                 "'{column}' over the added items.").format(column=rule.value_column, **fields)
    return _("Carts are derived from events: each '{cart}' opens a cart or adds to the open one, and a "
             "'{checkout}' within {window} of the last addition checks it out; the log has no amount, so "
             "analyses of cart value are skipped.").format(**fields)


def _amount(events: ibis.Table, column: str | None) -> ibis.Value:
    """``column`` as a number (blank: null), checked; a null number without a column."""
    if column is None:
        return ibis.null("float64")
    if column not in events.columns:
        raise ContractError("events", column, f"is named by carts.value_column but the events table has no such "
                            f"column; it has: {', '.join(events.columns)}")
    raw = events[column]
    if raw.type().is_numeric():
        return raw.cast("float64")
    text = raw.cast("string").strip()
    bad = events.filter(text.notnull() & (text != "") & text.try_cast("float64").isnull())
    examples = bad.select(v=bad[column].cast("string")).limit(3).execute()["v"].tolist()
    if examples:
        raise ContractError("events", column, "is carts.value_column but holds values that are not amounts",
                            n_bad=int(bad.count().execute()), examples=examples)
    return ibis.ifelse(text == "", ibis.null("float64"), text.try_cast("float64"))
