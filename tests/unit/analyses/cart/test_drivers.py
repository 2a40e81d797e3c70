"""Drivers: the odds ratio by hand, and the fewest users a driver must describe."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.analyses import cart
from uem_helpers.analyses.cart import prepare_carts
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import _carts


def test_drivers_odds_ratio_by_hand():
    # Four carts; 'size_guide' in the 30 min before two of them (one abandoned), 'search' before one (abandoned).
    carts = _carts([("2026-06-01 10:00", 100, 0, True, 100), ("2026-06-01 11:00", 100, 0, False, None),
                    ("2026-06-01 12:00", 100, 0, False, None), ("2026-06-01 13:00", 100, 0, True, 100)])
    carts["user_id"] = ["U0", "U1", "U2", "U3"]
    events = pd.DataFrame({
        "user_id": ["U0", "U1", "U1", "U2", "U3"],
        "timestamp": pd.to_datetime(["2026-06-01 09:50", "2026-06-01 10:45", "2026-06-01 10:50",
                                     "2026-06-01 12:00", "2026-06-01 11:00"]),  # U2's at the cart instant, U3's 2h before
        "event": ["size_guide", "size_guide", "search", "search", "size_guide"],
    })
    data = from_frames({"carts": carts, "events": events})
    drivers = cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=1, min_users=1).set_index("event")
    # size_guide: with = C0 (ok), C1 (ab) -> a=1, b=1; without = C2 (ab), C3 (ok) -> c=1, d=1; OR = 1
    assert drivers.loc["size_guide", ["carts_with", "carts_without"]].tolist() == [2, 2]
    assert drivers.loc["size_guide", "odds_ratio"] == pytest.approx(1.0)
    # search: only before C1 (ab); a=1, b=0 -> 0.5; without: C0 ok, C2 ab, C3 ok -> c=1, d=2: (1/0.5) / (1/2) = 4
    assert drivers.loc["search", "odds_ratio"] == pytest.approx(4.0)
    assert drivers.index[0] == "search"
    assert cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=3, min_users=1).empty


def test_a_driver_must_describe_at_least_min_users_people():
    # 40 carts before which 'promo' happened, all from 4 users; 40 carts from 40 other users without it.
    carts, events = [], []
    for i in range(80):
        user = f"P{i % 4}" if i < 40 else f"Q{i}"
        created = pd.Timestamp("2026-06-01 10:00") + pd.Timedelta(hours=i)
        carts.append({"cart_id": f"c{i}", "user_id": user, "created_at": created, "cart_value": 100.0,
                      "shipping_fee": 10.0, "checked_out_at": created + pd.Timedelta(minutes=5) if i % 3 else pd.NaT,
                      "order_value": 110.0 if i % 3 else None})
        if i < 40:
            events.append({"user_id": user, "timestamp": created - pd.Timedelta(minutes=1), "event": "promo"})
    data = from_frames({"carts": pd.DataFrame(carts), "events": pd.DataFrame(events)})
    kept = cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=30, min_users=4)
    assert kept["event"].tolist() == ["promo"] and kept["carts_with"].tolist() == [40]
    assert cart.conversion_drivers(prepare_carts(data["carts"]), data["events"], min_support=30, min_users=5).empty
