"""What feedback is about: volume by month and category, priority (volume, growth, severity), and the
month's top themes with representative quotes.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from uem_helpers.analyses.feedback._common import _month, _previous
from uem_helpers.analyses.feedback.classify import Classified, NGRAMS, UNCLASSIFIED, _normalise_one
from uem_helpers.core.errors import ParameterError
from uem_helpers.stats import wilson_ci


#: A rating at or below this counts as a low (severe) rating.
LOW_RATING = 2


#: Severity of a category none of whose items this month is rated.
DEFAULT_SEVERITY = 0.5


#: Two quotes of one category are kept only if their n-gram cosine similarity is below this.
QUOTE_MAX_SIMILARITY = 0.4


def volume(classified: Classified, by: Sequence[str] = ("month", "category")) -> pd.DataFrame:
    """Items per group, e.g. per month and category or per month and channel.

    Parameters
    ----------
    classified : Classified
        Result of :func:`classify`.
    by : sequence of str
        Columns of ``classified.items`` to group by, e.g. ``("month", "channel")``.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``items``, and ``share`` of the items of its month (of all items
        when ``month`` is not in ``by``) with its Wilson 95% interval ``share_low``, ``share_high``.
    """
    by = [by] if isinstance(by, str) else list(by)
    items = classified.items
    unknown = [c for c in by if c not in items.columns]
    if not by or unknown:
        raise ParameterError(f"volume(by={by!r}): unknown column(s) {unknown}; "
                             f"group by columns of the classified items, e.g. month, channel, category")
    counts = items.groupby(by, dropna=False).size().rename("items").reset_index()
    if "month" in by and by != ["month"]:
        totals = counts.groupby("month")["items"].transform("sum")
    else:
        totals = pd.Series(len(items), index=counts.index)
    counts["share"] = counts["items"] / totals.where(totals > 0)
    counts["share_low"], counts["share_high"] = wilson_ci(counts["items"], totals)
    return counts.sort_values(by, kind="stable").reset_index(drop=True)


def priority(
    classified: Classified,
    month: str,
    *,
    severity: Mapping[str, float] | None = None,
    default_severity: float = DEFAULT_SEVERITY,
) -> pd.DataFrame:
    """Rank the categories of a month by ``volume x severity x growth``.

    - ``volume``: items of the category created in ``month``;
    - ``severity``: the share of those items with a rating that are rated ``<= LOW_RATING``
      (1-2 of 5); ``default_severity`` when none is rated; a value given in ``severity``
      replaces both (e.g. from a risk register);
    - ``growth = (volume + 1) / (last_month + 1)``, where ``last_month`` is the category's
      items in the month before (the ``+ 1`` keeps a new category finite and damps tiny counts).

    ``unclassified`` items are not ranked.

    Parameters
    ----------
    classified : Classified
        Result of :func:`classify` over a span that covers ``month`` and the month before.
    month : str
        ``"YYYY-MM"``.
    severity : mapping of str to float, optional
        Category -> fixed severity (a positive weight, usually 0-1).
    default_severity : float
        Severity of a category with no rated item this month.

    Returns
    -------
    pandas.DataFrame
        One row per category, best first: ``rank, category, volume, last_month, growth, rated,
        low_rated, severity, severity_source`` (``rating``, ``default`` or ``given``), ``score``.
        Ties in score are ranked by volume, then taxonomy order.
    """
    this, last = _month_and_previous(classified, month)
    items = classified.items
    categories = [c for c in classified.categories if c != UNCLASSIFIED]
    now = items[items["month"] == this]
    volume_now = now["category"].value_counts().reindex(categories, fill_value=0)
    volume_last = items.loc[items["month"] == last, "category"].value_counts().reindex(categories, fill_value=0)
    ratings = pd.to_numeric(now["rating"], errors="coerce") if "rating" in now else pd.Series(np.nan, index=now.index)
    rated = ratings.notna().groupby(now["category"]).sum().reindex(categories, fill_value=0).astype(int)
    low = (ratings <= LOW_RATING).groupby(now["category"]).sum().reindex(categories, fill_value=0).astype(int)
    given = dict(severity or {})
    bad = {k: v for k, v in {**given, "default_severity": default_severity}.items()
           if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0}
    if bad:
        raise ParameterError(f"severity must be a number of 0 or more (usually 0-1); got {bad}")
    out = pd.DataFrame({"category": categories, "volume": volume_now.to_numpy(), "last_month": volume_last.to_numpy(),
                        "rated": rated.to_numpy(), "low_rated": low.to_numpy()})
    out["growth"] = (out["volume"] + 1) / (out["last_month"] + 1)
    from_rating = out["low_rated"] / out["rated"].where(out["rated"] > 0)
    out["severity_source"] = np.where(out["category"].isin(list(given)), "given",
                                      np.where(out["rated"] > 0, "rating", "default"))
    out["severity"] = np.where(out["severity_source"] == "given", out["category"].map(given),
                               from_rating.fillna(default_severity)).astype(float)
    out["score"] = out["volume"] * out["severity"] * out["growth"]
    out["_order"] = range(len(out))
    out = out.sort_values(["score", "volume", "_order"], ascending=[False, False, True], kind="stable")
    out.insert(0, "rank", range(1, len(out) + 1))
    return out[["rank", "category", "volume", "last_month", "growth", "rated", "low_rated", "severity",
                "severity_source", "score"]].reset_index(drop=True)


def top_themes(classified: Classified, month: str, n: int = 5, quotes: int = 2) -> pd.DataFrame:
    """The month's largest categories with representative quotes.

    A category's quotes are its texts nearest (cosine) to the category's centroid in
    character n-gram TF-IDF space, i.e. its most typical wording; a text is skipped when it
    repeats or nearly repeats (similarity >= :data:`QUOTE_MAX_SIMILARITY`) a quote already
    taken, unless too few distinct texts are left. Quotes are returned **raw**: mask
    personal data before showing them (the notebooks do, with :mod:`uem_helpers.present.privacy`).

    Parameters
    ----------
    classified : Classified
        Result of :func:`classify`.
    month : str
        ``"YYYY-MM"``.
    n : int
        Number of categories.
    quotes : int
        Quotes per category.

    Returns
    -------
    pandas.DataFrame
        ``rank, category, items, share`` (of the month's items, ``unclassified`` included in the
        total), ``share_low, share_high`` (Wilson 95%), ``last_month``, then ``quote_1`` ...
        ``quote_<quotes>`` (None when the category has fewer texts). Largest first; ties in
        taxonomy order; ``unclassified`` is not a theme.
    """
    if not isinstance(n, int) or n < 1 or not isinstance(quotes, int) or quotes < 0:
        raise ParameterError(f"top_themes needs n >= 1 and quotes >= 0 (whole numbers); got n={n!r}, quotes={quotes!r}")
    this = _month(month)
    items = classified.items
    now = items[items["month"] == this]
    order = {c: i for i, c in enumerate(classified.categories)}
    counts = now.loc[now["category"] != UNCLASSIFIED, "category"].value_counts()
    ranked = sorted(counts.index, key=lambda c: (-counts[c], order.get(c, len(order))))[:n]
    last = _previous(this)
    before = items.loc[items["month"] == last, "category"].value_counts()
    total = len(now)
    rows = []
    for rank, category in enumerate(ranked, start=1):
        texts = now.loc[now["category"] == category, "text"]
        picked = _representative(texts, quotes)
        picked += [None] * (quotes - len(picked))
        rows.append({"rank": rank, "category": category, "items": int(counts[category]),
                     "last_month": int(before.get(category, 0)), **{f"quote_{i + 1}": q for i, q in enumerate(picked)}})
    quote_cols = [f"quote_{i + 1}" for i in range(quotes)]
    out = pd.DataFrame(rows, columns=["rank", "category", "items", "last_month", *quote_cols])
    out[quote_cols] = out[quote_cols].astype(object).where(out[quote_cols].notna(), None)
    out["items"], out["last_month"] = out["items"].astype(int), out["last_month"].astype(int)
    out["share"] = out["items"] / total if total else np.nan
    out["share_low"], out["share_high"] = wilson_ci(out["items"].to_numpy(), np.full(len(out), total))
    return out[["rank", "category", "items", "share", "share_low", "share_high", "last_month", *quote_cols]]


def _representative(texts: pd.Series, k: int) -> list[str]:
    """Up to ``k`` typical, mutually different texts (nearest to the n-gram centroid)."""
    texts = texts.dropna().astype(str)
    unique = list(dict.fromkeys(texts))  # first occurrence order: earliest created first
    if k == 0 or not unique:
        return []
    if len(unique) == 1:
        return unique[:1]
    # digits -> 0: order numbers and prices would otherwise make two wordings of one complaint look different
    def plain(t: str) -> str:
        return re.sub(r"\d+", "0", _normalise_one(t))

    vectors = TfidfVectorizer(**NGRAMS).fit(texts.map(plain)).transform([plain(t) for t in unique])
    centroid = np.asarray(vectors.mean(axis=0)).ravel()
    closeness = vectors @ centroid
    order = np.argsort(-closeness, kind="stable")
    similar = (vectors @ vectors.T).toarray()
    chosen: list[int] = []
    for i in order:
        if len(chosen) == k:
            break
        if all(similar[i, j] < QUOTE_MAX_SIMILARITY for j in chosen):
            chosen.append(int(i))
    for i in order:  # too few distinct wordings: fill with the next most typical texts
        if len(chosen) == k:
            break
        if i not in chosen:
            chosen.append(int(i))
    return [unique[i] for i in chosen]


def _month_and_previous(classified: Classified, month: str) -> tuple[str, str]:
    """The month and the one before, refusing months the classified span does not cover."""
    this = _month(month)
    last = _previous(this)
    first_day, after = pd.Period(last, freq="M").start_time, pd.Period(this, freq="M").end_time
    if (classified.start is not None and classified.start > first_day) or (
            classified.stop is not None and classified.stop <= after):
        raise ParameterError(
            f"month {this}: the items were classified from {classified.start or 'the start'} to before "
            f"{classified.stop or 'the end'}; classify {last} and {this} (period_start={first_day:%Y-%m-%d}, "
            f"period_end={after:%Y-%m-%d}) to compare the month with the one before")
    return this, last
