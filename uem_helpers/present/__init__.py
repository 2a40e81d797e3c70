"""Words, charts and tables from small results: what a reader of a report sees.

Presentation sees only small frames and result objects, never the engine.
Generic pieces: :mod:`~uem_helpers.present.narrative` (safe Markdown),
:mod:`~uem_helpers.present.plots` (the shared chart vocabulary),
:mod:`~uem_helpers.present.tables`, :mod:`~uem_helpers.present.privacy`.
Each notebook's own words and charts: :mod:`~uem_helpers.present.onboarding`,
:mod:`~uem_helpers.present.cart`, :mod:`~uem_helpers.present.journey`,
:mod:`~uem_helpers.present.retro`. A notebook imports its module as
``report``: ``from uem_helpers.present import cart as report``.
"""
