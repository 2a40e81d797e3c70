"""The retro as a wiki page (``monthly_retro.md``), published beside the HTML report."""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import month
from uem_helpers.core.i18n import _
from uem_helpers.present import privacy
from uem_helpers.present.narrative import md_escape
from uem_helpers.present.retro._vocabulary import _status
from uem_helpers.present.retro.scorecard import STATUS, scorecard_table
from uem_helpers.present.retro.tables import (
    actions,
    loop_table,
    nps_touchpoint_table,
    rollout_table,
    themes_table,
    we_did_table,
)
from uem_helpers.present.retro.words import (
    churn_drivers_finding,
    feedback_finding,
    month_in_five,
    no_data,
    nps_finding,
    retention_finding,
    rollout_finding,
    scorecard_finding,
    we_did_finding,
)
from uem_helpers.stories.retro import RetroAnalysis


def _md_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown pipe table, every cell masked and escaped."""
    frame = getattr(frame, "frame", frame)
    frame = frame.reset_index(drop=isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    head = "| " + " | ".join(md_escape(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(md_escape(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


#: Status markers for the wiki page, where colour can only come from the characters.
STATUS_MARKS = {"on track": "\U0001F7E2", "at risk": "\U0001F7E0", "off track": "\U0001F534", "no data": "\u26AA"}


def _wiki_scorecard(a: RetroAnalysis) -> pd.DataFrame | None:
    """The scorecard table with a coloured marker before each status."""
    if a.scorecard is None:
        return None
    table = scorecard_table(a)
    table[_(STATUS)] = [f"{STATUS_MARKS.get(s, '')} {_status(s).upper()}" for s in a.scorecard["status"]]
    return table


def wiki_page(a: RetroAnalysis) -> str:
    """The retro as one Markdown page for the company wiki: the same findings and tables as the report."""
    title = "# " + _("User engineering monthly retro: {month}").format(month=md_escape(month(a.month))) + "\n"
    if not a.has_data:
        return title + "\n" + no_data(a) + "\n"
    parts = [title, "## " + _("The month in five sentences") + "\n", month_in_five(a)]
    sections = [
        (_("KPI scorecard against the plan"), scorecard_finding(a), _wiki_scorecard(a)),
        (_("NPS"), nps_finding(a), nps_touchpoint_table(a) if a.nps_by_touchpoint is not None
         and not a.nps_by_touchpoint.empty else None),
        (_("Retention"), retention_finding(a), None),
        (_("Feedback loop"), feedback_finding(a), loop_table(a) if a.loop is not None else None),
        (_("Top themes"), "", themes_table(a) if a.themes is not None and len(a.themes) else None),
        (_("You said, we did"), we_did_finding(a),
         we_did_table(a) if a.we_did is not None and len(a.we_did) else None),
        (_("Rollouts"), rollout_finding(a), rollout_table(a) if a.rollouts else None),
        *([(_("Why users churn"), churn_drivers_finding(a), None)] if a.churn_rule is not None else []),
        (_("Actions"), "", actions(a)),
    ]
    for heading, text, table in sections:
        parts.append(f"\n## {heading}\n")
        if text:
            parts.append(text + "\n")
        if table is not None and len(getattr(table, "frame", table)):
            parts.append(_md_table(table) + "\n")
    parts.append("\n_" + _("Personal data in quotes is masked; groups of fewer than {size} users are folded. Generated "
                           "by UEM Workbench.").format(size=privacy.active().min_cell_size) + "_\n")
    return "\n".join(parts)
