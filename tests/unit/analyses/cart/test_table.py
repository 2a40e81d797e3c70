"""The typed cart table: the canonical carts' required columns."""

from __future__ import annotations

import pytest

from uem_helpers.analyses import cart
from uem_helpers.core.errors import ContractError
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import SMALL


def test_missing_column_names_the_table():
    data = from_frames({"carts": SMALL}, validate=False)
    with pytest.raises(ContractError, match="table 'carts', column 'cart_value'"):
        cart.cart_table(data["carts"].drop("cart_value"))
