"""The outreach test: size it, assign it, and read out whether reaching out kept at-risk users.

Definitions
-----------
- **Design** (:func:`design_outreach`): at-risk users are split into a treatment (reached out to)
  and a holdout (left alone) of share ``holdout_share``. Churn is compared with a two-sided z-test
  at level ``alpha``; the standard error of the difference at ``n`` users with churn rate ``p`` is
  ``sqrt(p (1 - p) (1 / (n h) + 1 / (n (1 - h))))``. The users needed in all for a drop of ``mde``
  follow :func:`uem_helpers.stats.users_needed`; the **detectable effect** is the drop the users at
  hand detect with the power asked: ``mde · sqrt(needed / users)``.
- **Assignment** (:func:`assign_outreach`): ``SHA-256("<salt>:<user_id>")``, its first 8 bytes read
  as a number in ``[0, 1)``; below ``holdout_share`` is the holdout. The same salt always gives
  the same split, and a new salt an independent one. Rows are in the assignments table's format.
- **Readout** (:func:`outreach_readout`): a user of the campaign **churned** when they have no
  active event in ``[assigned_at, assigned_at + inactive)``. Churn of the treatment is compared
  with the holdout's (:func:`~uem_helpers.analyses.experiment.compare_rates`: Newcombe's interval of
  the difference, lower is better), the split is checked against ``holdout_share`` with the
  rollouts' sample-ratio test (:func:`uem_helpers.stats.sample_ratio_mismatch`, alarm at p < 0.001),
  and, given risk scores at the campaign date, the same per risk decile (10 = riskiest) with
  Wilson intervals. Event-level work runs in the engine; one row per assigned user comes back.

Example
-------
>>> design_outreach(500, 0.3, 0.2, 0.05).detectable_effect           # doctest: +SKIP
>>> outreach_readout(data, rule, config.churn.outreach, as_of).readout.sentence()   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
import pandas as pd

from uem_helpers import stats
from uem_helpers.analyses.churn.definition import ChurnRule, active_events
from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.analyses.experiment.readout import Readout, srm_sentence
from uem_helpers.analyses.sessions import epoch_seconds
from uem_helpers.core.churn_config import OutreachConfig
from uem_helpers.core.errors import ConfigDataError, ConfigProblem, ContractError, ParameterError
from uem_helpers.core.i18n import N_
from uem_helpers.core.period import to_datetime
from uem_helpers.data.sources import Dataset

#: The metric's name in the readout's sentence (translated there).
CHURN = N_("churn")
#: Columns of :attr:`OutreachReadout.by_decile`.
DECILE_COLUMNS = ["decile", "variant", "users", "churned", "churn", "low", "high"]


class OutreachTooRecent(ParameterError):
    """The campaign's churn window has not ended by ``as_of``: its churn is not known yet."""


@dataclass(frozen=True)
class OutreachDesign:
    """The size of an outreach test at a churn rate and a holdout share.

    Attributes
    ----------
    users : int
        Users at hand (both arms).
    holdout_share : float
        Share of them held out.
    churn_rate : float
        Expected churn without outreach.
    mde : float
        The absolute drop in churn to detect (0.05 for 5 points).
    users_needed : int
        Users needed in all (both arms, at ``holdout_share``) to detect ``mde``.
    users_per_arm : int
        Users the smaller arm gets out of ``users_needed`` (the holdout when its share is under a half):
        the arm whose size limits the test.
    detectable_effect : float
        The smallest absolute drop in churn ``users`` detect at that split with ``power``.
    alpha : float
        Two-sided level of the test.
    power : float
        Chance of a significant result when the drop is as large as the one named.
    """

    users: int
    holdout_share: float
    churn_rate: float
    mde: float
    users_needed: int
    users_per_arm: int
    detectable_effect: float
    alpha: float
    power: float


def design_outreach(users: int, churn_rate: float, holdout_share: float, mde: float, alpha: float = 0.05,
                    power: float = 0.8) -> OutreachDesign:
    """Users needed for a drop of ``mde`` in churn, and the drop detectable with ``users``.

    Parameters
    ----------
    users : int
        At-risk users available for the test (both arms).
    churn_rate : float
        Their expected churn without outreach, e.g. the model's top-decile precision.
    holdout_share : float
        Share held out, between 0 and 1.
    mde : float
        Absolute drop in churn worth detecting (0.05 for 5 points); at most ``churn_rate``.
    alpha : float
        Two-sided level of the test.
    power : float
        Wanted power.

    Raises
    ------
    ParameterError
        A value outside its range, named with what is expected.
    """
    if not isinstance(users, (int, np.integer)) or users < 1:
        raise ParameterError(f"design_outreach: users must be a whole number of at least 1; got {users!r}")
    for name, value in (("churn_rate", churn_rate), ("holdout_share", holdout_share), ("alpha", alpha),
                        ("power", power)):
        if not 0 < value < 1:
            raise ParameterError(f"design_outreach: {name} must be between 0 and 1 (exclusive); got {value!r}")
    if not 0 < mde <= churn_rate:
        raise ParameterError(f"design_outreach: mde (the drop in churn to detect) must be above 0 and at most the "
                             f"churn rate {churn_rate:.4g}; got {mde!r}. Give a smaller drop, e.g. half the rate")
    se = math.sqrt(churn_rate * (1 - churn_rate) * (1 / (users * holdout_share) + 1 / (users * (1 - holdout_share))))
    needed = stats.users_needed(se, int(users), mde, alpha=alpha, power=power)
    return OutreachDesign(
        users=int(users), holdout_share=float(holdout_share), churn_rate=float(churn_rate), mde=float(mde),
        users_needed=math.ceil(needed), users_per_arm=math.ceil(needed * min(holdout_share, 1 - holdout_share)),
        detectable_effect=float(mde * math.sqrt(needed / users)), alpha=float(alpha), power=float(power))


def assign_outreach(user_ids: Iterable, experiment: str, salt: str, holdout_share: float, assigned_at: object,
                    treatment: str = "outreach", holdout: str = "holdout") -> pd.DataFrame:
    """Assign users to the outreach or the holdout by a salted SHA-256 of their id.

    Parameters
    ----------
    user_ids : iterable
        The users to assign (each once).
    experiment : str
        The experiment's name in the assignments table.
    salt : str
        Mixed into the hash; a campaign's own salt gives it a split independent of other campaigns'.
    holdout_share : float
        Expected share of the holdout, between 0 and 1.
    assigned_at : datetime or date-like
        The assignment time written on every row.
    treatment, holdout : str
        The variants' names.

    Returns
    -------
    pandas.DataFrame
        ``user_id`` (text), ``experiment``, ``variant``, ``assigned_at``: the assignments table's format.

    Raises
    ------
    ParameterError
        ``holdout_share`` outside (0, 1), equal variant names, or a user id given twice.
    """
    if not 0 < holdout_share < 1:
        raise ParameterError(f"assign_outreach: holdout_share must be between 0 and 1; got {holdout_share!r}")
    if treatment == holdout:
        raise ParameterError(f"assign_outreach: the treatment and holdout variants need different names; both are "
                             f"'{treatment}'")
    ids = pd.Series([str(u) for u in user_ids], dtype="object")
    if ids.duplicated().any():
        twice = ids[ids.duplicated()].iloc[0]
        raise ParameterError(f"assign_outreach: user '{twice}' is given more than once "
                             f"({int(ids.duplicated().sum())} repeated ids); give each user once")
    when = pd.Timestamp(to_datetime(assigned_at, "assigned_at"))
    draws = np.array([hash_share(salt, u) for u in ids], dtype=float)
    return pd.DataFrame({
        "user_id": ids.to_numpy(dtype=object), "experiment": experiment,
        "variant": np.where(draws < holdout_share, holdout, treatment).astype(object),
        "assigned_at": pd.Series([when] * len(ids), dtype="datetime64[us]"),
    })


def hash_share(salt: str, user_id: str) -> float:
    """A user's uniform draw in ``[0, 1)``: the first 8 bytes of ``SHA-256("<salt>:<user_id>")`` over 2**64."""
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class OutreachReadout:
    """Did reaching out keep users? Churn of the treatment against the holdout.

    Attributes
    ----------
    readout : Readout
        Churn, ``group_a`` the holdout and ``group_b`` the treatment; lower is better.
    srm : SRMResult
        The sample-ratio check of the two arms against the designed holdout share.
    by_decile : pandas.DataFrame or None
        With risk scores: ``decile`` (1 to 10, 10 the riskiest), ``variant``, ``users``, ``churned``,
        ``churn``, ``low``, ``high`` (Wilson 95%), one row per decile and arm with users; None without.
    users : int
        Users of the two arms.
    experiment : str
        The campaign's experiment name.
    start : datetime
        Its first assignment time.
    end : datetime
        Its last assignment time.
    treatment, holdout : str
        The arms' variant names.
    scored : int
        Users with a risk score at the campaign date (0 without scores).
    """

    readout: Readout
    srm: stats.SRMResult
    by_decile: pd.DataFrame | None
    users: int
    experiment: str
    start: datetime
    end: datetime
    treatment: str
    holdout: str
    scored: int = 0

    def srm_sentence(self) -> str:
        """The sample-ratio check in one sentence, as the rollouts print it."""
        return srm_sentence(self.srm)


def outreach_readout(data: Dataset, rule: ChurnRule, outreach_config: OutreachConfig, as_of: object,
                     risk: pd.Series | None = None, alpha: float = 0.05) -> OutreachReadout:
    """Read out a past outreach campaign from the assignments table.

    Parameters
    ----------
    data : Dataset
        Loaded tables with ``events`` and ``assignments``.
    rule : ChurnRule
        The churn rule: active events and the inactive window.
    outreach_config : OutreachConfig
        The config's ``churn.outreach``: experiment, variant names, designed holdout share.
    as_of : datetime or date-like
        What is known: only events before it are read.
    risk : pandas.Series, optional
        Risk scores at the campaign date, indexed by user id; adds :attr:`OutreachReadout.by_decile`.
    alpha : float
        Two-sided level of the intervals.

    Raises
    ------
    ConfigDataError
        The experiment is not in the assignments table, or a configured variant has no users.
    OutreachTooRecent
        The last assignment plus ``churn.inactive_days`` is after ``as_of``.
    ContractError
        A user is in both arms.
    """
    settings = outreach_config
    as_of = to_datetime(as_of, "as_of")
    assignments = data.require("assignments", "the outreach readout")
    campaign = assignments.filter(assignments.experiment == settings.experiment)
    arms = campaign.group_by("variant").aggregate(users=campaign.user_id.nunique(), first=campaign.assigned_at.min(),
                                                 last=campaign.assigned_at.max()).execute()
    _check_campaign(assignments, settings, arms, rule, as_of)
    users = _per_user(data, rule, campaign.filter(campaign.variant.isin([settings.holdout, settings.treatment])), as_of)
    if (both := int((users["n_variants"] > 1).sum())) > 0:
        raise ContractError("assignments", "variant", f"users in both '{settings.treatment}' and '{settings.holdout}' "
                            f"of experiment '{settings.experiment}'", n_bad=both)
    counts = users.groupby("variant")["churned"].agg(["size", "sum"])
    n = {v: int(counts.loc[v, "size"]) for v in (settings.holdout, settings.treatment)}
    churned = {v: int(counts.loc[v, "sum"]) for v in (settings.holdout, settings.treatment)}
    readout = compare_rates(churned[settings.holdout], n[settings.holdout], churned[settings.treatment],
                            n[settings.treatment], metric=CHURN, group_a=settings.holdout, group_b=settings.treatment,
                            higher_is_better=False, alpha=alpha)
    srm = stats.sample_ratio_mismatch(n, {settings.holdout: settings.holdout_share,
                                          settings.treatment: 1 - settings.holdout_share}, alpha=stats.SRM_ALPHA)
    by_decile, scored = (None, 0) if risk is None else _by_decile(users, risk, alpha)
    used = arms[arms["variant"].isin([settings.holdout, settings.treatment])]
    return OutreachReadout(readout=readout, srm=srm, by_decile=by_decile, users=len(users),
                           experiment=settings.experiment, start=pd.Timestamp(used["first"].min()).to_pydatetime(),
                           end=pd.Timestamp(used["last"].max()).to_pydatetime(), treatment=settings.treatment,
                           holdout=settings.holdout, scored=scored)


def _check_campaign(assignments: ibis.Table, settings: OutreachConfig, arms: pd.DataFrame, rule: ChurnRule,
                    as_of: datetime) -> None:
    """The experiment is there, both configured variants have users, and their churn window has ended."""
    if arms.empty:
        present = sorted(str(e) for e in assignments.select("experiment").distinct().execute()["experiment"])
        raise ConfigDataError([ConfigProblem("churn.outreach.experiment", settings.experiment, "experiment",
                                             f"the assignments table (experiments there: {', '.join(present) or 'none'}"
                                             "); name the campaign as it is recorded there")])
    found = {str(v): int(u) for v, u in zip(arms["variant"], arms["users"])}
    problems = [ConfigProblem(f"churn.outreach.{key}", name, "variant",
                              f"experiment '{settings.experiment}' of the assignments table (variants there: "
                              f"{', '.join(sorted(found))}); name the variant as it is recorded there")
                for key, name in (("treatment", settings.treatment), ("holdout", settings.holdout))
                if found.get(name, 0) == 0]
    if problems:
        raise ConfigDataError(problems)
    chosen = arms[arms["variant"].isin([settings.holdout, settings.treatment])]
    last = pd.Timestamp(chosen["last"].max()).to_pydatetime()
    ends = last + rule.inactive
    if ends > as_of:
        raise OutreachTooRecent(
            f"the outreach '{settings.experiment}' is too recent to read out: it assigned users until {last:%Y-%m-%d %H:%M}; their churn window of "
            f"{rule.inactive.days} days (churn.inactive_days) ends {ends:%Y-%m-%d %H:%M}, after as_of "
            f"{as_of:%Y-%m-%d %H:%M}, so their churn is not known yet. Read it out with as_of at or after "
            f"{ends:%Y-%m-%d %H:%M}.")


def _per_user(data: Dataset, rule: ChurnRule, campaign: ibis.Table, as_of: datetime) -> pd.DataFrame:
    """One row per assigned user: ``user_id``, ``variant``, ``n_variants``, ``churned`` (one engine query)."""
    assigned = campaign.group_by("user_id").aggregate(variant=campaign.variant.max(),
                                                      n_variants=campaign.variant.nunique(),
                                                      assigned_at=campaign.assigned_at.min())
    active = active_events(data, rule, as_of).rename(_uid="user_id")
    since = epoch_seconds(active.timestamp) - epoch_seconds(assigned.assigned_at)
    window = assigned.join(active, [assigned.user_id == active._uid, since >= 0,
                                    since < rule.inactive.total_seconds()])
    kept = window.group_by(_kept="user_id").aggregate(_n=window.count())
    joined = assigned.left_join(kept, assigned.user_id == kept._kept)
    frame = joined.select(user_id=joined.user_id.cast("string"), variant=joined.variant.cast("string"),
                          n_variants=joined.n_variants, churned=joined._n.isnull()).execute()
    frame["churned"] = frame["churned"].astype(bool)
    return frame


def _by_decile(users: pd.DataFrame, risk: pd.Series, alpha: float) -> tuple[pd.DataFrame, int]:
    """Churn per risk decile (10 = riskiest) and arm, among users with a score; and how many have one."""
    scores = pd.Series(risk.to_numpy(dtype=float), index=risk.index.astype(str))
    scores = scores[~scores.index.duplicated(keep="first")].dropna()
    scored = users.assign(risk=scores.reindex(users["user_id"]).to_numpy()).dropna(subset=["risk"])
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in DECILE_COLUMNS}), 0
    rank = scored["risk"].rank(method="first")
    scored = scored.assign(decile=np.ceil(rank * 10 / len(scored)).astype("int64"))
    table = scored.groupby(["decile", "variant"], sort=True)["churned"].agg(users="size", churned="sum").reset_index()
    table["churned"] = table["churned"].astype("int64")
    table["churn"] = table["churned"] / table["users"]
    low, high = stats.wilson_ci(table["churned"].to_numpy(), table["users"].to_numpy(), alpha=alpha)
    table["low"], table["high"] = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return table[DECILE_COLUMNS], len(scored)
