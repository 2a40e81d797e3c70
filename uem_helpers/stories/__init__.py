"""One composed result per notebook: each story loads what its report needs once and runs the analyses.

A story prepares the derived tables its analyses share (typed carts, sessions)
once and hands them down, then returns one small result object that the
report's words and charts (:mod:`uem_helpers.present`) read. Stories import
analyses, data and core; never presentation, the pipeline or widgets.

Public names, one per notebook: :func:`analyse_onboarding`, :func:`analyse_carts`,
:func:`analyse_journey`, :func:`analyse_retro` (with :func:`month_rows`), :func:`analyse_churn`.
"""

from uem_helpers.stories.cart import analyse_carts
from uem_helpers.stories.churn import analyse_churn
from uem_helpers.stories.journey import analyse_journey
from uem_helpers.stories.onboarding import analyse_onboarding
from uem_helpers.stories.retro import analyse_retro, month_rows

__all__ = ["analyse_carts", "analyse_churn", "analyse_journey", "analyse_onboarding", "analyse_retro", "month_rows"]
