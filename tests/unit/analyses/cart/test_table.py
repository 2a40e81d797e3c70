"""The typed cart table: the canonical carts' required columns, and the materialised table on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.analyses import cart
from uem_helpers.core.errors import ContractError
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import SMALL


def test_missing_column_names_the_table():
    data = from_frames({"carts": SMALL}, validate=False)
    with pytest.raises(ContractError, match="table 'carts', column 'cart_value'"):
        cart.cart_table(data["carts"].drop("cart_value"))


@pytest.mark.spark
def test_materialised_carts_give_the_same_outcomes_on_duckdb_and_spark(spark_con):
    duck, spark = from_frames({"carts": SMALL}), from_frames({"carts": SMALL}, con=spark_con)
    lazy = cart.cart_outcomes(cart.prepare_carts(duck["carts"]))
    for data in (duck, spark):
        cached = cart.prepare_carts(data["carts"], cache=True)
        pd.testing.assert_frame_equal(cart.cart_outcomes(cached), lazy, check_dtype=False)
        assert cached.window("2026-06-02", "2026-06-02").count().execute() == 3


def test_zero_padded_and_19_digit_ids_stored_as_numbers_join_and_keep_their_pseudonyms(tmp_path):
    from uem_helpers.core.config import config_from_dict
    from uem_helpers.data.sources import load
    from uem_helpers.present.privacy import pseudonym

    ids = ["0000056", "1234567890123456789", "9223372036854775807"]  # padded text; 19 digits; int64's largest
    (tmp_path / "events.csv").write_text("user_id,timestamp,event\n" + "".join(
        f"{u},2026-10-0{i + 1} 10:00:00,app_open\n" for i, u in enumerate(ids)), encoding="utf-8")
    (tmp_path / "users.csv").write_text("user_id,signup_at,platform\n" + "".join(
        f"{u},2026-09-01 08:00:00,{p}\n" for u, p in zip(ids, ["ios", "android", "web"])), encoding="utf-8")
    pd.DataFrame({"cart_id": ["c0", "c1", "c2"], "user_id": pd.Series([int(u) for u in ids], dtype="int64"),
                  "created_at": pd.Timestamp("2026-10-05 12:00:00"), "cart_value": 120.0}
                 ).to_parquet(tmp_path / "carts.parquet")
    sources = {"events": {"path": "events.csv"}, "users": {"path": "users.csv"},
               "carts": {"path": "carts.parquet", "id_width": 7}}  # the numbers lost the zeros: pad to 7
    data = load(config_from_dict({"sources": sources, "cache_dir": str(tmp_path / "cache")}, base_dir=tmp_path))
    carts = cart.prepare_carts(data["carts"])
    joined = cart.with_segment(carts.window(), carts, "platform", data["users"]).execute().sort_values("cart_id")
    assert list(joined.user_id) == ids and list(joined.platform) == ["ios", "android", "web"]  # every join holds
    key = b"k" * 32
    assert [pseudonym(u, key) for u in joined.user_id] == [pseudonym(u, key) for u in ids]  # same person, same alias
