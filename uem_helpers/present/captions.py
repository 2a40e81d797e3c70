"""A chart and the one sentence under it that says what to see in it.

A report's chart cell calls one helper that returns a :class:`Captioned`: the
figure (matplotlib or plotly) and its caption, a sentence written from the
result (numbers through :mod:`uem_helpers.core.formats`, names through
:func:`~uem_helpers.core.i18n.label`). Jupyter shows it as two outputs of the
same cell, the figure and then the caption (``<p class="uem-caption">``), so
JupyterLab and the exported report show the caption right under its chart and
the print style keeps the cell, chart and caption, on one page
(:mod:`uem_helpers.pipeline.page`). Personal data in the caption is masked
like every chart text.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from uem_helpers.core.formats import day, percent, percent_interval
from uem_helpers.core.i18n import N_, _, label
from uem_helpers.core.period import to_datetime
from uem_helpers.present import privacy

#: Class of the element each caption is written in (styled in the report page).
CAPTION_CLASS = "uem-caption"


class Captioned:
    """A chart with its caption; Jupyter displays the chart, then the caption under it.

    Parameters
    ----------
    chart : matplotlib Axes, Figure, array of Axes, or plotly Figure
        What the chart function returned.
    caption : str
        One sentence in the reader's language, plain text (escaped when shown).

    Attributes
    ----------
    chart : object
        ``chart`` as given (the Axes a caller may keep styling).
    figure : matplotlib Figure or plotly Figure
        The figure displayed.
    caption : str
        The caption with personal data masked.
    """

    def __init__(self, chart, caption: str):
        self.chart = chart
        self.figure = _figure_of(chart)
        self.caption = privacy.active().mask_text(caption)

    def caption_html(self) -> str:
        """The caption as the report shows it: ``<p class="uem-caption">...</p>``, its text escaped."""
        return f'<p class="{CAPTION_CLASS}">{html.escape(self.caption)}</p>'

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.figure)
        if isinstance(self.figure, Figure):
            plt.close(self.figure)  # shown once, not again when the cell ends
        display({"text/html": self.caption_html(), "text/plain": self.caption}, raw=True)

    def __repr__(self) -> str:
        return f"Captioned({type(self.figure).__name__}, {self.caption!r})"


def _figure_of(chart):
    """The figure a chart function's result belongs to (an Axes' figure, the first panel's of an array)."""
    if hasattr(chart, "flat"):
        chart = next(iter(chart.flat))
    return chart.get_figure() if hasattr(chart, "get_figure") and not isinstance(chart, Figure) else chart


# --- captions of the shared charts (uem_helpers.present.plots) ---------------------------


def funnel_caption(readout: pd.DataFrame) -> str:
    """What to see in :func:`~uem_helpers.present.plots.funnel_chart`: where the funnel loses the most users.

    >>> funnel_caption(readout)  # doctest: +SKIP
    "Most users are lost before '2. Verify identity': 31% of those who reach the step before do not get there
    (95% CI 28% to 34%); 52% of entrants reach the last step."
    """
    if readout.empty or readout["entered"].iloc[0] == 0:
        return _("Nobody entered the funnel in the period, so its bars are empty.")
    steps, last = readout.iloc[1:], readout.iloc[-1]
    if steps.empty or steps["lost"].max() <= 0:
        return _("Every user who reached a step went on to the next: {share} of entrants reach the last step.").format(
            share=percent(last["conversion"]))
    worst = steps.loc[steps["lost"].idxmax()]
    return _("Most users are lost before '{step}': {share} of those who reach the step before do not get there "
             "({interval}); {completed} of entrants reach the last step.").format(
        step=f"{int(worst['step_index'])}. {label(worst['step'])}", share=percent(1 - worst["step_conversion"]),
        interval=percent_interval(1 - worst["step_conversion_high"], 1 - worst["step_conversion_low"]),
        completed=percent(last["conversion"]))


#: The caption of a daily-rate chart, by (what the rate counts, whether a launch is marked).
_DAILY = {
    ("completion", False): N_("The 7-day completion rate went from {first} in the week to {first_day} to {last} in "
                              "the week to {last_day}."),
    ("completion", True): N_("The 7-day completion rate went from {first} in the week to {first_day} to {last} in "
                             "the week to {last_day}; the dashed line marks the launch on {launch}."),
    ("abandonment", False): N_("The 7-day abandonment rate went from {first} in the week to {first_day} to {last} in "
                               "the week to {last_day}."),
    ("abandonment", True): N_("The 7-day abandonment rate went from {first} in the week to {first_day} to {last} in "
                              "the week to {last_day}; the dashed line marks the launch on {launch}."),
}


def daily_caption(daily: pd.DataFrame, *, launch_date: object = None, rate: str = "completion") -> str:
    """What to see in :func:`~uem_helpers.present.plots.daily_rate`: the 7-day rate of the first whole week and
    of the last.

    ``rate`` is ``"completion"`` or ``"abandonment"``, what the chart's rate counts; the launch is named
    when it falls within the chart's days.
    """
    known = daily.dropna(subset=["rate_7d"]) if "rate_7d" in daily else daily.iloc[0:0]
    if known.empty:
        return _("No week of the period had enough users for a 7-day rate.")
    dates = pd.to_datetime(known["date"])
    full = known[dates >= dates.min() + pd.Timedelta(days=6)]  # the first rate that pools a whole week
    first, last = (full if len(full) else known).iloc[0], known.iloc[-1]
    fields = dict(first=percent(first["rate_7d"]), first_day=day(pd.Timestamp(first["date"])),
                  last=percent(last["rate_7d"]), last_day=day(pd.Timestamp(last["date"])))
    launch = None if launch_date is None else pd.Timestamp(to_datetime(launch_date, "launch_date"))
    if launch is None or not pd.Timestamp(daily["date"].min()) <= launch <= pd.Timestamp(daily["date"].max()):
        return _(_DAILY[rate, False]).format(**fields)
    return _(_DAILY[rate, True]).format(launch=day(launch), **fields)
