"""The cart story: why carts are left, and what a free-shipping policy did.

:func:`analyse_carts` composes :mod:`uem_helpers.analyses.cart` (abandonment, fee share,
drivers, policy) and the checkout funnel (:func:`uem_helpers.analyses.funnel.funnel`) into
one result that the ``cart_abandonment`` notebook shows section by section. The carts are
typed once (:func:`uem_helpers.analyses.cart.prepare_carts`, materialised in the backend)
and every analysis takes its own window of that table. Definitions are those of
:mod:`uem_helpers.analyses.cart.table`; in addition:

- the **fee-share sensitivity** (bins and logistic fit) uses the carts created
  before the launch when the launch falls inside the period: after it, carts
  over the threshold ship free, which would mix the policy into the fee effect;
- the **policy impact** and **bunching** compare carts created before the launch
  date with carts created on or after it, within the period, when the carts cover at
  least :data:`uem_helpers.data.coverage.MIN_SIDE_DAYS` days on each side of it
  (else the note says what the comparison needs and what the data has);
- when the policy was tested as an A/B experiment (``experiment``), the **policy
  impact** compares instead the carts of treatment users with those of control
  users, created at or after each user's assignment and within the period, with
  intervals clustered by user and a sample-ratio-mismatch check
  (:func:`uem_helpers.analyses.cart.policy.policy_impact`); bunching stays before/after.

A section whose input is missing (no carts, no checkout, no launch in the
period) holds None and a sentence saying why, so the report shows the
sentence instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd

from uem_helpers.analyses.cart import (
    Bunching,
    FeeShareFit,
    PolicyImpact,
    abandonment_by_fee_share,
    abandonment_by_segment,
    cart_outcomes,
    conversion_drivers,
    daily_abandonment,
    fee_share_fit,
    policy_impact,
    prepare_carts,
    threshold_bunching,
)
from uem_helpers.core.config import FunnelConfig
from uem_helpers.core.errors import MissingTableError, ParameterError
from uem_helpers.analyses.funnel import funnel
from uem_helpers.core.formats import day
from uem_helpers.core.i18n import _
from uem_helpers.core.period import period_bounds, to_datetime
from uem_helpers.data.coverage import MIN_SIDE_DAYS, coverage, launch_span_note
from uem_helpers.data.sources import Dataset


@dataclass(frozen=True)
class CartAnalysis:
    """Everything the cart report shows. Sections that cannot be computed hold None and a reason in ``notes``."""

    period_start: str | None
    period_end: str | None
    launch_date: str | None
    threshold: float
    outcomes: pd.DataFrame
    daily: pd.DataFrame
    by_segment: pd.DataFrame | None
    segment_by: str | None
    checkout: pd.DataFrame | None
    fee_bins: pd.DataFrame | None
    fee_fit: FeeShareFit | None
    bunching: Bunching | None
    impact: PolicyImpact | None
    drivers: pd.DataFrame | None
    notes: dict[str, str] = field(default_factory=dict)
    """Why a section is empty, by section name (``fee``, ``bunching``, ``impact``, ``drivers``, ``checkout``)."""
    experiment: str | None = None
    """The A/B experiment the policy impact was read from; None for before/after the launch."""

    @property
    def carts(self) -> int:
        """Carts created in the period."""
        return int(self.outcomes["carts"].iloc[0])

    @property
    def checked_out(self) -> int:
        """Of those, carts checked out."""
        return int(self.outcomes["checked_out"].iloc[0])

    @property
    def has_data(self) -> bool:
        """False when no cart was created in the period."""
        return self.carts > 0


def analyse_carts(
    data: Dataset,
    checkout_funnel: FunnelConfig | None = None,
    *,
    launch_date: object = None,
    threshold: float = 99,
    period_start: object = None,
    period_end: object = None,
    segment_by: str | None = None,
    min_support: int = 30,
    min_users: int = 10,
    experiment: str | None = None,
    expected_shares: dict[str, float] | None = None,
    control: str = "control",
    treatment: str = "treatment",
    min_side_days: float = MIN_SIDE_DAYS,
) -> CartAnalysis:
    """Run the cart analyses on a dataset.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``carts`` is needed, ``events`` for the funnel and drivers, ``users`` for segments.
    checkout_funnel : FunnelConfig, optional
        The checkout funnel from the config; no funnel section without it.
    launch_date : date-like, optional
        When the free-shipping policy went live.
    threshold : float
        Free shipping from this cart value on.
    period_start, period_end : date-like, optional
        Carts created (and funnel entries) in this period, both ends inclusive.
    segment_by : str, optional
        Column of the carts or users table for the breakdown.
    min_support : int
        Fewest carts with (and without) an event for it to be ranked as a driver.
    min_users : int
        Fewest distinct users whose carts followed the event; pass the privacy minimum
        (``config.privacy.min_cell_size``) so no driver describes fewer people.
    experiment : str, optional
        Name of the A/B test of the policy in the ``assignments`` table: the policy impact is read
        as treatment vs control instead of before/after the launch.
    expected_shares : dict of str to float, optional
        The experiment's designed split, e.g. ``{"control": 0.95, "treatment": 0.05}``; even when omitted.
    control, treatment : str
        The experiment's variant names.
    min_side_days : float
        Days of carts needed on each side of the launch for the before/after comparison.

    Returns
    -------
    CartAnalysis
    """
    # Derive once, hand down: the typed cart table, materialised, shared by every analysis below.
    carts = prepare_carts(data.require("carts", "the cart abandonment analysis"), cache=True)
    window = dict(period_start=period_start, period_end=period_end)
    outcomes = cart_outcomes(carts, **window)
    empty = int(outcomes["carts"].iloc[0]) == 0
    none_note = _("No cart was created in the period, so there is nothing to show.")
    notes: dict[str, str] = {"source": data.derived["carts"]} if "carts" in data.derived else {}
    launch, launch_note = _launch_in_period(launch_date, period_start, period_end)
    if launch is not None:
        cover = coverage({"carts": data.tables["carts"]}, period_start, period_end)
        launch_note = launch_span_note(cover, to_datetime(launch, "launch_date"), min_side_days=min_side_days)
        launch = None if launch_note else launch
    if empty:
        notes |= dict.fromkeys(("fee", "bunching", "impact", "drivers", "checkout", "segment"), none_note)
        return CartAnalysis(_text(period_start), _text(period_end), launch, float(threshold), outcomes,
                            daily_abandonment(carts, **window), None, segment_by, None, None, None, None, None, None,
                            notes, experiment or None)

    daily = daily_abandonment(carts, **window)
    by_segment = None
    segment_by, segment_note = data.segment_column(segment_by, ["carts", "users"])
    if segment_by:
        by_segment = abandonment_by_segment(carts, segment_by, users=data.tables.get("users"), **window)
    else:
        notes["segment"] = segment_note or _("No segment breakdown was asked for (set `segment_by`).")

    checkout = drivers = None
    events = data.tables.get("events")
    if events is None:
        notes["checkout"] = notes["drivers"] = _("No events table is configured, so the funnel and drivers are "
                                                 "skipped.")
    else:
        if checkout_funnel is None:
            notes["checkout"] = _("No checkout funnel is configured, so the funnel section is skipped.")
        else:
            checkout = funnel(events, checkout_funnel.steps, window=checkout_funnel.window, mode=checkout_funnel.mode,
                              exclude=checkout_funnel.exclude, **window)
        drivers = conversion_drivers(carts, events, min_support=min_support, min_users=min_users, **window)
        if drivers.empty:
            notes["drivers"] = _("No event came before at least {n} carts and was missing before as many.").format(
                n=min_support)

    fee_window = window
    if launch is not None:
        day_before = (to_datetime(launch, "launch_date") - timedelta(days=1)).date().isoformat()
        fee_window = dict(period_start=period_start, period_end=day_before)
    fee_bins = fee_fit = None
    if "shipping_fee" not in carts.source_columns:
        notes["fee"] = _("The carts have no shipping fee (no shipping_fee column), so abandonment by the fee's "
                         "share of the cart value is not shown.")
    else:
        fee_bins = abandonment_by_fee_share(carts, **fee_window)
        try:
            fee_fit = fee_share_fit(carts, **fee_window)
        except ParameterError as exc:
            notes["fee"] = _("The fee-share fit is skipped: {reason}.").format(reason=exc)

    bunching = impact = None
    valued = int(carts.table.cart_value.count().execute()) > 0
    if not valued:
        notes["bunching"] = notes["impact"] = _(
            "The carts have no value (derived from events without carts.value_column), so the policy's effect on "
            "order value, revenue and carts near the threshold cannot be read.")
    elif launch is None:
        notes["bunching"] = notes["impact"] = launch_note
    elif experiment:
        try:
            bunching = threshold_bunching(carts, threshold, launch, **window)
        except ParameterError as exc:
            notes["bunching"] = _("No before/after comparison: {reason}.").format(reason=exc)
    else:
        try:
            bunching = threshold_bunching(carts, threshold, launch, **window)
            impact = policy_impact(carts, launch, **window)
        except ParameterError as exc:
            note = _("No before/after comparison: {reason}.").format(reason=exc)
            if bunching is None:
                notes["bunching"] = note
            notes["impact"] = note
    if experiment and valued:
        notes.pop("impact", None)
        try:
            assignments = data.require("assignments", f"the A/B readout of experiment '{experiment}'")
            impact = policy_impact(carts, assignments=assignments, experiment=experiment, control=control,
                                   treatment=treatment, expected_shares=expected_shares or None, **window)
        except (MissingTableError, ParameterError) as exc:
            notes["impact"] = _("No A/B readout of experiment '{experiment}': {reason}.").format(
                experiment=experiment, reason=exc)
    return CartAnalysis(_text(period_start), _text(period_end), launch, float(threshold), outcomes, daily,
                        by_segment, segment_by, checkout, fee_bins, fee_fit, bunching, impact, drivers, notes,
                        experiment or None)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _launch_in_period(launch_date: object, period_start: object, period_end: object) -> tuple[str | None, str]:
    """The launch date as ISO text when it falls inside the period, else None and why."""
    if launch_date in (None, ""):
        return None, _("No launch date was given, so there is no before/after comparison.")
    launch = to_datetime(launch_date, "launch_date")
    start, stop = period_bounds(period_start, period_end)
    if (start is not None and launch <= start) or (stop is not None and launch >= stop):
        return None, _("The launch date {date} is outside the period, so there is no before/after comparison; "
                       "widen the period to include days on both sides of it.").format(date=day(launch))
    return f"{launch:%Y-%m-%d}", ""
