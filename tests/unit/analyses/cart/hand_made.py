"""Hand-made carts shared by the cart tests: six carts on two days, and the dataset holding them."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.data.sources import from_frames


def _carts(rows):
    """Carts from (created_at, cart_value, shipping_fee, checked_out, order_value) tuples."""
    frame = pd.DataFrame(rows, columns=["created_at", "cart_value", "shipping_fee", "checked", "order_value"])
    return pd.DataFrame({
        "cart_id": [f"C{i}" for i in range(len(frame))],
        "user_id": [f"U{i % 3}" for i in range(len(frame))],
        "created_at": pd.to_datetime(frame["created_at"]),
        "cart_value": frame["cart_value"].astype(float),
        "shipping_fee": frame["shipping_fee"].astype(float),
        "checked_out_at": pd.to_datetime(frame["created_at"]).where(frame["checked"]) + pd.Timedelta(minutes=5),
        "order_value": frame["order_value"].where(frame["checked"]).astype(float),
    })


SMALL = _carts([
    ("2026-06-01 10:00", 100, 0, True, 100),   # fee share 0
    ("2026-06-01 11:00", 100, 10, False, None),  # 0.10
    ("2026-06-01 12:00", 50, 10, False, None),   # 0.20
    ("2026-06-02 10:00", 200, 10, True, 210),    # 0.05
    ("2026-06-02 11:00", 40, 10, False, None),   # 0.25
    ("2026-06-02 12:00", 80, 8, True, 88),       # 0.10
])


@pytest.fixture
def small():
    users = pd.DataFrame({"user_id": ["U0", "U1", "U2"], "signup_at": pd.to_datetime(["2026-01-01"] * 3),
                          "platform": ["ios", "android", "ios"]})
    return from_frames({"carts": SMALL, "users": users})
