"""Statistics on small numbers: confidence intervals, two-group tests, ratio metrics, sample-ratio checks, classifiers' AUC.

Thin, vectorised wrappers over :mod:`statsmodels` and :mod:`scipy.stats` that
return the workbench's readout types. Nothing here is estimated by hand where
those libraries have the method; each wrapper names the method it uses and why.

This module is pure: it takes counts and arrays, imports nothing of the
workbench, and raises plain :class:`ValueError` for impossible inputs (the
analysis layer turns them into the workbench's errors).

Conventions
-----------
- Group 1 / ``a`` is the baseline (before, control); group 2 / ``b`` is the
  comparison (after, treatment). Differences are always ``2 - 1`` (``b - a``)
  and relative changes ``2 / 1 - 1``.
- ``alpha`` is the two-sided level: intervals have coverage ``1 - alpha``.
- Undefined quantities are ``NaN``, never an exception: a proportion of a
  group with no members, a relative change against a zero baseline.

One private module per concept: :mod:`._proportions` (Wilson intervals, two proportions),
:mod:`._means`, :mod:`._medians` (bootstrap and rank methods), :mod:`._clusters` (delta-method ratio
metrics clustered by user), :mod:`._power`, :mod:`._srm` (sample-ratio mismatch), :mod:`._cusum` (sustained shifts of a daily proportion),
:mod:`._classification` (ROC AUC and its bootstrap intervals, the top decile's precision and lift, calibration
bins, relative risk), :mod:`._checks`
(input checks shared by all). Callers import the public names from here.
"""

from __future__ import annotations

from uem_helpers.stats._proportions import (
    DIFF_CI_METHOD,
    ProportionComparison,
    RATIO_CI_METHOD,
    two_proportions,
    wilson_ci,
)
from uem_helpers.stats._means import MeanComparison, SampleMoments, mean_difference, mean_difference_of, ratio_of_means_ci
from uem_helpers.stats._medians import (
    MedianComparison,
    N_RESAMPLES,
    mann_whitney,
    median_ci,
    median_difference,
)
from uem_helpers.stats._clusters import (
    ClusterSums,
    RatioComparison,
    clustered_wilson_ci,
    ratio_metric_difference,
    ratio_metric_se,
)
from uem_helpers.stats._power import users_needed
from uem_helpers.stats._classification import (
    AUC_RESAMPLES,
    AUCComparison,
    AUCResult,
    TopShare,
    auc_difference,
    calibration_bins,
    relative_risk,
    roc_auc,
    roc_auc_ci,
    top_share,
)
from uem_helpers.stats._srm import SRMResult, SRM_ALPHA, sample_ratio_mismatch
from uem_helpers.stats._cusum import (
    ALARMS_PER_YEAR,
    ODDS_RATIO,
    binomial_cusum,
    block_median_rate,
    cusum_runs,
    cusum_threshold,
    robust_dispersion,
    shifted_rate,
)

__all__ = [
    "AUC_RESAMPLES",
    "AUCComparison",
    "AUCResult",
    "TopShare",
    "auc_difference",
    "calibration_bins",
    "relative_risk",
    "roc_auc",
    "roc_auc_ci",
    "top_share",
    "ALARMS_PER_YEAR",
    "ODDS_RATIO",
    "binomial_cusum",
    "block_median_rate",
    "cusum_runs",
    "cusum_threshold",
    "robust_dispersion",
    "shifted_rate",
    "ClusterSums",
    "DIFF_CI_METHOD",
    "MeanComparison",
    "MedianComparison",
    "N_RESAMPLES",
    "ProportionComparison",
    "RATIO_CI_METHOD",
    "RatioComparison",
    "SampleMoments",
    "SRMResult",
    "SRM_ALPHA",
    "clustered_wilson_ci",
    "mann_whitney",
    "mean_difference",
    "mean_difference_of",
    "median_ci",
    "median_difference",
    "ratio_metric_difference",
    "ratio_metric_se",
    "ratio_of_means_ci",
    "sample_ratio_mismatch",
    "two_proportions",
    "users_needed",
    "wilson_ci",
]
