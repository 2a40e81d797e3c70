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
