"""The metrics system: NPS, DAU/MAU stickiness, bounce, task completion, first success, retention.

Every function builds one Ibis expression, executes it once and returns a small
pandas frame. Periods follow :mod:`uem_helpers.core.period` (both ends inclusive);
``by="month"`` breaks a metric down by calendar month of the local (naive,
config time zone) timestamp, ``by=None`` gives one row for the whole period.
A period without data gives a frame with the usual columns and no rows.

Common columns of the monthly frames
------------------------------------
Every metric frame carries ``value`` (the metric), ``low`` and ``high`` (its
``1 - alpha`` interval) and, with ``by="month"``, ``month`` (``"YYYY-MM"``).
Rates also carry ``successes`` and ``trials``, so two months compare with
Newcombe's interval (:func:`month_change`); NPS and stickiness carry ``se``,
so two months compare with a normal interval.

Definitions (DESIGN.md, "Metric definitions")
---------------------------------------------
NPS
    % promoters (score 9-10) minus % detractors (0-6), in points (-100..100),
    by the answer's time. See :func:`nps`.
Stickiness
    Mean DAU over the month's days / MAU. See :func:`stickiness`.
Bounce rate
    Single-event sessions / sessions. See :func:`bounce_rate`.
Task completion
    Completed tasks / started tasks (retries inside an open task are not new
    tasks). See :func:`task_completion`.
First-success rate
    New users doing the key action within N days of signup / new users whose
    N days are observed. See :func:`first_success`.
Retention
    Share of a weekly cohort active in each later week. See :func:`retention`.

Modules: :mod:`.nps`, :mod:`.activity` (DAU, stickiness), :mod:`.bounce`, :mod:`.tasks` (task
completion, first success), :mod:`.retention`, :mod:`.change` (month over month), and
:mod:`._common` (keys, aggregation and rate columns shared by all). Callers import from here.
"""

from __future__ import annotations

from uem_helpers.analyses.metrics.nps import DETRACTOR_MAX, PROMOTER_MIN, nps, nps_score
from uem_helpers.analyses.metrics.activity import dau, stickiness
from uem_helpers.analyses.metrics.bounce import bounce_rate
from uem_helpers.analyses.metrics.tasks import first_success, task_completion
from uem_helpers.analyses.metrics.retention import retention
from uem_helpers.analyses.metrics.change import (
    CHANGE_KINDS,
    month_change,
    month_label,
    nps_change,
    row_change,
)

__all__ = [
    "CHANGE_KINDS",
    "DETRACTOR_MAX",
    "PROMOTER_MIN",
    "bounce_rate",
    "dau",
    "first_success",
    "month_change",
    "month_label",
    "nps",
    "nps_change",
    "nps_score",
    "retention",
    "row_change",
    "stickiness",
    "task_completion",
]
