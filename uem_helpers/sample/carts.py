"""Story 2 (cart) and story 5 (rollout): cart values, shipping fees and checkout outcomes.

A cart is created at an ``add_to_cart`` event of a browsing session. Its
checkout is decided by a logistic model (coefficients in
:data:`.design.CART_COEF`)::

    logit P(intent) = intercept + fee_share * min(shipping_fee / cart_value, 1)
                      + free_shipping * [fee 0 under "free shipping over 99"]
                      + looper * [user loops product_view <-> size_guide]
                      + one_tap_checkout * [user in the treatment arm, after assignment]

and the payment then succeeds with probability ``PAYMENT_OK_P`` (``INCIDENT_PAYMENT_OK_P``
during the payment incident). A cart is checked out when both happen.
All amounts are integer cents, so CSV output never depends on float printing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uem_helpers.sample import design as d


@dataclass(frozen=True)
class Carts:
    """Vectorised attributes of the carts created in one step of the journey loop."""

    value: np.ndarray
    """Cart value in cents."""
    fee: np.ndarray
    """Shipping fee in cents."""
    discount: np.ndarray
    """Coupon discount in cents (0 without a coupon)."""
    topup_eligible: np.ndarray
    """Post-policy cart whose natural value fell in the top-up range [80, 99)."""
    topped_up: np.ndarray
    """Eligible cart topped up to just above 99."""
    intent_p: np.ndarray
    """Modelled probability of checkout intent."""
    stage: np.ndarray
    """Last checkout event reached: code of cart_view, shipping_info, payment or order_success."""
    incident_failed: np.ndarray
    """Checkout intended but the payment failed because of the incident."""

    @property
    def checked_out(self) -> np.ndarray:
        """The cart reached order_success."""
        return self.stage == d.S["order_success"]


def make_carts(
    rng: np.random.Generator, created_at: np.ndarray, looper: np.ndarray, treated: np.ndarray
) -> Carts:
    """Draw value, fee, coupon and checkout outcome of new carts.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    created_at : numpy.ndarray
        Local epoch seconds of the ``add_to_cart`` events creating the carts.
    looper : numpy.ndarray of bool
        The cart's user loops between product_view and size_guide.
    treated : numpy.ndarray of bool
        The cart's user is in the one_tap_checkout treatment arm and already assigned.

    Returns
    -------
    Carts
    """
    n = len(created_at)
    policy = created_at >= d.FREE_SHIPPING_LAUNCH
    raw = np.exp(rng.normal(np.log(d.CART_VALUE_MEDIAN * 100), d.CART_VALUE_SIGMA, n))
    raw = np.where(policy, raw * d.POST_POLICY_BASKET_FACTOR, raw)
    value = np.clip(np.round(raw / 10) * 10, d.CART_VALUE_MIN_CENTS, d.CART_VALUE_MAX_CENTS).astype(np.int64)
    lo, hi = d.TOPUP_RANGE_CENTS
    eligible = policy & (value >= lo) & (value < hi)
    topped = eligible & (rng.random(n) < d.TOPUP_P)
    excess = rng.integers(d.TOPUP_EXCESS_CENTS[0] // 10, d.TOPUP_EXCESS_CENTS[1] // 10, n) * 10
    value = np.where(topped, d.FREE_SHIPPING_THRESHOLD_CENTS + excess, value)

    fee = rng.choice(np.array(d.SHIPPING_FEES_CENTS, dtype=np.int64), n, p=d.SHIPPING_FEES_P)
    free = policy & (value >= d.FREE_SHIPPING_THRESHOLD_CENTS)
    fee = np.where(free, 0, fee)

    discount = np.zeros(n, dtype=np.int64)
    has_coupon = rng.random(n) < d.COUPON_P
    for minimum, amount in d.COUPONS_CENTS:
        discount = np.where(has_coupon & (value >= minimum), amount, discount)

    c = d.CART_COEF
    share = np.minimum(fee / value, d.FEE_SHARE_CAP)
    logit = (c["intercept"] + c["fee_share"] * share + c["free_shipping"] * free
             + c["looper"] * looper + c["one_tap_checkout"] * treated)
    intent_p = 1.0 / (1.0 + np.exp(-logit))
    intent = rng.random(n) < intent_p
    incident = (created_at >= d.INCIDENT_START) & (created_at < d.INCIDENT_END)
    pay_ok_p = np.where(incident, d.INCIDENT_PAYMENT_OK_P, d.PAYMENT_OK_P)
    pay_ok = rng.random(n) < pay_ok_p
    stops = np.array([d.S["cart_view"], d.S["shipping_info"], d.S["payment"]])
    stage = np.where(intent, np.where(pay_ok, d.S["order_success"], d.S["payment"]),
                     rng.choice(stops, n, p=d.ABANDON_STAGE_P))
    return Carts(value, fee, discount, eligible, topped, intent_p, stage, intent & ~pay_ok & incident)
