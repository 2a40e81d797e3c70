"""What the model learns from and what the monthly retro tracks: labelled features at a cutoff, and churn by month.

- :func:`labelled_features`: the features of the users eligible at a cutoff with their ``churned``
  label (the training and validation frames of :func:`uem_helpers.analyses.churn.train_and_validate`);
- :func:`monthly_churn`: the **churn rate** of a month, the share of the users eligible at its first
  instant (active in the ``inactive_days`` before it, tenure at least ``min_tenure_days``) with no
  active event in the ``inactive_days`` after it, with its Wilson interval. A month whose window
  reaches past the data's ``as_of`` has no row (its churn is not known yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from uem_helpers.analyses.churn.definition import ChurnRule, labelled_users
from uem_helpers.analyses.churn.features import user_features
from uem_helpers.core.period import to_datetime
from uem_helpers.data.sources import Dataset
from uem_helpers.stats import wilson_ci

#: The churn rate's name among the retro's KPIs (and in a plan's goals).
CHURN_RATE = "churn_rate"


def labelled_features(data: Dataset, rule: ChurnRule, cutoff: object, config) -> pd.DataFrame:
    """Features (:func:`user_features`) of the users eligible at ``cutoff``, with their ``churned`` label, by user_id."""
    features = user_features(data, rule, cutoff, config).to_frame()
    labels = labelled_users(data, rule, cutoff).to_pandas().set_index("user_id")["churned"]
    return features.join(labels, how="inner")


def monthly_churn(data: Dataset, rule: ChurnRule, months: Sequence[str], as_of: object,
                  alpha: float = 0.05) -> pd.DataFrame:
    """The churn rate of each month whose churn is known by ``as_of``.

    Parameters
    ----------
    data : Dataset
        The loaded tables (events; users for tenure).
    rule : ChurnRule
        The churn rule.
    months : sequence of str
        ``"YYYY-MM"`` months.
    as_of : datetime or date-like
        What is known: a month counts when its first instant plus ``inactive`` is at or before it.
    alpha : float
        Two-sided level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        The KPI rows ``metric`` (:data:`CHURN_RATE`), ``month``, ``value``, ``low``, ``high``,
        ``successes`` (churned), ``trials`` (eligible users), ``se`` (NaN).
    """
    known = to_datetime(as_of, "as_of")
    rows = []
    for month in months:
        start = datetime.fromisoformat(f"{month}-01")
        if start + rule.inactive > known:
            continue
        labels = labelled_users(data, rule, start)
        counts = labels.aggregate(n=labels.count(), churned=labels.churned.cast("int64").sum()).to_pandas()
        n, churned = int(counts["n"].iloc[0]), int(counts["churned"].fillna(0).iloc[0])
        if n == 0:
            continue
        low, high = wilson_ci(churned, n, alpha=alpha)
        rows.append({"metric": CHURN_RATE, "month": month, "value": churned / n, "low": low, "high": high,
                     "successes": churned, "trials": n, "se": float("nan")})
    return pd.DataFrame(rows, columns=["metric", "month", "value", "low", "high", "successes", "trials", "se"])
