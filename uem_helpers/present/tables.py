"""Tables for reports: small result frames formatted for people (percentages, minutes, intervals).

Each function takes an analysis result and returns a DataFrame of display
strings with readable column names in the reader's language, indexed by what a row is
about (steps by their display names, :func:`~uem_helpers.core.i18n.label`). Values
from the data stay plain text with personal data masked (active privacy
policy): pandas escapes them, labels included, when it renders HTML, and the
report exporter sanitises the page again. :func:`uem_helpers.present.privacy.safe_table`
makes any other frame safe to show.
"""

from __future__ import annotations

import pandas as pd

from uem_helpers.core.formats import between, duration, number, percent, signed_points
from uem_helpers.core.i18n import _, label
from uem_helpers.present import privacy
from uem_helpers.analyses.bottleneck import Bottleneck


def _steps(indices, steps) -> pd.Index:
    """Row labels "1. step" (display names), with personal data in step names masked."""
    mask = privacy.active().mask_text
    return pd.Index([f"{i}. {mask(label(s))}" for i, s in zip(indices, steps)])


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def bottleneck_table(bottleneck: Bottleneck) -> pd.DataFrame:
    """The bottleneck ranking: users lost and time per step, worst first."""
    r = bottleneck.ranking
    return pd.DataFrame(
        {
            _("Users lost"): r["lost"].map(lambda n: number(n, 0)),
            _("Share of all drop-off"): r["loss_share"].map(percent),
            _("Median time from previous step"): r["median_seconds"].map(lambda s: duration(s, minutes_from=0)),
            _("Share of a completer's time"): r["time_share"].map(percent),
            _("Rank by users lost"): r["rank_by_loss"],
            _("Rank by time"): r["rank_by_time"],
        }
    ).set_axis(_steps(r["step_index"], r["step"]).rename(_("Step")))


def step_changes_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Each step's conversion before and after a launch, with the change, its 95% CI and p-value.

    Parameters
    ----------
    steps : pandas.DataFrame
        :attr:`uem_helpers.stories.onboarding.LaunchComparison.steps`.
    """
    return pd.DataFrame(
        {
            _("Before"): steps["value_a"].map(lambda x: percent(x, 1)),
            _("After"): steps["value_b"].map(lambda x: percent(x, 1)),
            _("Change (pts)"): steps["abs_effect"].map(lambda x: signed_points(x, unit="")),
            _("95% CI (pts)"): [between(signed_points(lo, unit=""), signed_points(hi, unit=""))
                                for lo, hi in zip(steps["ci_low"], steps["ci_high"])],
            _("p-value"): steps["p_value"].map(_p),
        }
    ).set_axis(_steps(steps["step_index"], steps["step"]).rename(_("Conversion to")))
