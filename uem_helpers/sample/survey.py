"""Story 4: monthly NPS survey with a planted shift in October 2026.

Each month, every user active in it answers with probability
:data:`.design.NPS_RESPONSE_P`, a minute or so after one of their sessions
of that month. The answer is a promoter (9-10), passive (7-8) or detractor
(0-6) with the month's mix in :data:`.design.NPS_MIX`, so the design NPS of
a month is ``100 * (promoters - detractors)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uem_helpers.sample import design as d
from uem_helpers.sample.texts import NPS_COMMENTS

_CATEGORY = ["promoter", "passive", "detractor"]
_SCORES = {"promoter": ([9, 10], [0.55, 0.45]), "passive": ([7, 8], [0.45, 0.55]),
           "detractor": (list(range(7)), np.array([1, 1, 1, 2, 3, 5, 7]) / 20)}


def month_index(t: np.ndarray) -> np.ndarray:
    """Index into :data:`.design.MONTHS` of local epoch seconds (period months only)."""
    return np.searchsorted(d.MONTH_STARTS, t, side="right") - 1


def make_nps(rng: np.random.Generator, user: np.ndarray, start: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    """Draw the NPS answers of one chunk.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    user, start, end : numpy.ndarray
        Chunk user index, first and last event time of every session.

    Returns
    -------
    pandas.DataFrame
        Columns ``user`` (chunk index), ``answered_at`` (local epoch seconds), ``month``
        (index), ``score``, ``comment``, ``touchpoint``, sorted by user and time.
    """
    month = month_index(start)
    key = user.astype(np.int64) * len(d.MONTHS) + month
    order = np.lexsort((rng.random(user.size), key))  # one random session per user and month
    pick = order[np.r_[True, key[order][1:] != key[order][:-1]]] if user.size else order
    pick = pick[rng.random(pick.size) < d.NPS_RESPONSE_P]
    pick.sort()
    n = pick.size
    m = month[pick]
    mix = np.array([d.NPS_MIX[name] for name in d.MONTHS])[m]
    cat = (rng.random(n)[:, None] >= np.cumsum(mix, axis=1)).sum(axis=1).clip(0, 2)
    score = np.empty(n, dtype=np.int64)
    for c, name in enumerate(_CATEGORY):
        values, p = _SCORES[name]
        sel = cat == c
        score[sel] = rng.choice(values, sel.sum(), p=p)
    english = rng.random(n) < d.ENGLISH_P
    has_comment = rng.random(n) < d.NPS_COMMENT_P
    which = rng.integers(0, 1000, n)
    comment = [
        (NPS_COMMENTS[_CATEGORY[c]][int(e)][w % len(NPS_COMMENTS[_CATEGORY[c]][int(e)])] if h else "")
        for c, e, w, h in zip(cat, english, which, has_comment)
    ]
    return pd.DataFrame({
        "user": user[pick],
        "answered_at": end[pick] + rng.integers(30, 301, n),
        "month": m,
        "score": score,
        "comment": comment,
        "touchpoint": rng.choice(d.NPS_TOUCHPOINTS, n),
    })
