"""The cart report's charts, each with the one sentence under it that says what to see.

Each ``*_figure`` draws one picture with the chart functions of :mod:`uem_helpers.present.cart`
and :mod:`uem_helpers.present.plots` and returns a :class:`~uem_helpers.present.captions.Captioned`
(the chart and its caption, shown together in a notebook cell); each ``*_caption`` is that sentence
alone, written from a :class:`~uem_helpers.stories.cart.CartAnalysis`. :mod:`uem_helpers.present.cart`
names them for the notebook.
"""

from __future__ import annotations

from uem_helpers.core.formats import number, percent, significant_decimals
from uem_helpers.core.i18n import _, label
from uem_helpers.present import plots
from uem_helpers.present.captions import Captioned, daily_caption, funnel_caption
from uem_helpers.present.cart import (
    abandonment_trend, bunching_chart, drivers_chart, fee_share_chart, segment_chart, shown_segments,
)
from uem_helpers.stories.cart import CartAnalysis


def _amount(x: float) -> str:
    """A cart value as the charts write it (``99``, ``12.5``)."""
    return number(x, significant_decimals(x) if abs(x) < 100 else 0)


def trend_figure(a: CartAnalysis) -> Captioned:
    """Daily abandonment (:func:`~uem_helpers.present.cart.abandonment_trend`) and its 7-day rate at both ends."""
    return Captioned(abandonment_trend(a), daily_caption(a.daily, launch_date=a.launch_date, rate="abandonment"))


def segments_caption(a: CartAnalysis) -> str:
    """The segments that abandon most and least often, and whether their intervals overlap (small ones folded)."""
    seg = shown_segments(a).sort_values("abandonment_rate")
    low, high = seg.iloc[0], seg.iloc[-1]
    if len(seg) == 1:
        return _("All carts are shown as one group: {rate} of them were abandoned.").format(
            rate=percent(low["abandonment_rate"]))
    text = (_("'{highest}' abandons carts most often ({high}) and '{lowest}' least often ({low}); their intervals "
              "overlap, so the gap may be noise.") if low["abandonment_high"] >= high["abandonment_low"] else
            _("'{highest}' abandons carts most often ({high}) and '{lowest}' least often ({low}); their intervals do "
              "not overlap."))
    return text.format(highest=label(str(high[a.segment_by])), high=percent(high["abandonment_rate"]),
                       lowest=label(str(low[a.segment_by])), low=percent(low["abandonment_rate"]))


def segments_figure(a: CartAnalysis) -> Captioned:
    """Abandonment by segment (:func:`~uem_helpers.present.cart.segment_chart`) and its extremes."""
    return Captioned(segment_chart(a), segments_caption(a))


def checkout_figure(a: CartAnalysis, *, title: str | None = None) -> Captioned:
    """The checkout funnel (:func:`~uem_helpers.present.plots.funnel_chart`) and where it loses the most users."""
    return Captioned(plots.funnel_chart(a.checkout, title=title), funnel_caption(a.checkout))


def fee_caption(a: CartAnalysis) -> str:
    """Abandonment in the lowest and the highest bin of the shipping fee's share of the cart value."""
    bins = a.fee_bins[a.fee_bins["carts"] > 0]
    if bins.empty:
        return _("No cart had a shipping fee to compare, so the chart has no bars.")
    first, last = bins.iloc[0], bins.iloc[-1]
    text = (_("Abandonment rises with the fee's share: from {low} when shipping is {low_bin} of the cart value to "
              "{high} when it is {high_bin}.") if last["abandonment_rate"] > first["abandonment_rate"] else
            _("Abandonment does not rise with the fee's share: {low} when shipping is {low_bin} of the cart value, "
              "{high} when it is {high_bin}."))
    return text.format(low=percent(first["abandonment_rate"]), low_bin=str(first["bin"]),
                       high=percent(last["abandonment_rate"]), high_bin=str(last["bin"]))


def fee_figure(a: CartAnalysis) -> Captioned:
    """Abandonment by the fee's share (:func:`~uem_helpers.present.cart.fee_share_chart`) from end to end."""
    return Captioned(fee_share_chart(a.fee_bins), fee_caption(a))


def bunching_caption(a: CartAnalysis) -> str:
    """Whether carts pile up just above the free-shipping threshold after the launch (the excess's interval)."""
    b = a.bunching
    fields = dict(low=_amount(b.threshold), high=_amount(b.threshold + b.band), after=percent(b.excess.value_b, 1),
                  before=percent(b.excess.value_a, 1))
    if b.excess.ci_low > 0:
        return _("After the launch carts pile up just above the threshold: {after} of carts are valued {low} to "
                 "{high}, against {before} before.").format(**fields)
    return _("Carts do not pile up above the threshold beyond chance: {after} of carts are valued {low} to {high} "
             "after the launch, against {before} before.").format(**fields)


def bunching_figure(a: CartAnalysis) -> Captioned:
    """Cart values around the threshold (:func:`~uem_helpers.present.cart.bunching_chart`) and the pile-up."""
    return Captioned(bunching_chart(a.bunching), bunching_caption(a))


def drivers_caption(a: CartAnalysis) -> str:
    """The event before the cart that goes with the most abandonment, with its odds ratio's interval."""
    strong = a.drivers[a.drivers["odds_ratio_low"] > 1]
    if strong.empty:
        return _("No event before the cart goes with significantly more abandonment: every interval includes 1.")
    top = strong.iloc[0]
    return _("'{event}' goes with the most abandonment: {with_event} of carts after it are abandoned against "
             "{without_event} without it (odds ratio {ratio}, 95% CI {low} to {high}).").format(
        event=label(top["event"]), with_event=percent(top["abandonment_with"]),
        without_event=percent(top["abandonment_without"]), ratio=number(top["odds_ratio"], 2),
        low=number(top["odds_ratio_low"], 2), high=number(top["odds_ratio_high"], 2))


def drivers_figure(a: CartAnalysis) -> Captioned:
    """Odds ratios of abandonment per event (:func:`~uem_helpers.present.cart.drivers_chart`) and the strongest."""
    return Captioned(drivers_chart(a.drivers), drivers_caption(a))
