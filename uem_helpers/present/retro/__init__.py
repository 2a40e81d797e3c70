"""The monthly retro: its words, scorecard, tables, charts and wiki page.

A notebook imports this package as ``report``
(``from uem_helpers.present import retro as report``) and calls the names below on a
:class:`~uem_helpers.stories.retro.RetroAnalysis`: :mod:`.words`, :mod:`.scorecard` (KPIs against
the plan), :mod:`.tables`, :mod:`.charts`, :mod:`.captions` (each chart with the sentence under it, as the notebook shows
it), :mod:`.wiki` (``monthly_retro.md``); :mod:`._vocabulary`
holds the KPI labels, status colours and unit-aware number formats they share.
"""

from __future__ import annotations

from uem_helpers.present.retro.words import (
    feedback_finding,
    headline,
    introduction,
    month_in_five,
    no_data,
    note,
    nps_finding,
    retention_finding,
    rollout_finding,
    scorecard_finding,
    spiked_theme,
    we_did_finding,
)
from uem_helpers.present.retro.scorecard import ScorecardHTML, scorecard_html, scorecard_table
from uem_helpers.present.retro.tables import (
    actions,
    actions_table,
    backlog_table,
    loop_table,
    nps_touchpoint_table,
    priority_table,
    rollout_table,
    themes_table,
    we_did_table,
)
from uem_helpers.present.retro.charts import (
    channel_chart,
    feedback_volume_chart,
    kpi_small_multiples,
    nps_chart,
    retention_heatmap,
)
from uem_helpers.present.retro.captions import (
    channel_caption,
    channel_figure,
    feedback_volume_caption,
    feedback_volume_figure,
    kpi_caption,
    kpi_figure,
    nps_caption,
    nps_figure,
    retention_caption,
    retention_figure,
)
from uem_helpers.present.retro.wiki import STATUS_MARKS, wiki_page
from uem_helpers.present.retro._vocabulary import KPI_LABELS, STATUS_COLOURS

__all__ = [
    "KPI_LABELS",
    "STATUS_COLOURS",
    "STATUS_MARKS",
    "ScorecardHTML",
    "actions",
    "actions_table",
    "backlog_table",
    "channel_caption",
    "channel_chart",
    "channel_figure",
    "feedback_finding",
    "feedback_volume_caption",
    "feedback_volume_chart",
    "feedback_volume_figure",
    "headline",
    "introduction",
    "kpi_caption",
    "kpi_figure",
    "kpi_small_multiples",
    "loop_table",
    "month_in_five",
    "no_data",
    "note",
    "nps_caption",
    "nps_chart",
    "nps_figure",
    "nps_finding",
    "nps_touchpoint_table",
    "priority_table",
    "retention_caption",
    "retention_figure",
    "retention_finding",
    "retention_heatmap",
    "rollout_finding",
    "rollout_table",
    "scorecard_finding",
    "scorecard_html",
    "scorecard_table",
    "spiked_theme",
    "themes_table",
    "we_did_finding",
    "we_did_table",
    "wiki_page",
]
