"""Bottlenecks: which funnel step costs the most users and the most time.

Definitions
-----------
For each step *k* >= 2 of a funnel readout (:func:`uem_helpers.analyses.funnel.funnel`):

- ``lost``: users who reached step *k-1* but not step *k*;
- ``loss_share``: ``lost`` / all users lost along the funnel;
- ``median_seconds``: median time from step *k-1* to step *k* among users who reached *k*;
- ``time_share``: the step's median time / the sum of the steps' median times
  (how much of a typical completer's time the step takes);
- ``score``: the mean of ``loss_share`` and ``time_share``.

The **bottleneck** is the step with the highest score: the step that both
loses users and holds them up. Ties go to the earlier step.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from uem_helpers.core.formats import duration, number, percent
from uem_helpers.core.i18n import _, label


@dataclass(frozen=True)
class Bottleneck:
    """The worst step and the ranking it came from."""

    step: str
    """Event name of the worst step."""
    lost: int
    loss_share: float
    median_seconds: float
    time_share: float
    ranking: pd.DataFrame
    """Steps 2..K ranked by score, with ``rank_by_loss`` and ``rank_by_time``."""

    def sentence(self) -> str:
        """The finding in words, e.g. "The bottleneck is 'id_verified': ...", the step by its display name."""
        return _(
            "The bottleneck is '{step}': it loses {lost} users ({loss_share} of all drop-off) and takes a "
            "median {median} ({time_share} of a typical completer's time)."
        ).format(step=label(self.step), lost=number(self.lost, 0), loss_share=percent(self.loss_share),
                 median=duration(self.median_seconds), time_share=percent(self.time_share))


def rank_bottlenecks(readout: pd.DataFrame) -> Bottleneck:
    """Rank a funnel's steps by users lost and by time cost, and name the worst.

    Parameters
    ----------
    readout : pandas.DataFrame
        A funnel readout without segments (one row per step), from
        :func:`uem_helpers.analyses.funnel.funnel`.

    Returns
    -------
    Bottleneck
    """
    if "step_index" not in readout or readout["step_index"].duplicated().any():
        raise ValueError("rank_bottlenecks needs one funnel readout row per step (no segment breakdown)")
    steps = readout[readout["step_index"] >= 2].copy()
    if steps.empty or steps["entered"].iloc[0] == 0:
        raise ValueError("the funnel has no entered users, so there is no bottleneck to rank")
    total_lost = steps["lost"].sum()
    total_time = steps["median_seconds"].fillna(0).sum()
    steps["loss_share"] = steps["lost"] / total_lost if total_lost else 0.0
    steps["time_share"] = steps["median_seconds"].fillna(0) / total_time if total_time else 0.0
    steps["score"] = (steps["loss_share"] + steps["time_share"]) / 2
    steps["rank_by_loss"] = steps["lost"].rank(ascending=False, method="min").astype(int)
    steps["rank_by_time"] = steps["median_seconds"].rank(ascending=False, method="min", na_option="bottom").astype(int)
    ranking = steps.sort_values(["score", "step_index"], ascending=[False, True], kind="stable")
    ranking = ranking[["step_index", "step", "lost", "loss_share", "median_seconds", "time_share", "score",
                       "rank_by_loss", "rank_by_time"]].reset_index(drop=True)
    worst = ranking.iloc[0]
    return Bottleneck(
        step=str(worst["step"]),
        lost=int(worst["lost"]),
        loss_share=float(worst["loss_share"]),
        median_seconds=float(worst["median_seconds"]),
        time_share=float(worst["time_share"]),
        ranking=ranking,
    )
