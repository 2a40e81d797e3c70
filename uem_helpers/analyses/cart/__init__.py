"""Carts: how many are left, why, and what a free-shipping policy did to them.

The package owns the cart analyses. The canonical carts are typed once
(:func:`prepare_carts`, the output of :func:`cart_table` over every cart, held as
:class:`Carts`) and every analysis takes that prepared table and its own window of it.

Modules: :mod:`.table` (the typed cart table, its definitions and the segment join),
:mod:`.abandonment` (outcomes, daily trend, segments), :mod:`.fee_share` (bins and the
logistic fit), :mod:`.drivers` (events before abandoned carts), :mod:`.policy` (bunching at
a free-shipping threshold and the policy's impact, before/after or A/B). Callers import
from here.

May import :mod:`uem_helpers.core`, :mod:`uem_helpers.data`, :mod:`uem_helpers.stats` and the
lower tiers of the analyses (:mod:`~uem_helpers.analyses.metrics`, :mod:`~uem_helpers.analyses.sessions`,
:mod:`~uem_helpers.analyses.experiment`); never kpis or plan, another domain, stories, present,
pipeline or widgets.
"""

from __future__ import annotations

from uem_helpers.analyses.cart.table import Carts, cart_table, prepare_carts, with_segment
from uem_helpers.analyses.cart.abandonment import abandonment_by_segment, cart_outcomes, daily_abandonment, with_rates
from uem_helpers.analyses.cart.fee_share import (
    FEE_SHARE_BINS,
    FIT_SHARE_STEP,
    FIT_VALUE_STEP,
    FeeShareFit,
    abandonment_by_fee_share,
    fee_share_fit,
)
from uem_helpers.analyses.cart.drivers import conversion_drivers
from uem_helpers.analyses.cart.policy import Bunching, PolicyImpact, policy_impact, threshold_bunching

__all__ = [
    "FEE_SHARE_BINS",
    "FIT_SHARE_STEP",
    "FIT_VALUE_STEP",
    "Bunching",
    "Carts",
    "FeeShareFit",
    "PolicyImpact",
    "abandonment_by_fee_share",
    "abandonment_by_segment",
    "cart_outcomes",
    "cart_table",
    "conversion_drivers",
    "daily_abandonment",
    "fee_share_fit",
    "policy_impact",
    "prepare_carts",
    "threshold_bunching",
    "with_rates",
    "with_segment",
]
