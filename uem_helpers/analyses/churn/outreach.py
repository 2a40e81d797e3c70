"""Reaching out to users at risk as a test: its design, its assignment, and the readout of a past campaign.

- :func:`design_outreach`: the smallest drop in churn a campaign to ``users`` users can detect with
  a holdout of ``holdout_share``, and how many users detecting ``mde`` needs (a two-sided z-test of two
  proportions at the observed churn rate, :func:`uem_helpers.stats.users_needed`);
- :func:`assign_outreach`: each user's arm from a salted SHA-256 of their id (stable, unrelated to
  risk, different per campaign), in the assignments table's format;
- :func:`outreach_readout`: a past campaign from the assignments table. A user **churned after
  the outreach** when they have no active event in ``[assigned_at, assigned_at + inactive)``.
  Treated vs holdout churn with Newcombe's interval on the difference, the sample-ratio check of
  the rollouts (:func:`uem_helpers.stats.sample_ratio_mismatch`), and the same by the model's risk
  decile at the campaign date when scores are given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from uem_helpers import stats
from uem_helpers.analyses.churn.definition import ChurnRule
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.analyses.experiment.readout import Readout, srm_sentence
from uem_helpers.core.errors import ConfigDataError, ConfigProblem, ParameterError
from uem_helpers.core.period import to_datetime
from uem_helpers.data.sources import Dataset

#: The churn comparison's metric name (as the readout's sentence shows it).
CHURN = "Churn"
DECILES = 10


@dataclass(frozen=True)
class OutreachDesign:
    """What a campaign to ``users`` users can detect, and what detecting ``mde`` needs."""

    users: int
    holdout_share: float
    churn_rate: float
    """Churn expected without outreach (the riskiest users' observed churn)."""
    mde: float
    """The drop in churn (absolute) the campaign should detect."""
    users_needed: int
    """Users (both arms) needed to detect ``mde`` at this split."""
    detectable_effect: float
    """The smallest drop in churn detectable with ``users`` users at this split."""
    alpha: float
    power: float

    @property
    def users_per_arm(self) -> int:
        """Users the smaller arm (the holdout) needs to detect ``mde``."""
        return int(np.ceil(self.users_needed * min(self.holdout_share, 1 - self.holdout_share)))


def design_outreach(users: int, churn_rate: float, holdout_share: float, mde: float, alpha: float = 0.05,
                    power: float = 0.8) -> OutreachDesign:
    """Size an outreach test at the observed churn rate.

    The difference of two proportions ``p`` with ``n·h`` and ``n·(1-h)`` users has standard error
    ``sqrt(p(1-p) (1/(n h) + 1/(n (1-h))))``; :func:`uem_helpers.stats.users_needed` scales it to the
    users ``mde`` needs, and the detectable effect is ``(z_{1-alpha/2} + z_power)`` standard errors.

    Raises
    ------
    ParameterError
        ``holdout_share`` not strictly between 0 and 1, ``mde`` not positive, or no users.
    """
    if not 0 < holdout_share < 1:
        raise ParameterError(f"churn.outreach.holdout_share must be between 0 and 1 (exclusive); got {holdout_share}")
    if not mde > 0:
        raise ParameterError(f"outreach_mde must be a positive drop in churn, e.g. 0.05; got {mde}")
    if users < 1:
        raise ParameterError("an outreach test needs at least one user on the list")
    p = min(max(churn_rate, 1e-6), 1 - 1e-6)
    se = float(np.sqrt(p * (1 - p) * (1 / (users * holdout_share) + 1 / (users * (1 - holdout_share)))))
    needed = stats.users_needed(se, users, mde, alpha=alpha, power=power)
    detectable = mde * float(np.sqrt(needed / users))  # the effect whose required users are exactly `users`
    return OutreachDesign(users, holdout_share, churn_rate, mde, int(np.ceil(needed)), detectable, alpha, power)


def assign_outreach(user_ids, experiment: str, salt: str, holdout_share: float, assigned_at,
                    treatment: str = "outreach", holdout: str = "holdout") -> pd.DataFrame:
    """Each user's arm: ``holdout`` when ``sha256(salt:user_id)`` read as a number in [0, 1) is below the share.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``experiment``, ``variant``, ``assigned_at``: rows for the assignments table.
    """
    ids = [str(u) for u in user_ids]
    draw = np.array([int.from_bytes(hashlib.sha256(f"{salt}:{u}".encode()).digest()[:8], "big") / 2**64
                     for u in ids])
    return pd.DataFrame({"user_id": ids, "experiment": experiment,
                         "variant": np.where(draw < holdout_share, holdout, treatment),
                         "assigned_at": pd.Timestamp(assigned_at)})


@dataclass(frozen=True)
class OutreachReadout:
    """A past campaign: churn of treated vs holdout users, the split check and the readout by risk decile."""

    experiment: str
    start: pd.Timestamp
    """The first assignment."""
    readout: Readout
    """Churn, holdout (``a``) vs treated (``b``); lower is better."""
    srm: stats.SRMResult
    by_decile: pd.DataFrame | None
    """``decile`` (1-10, 10 = riskiest at the campaign date), ``variant``, ``users``, ``churned``, ``churn``,
    ``low``, ``high`` (Wilson); None without scores."""

    def srm_sentence(self) -> str:
        """The sample-ratio check in one sentence."""
        return srm_sentence(self.srm)


def outreach_readout(data: Dataset, rule: ChurnRule, settings, as_of, risk: pd.Series | None = None,
                     alpha: float = 0.05) -> OutreachReadout:
    """Read out a past outreach campaign from the assignments table.

    Parameters
    ----------
    data : Dataset
        ``assignments`` and ``events``.
    rule : ChurnRule
        The churn rule (active events, ``inactive``).
    settings : OutreachConfig
        ``experiment``, ``treatment``, ``holdout``, ``holdout_share``.
    as_of : datetime or date-like
        What is known: every assignment's window must end by then.
    risk : pandas.Series, optional
        The model's scores at the campaign date, by user_id: adds the readout by risk decile.
    alpha : float
        Two-sided level of the intervals.

    Raises
    ------
    ConfigDataError
        The assignments table has no row of the experiment, or a configured variant has no user.
    ParameterError
        The last assignment's churn window ends after ``as_of``: too recent to read out.
    """
    known = to_datetime(as_of, "as_of")
    table = data.require("assignments", "the outreach readout")
    mine = table.filter(table.experiment == settings.experiment)
    users = _churn_after(data, rule, mine, known)
    if users.empty:
        names = sorted(map(str, table.select("experiment").distinct().to_pandas()["experiment"].dropna()))[:3]
        raise ConfigDataError([ConfigProblem("churn.outreach.experiment", settings.experiment, "experiment",
                                             "the assignments table", tuple(names))])
    missing = [v for v in (settings.holdout, settings.treatment) if v not in set(users["variant"])]
    if missing:
        raise ConfigDataError([ConfigProblem("churn.outreach." + ("holdout" if v == settings.holdout else "treatment"),
                                             v, "variant", f"experiment '{settings.experiment}' in the assignments "
                                             "table", tuple(sorted(map(str, set(users["variant"]))))) for v in missing])
    last = users["assigned_at"].max()
    if last + rule.inactive > pd.Timestamp(known):
        raise ParameterError(
            f"outreach '{settings.experiment}' is too recent to read out: its last assignment ({last:%Y-%m-%d %H:%M}) "
            f"plus churn.inactive_days ({rule.inactive.days}) ends after as_of ({known:%Y-%m-%d %H:%M}); run the "
            "report with a later as_of")
    users = users[users["variant"].isin([settings.holdout, settings.treatment])]
    counts = users.groupby("variant")["churned"].agg(["size", "sum"])
    hold, treat = counts.loc[settings.holdout], counts.loc[settings.treatment]
    readout = compare_rates(int(hold["sum"]), int(hold["size"]), int(treat["sum"]), int(treat["size"]),
                            metric=CHURN, group_a=settings.holdout, group_b=settings.treatment,
                            higher_is_better=False, alpha=alpha)
    srm = stats.sample_ratio_mismatch(
        {settings.holdout: int(hold["size"]), settings.treatment: int(treat["size"])},
        {settings.holdout: settings.holdout_share, settings.treatment: 1 - settings.holdout_share})
    deciles = None if risk is None else _by_decile(users, risk, alpha)
    return OutreachReadout(settings.experiment, users["assigned_at"].min(), readout, srm, deciles)


def _churn_after(data: Dataset, rule: ChurnRule, assigned: ibis.Table, as_of) -> pd.DataFrame:
    """Each assigned user's variant, assignment time and whether they churned after it (one row per user)."""
    events = data.require("events", "the outreach readout")
    first = assigned.group_by("user_id").aggregate(variant=assigned.variant.arbitrary(),
                                                   assigned_at=assigned.assigned_at.min())
    active = events.filter(events.event.isin(list(rule.active_events)) & (events.timestamp < as_of)).select(
        _uid=events.user_id, _ts=events.timestamp)
    joined = first.left_join(active, (first.user_id == active._uid) & (active._ts >= first.assigned_at)
                             & (active._ts < first.assigned_at + rule.inactive))
    per_user = joined.group_by(["user_id", "variant", "assigned_at"]).aggregate(back=joined._ts.count())
    frame = per_user.to_pandas()
    frame["churned"] = frame["back"] == 0
    frame["assigned_at"] = pd.to_datetime(frame["assigned_at"])
    return frame.drop(columns="back").sort_values("user_id", ignore_index=True)


def _by_decile(users: pd.DataFrame, risk: pd.Series, alpha: float) -> pd.DataFrame:
    """Churn per variant within each risk decile of the scored assigned users (Wilson intervals)."""
    scored = users.assign(risk=users["user_id"].map(risk)).dropna(subset=["risk"])
    ranks = scored["risk"].rank(method="first")
    scored["decile"] = np.ceil(ranks / len(scored) * DECILES).astype(int).clip(1, DECILES)
    table = scored.groupby(["decile", "variant"])["churned"].agg(users="size", churned="sum").reset_index()
    table["churn"] = table["churned"] / table["users"]
    low, high = stats.wilson_ci(table["churned"].to_numpy(), table["users"].to_numpy(), alpha=alpha)
    return table.assign(low=low, high=high)
