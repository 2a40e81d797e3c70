"""Carts derived from cart and checkout events: the documented rule, counted by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from uem_helpers.core.config import CartEventsConfig
from uem_helpers.core.errors import ContractError
from uem_helpers.data.derived_carts import derive_carts

T0 = datetime(2025, 3, 1, 10)
RULE = CartEventsConfig(cart_event="add", checkout_event="paid", value_column="amount", window="1h")


def _events(rows):
    return ibis.memtable(pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "timestamp": [T0 + timedelta(minutes=r[1]) for r in rows],
        "event": [r[2] for r in rows],
        "amount": [r[3] if len(r) > 3 else None for r in rows],
        "platform": ["android"] * len(rows),
    }))


def test_carts_open_add_up_expire_and_check_out_by_the_rule():
    rows = [
        ("a", 0, "add", 10.0), ("a", 20, "add", 5.0), ("a", 30, "paid", 15.0),  # one cart, two items, paid
        ("a", 40, "paid", 99.0),                                                  # a repeat purchase: no cart
        ("b", 0, "add", 7.0), ("b", 120, "paid", 7.0),                           # paid too late: abandoned
        ("b", 125, "add", 3.0), ("b", 125, "paid", 3.0),                         # same second: add first, paid
        ("c", 0, "add", 4.0), ("c", 50, "add", 4.0), ("c", 100, "add", 4.0),     # kept alive by additions
        ("c", 200, "add", 8.0),                                                   # 100 min later: a new cart
        ("d", 0, "view"), ("d", 5, "paid", 1.0),                                  # checkout without a cart
    ]
    carts = derive_carts(_events(rows), RULE).execute().sort_values("cart_id").reset_index(drop=True)
    assert carts["cart_id"].tolist() == ["a#1", "b#1", "b#2", "c#1", "c#2"]
    assert carts["cart_value"].tolist() == [15.0, 7.0, 3.0, 12.0, 8.0]
    assert carts["checked_out_at"].notna().tolist() == [True, False, True, False, False]
    assert carts.loc[0, "order_value"] == 15.0 and carts.loc[0, "checked_out_at"] == pd.Timestamp(T0 + timedelta(minutes=30))
    assert carts.loc[3, "created_at"] == pd.Timestamp(T0) and set(carts["platform"]) == {"android"}


def test_without_a_value_column_carts_are_counted_with_no_value():
    rule = CartEventsConfig(cart_event="add", checkout_event="paid")
    carts = derive_carts(_events([("a", 0, "add"), ("a", 1, "paid")]), rule).execute()
    assert len(carts) == 1 and carts["cart_value"].isna().all() and carts["checked_out_at"].notna().all()


def test_a_value_column_that_is_missing_or_not_amounts_is_named():
    with pytest.raises(ContractError, match="carts.value_column but the events table has no such column"):
        derive_carts(_events([("a", 0, "add")]), CartEventsConfig(cart_event="add", checkout_event="paid",
                                                                     value_column="price"))
    events = _events([("a", 0, "add")]).mutate(amount=ibis.literal("12元"))
    with pytest.raises(ContractError, match="holds values that are not amounts") as caught:
        derive_carts(events, RULE)
    assert "12元" in str(caught.value)
