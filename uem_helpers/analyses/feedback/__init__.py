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

Modules: :mod:`.classify` (keywords, the char n-gram classifier and its held-out check),
:mod:`.themes` (volume, priority, top themes with quotes), :mod:`.loop` (the feedback loop: reply,
resolution, SLA, backlog), :mod:`.you_said` ("you said, we did"), :mod:`._common` (required columns,
months). Callers import from here.
"""

from __future__ import annotations

from uem_helpers.analyses.feedback.classify import (
    CLASSIFIER_C,
    Classified,
    ClassifierCheck,
    ENGLISH_ENDINGS,
    FOLDS,
    MIN_LABELS,
    NGRAMS,
    RANDOM_STATE,
    UNCLASSIFIED,
    classify,
    keyword_categories,
)
from uem_helpers.analyses.feedback.themes import (
    DEFAULT_SEVERITY,
    LOW_RATING,
    QUOTE_MAX_SIMILARITY,
    priority,
    top_themes,
    volume,
)
from uem_helpers.analyses.feedback.loop import AGE_BUCKETS, ALL_CHANNELS, LoopMetrics, loop_metrics
from uem_helpers.analyses.feedback.you_said import you_said_we_did

__all__ = [
    "AGE_BUCKETS",
    "ALL_CHANNELS",
    "CLASSIFIER_C",
    "Classified",
    "ClassifierCheck",
    "DEFAULT_SEVERITY",
    "ENGLISH_ENDINGS",
    "FOLDS",
    "LOW_RATING",
    "LoopMetrics",
    "MIN_LABELS",
    "NGRAMS",
    "QUOTE_MAX_SIMILARITY",
    "RANDOM_STATE",
    "UNCLASSIFIED",
    "classify",
    "keyword_categories",
    "loop_metrics",
    "priority",
    "top_themes",
    "volume",
    "you_said_we_did",
]
