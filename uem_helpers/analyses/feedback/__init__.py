"""Feedback: classified into the taxonomy, prioritised, answered and closed ("you said, we did").

Works on the canonical ``feedback`` table (``feedback_id``, ``created_at``,
``channel``, ``text``; optional ``user_id``, ``rating``, ``category`` (a human
label), ``touchpoint``, ``status``, ``first_reply_at``, ``resolved_at``, and any
extra column such as a ``resolution`` note). Feedback tables are small (thousands
to a few hundred thousand rows): each helper selects the rows it needs **in the
engine** (DuckDB or Spark), executes once or twice, and then works on those rows
with pandas and scikit-learn, where text classification lives.

Definitions
-----------
- **Month** of an item: the ``YYYY-MM`` of its ``created_at`` (wall clock).
- **Keyword category** (:func:`keyword_categories`): the taxonomy category with the
  most keyword hits in the text (ties: the category listed first in the taxonomy),
  ``"unclassified"`` when no keyword occurs. Texts are NFKC-normalised (full-width
  letters become ASCII) and lower-cased. A keyword with any non-ASCII character
  (Chinese) is matched as a plain substring, so no word segmenter can split it
  away; an ASCII (English) keyword is matched as a whole word, optionally
  followed by a plain English ending (-s, -es, -d, -ed, -ing: ``crash`` finds
  "crashes"). Hits count every non-overlapping occurrence.
  Limits: a short Chinese keyword also matches inside unrelated words (``慢``
  in 慢慢来, ``人工`` in 人工智能); a keyword that appears in boilerplate (``身份证``
  in "身份证号…" added to any complaint) adds a hit to its category; English
  spelling changes (ship -> shipped) and synonyms are not matched. Such items are
  what human labels and the classifier are for.
- **Classifier** (:func:`classify`): TF-IDF of character 1-3-grams within word
  boundaries (``char_wb``) and a logistic regression, trained on items with a
  human ``category`` label. It is checked by stratified :data:`FOLDS`-fold
  cross-validation (fixed seed :data:`RANDOM_STATE`): every labelled item is
  predicted once by a model that did not see it (held out), and the keyword
  matcher is scored on the same items; both accuracies carry a Wilson 95%
  interval. Categories with a single label take no part in the check. The
  classifier is used (refitted on every label) only with at least
  :data:`MIN_LABELS` labels in at least two categories and when its held-out
  accuracy is strictly higher than the keywords'.
- **Final category** of an item: its human label when present (``source`` =
  ``"label"``), else the classifier's (``"model"``) when it is used, else the
  keywords' (``"keywords"``).
- **Priority** (:func:`priority`): ``score = volume x severity x growth`` per
  category in a month, where volume = items this month, severity = share of the
  month's rated items with ``rating <= LOW_RATING`` (:data:`DEFAULT_SEVERITY` when
  none is rated), growth = ``(volume + 1) / (last month's volume + 1)``.
- **Loop metrics** (:func:`loop_metrics`): time to first reply, share answered
  within the SLA, share resolved and the open backlog by age (see there).

Example
-------
>>> classified = classify(ds["feedback"], config.feedback_taxonomy)      # doctest: +SKIP
>>> classified.check.sentence()                                         # doctest: +SKIP
'On 305 held-out labelled items (5-fold cross-validation) the character n-gram classifier ...'
>>> priority(classified, "2026-09").iloc[0]["category"]                  # doctest: +SKIP
'payment'
>>> loop_metrics(ds["feedback"], sla_hours=24, month="2026-09").sentence()  # doctest: +SKIP
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from uem_helpers.core.errors import ConfigError, ContractError, ParameterError
from uem_helpers.core.period import in_period, parse_period, period_bounds, to_datetime
from uem_helpers.data.schema import ROW_ORDER
from uem_helpers.stats import wilson_ci

#: Category of an item no keyword matches.
UNCLASSIFIED = "unclassified"
#: Endings an English keyword may carry and still match (``crash`` -> "crashes").
ENGLISH_ENDINGS = ("s", "es", "d", "ed", "ing")
#: Fewest human labels (in at least two categories) before the classifier may be used.
MIN_LABELS = 60
#: Folds of the stratified cross-validation that checks the classifier (fewer when a category has fewer labels).
FOLDS = 5
#: Seed of the folds and the classifier: the same data gives the same result.
RANDOM_STATE = 0
#: Inverse regularisation of the logistic regression: weak regularisation suits short texts with
#: few labels (5-fold accuracy on the sample's labels: 0.96 with sklearn's default 1.0, 0.99 with 10).
CLASSIFIER_C = 10.0
#: A rating at or below this counts as a low (severe) rating.
LOW_RATING = 2
#: Severity of a category none of whose items this month is rated.
DEFAULT_SEVERITY = 0.5
#: Character n-gram TF-IDF settings shared by the classifier and the quote picker.
NGRAMS = {"analyzer": "char_wb", "ngram_range": (1, 3)}
#: Two quotes of one category are kept only if their n-gram cosine similarity is below this.
QUOTE_MAX_SIMILARITY = 0.4
#: Backlog age buckets: label and upper bound in days (the last is open-ended).
AGE_BUCKETS = (("<1d", 1.0), ("1-3d", 3.0), ("3-7d", 7.0), (">7d", np.inf))
#: Channel label of the all-channels rows in loop metrics.
ALL_CHANNELS = "all"

_REQUIRED = ("feedback_id", "created_at", "channel", "text")
_SOURCE_LABEL, _SOURCE_MODEL, _SOURCE_KEYWORDS = "label", "model", "keywords"


# --- classification --------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierCheck:
    """The classifier checked against the keyword matcher on held-out labelled items (cross-validation).

    Attributes
    ----------
    n_labels : int
        Items with a human label in the classified rows.
    n_test : int
        Labelled items both methods were scored on, each predicted by a model trained without
        it (0 when no check ran).
    accuracy, accuracy_low, accuracy_high : float
        Classifier's held-out accuracy and its Wilson 95% interval (NaN without a check).
    keyword_accuracy, keyword_low, keyword_high : float
        Keyword matcher's accuracy on the same items, with its interval.
    used : bool
        Whether unlabelled items are categorised by the classifier.
    reason : str
        Why it is or is not used, in words.
    """

    n_labels: int
    n_test: int
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    keyword_accuracy: float
    keyword_low: float
    keyword_high: float
    used: bool
    reason: str

    def sentence(self) -> str:
        """The check in one sentence, e.g. for the report next to the categories."""
        if not self.n_test:
            return f"Classifier not used: {self.reason}. Unlabelled items are categorised by keywords."
        method = "the classifier" if self.used else "keywords"
        return (
            f"On {self.n_test} held-out labelled items ({FOLDS}-fold cross-validation) the character n-gram "
            f"classifier was right "
            f"{self.accuracy:.0%} of the time (95% CI {self.accuracy_low:.0%}-{self.accuracy_high:.0%}), "
            f"keywords {self.keyword_accuracy:.0%} ({self.keyword_low:.0%}-{self.keyword_high:.0%}); "
            f"unlabelled items are categorised by {method}."
        )


@dataclass(frozen=True)
class Classified:
    """Feedback items with their final category, and how the categories were decided.

    Attributes
    ----------
    items : pandas.DataFrame
        One row per item: the feedback columns (the human label renamed ``label``), ``month``,
        ``keyword_category``, ``keyword_hits``, ``model_category`` (None when the classifier
        is not used), ``category`` (final) and ``source`` (``label``, ``model`` or ``keywords``).
    categories : tuple of str
        The taxonomy's categories in config order, then other human labels found, sorted.
    check : ClassifierCheck
        The held-out check of the classifier.
    start, stop : datetime or None
        The classified span ``[start, stop)`` of ``created_at`` (None: open-ended).
    """

    items: pd.DataFrame
    categories: tuple[str, ...]
    check: ClassifierCheck
    start: datetime | None = None
    stop: datetime | None = None


def keyword_categories(texts: Sequence[str] | pd.Series, taxonomy: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Categorise texts by the taxonomy's keywords (rules in the module docstring).

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Feedback texts, Chinese, English or mixed; None counts as empty.
    taxonomy : mapping of str to sequence of str
        Category -> keywords, in priority order (``feedback_taxonomy`` of the config).

    Returns
    -------
    pandas.DataFrame
        Same index as a Series input; ``category`` (``"unclassified"`` when no keyword occurs)
        and ``hits`` (the winning category's number of keyword occurrences).

    Raises
    ------
    ConfigError
        The taxonomy is empty or a category has no keyword.
    """
    patterns = _keyword_patterns(taxonomy)
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    clean = _normalise(series)
    hits = np.zeros((len(clean), len(patterns)), dtype=int)
    for j, pattern in enumerate(patterns.values()):
        hits[:, j] = clean.str.count(pattern).to_numpy(dtype=int)
    best = hits.argmax(axis=1)  # the first maximum: ties go to the category listed first
    top = hits[np.arange(len(clean)), best]
    names = np.array(list(patterns), dtype=object)[best]
    return pd.DataFrame({"category": np.where(top > 0, names, UNCLASSIFIED).astype(object), "hits": top},
                        index=series.index)


def classify(
    feedback: ibis.Table,
    taxonomy: Mapping[str, Sequence[str]],
    *,
    period_start: object = None,
    period_end: object = None,
    min_labels: int = MIN_LABELS,
) -> Classified:
    """Give every feedback item created in the period one category, and check the classifier.

    The period's rows are selected in the engine; keywords, the classifier and its
    held-out check run on those rows in pandas and scikit-learn (rules in the module
    docstring). Classify every month you compare: :func:`priority` needs last month too.

    Parameters
    ----------
    feedback : ibis.Table
        The canonical feedback table.
    taxonomy : mapping of str to sequence of str
        Category -> keywords, e.g. ``config.feedback_taxonomy``.
    period_start, period_end : date-like, optional
        Items whose ``created_at`` falls in the period (both ends inclusive); all when omitted.
    min_labels : int
        Fewest human labels before the classifier may be used.

    Returns
    -------
    Classified
        Empty ``items`` (with every column) when no item falls in the period.

    Raises
    ------
    ContractError
        A required feedback column is missing.
    ConfigError
        The taxonomy is empty or a category has no keyword.
    """
    patterns_ok = _keyword_patterns(taxonomy)  # fail on a bad taxonomy before touching the engine
    _require(feedback, _REQUIRED, "classifying feedback")
    start, stop = period_bounds(period_start, period_end)
    columns = [c for c in feedback.columns if c != ROW_ORDER]
    rows = feedback.filter(in_period(feedback.created_at, period_start, period_end)).select(columns)
    items = rows.order_by(["created_at", "feedback_id"]).to_pandas().reset_index(drop=True)
    items = items.rename(columns={"category": "label"})
    if "label" not in items:
        items["label"] = None
    items["label"] = items["label"].map(lambda v: None if pd.isna(v) or not str(v).strip() else str(v).strip())
    items["month"] = pd.to_datetime(items["created_at"]).dt.strftime("%Y-%m")
    words = keyword_categories(items["text"], taxonomy)
    items["keyword_category"], items["keyword_hits"] = words["category"].astype(object), words["hits"]

    labelled = items["label"].notna()
    unlabelled = ~labelled
    items["model_category"] = None
    # One BLAS/OpenMP thread: these sparse problems are small, and nested thread pools slow lbfgs ~100x.
    with threadpool_limits(limits=1):
        check, model = _check_classifier(items.loc[labelled, "text"], items.loc[labelled, "label"],
                                         items.loc[labelled, "keyword_category"], min_labels)
        if model is not None and unlabelled.any():
            items.loc[unlabelled, "model_category"] = model.predict(_normalise(items.loc[unlabelled, "text"]).tolist())
    guess = items["model_category"] if check.used else items["keyword_category"]
    items["category"] = items["label"].where(labelled, guess).astype(object)
    items["source"] = np.where(labelled, _SOURCE_LABEL, _SOURCE_MODEL if check.used else _SOURCE_KEYWORDS)
    extra = sorted(set(items.loc[labelled, "label"]) - set(patterns_ok))
    return Classified(items, tuple(patterns_ok) + tuple(extra), check, start, stop)


def _check_classifier(texts: pd.Series, labels: pd.Series, keyword: pd.Series, min_labels: int):
    """Out-of-fold check of the classifier against the keywords; the model refitted on every label when it wins."""
    nan = float("nan")
    counts = labels.value_counts()
    n = len(labels)

    def skipped(reason: str) -> tuple[ClassifierCheck, None]:
        return ClassifierCheck(n, 0, nan, nan, nan, nan, nan, nan, False, reason), None

    if n < min_labels:
        return skipped(f"{n} human label(s), fewer than the {min_labels} needed")
    checked = counts[counts >= 2]  # a stratified split needs two items per category
    if len(checked) < 2:
        return skipped(f"fewer than two categories have two or more human labels ({dict(counts)})")
    keep = labels.isin(checked.index).to_numpy()
    x, y = _normalise(texts).to_numpy(), labels.to_numpy()
    folds = StratifiedKFold(n_splits=min(FOLDS, int(checked.min())), shuffle=True, random_state=RANDOM_STATE)
    predicted = cross_val_predict(_model(), x[keep], y[keep], cv=folds)
    right = int((predicted == y[keep]).sum())
    kw_right = int((keyword.to_numpy()[keep] == y[keep]).sum())
    n_test = int(keep.sum())
    low, high = wilson_ci(right, n_test)
    kw_low, kw_high = wilson_ci(kw_right, n_test)
    acc, kw_acc = right / n_test, kw_right / n_test
    used = acc > kw_acc
    reason = ("its held-out accuracy is higher than the keywords'" if used
              else "its held-out accuracy is not higher than the keywords'")
    check = ClassifierCheck(n, n_test, acc, float(low), float(high), kw_acc, float(kw_low), float(kw_high), used, reason)
    return check, (_model().fit(x, y) if used else None)


def _model():
    """Character n-gram TF-IDF and a logistic regression (deterministic)."""
    return make_pipeline(TfidfVectorizer(**NGRAMS),
                         LogisticRegression(C=CLASSIFIER_C, max_iter=1000, random_state=RANDOM_STATE))


def _keyword_patterns(taxonomy: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """One regular expression per category, matching any of its keywords (longest first)."""
    if not isinstance(taxonomy, Mapping) or not taxonomy:
        raise ConfigError("feedback_taxonomy", taxonomy, "define at least one category with keywords, "
                          "e.g. {payment: [支付, payment]}")
    endings = "|".join(ENGLISH_ENDINGS)
    patterns = {}
    for category, keywords in taxonomy.items():
        words = [] if isinstance(keywords, str) else [_normalise_one(k).strip() for k in keywords or ()]
        words = [w for w in words if w]
        if not words:
            raise ConfigError(f"feedback_taxonomy.{category}", keywords, "give a list of keywords, e.g. [支付, payment]")
        parts = [rf"(?<![a-z0-9]){re.escape(w)}(?:{endings})?(?![a-z0-9])" if w.isascii() else re.escape(w)
                 for w in sorted(set(words), key=lambda w: (-len(w), w))]
        patterns[str(category)] = "|".join(parts)
    return patterns


def _normalise_one(text: object) -> str:
    """One text NFKC-normalised and lower-cased; a missing value is ''."""
    missing = text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text))
    return "" if missing else unicodedata.normalize("NFKC", str(text)).lower()


def _normalise(texts: pd.Series) -> pd.Series:
    """NFKC-normalised, lower-cased texts (full-width letters and digits become ASCII); None is ''."""
    return texts.map(_normalise_one).astype(object)


# --- volumes, priority, themes -------------------------------------------------------------


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


# --- the loop: replies, SLA, resolution, backlog ----------------------------------------


@dataclass(frozen=True)
class LoopMetrics:
    """How the feedback loop ran: replies, the SLA, resolution, and the open backlog.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row for all channels (``channel == "all"``), then one per channel (see :func:`loop_metrics`).
    backlog : pandas.DataFrame
        ``channel, age, items, unreplied``: open items at ``as_of`` by age bucket, every bucket listed.
    sla_hours : float
        The reply SLA.
    now : datetime
        Moment the data is read at: replies and resolutions stamped later are not counted.
    as_of : datetime
        Moment of the backlog: the end of the period, or ``now`` if earlier.
    """

    summary: pd.DataFrame
    backlog: pd.DataFrame
    sla_hours: float
    now: datetime
    as_of: datetime

    def sentence(self) -> str:
        """The all-channels loop in one sentence."""
        row = self.summary.iloc[0]
        if not row["items"]:
            return "No feedback was created in the period."
        reply = (f"median first reply {row['reply_median_h']:.1f} h (p90 {row['reply_p90_h']:.1f} h)"
                 if row["replied"] else "no item answered yet")
        sla = (f"{row['within_sla_share']:.0%} answered within {self.sla_hours:g} h "
               f"(95% CI {row['within_sla_low']:.0%}-{row['within_sla_high']:.0%})" if row["due"] else
               f"no item past its {self.sla_hours:g} h deadline yet")
        return (f"{int(row['items']):,} items: {reply}; {sla}; {row['resolved_share']:.0%} resolved; "
                f"{int(row['open_backlog']):,} open at {self.as_of:%Y-%m-%d %H:%M}.")


def loop_metrics(
    feedback: ibis.Table,
    *,
    sla_hours: float,
    month: str | None = None,
    period_start: object = None,
    period_end: object = None,
    now: object = None,
) -> LoopMetrics:
    """Time to first reply, answers within the SLA, resolution and the open backlog, by channel.

    Definitions, for items created in the period (``month`` or ``period_start``..``period_end``,
    all items when neither is given) and no later than ``now``:

    - **reply hours** = ``(first_reply_at - created_at)`` in hours, for items replied by ``now``;
      ``reply_median_h`` and ``reply_p90_h`` are its median and 90th percentile (linear
      interpolation); unanswered items are not in them (see ``replied``);
    - **due**: items whose SLA deadline ``created_at + sla_hours`` has passed by ``now``;
      **within SLA**: due items replied within ``sla_hours`` (inclusive);
      ``within_sla_share = within_sla / due`` with a Wilson 95% interval;
    - ``replied_over_sla``: replied items whose reply took longer than ``sla_hours``;
    - **resolved**: ``resolved_at`` set and not after ``now``; ``resolved_share = resolved / items``
      with a Wilson 95% interval;
    - **open backlog** at ``as_of`` (the end of the period, or ``now`` if earlier): items of any
      creation date created by then and not resolved by then, by age ``as_of - created_at``:
      ``<1d``, ``1-3d``, ``3-7d``, ``>7d`` (lower bound included).

    The rows are selected in the engine (the period's items, and the unresolved ones of earlier
    periods for the backlog); the metrics are computed on them in pandas.

    Parameters
    ----------
    feedback : ibis.Table
        The canonical feedback table; needs ``first_reply_at`` and ``resolved_at``.
    sla_hours : float
        Promised time to first reply, in hours (e.g. 24).
    month : str, optional
        ``"YYYY-MM"``; an alternative to ``period_start``/``period_end``.
    period_start, period_end : date-like, optional
        Both ends inclusive.
    now : date-like, optional
        When the data is read; default: the latest time stamped in the table (``created_at``,
        ``first_reply_at``, ``resolved_at``).

    Returns
    -------
    LoopMetrics
        ``summary`` columns: ``channel, items, replied, reply_median_h, reply_p90_h, due, within_sla,
        within_sla_share, within_sla_low, within_sla_high, replied_over_sla, resolved, resolved_share,
        resolved_low, resolved_high, open_backlog``.

    Raises
    ------
    ParameterError
        A bad SLA, both a month and a period, or ``now`` before the period starts.
    ContractError
        ``first_reply_at`` or ``resolved_at`` is missing.
    """
    if isinstance(sla_hours, bool) or not isinstance(sla_hours, int | float) or not sla_hours > 0:
        raise ParameterError(f"sla_hours must be a positive number of hours, e.g. 24; got {sla_hours!r}")
    _require(feedback, (*_REQUIRED[:3], "first_reply_at", "resolved_at"), "the feedback loop metrics")
    if month is not None:
        if period_start is not None or period_end is not None:
            raise ParameterError("give either month or period_start/period_end to loop_metrics, not both")
        period = parse_period(_month(month))
        period_start, period_end = period.start, period.end
    start, stop = period_bounds(period_start, period_end)
    t = feedback
    if now is None:
        latest = t.aggregate(a=t.created_at.max(), b=t.first_reply_at.max(), c=t.resolved_at.max()).to_pandas().iloc[0]
        stamps = [v for v in latest if not pd.isna(v)]
        now_at = pd.Timestamp(max(stamps)).to_pydatetime() if stamps else (stop or datetime(1970, 1, 1))
    else:
        now_at = to_datetime(now, "now")
    if start is not None and now_at < start:
        raise ParameterError(f"now ({now_at}) is before the period starts ({start}); nothing can be measured yet")
    as_of = min(stop, now_at) if stop is not None else now_at
    # the period's items, and earlier items still unresolved at the backlog moment
    in_window = in_period(t.created_at, period_start, period_end) & (t.created_at <= now_at)
    open_then = (t.created_at <= as_of) & (t.resolved_at.isnull() | (t.resolved_at > as_of))
    rows = (t.filter(in_window | open_then)
            .select("created_at", "channel", "first_reply_at", "resolved_at", in_window=in_window, open_then=open_then)
            .to_pandas())
    rows["channel"] = rows["channel"].fillna("(none)").astype(str)
    sla = timedelta(hours=float(sla_hours))
    items = rows[rows["in_window"].astype(bool)].copy()
    replied = items["first_reply_at"].notna() & (items["first_reply_at"] <= now_at)
    items["reply_h"] = ((items["first_reply_at"] - items["created_at"]).dt.total_seconds() / 3600).where(replied)
    items["due"] = items["created_at"] + sla <= now_at
    items["within"] = items["due"] & (items["reply_h"] <= sla_hours)
    items["over"] = items["reply_h"] > sla_hours
    items["resolved"] = items["resolved_at"].notna() & (items["resolved_at"] <= now_at)
    backlog_rows = rows[rows["open_then"].astype(bool)].copy()
    age_days = (pd.Timestamp(as_of) - backlog_rows["created_at"]).dt.total_seconds() / 86400
    edges = [0.0, *[b for _, b in AGE_BUCKETS]]
    backlog_rows["age"] = pd.cut(age_days.clip(lower=0), edges, right=False, labels=[a for a, _ in AGE_BUCKETS])
    backlog_rows["unreplied"] = ~(backlog_rows["first_reply_at"].notna() & (backlog_rows["first_reply_at"] <= as_of))
    channels = sorted(set(items["channel"]) | set(backlog_rows["channel"]))
    summary = pd.DataFrame([_loop_row(ALL_CHANNELS, items, backlog_rows)]
                           + [_loop_row(c, items[items["channel"] == c], backlog_rows[backlog_rows["channel"] == c])
                              for c in channels])
    for name, num, den in (("within_sla", "within_sla", "due"), ("resolved", "resolved", "items")):
        summary[f"{name}_share"] = summary[num] / summary[den].where(summary[den] > 0)
        summary[f"{name}_low"], summary[f"{name}_high"] = wilson_ci(summary[num], summary[den])
    summary = summary[["channel", "items", "replied", "reply_median_h", "reply_p90_h", "due", "within_sla",
                       "within_sla_share", "within_sla_low", "within_sla_high", "replied_over_sla", "resolved",
                       "resolved_share", "resolved_low", "resolved_high", "open_backlog"]]
    backlog = _backlog(backlog_rows, channels)
    return LoopMetrics(summary, backlog, float(sla_hours), now_at, as_of)


def _loop_row(channel: str, items: pd.DataFrame, backlog_rows: pd.DataFrame) -> dict:
    hours = items["reply_h"].dropna()
    return {
        "channel": channel,
        "items": len(items),
        "replied": len(hours),
        "reply_median_h": float(hours.median()) if len(hours) else np.nan,
        "reply_p90_h": float(hours.quantile(0.9)) if len(hours) else np.nan,
        "due": int(items["due"].sum()),
        "within_sla": int(items["within"].sum()),
        "replied_over_sla": int(items["over"].sum()),
        "resolved": int(items["resolved"].sum()),
        "open_backlog": len(backlog_rows),
    }


def _backlog(rows: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    """Open items by channel (``all`` first) and age bucket; every bucket listed, zeros included."""
    ages = [a for a, _ in AGE_BUCKETS]
    frames = []
    for channel in [ALL_CHANNELS, *channels]:
        part = rows if channel == ALL_CHANNELS else rows[rows["channel"] == channel]
        grouped = part.groupby("age", observed=False).agg(items=("age", "size"), unreplied=("unreplied", "sum"))
        grouped = grouped.reindex(ages, fill_value=0)
        frames.append(pd.DataFrame({"channel": channel, "age": ages, "items": grouped["items"].astype(int).to_numpy(),
                                    "unreplied": grouped["unreplied"].astype(int).to_numpy()}))
    return pd.concat(frames, ignore_index=True)


# --- you said, we did ---------------------------------------------------------------------


def you_said_we_did(classified: Classified, month: str | None = None, *, note: str = "resolution") -> pd.DataFrame:
    """What users said and what was changed: resolved items that carry a resolution note.

    An item counts when ``resolved_at`` is set (in ``month`` when given: the changes
    delivered that month, whenever the item was created; classify a span that includes the
    earlier months) and its ``note`` column is not blank. Items are grouped by category and
    note; the quote is the group's most typical text (as in :func:`top_themes`), raw.

    Parameters
    ----------
    classified : Classified
        Result of :func:`classify`.
    month : str, optional
        ``"YYYY-MM"`` of ``resolved_at``; every resolved item when omitted.
    note : str
        Column holding what was done (the sample's ``resolution``; map yours in the config).

    Returns
    -------
    pandas.DataFrame
        ``category, we_did, items, you_said, first_resolved, last_resolved``; most items first,
        ties in taxonomy order then by the note.
    """
    items = classified.items
    for column in (note, "resolved_at"):
        if column not in items.columns:
            raise ContractError("feedback", column, f"is missing; 'you said, we did' needs '{note}' (what was done) "
                                "and 'resolved_at'. Map your columns under sources.feedback.columns in the config")
    resolved = items[items["resolved_at"].notna()]
    if month is not None:
        resolved = resolved[pd.to_datetime(resolved["resolved_at"]).dt.strftime("%Y-%m") == _month(month)]
    notes = resolved[note].map(lambda v: "" if pd.isna(v) else str(v).strip())
    resolved = resolved.assign(we_did=notes)[notes != ""]
    order = {c: i for i, c in enumerate(classified.categories)}
    rows = []
    for (category, we_did), group in resolved.groupby(["category", "we_did"], sort=False):
        quote = _representative(group.sort_values("created_at")["text"], 1)
        rows.append({"category": category, "we_did": we_did, "items": len(group),
                     "you_said": quote[0] if quote else None,
                     "first_resolved": group["resolved_at"].min(), "last_resolved": group["resolved_at"].max(),
                     "_order": order.get(category, len(order))})
    cols = ["category", "we_did", "items", "you_said", "first_resolved", "last_resolved"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("resolved") else
                                          "int64" if c == "items" else object) for c in cols})
    out = pd.DataFrame(rows).sort_values(["items", "_order", "we_did"], ascending=[False, True, True], kind="stable")
    return out[cols].reset_index(drop=True)


# --- small shared pieces ----------------------------------------------------------------


def _require(feedback: ibis.Table, columns: Sequence[str], needed_for: str) -> None:
    if not isinstance(feedback, ibis.Table):
        raise ParameterError(f"feedback must be the canonical feedback table (an Ibis table, e.g. "
                             f"ds['feedback']); got {type(feedback).__name__}")
    for column in columns:
        if column not in feedback.columns:
            raise ContractError("feedback", column, f"is missing; it is needed for {needed_for}. "
                                f"Columns present: {', '.join(feedback.columns)}")


def _month(month: object) -> str:
    """``"YYYY-MM"`` checked: one month, not a range."""
    try:
        period = parse_period(month) if isinstance(month, str) else None
    except ParameterError:
        period = None
    if period is None or ".." in period.label:
        raise ParameterError(f"month {month!r}: expected one month as YYYY-MM, e.g. 2026-09")
    return period.label


def _previous(month: str) -> str:
    return (pd.Period(month, freq="M") - 1).strftime("%Y-%m")


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
