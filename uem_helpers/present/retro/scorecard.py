"""The KPI scorecard against the plan: a table, and its HTML with status badges and a sparkline per KPI."""

from __future__ import annotations

import base64
import html
import io
from functools import cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from uem_helpers.core.formats import between, day, missing, month, percent, with_minus
from uem_helpers.core.i18n import N_, _, ngettext
from uem_helpers.present.retro._vocabulary import STATUS_COLOURS, _change, _label, _mask, _status, _value
from uem_helpers.present.retro.tables import CHANGE, OWNER
from uem_helpers.stories.retro import TREND_MONTHS, RetroAnalysis


#: The scorecard's own column headers (the months are named by :func:`~uem_helpers.core.formats.month`).
GOAL, DUE, BASELINE_TARGET, PROGRESS, STATUS = (N_("Goal"), N_("Due"), N_("Baseline → target"), N_("Progress"),
                                                N_("Status"))


def scorecard_table(a: RetroAnalysis) -> pd.DataFrame:
    """The scorecard as a reader wants it: goal, owner, this month with CI, change with CI, progress, status."""
    rows = []
    for r in a.scorecard.itertuples():
        rows.append({
            _(GOAL): _label(r.metric), _(OWNER): _mask(r.owner), _(DUE): day(r.due),
            _(BASELINE_TARGET): f"{_value(r.metric, r.baseline)} → {_value(r.metric, r.target)}",
            month(a.month): (f"{_value(r.metric, r.this_month)} "
                             f"({between(_value(r.metric, r.this_month_low), _value(r.metric, r.this_month_high))})"),
            month(a.last_month): _value(r.metric, r.last_month),
            _(CHANGE): (f"{_change(r.metric, r.change)} "
                        f"({between(_change(r.metric, r.change_low), _change(r.metric, r.change_high))})"),
            _(PROGRESS): (missing() if r.progress != r.progress else with_minus(
                _("{progress} (time {time})").format(progress=percent(r.progress),
                                                     time=percent(r.expected_progress)))),
            _(STATUS): _status(r.status).upper(),
        })
    return pd.DataFrame(rows).set_index(_(GOAL))


class ScorecardHTML:
    """The scorecard as an HTML table: a sparkline of the last months and a coloured status badge per goal.

    Colours and sparklines are embedded PNG images (the report exporter strips style
    attributes); every text is masked and HTML-escaped here. Shows as a DataFrame's text
    outside HTML.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`scorecard_table`.
    """

    def __init__(self, table: pd.DataFrame, sparklines: dict[str, str], statuses: dict[str, str]):
        self.table, self._sparklines, self._statuses = table, sparklines, statuses

    def _repr_html_(self) -> str:
        recent = ngettext("Last {n} month", "Last {n} months", TREND_MONTHS).format(n=TREND_MONTHS)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [_(GOAL), recent, *self.table.columns])
        rows = []
        for goal, row in self.table.iterrows():
            cells = [f"<th>{html.escape(str(goal))}</th>", f"<td>{self._sparklines.get(goal, '')}</td>"]
            for column, value in row.items():
                text = html.escape(str(value))
                if column == _(STATUS):
                    text = _badge(self._statuses.get(goal, "no data")) + " " + text
                cells.append(f"<td>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return (f'<table border="0" class="dataframe uem-scorecard"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def __repr__(self) -> str:
        return self.table.to_string()


def scorecard_html(a: RetroAnalysis) -> ScorecardHTML:
    """:func:`scorecard_table` with a sparkline per goal (status-coloured) and a status badge, for the report."""
    table = scorecard_table(a)
    sparklines, statuses = {}, {}
    for r in a.scorecard.itertuples():
        label = _label(r.metric)
        statuses[label] = r.status
        s = a.kpi(r.metric)
        if len(s):
            alt = ngettext("{kpi}: last {n} month", "{kpi}: last {n} months", len(s)).format(kpi=label, n=len(s))
            sparklines[label] = _sparkline(tuple(s["value"]), float(r.target), STATUS_COLOURS.get(r.status, "#333"),
                                           alt)
    return ScorecardHTML(table, sparklines, statuses)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, transparent=True)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _sparkline(values: tuple[float, ...], target: float, colour: str, alt: str) -> str:
    """A 120x30 px line of ``values`` with the target as a grey dashed line and the last value as a dot."""
    fig = plt.figure(figsize=(1.2, 0.3))
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
    x = np.arange(len(values))
    ax.plot(x, values, color=colour, lw=1.4)
    ax.plot(x[-1:], values[-1:], "o", color=colour, ms=3)
    if target == target:
        ax.axhline(target, color="#999", ls="--", lw=0.8)
    ax.axis("off")
    return f'<img src="{_png(fig)}" alt="{html.escape(alt)}" width="120" height="30">'


def _badge(status: str) -> str:
    """A small filled circle in the status colour, as an embedded image described by the status's words."""
    return f'<img src="{_dot(STATUS_COLOURS.get(status, "#888888"))}" alt="{html.escape(_status(status))}" ' \
           'width="12" height="12">'


@cache
def _dot(colour: str) -> str:
    """A small filled circle in ``colour``, as a PNG data URI."""
    fig = plt.figure(figsize=(0.12, 0.12))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(plt.Circle((0.5, 0.5), 0.48, color=colour))
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.axis("off")
    return _png(fig)
