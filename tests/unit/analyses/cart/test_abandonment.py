"""Abandonment: outcomes, the daily trend and segments on hand-made carts, the same on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.analyses import cart
from uem_helpers.analyses.cart import prepare_carts
from uem_helpers.core.errors import ParameterError
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import SMALL, small  # noqa: F401 (a fixture)


def test_outcomes_count_checked_out_and_abandoned(small):
    out = cart.cart_outcomes(prepare_carts(small["carts"])).iloc[0]
    assert (out["carts"], out["checked_out"], out["abandoned"]) == (6, 3, 3)
    assert out["abandonment_rate"] == 0.5
    assert out["abandonment_low"] < 0.5 < out["abandonment_high"]
    only_first_day = cart.cart_outcomes(prepare_carts(small["carts"]), period_start="2026-06-01", period_end="2026-06-01").iloc[0]
    assert (only_first_day["carts"], only_first_day["abandoned"]) == (3, 2)


def test_daily_and_pooled_rates(small):
    daily = cart.daily_abandonment(prepare_carts(small["carts"]))
    assert daily["carts"].tolist() == [3, 3]
    assert daily["rate"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert daily["rate_7d"].tolist() == pytest.approx([2 / 3, 3 / 6])  # day 2 pools both days


def test_segment_from_the_users_table(small):
    seg = cart.abandonment_by_segment(prepare_carts(small["carts"]), "platform", users=small["users"]).set_index("platform")
    # ios: U0 (C0 ok, C3 ok) and U2 (C2 ab, C5 ok) -> 1 of 4; android: U1 (C1 ab, C4 ab) -> 2 of 2
    assert seg.loc["ios", ["carts", "abandoned"]].tolist() == [4, 1]
    assert seg.loc["android", "abandonment_rate"] == 1.0
    with pytest.raises(ParameterError, match="segment_by='region' is not a column of the carts or users table"):
        cart.abandonment_by_segment(prepare_carts(small["carts"]), "region", users=small["users"])


@pytest.mark.spark
def test_cart_helpers_give_identical_numbers_on_duckdb_and_spark(spark_con):
    users = pd.DataFrame({"user_id": ["U0", "U1", "U2"], "signup_at": pd.to_datetime(["2026-01-01"] * 3),
                          "platform": ["ios", "android", "ios"]})
    frames = {"carts": SMALL, "users": users}
    duck, spark = from_frames(frames), from_frames(frames, con=spark_con)
    for helper in (cart.cart_outcomes, cart.daily_abandonment, cart.abandonment_by_fee_share):
        pd.testing.assert_frame_equal(helper(prepare_carts(duck["carts"])), helper(prepare_carts(spark["carts"])), check_dtype=False)
    pd.testing.assert_frame_equal(
        cart.abandonment_by_segment(prepare_carts(duck["carts"]), "platform", users=duck["users"]),
        cart.abandonment_by_segment(prepare_carts(spark["carts"]), "platform", users=spark["users"]),
        check_dtype=False,
    )
