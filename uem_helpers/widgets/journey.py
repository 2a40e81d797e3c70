"""The journey explorer: start event, depth, and segment A vs B.

Two pictures, both the journey report's own analyses and charts:

- **Paths** (no segment picked): the most common session paths from the start
  event, ``depth`` events long (:func:`uem_helpers.analyses.journey.paths`), drawn as a
  Sankey diagram of the same depth (:func:`uem_helpers.analyses.journey.sankey_links`,
  :func:`uem_helpers.present.journey.sankey`), with the paths as the table.
- **A vs B** (a segment and two of its values picked): the transitions whose
  share differs between the two segments, with user-clustered intervals and
  Benjamini-Hochberg q-values (:func:`uem_helpers.analyses.journey.segment_diff`,
  :func:`uem_helpers.present.journey.segment_diff_chart`).
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from uem_helpers.core.formats import signed_points
from uem_helpers.analyses import journey
from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.present import journey as journey_charts
from uem_helpers.present.narrative import md_escape
from uem_helpers.data.sources import Dataset
from uem_helpers.widgets.base import Explorer, View, no_data, rate_cells
from uem_helpers.widgets.controls import STYLE, event_options, period_controls, period_problem, period_text, segment_dropdown, segment_options, segment_values


class JourneyExplorer(Explorer):
    """Explore journeys: start event, depth, and segment A vs B.

    Parameters
    ----------
    data : Dataset
        Loaded tables; ``events`` is needed, ``users`` offers more segment columns.
    start_event : str
        Event paths start at (e.g. the config's ``journey.start_event``).
    depth : int
        Events per path, the start event included (2 to 8).
    gap : str, int or timedelta
        Session inactivity gap (the config's ``sessions.gap``).
    segment_by : str, optional
        Segment column for A vs B ("" or None: show paths).
    segment_a, segment_b : str, optional
        The two values compared; the two largest segments when None.
    period_start, period_end : date-like, optional
        Period shown first (both ends inclusive).
    cache_size : int
        Results kept (see :class:`~uem_helpers.widgets.base.Explorer`).
    """

    title = "Journey explorer"
    recompute_on = ("start_event", "depth", "segment_by", "segment_a", "segment_b", "period_start", "period_end")

    def __init__(
        self,
        data: Dataset,
        *,
        start_event: str | None = None,
        depth: int = 4,
        gap: object = "30min",
        segment_by: str | None = None,
        segment_a: str | None = None,
        segment_b: str | None = None,
        period_start: object = None,
        period_end: object = None,
        cache_size: int = 32,
    ):
        self.events = data.require("events", "the journey explorer")
        self.users = data.tables.get("users")
        self.gap = gap
        present = event_options(self.events)
        start_event = start_event or present[0]
        controls = {
            "start_event": w.Dropdown(options=present + ([start_event] if start_event not in present else []),
                                      value=start_event, description="Start at", style=STYLE),
            "depth": w.IntSlider(value=depth, min=2, max=8, description="Depth", continuous_update=False, style=STYLE),
            "segment_by": segment_dropdown(segment_options({"events": self.events, "users": self.users}), segment_by,
                                           description="Compare by"),
            "segment_a": w.Dropdown(options=[], description="A", style=STYLE),
            "segment_b": w.Dropdown(options=[], description="B", style=STYLE),
            **period_controls(period_start, period_end),
        }
        self._fill_values(controls, segment_by, segment_a, segment_b)
        super().__init__(controls, cache_size=cache_size)

    def _fill_values(self, controls: dict, column: str | None, a: str | None, b: str | None) -> None:
        """Offer the segment column's values in A and B: the given ones, else the two largest."""
        values = segment_values([self.events, self.users], column) if column else []
        for name, value, fallback in (("segment_a", a, 0), ("segment_b", b, 1)):
            options = values + ([value] if value and value not in values else [])
            controls[name].options = options
            controls[name].value = value or (options[fallback] if len(options) > fallback else None)
            controls[name].disabled = not column

    def adjust(self, name: str, **selection) -> None:
        """A new segment column offers its values for A and B."""
        if name == "segment_by":
            self._fill_values(self.controls, selection["segment_by"], None, None)

    def check(self, *, segment_by, segment_a, segment_b, period_start, period_end, **_) -> str | None:
        """A period that ends before it starts, or A and B the same segment."""
        if segment_by and (segment_a is None or segment_a == segment_b):
            return f"Pick two different values of {segment_by} to compare as A and B."
        return period_problem(period_start, period_end)

    def analyse(self, *, start_event, depth, segment_by, segment_a, segment_b, period_start, period_end):
        """Paths and Sankey links from the start event, or the A vs B transition differences."""
        sessions = prepare_sessions(self.events, gap=self.gap, period_start=period_start, period_end=period_end)
        if segment_by:
            return journey.segment_diff(sessions, segment_by, segment_a, segment_b, users=self.users)
        return (journey.paths(sessions, start_event, max_steps=depth),
                journey.sankey_links(sessions, start_event, max_steps=depth))

    def show(self, result, *, start_event, depth, segment_by, segment_a, segment_b, period_start, period_end) -> View:
        """The Sankey and the paths table, or the A vs B chart and its table; a message when empty."""
        period = period_text(period_start, period_end)
        if segment_by:
            if result.empty:
                return no_data(f"no transition was made often enough by {segment_by} '{segment_a}' and "
                               f"'{segment_b}' between {period}.")
            significant = int(result["significant"].sum())
            text = (f"Of **{len(result):,}** transitions compared between {md_escape(segment_by)} "
                    f"'{md_escape(segment_a)}' (A) and '{md_escape(segment_b)}' (B), **{significant:,}** differ beyond "
                    "chance (Benjamini-Hochberg q < 0.05).")
            ax = journey_charts.segment_diff_chart(result, labels=(str(segment_a), str(segment_b)))
            return View(text=text, figure=ax, table=_diff_table(result), data=result)
        paths, links = result
        if paths.empty or int(paths["sessions"].sum()) == 0:
            return no_data(f"no session reached '{start_event}' between {period}.")
        sessions = int(paths["sessions"].sum())
        text = (f"**{sessions:,}** sessions did '{md_escape(start_event)}' between {md_escape(period)}; "
                f"their most common paths, {depth} events deep:")
        figure = journey_charts.sankey(links, title=f"Sessions from '{start_event}', {depth} steps ({period})")
        return View(text=text, figure=figure, table=_paths_table(paths), data=paths)


def _paths_table(paths: pd.DataFrame) -> pd.DataFrame:
    """Per path: sessions, users, share of the sessions from the start event (95% CI)."""
    return pd.DataFrame({
        "Sessions": paths["sessions"].map("{:,}".format).to_numpy(),
        "Users": paths["users"].map("{:,}".format).to_numpy(),
        "Share (95% CI)": rate_cells(paths, "share", "share_low", "share_high"),
    }, index=pd.Index(paths["path"].astype(str).to_numpy(), name="Path"))


def _diff_table(diff: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The largest differences (significant first): shares in A and B, difference with its 95% CI, q-value."""
    d = diff.assign(_size=diff["difference"].abs()).sort_values(["significant", "_size"], ascending=False).head(top)

    return pd.DataFrame({
        "Share in A": d["share_a"].map("{:.1%}".format).to_numpy(),
        "Share in B": d["share_b"].map("{:.1%}".format).to_numpy(),
        "B − A (pts, 95% CI)": [f"{signed_points(x, unit='')} ({signed_points(lo, unit='')} to {signed_points(hi, unit='')})"
                                for x, lo, hi in zip(d["difference"], d["ci_low"], d["ci_high"])],
        "q-value": d["q_value"].map(lambda q: "< 0.001" if q < 0.001 else f"{q:.3f}").to_numpy(),
    }, index=pd.Index([f"{s} → {t}" for s, t in zip(d["source"], d["target"])], name="Transition"))
