"""The cart explorer: free-shipping threshold, period and segment.

The analysis is :func:`uem_helpers.stories.cart.analyse_carts` (the cart report's
own), run on the carts and users tables only: the explorer shows neither the
checkout funnel nor the drivers, so it does not pay for them. Both tables are
materialised in the engine when the explorer is built (``Table.cache()``: a
temporary table on DuckDB, a cached DataFrame on Spark), which makes every
selection several times faster; carts are far fewer than events. Charts, sentences
and tables are the report's (:mod:`uem_helpers.present.cart`), so small segments
are folded and data text masked exactly as in the report.

A "Show" control picks the picture: the threshold (bunching around it, and the
policy impact table), abandonment by segment, the daily trend, or the fee share.
Changing the threshold shows the threshold; picking a segment shows the segments.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from uem_helpers.present import cart as cart_report, privacy
from uem_helpers.stories.cart import CartAnalysis, analyse_carts
from uem_helpers.data.sources import Dataset
from uem_helpers.stats import wilson_ci
from uem_helpers.widgets.base import Explorer, View, no_data, rate_cells
from uem_helpers.widgets.controls import STYLE, period_controls, period_problem, period_text, segment_dropdown, segment_options

#: What the "Show" control offers: value -> label.
SHOWS = {"threshold": "Free-shipping threshold", "segment": "By segment", "trend": "Daily trend", "fee": "Fee share"}


class CartExplorer(Explorer):
    """Explore cart abandonment: free-shipping threshold, period and segment.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``carts`` is needed, ``users`` offers more segment columns.
    launch_date : date-like, optional
        When the free-shipping policy went live (fixed; the before/after needs it inside the period).
    threshold : float
        Free-shipping threshold shown first.
    segment_by : str, optional
        Segment column shown first ("" or None for none).
    period_start, period_end : date-like, optional
        Period shown first (both ends inclusive).
    show : {"threshold", "segment", "trend", "fee"}
        Picture shown first.
    cache_size : int
        Results kept (see :class:`~uem_helpers.widgets.base.Explorer`).

    Notes
    -----
    ``view.data`` is the frame behind the chart: the bunching histogram, the segment
    breakdown (folded), the daily abandonment or the fee-share bins.
    """

    title = "Cart explorer"
    recompute_on = ("threshold", "segment_by", "period_start", "period_end")

    def __init__(
        self,
        data: Dataset,
        *,
        launch_date: object = None,
        threshold: float = 99,
        segment_by: str | None = None,
        period_start: object = None,
        period_end: object = None,
        show: str = "threshold",
        cache_size: int = 32,
    ):
        # Carts and users materialised once in the engine (canonical typing and time zones are not redone
        # for every query of every selection); no events, so analyse_carts skips the funnel and the drivers,
        # which the explorer does not show.
        carts = data.require("carts", "the cart explorer").cache()
        users = data.tables.get("users")
        users = users.cache() if users is not None else None
        self.data = Dataset(con=data.con, tables={"carts": carts, **({"users": users} if users is not None else {})},
                            timezone=data.timezone)
        self.launch_date = launch_date or None
        controls = {
            "threshold": w.BoundedFloatText(value=float(threshold), min=0, max=1e9, step=1, description="Threshold",
                                            continuous_update=False, style=STYLE, layout=w.Layout(width="12em")),
            "segment_by": segment_dropdown(segment_options({"carts": carts, "users": users}), segment_by),
            **period_controls(period_start, period_end),
            "show": w.ToggleButtons(options=[(label, key) for key, label in SHOWS.items()], value=show,
                                    description="Show", style={**STYLE, "button_width": "auto"}),
        }
        super().__init__(controls, cache_size=cache_size)

    def check(self, *, period_start, period_end, **_) -> str | None:
        """A period that ends before it starts."""
        return period_problem(period_start, period_end)

    def adjust(self, name: str, **selection) -> None:
        """Show the picture the changed control is about."""
        if name == "threshold":
            self.controls["show"].value = "threshold"
        elif name == "segment_by" and selection["segment_by"]:
            self.controls["show"].value = "segment"

    def analyse(self, *, threshold, segment_by, period_start, period_end) -> CartAnalysis:
        """The cart report's analysis (:func:`uem_helpers.stories.cart.analyse_carts`) for the selection."""
        return analyse_carts(self.data, None, launch_date=self.launch_date, threshold=threshold,
                             period_start=period_start, period_end=period_end, segment_by=segment_by or None,
                             min_users=privacy.active().min_cell_size)

    def show(self, a: CartAnalysis, *, show, threshold, segment_by, period_start, period_end) -> View:
        """The picked picture with its table and the report's sentence; a message when it has no data."""
        period = period_text(period_start, period_end)
        if not a.has_data:
            return no_data(f"no cart was created between {period}.")
        overview = cart_report.overview_finding(a)
        if show == "threshold":
            if a.bunching is None:
                return no_data(a.notes.get("bunching", "there is no before/after comparison."))
            table = cart_report.impact_table(a) if a.impact is not None else None
            return View(text=f"{overview}\n\n{cart_report.bunching_finding(a)}", table=table,
                        figure=cart_report.bunching_chart(a.bunching), data=a.bunching.histogram)
        if show == "segment":
            shown = cart_report.shown_segments(a)
            if shown is None:
                return View(message="Pick a segment to break abandonment down by.")
            return View(text=cart_report.segment_finding(a), figure=cart_report.segment_chart(a),
                        table=_segment_table(shown, a.segment_by), data=shown)
        if show == "trend":
            return View(text=overview, figure=cart_report.abandonment_trend(a), table=_weekly_table(a.daily),
                        data=a.daily)
        return View(text=cart_report.fee_finding(a), figure=cart_report.fee_share_chart(a.fee_bins),
                    table=_fee_table(a.fee_bins), data=a.fee_bins)


def _segment_table(shown: pd.DataFrame, segment_by: str) -> pd.DataFrame:
    """Per segment (small ones folded): carts, users, abandonment with its 95% interval."""
    return pd.DataFrame({
        "Carts": shown["carts"].map("{:,}".format).to_numpy(),
        "Users": shown["users"].map("{:,}".format).to_numpy(),
        "Abandonment (95% CI)": rate_cells(shown, "abandonment_rate", "abandonment_low", "abandonment_high"),
    }, index=pd.Index(shown[segment_by].astype(str).to_numpy(), name=segment_by))


def _weekly_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Carts and abandonment (95% CI) per week starting on Monday, from the daily counts."""
    week = daily["date"].dt.to_period("W-SUN").dt.start_time
    weekly = daily.groupby(week)[["carts", "abandoned"]].sum()
    weekly["abandonment_rate"] = weekly["abandoned"] / weekly["carts"]
    weekly["low"], weekly["high"] = wilson_ci(weekly["abandoned"], weekly["carts"])
    return pd.DataFrame({
        "Carts": weekly["carts"].map("{:,}".format),
        "Abandoned": weekly["abandoned"].map("{:,}".format),
        "Abandonment (95% CI)": rate_cells(weekly, "abandonment_rate", "low", "high"),
    }).set_axis(pd.Index([f"{d:%Y-%m-%d}" for d in weekly.index], name="Week from"))


def _fee_table(bins: pd.DataFrame) -> pd.DataFrame:
    """Per fee-share bin: carts and abandonment with its 95% interval."""
    return pd.DataFrame({
        "Carts": bins["carts"].map("{:,}".format).to_numpy(),
        "Abandonment (95% CI)": rate_cells(bins, "abandonment_rate", "abandonment_low", "abandonment_high"),
    }, index=pd.Index(bins["bin"].to_numpy(), name="Shipping fee / cart value"))
