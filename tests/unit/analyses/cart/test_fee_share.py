"""Fee share: bins on hand-made carts, and the logistic fit recovering a planted slope."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses import cart
from uem_helpers.analyses.cart import prepare_carts
from uem_helpers.core.errors import ParameterError
from uem_helpers.data.sources import from_frames

from tests.unit.analyses.cart.hand_made import SMALL, small  # noqa: F401 (a fixture)


def test_fee_share_bins(small):
    bins = cart.abandonment_by_fee_share(prepare_carts(small["carts"]), bins=[0, 0.1, 0.2, 1]).set_index("bin")
    # [0, 10%): shares 0, 0.05 -> both checked out; [10%, 20%): 0.10 (ab), 0.10 (ok); [20%, 100%]: 0.20, 0.25 both ab
    assert bins["carts"].tolist() == [2, 2, 2]
    assert bins["abandonment_rate"].tolist() == [0.0, 0.5, 1.0]
    assert bins.index.tolist() == ["[0%, 10%)", "[10%, 20%)", "[20%, 100%]"]
    with pytest.raises(ParameterError, match="strictly increasing"):
        cart.abandonment_by_fee_share(prepare_carts(small["carts"]), bins=[0, 0.2, 0.1])


def _logistic_carts(n: int, slope: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = rng.choice(np.arange(40, 200, 5), n).astype(float)
    fee = rng.choice([0.0, 6.0, 10.0, 14.0, 20.0], n)
    p = 1 / (1 + np.exp(-(0.3 + slope * fee / value)))
    checked = rng.random(n) < p
    created = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s")
    return pd.DataFrame({"cart_id": [f"C{i}" for i in range(n)], "user_id": [f"U{i}" for i in range(n)],
                         "created_at": created, "cart_value": value, "shipping_fee": fee,
                         "checked_out_at": created.where(checked) + pd.Timedelta(minutes=1),
                         "order_value": np.where(checked, value + fee, np.nan)})


def test_fee_share_fit_recovers_a_planted_slope():
    data = from_frames({"carts": _logistic_carts(20_000, slope=-6.0)})
    fit = cart.fee_share_fit(prepare_carts(data["carts"]))
    true_or = np.exp(-0.6)  # +10 pts of fee share: exp(0.1 * -6)
    assert fit.odds_ratio_low < true_or < fit.odds_ratio_high
    assert fit.odds_ratio_100_low < 1.0 < fit.odds_ratio_100_high  # value has no effect of its own
    assert "lowers the odds of checkout by" in fit.sentence()


def test_fee_share_fit_refuses_data_without_checkouts(small):
    no_checkouts = SMALL.assign(checked_out_at=pd.NaT, order_value=np.nan)
    with pytest.raises(ParameterError, match="got 6 carts, 0 checked out"):
        cart.fee_share_fit(prepare_carts(from_frames({"carts": no_checkouts})["carts"]))
