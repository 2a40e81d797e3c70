"""Analyses: Ibis expressions over the canonical tables in, small pandas frames out.

Each module is one analysis (sessions, funnel, bottleneck, metrics, KPIs, plan,
feedback) or one family in a folder (:mod:`~uem_helpers.analyses.journey`,
:mod:`~uem_helpers.analyses.cart`, :mod:`~uem_helpers.analyses.experiment`).
They import :mod:`uem_helpers.stats`, :mod:`uem_helpers.data` and
:mod:`uem_helpers.core`; never presentation, the pipeline, widgets or the CLI.
"""
