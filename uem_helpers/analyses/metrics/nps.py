"""NPS: % promoters (9-10) minus % detractors (0-6), in points, with its standard error."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.metrics._common import (
    _aggregate,
    _check_alpha,
    _check_by,
    _check_column,
    _finish_keys,
    _front,
    _keys,
    _z,
)
from uem_helpers.core.period import in_period


#: Score bounds of the NPS groups (inclusive).
PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def nps(
    nps: ibis.Table,
    *,
    by: str | None = None,
    segment_by: str | None = None,
    period_start: object = None,
    period_end: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Net Promoter Score with its standard error and interval, and the promoter/passive/detractor split.

    Definition: each answer (``score`` 0-10) is a **promoter** (9-10), a
    **passive** (7-8) or a **detractor** (0-6). With ``n`` answers and the shares
    ``pP`` of promoters and ``pD`` of detractors,
    ``NPS = 100 · (pP - pD)`` points (-100 to 100). Its standard error is that
    of a difference of two shares of one multinomial sample,
    ``SE = 100 · sqrt((pP + pD - (pP - pD)²) / n)``, and the interval is the
    normal one, ``NPS ± z · SE``, clipped to [-100, 100]. Answers are placed by
    ``answered_at``.

    Parameters
    ----------
    nps : ibis.Table
        Canonical NPS answers (response_id, user_id, answered_at, score, optional touchpoint).
    by : {None, "month", "touchpoint"}
        One row for the whole period, one per calendar month, or one per touchpoint tag.
    segment_by : str, optional
        A column of the NPS table to break down by as well.
    period_start, period_end : date-like, optional
        Answers in this period (both ends inclusive).
    alpha : float
        1 - confidence level of the interval (0.05 gives 95%).

    Returns
    -------
    pandas.DataFrame
        [``month`` | ``touchpoint``], [segment], ``responses``, ``promoters``,
        ``passives``, ``detractors``, ``promoter_share``, ``passive_share``,
        ``detractor_share``, ``nps`` (points), ``se``, ``low``, ``high``, ``value``
        (= ``nps``). Groups without answers are absent.
    """
    _check_alpha(alpha)
    _check_by(by, ("month", "touchpoint"), "nps")
    if by == "touchpoint":
        _check_column(nps, "touchpoint", "nps", "by='touchpoint'")
    t = nps.filter(in_period(nps.answered_at, period_start, period_end))
    keys = _keys(t, t.answered_at, by, segment_by, "nps")
    aggs = {
        "responses": t.count(),
        "promoters": t.count(where=t.score >= PROMOTER_MIN),
        "detractors": t.count(where=t.score <= DETRACTOR_MAX),
    }
    df = _finish_keys(_aggregate(t, keys, aggs).execute(), by)
    df = df[df["responses"] > 0].reset_index(drop=True)
    n = df["responses"].astype(float)
    df["passives"] = df["responses"] - df["promoters"] - df["detractors"]
    df["promoter_share"] = df["promoters"] / n
    df["passive_share"] = df["passives"] / n
    df["detractor_share"] = df["detractors"] / n
    df["nps"], df["se"] = nps_score(df["promoters"], df["detractors"], df["responses"])
    z = _z(alpha)
    df["low"] = (df["nps"] - z * df["se"]).clip(-100, 100)
    df["high"] = (df["nps"] + z * df["se"]).clip(-100, 100)
    df["value"] = df["nps"]
    front = _front(by, segment_by)
    return df[front + ["responses", "promoters", "passives", "detractors", "promoter_share", "passive_share",
                       "detractor_share", "nps", "se", "low", "high", "value"]]


def nps_score(promoters, detractors, responses):
    """NPS in points and its standard error from counts (vectorised).

    ``NPS = 100 · (pP - pD)``, ``SE = 100 · sqrt((pP + pD - (pP - pD)²) / n)``
    with ``pP = promoters / n`` and ``pD = detractors / n``; NaN when ``n`` is 0.

    Parameters
    ----------
    promoters, detractors, responses : int or array-like
        Counts of answers scoring 9-10, 0-6, and all answers.

    Returns
    -------
    tuple
        ``(nps, se)``, floats or arrays/Series like the input.
    """
    n = np.asarray(responses, dtype=float) if not isinstance(responses, pd.Series) else responses.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_p, p_d = promoters / n, detractors / n
        score = 100 * (p_p - p_d)
        se = 100 * np.sqrt(np.maximum(p_p + p_d - (p_p - p_d) ** 2, 0) / n)
    if np.ndim(score) == 0:
        return float(score), float(se)
    return score, se
