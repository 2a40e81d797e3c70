"""Classifying feedback: keyword categories from the config's taxonomy (Chinese and English), and a
character n-gram classifier trained on the keyword-labelled items, with its held-out accuracy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from uem_helpers.analyses.feedback._common import _REQUIRED, _require
from uem_helpers.core.errors import ConfigError
from uem_helpers.core.formats import percent
from uem_helpers.core.i18n import N_, _
from uem_helpers.core.period import in_period, period_bounds
from uem_helpers.data.schema import ROW_ORDER
from uem_helpers.stats import wilson_ci


#: Category of an item no keyword matches.
UNCLASSIFIED = N_("unclassified")


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


#: Character n-gram TF-IDF settings shared by the classifier and the quote picker.
NGRAMS = {"analyzer": "char_wb", "ngram_range": (1, 3)}


_SOURCE_LABEL, _SOURCE_MODEL, _SOURCE_KEYWORDS = "label", "model", "keywords"


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
            return _("Classifier not used: {reason}. Unlabelled items are categorised by keywords.").format(
                reason=self.reason)
        numbers = {"n": self.n_test, "folds": FOLDS, "accuracy": percent(self.accuracy),
                   "low": percent(self.accuracy_low), "high": percent(self.accuracy_high),
                   "keywords": percent(self.keyword_accuracy), "keywords_low": percent(self.keyword_low),
                   "keywords_high": percent(self.keyword_high)}
        if self.used:
            return _("On {n} held-out labelled items ({folds}-fold cross-validation) the character n-gram classifier "
                     "was right {accuracy} of the time (95% CI {low}-{high}), keywords {keywords} "
                     "({keywords_low}-{keywords_high}); unlabelled items are categorised by the classifier."
                     ).format(**numbers)
        return _("On {n} held-out labelled items ({folds}-fold cross-validation) the character n-gram classifier "
                 "was right {accuracy} of the time (95% CI {low}-{high}), keywords {keywords} "
                 "({keywords_low}-{keywords_high}); unlabelled items are categorised by keywords.").format(**numbers)


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
        return skipped(_("{n} human label(s), fewer than the {needed} needed").format(n=n, needed=min_labels))
    checked = counts[counts >= 2]  # a stratified split needs two items per category
    if len(checked) < 2:
        return skipped(_("fewer than two categories have two or more human labels ({counts})").format(
            counts=dict(counts)))
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
    reason = (_("its held-out accuracy is higher than the keywords'") if used
              else _("its held-out accuracy is not higher than the keywords'"))
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
