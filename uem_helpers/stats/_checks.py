"""Input checks shared by the statistics: alpha in (0, 1), finite samples, weights, labelled counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05); got {alpha!r}")


def _sample(values, name: str, minimum: int = 1) -> np.ndarray:
    """A 1-d float array of one sample, refusing samples smaller than ``minimum`` and NaN."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size < minimum:
        raise ValueError(f"sample {name} has {arr.size} value(s); at least {minimum} are needed")
    if np.isnan(arr).any():
        raise ValueError(f"sample {name} holds {int(np.isnan(arr).sum())} NaN value(s); drop them first")
    return arr


def _weighted(values, counts, name: str, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and their counts (1 each when ``counts`` is None) as float arrays; values counted 0 times are dropped."""
    arr = _sample(values, name, minimum=0)
    if counts is None:
        w = np.ones_like(arr)
    else:
        w = np.asarray(counts, dtype=float).ravel()
        if w.shape != arr.shape or np.any(~np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
            raise ValueError(
                f"counts of sample {name} must be {arr.size} whole numbers of 0 or more, one per value; got {counts!r}"
            )
        arr, w = arr[w > 0], w[w > 0]
    if w.sum() < minimum:
        raise ValueError(f"sample {name} has {int(w.sum())} value(s); at least {minimum} are needed")
    return arr, w


def _labelled(values) -> dict[str, float]:
    """Group name -> value from a mapping, a Series, or a sequence (names "0", "1", ...)."""
    if isinstance(values, pd.Series):
        values = values.to_dict()
    if isinstance(values, Mapping):
        return {str(k): v for k, v in values.items()}
    if isinstance(values, Sequence | np.ndarray) and not isinstance(values, str):
        return {str(i): v for i, v in enumerate(values)}
    raise ValueError(f"expected a mapping of group -> number or a sequence of numbers; got {values!r}")
