"""The funnel explorer: any steps from the events present, mode, window, segment and period.

The analysis is :func:`uem_helpers.analyses.funnel.funnel` (the same readout the
onboarding and cart reports use); the chart is :func:`uem_helpers.present.plots.funnel_chart`,
or :func:`uem_helpers.present.plots.segment_conversion` with a segment (segments of
fewer starters than the privacy minimum folded into "other").
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w
import pandas as pd

from uem_helpers.core.formats import duration
from uem_helpers.present import plots, privacy
from uem_helpers.analyses.funnel import MODES, funnel
from uem_helpers.present.narrative import md_escape
from uem_helpers.data.sources import Dataset
from uem_helpers.widgets.base import Explorer, View, no_data, rate_cells
from uem_helpers.widgets.controls import STYLE, event_options, period_controls, period_problem, period_text, segment_dropdown, segment_options, window_dropdown


class FunnelExplorer(Explorer):
    """Explore a funnel: pick the steps, mode, conversion window, segment and period.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``events`` is needed, ``users`` offers more segment columns.
    steps : sequence of str
        The steps shown first (e.g. a funnel of the config); any events present can be picked.
    window : str, int or timedelta
        Conversion window shown first.
    mode : {"ordered", "strict", "any_order"}
        Matching mode shown first.
    exclude : sequence of str
        Events that end a user's funnel (the config funnel's ``exclude``), kept for every selection.
    segment_by : str, optional
        Segment column shown first ("" or None for none).
    period_start, period_end : date-like, optional
        Period shown first (both ends inclusive).
    cache_size : int
        Results kept (see :class:`~uem_helpers.widgets.base.Explorer`).

    Notes
    -----
    The table has one row per step (``Users``, share from entry and from the previous
    step with their 95% intervals, median time from the previous step) or, with a
    segment, one row per segment (starters, completed, completion with its interval).
    ``view.data`` is the :func:`~uem_helpers.analyses.funnel.funnel` readout.
    """

    title = "Funnel explorer"
    recompute_on = ("steps", "mode", "window", "segment_by", "period_start", "period_end")

    def __init__(
        self,
        data: Dataset,
        *,
        steps: Sequence[str],
        window: object = "1h",
        mode: str = "ordered",
        exclude: Sequence[str] = (),
        segment_by: str | None = None,
        period_start: object = None,
        period_end: object = None,
        cache_size: int = 32,
    ):
        self.events = data.require("events", "the funnel explorer")
        self.users = data.tables.get("users")
        self.exclude = tuple(exclude)
        present = event_options(self.events)
        allowed = present + [s for s in dict.fromkeys(steps) if s not in present]
        controls = {
            "steps": w.TagsInput(value=list(steps), allowed_tags=allowed, allow_duplicates=True,
                                 description="Steps", style=STYLE, layout=w.Layout(width="100%")),
            "mode": w.Dropdown(options=list(MODES), value=mode, description="Mode", style=STYLE),
            "window": window_dropdown(window),
            "segment_by": segment_dropdown(segment_options({"events": self.events, "users": self.users}), segment_by),
            **period_controls(period_start, period_end),
        }
        super().__init__(controls, cache_size=cache_size)

    def check(self, *, steps, period_start, period_end, **_) -> str | None:
        """Fewer than two steps, or a period that ends before it starts."""
        if len(steps) < 2:
            return "Pick at least two steps: users enter the funnel at the first one."
        return period_problem(period_start, period_end)

    def analyse(self, *, steps, mode, window, segment_by, period_start, period_end) -> pd.DataFrame:
        """The funnel readout (:func:`uem_helpers.analyses.funnel.funnel`) for the selection."""
        return funnel(self.events, list(steps), window=window, mode=mode, exclude=self.exclude,
                      period_start=period_start, period_end=period_end, segment_by=segment_by or None,
                      users=self.users)

    def show(self, readout: pd.DataFrame, *, steps, mode, window, segment_by, period_start, period_end) -> View:
        """Chart, table and a sentence; a "no data" message when nobody entered."""
        period = period_text(period_start, period_end)
        first = readout[readout["step_index"] == 1]
        entered = int(first["entered"].sum())
        if entered == 0:
            return no_data(f"nobody did '{steps[0]}' between {period}.")
        last = readout[readout["step_index"] == len(steps)]
        completed = int(last["reached"].sum())
        sentence = (f"Of **{entered:,}** users who did '{md_escape(steps[0])}' between {md_escape(period)}, "
                    f"**{completed:,}** ({completed / entered:.0%}) reached '{md_escape(steps[-1])}' within "
                    f"{md_escape(window)} ({md_escape(mode.replace('_', ' '))} funnel).")
        if segment_by:
            ax = plots.segment_conversion(readout, segment_by, title=f"Completion by {segment_by} ({period})")
            return View(text=sentence, figure=ax, table=segment_table(readout, segment_by), data=readout)
        ax = plots.funnel_chart(readout, title=f"Funnel: share of entered users reaching each step ({period})")
        return View(text=sentence, figure=ax, table=steps_table(readout), data=readout)


def steps_table(readout: pd.DataFrame) -> pd.DataFrame:
    """One row per step: users, share from entry and from the previous step (95% CI), median time."""
    return pd.DataFrame({
        "Users": readout["reached"].map("{:,}".format),
        "From entry (95% CI)": rate_cells(readout, "conversion", "conversion_low", "conversion_high"),
        "From previous step (95% CI)": rate_cells(readout, "step_conversion", "step_conversion_low",
                                                  "step_conversion_high"),
        "Median time from previous step": readout["median_seconds"].map(lambda s: duration(s, na="")),
    }).set_axis(pd.Index([f"{i}. {s}" for i, s in zip(readout["step_index"], readout["step"])], name="Step"))


def segment_table(readout: pd.DataFrame, segment_by: str) -> pd.DataFrame:
    """One row per segment (small ones folded into "other"): starters, completed, completion (95% CI)."""
    folded = privacy.active().fold_funnel_segments(readout, segment_by)
    last = folded[folded["step_index"] == folded["step_index"].max()]
    return pd.DataFrame({
        "Started": last["entered"].map("{:,}".format).to_numpy(),
        "Completed": last["reached"].map("{:,}".format).to_numpy(),
        "Completion (95% CI)": rate_cells(last, "conversion", "conversion_low", "conversion_high"),
    }, index=pd.Index(last[segment_by].astype(str).to_numpy(), name=segment_by))
