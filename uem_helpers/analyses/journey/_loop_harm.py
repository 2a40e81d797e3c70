"""What a loop costs: its sessions' conversion against comparable sessions, the gap's interval, conversions lost.

Internal to :mod:`uem_helpers.analyses.journey.loops`, which hands over per-cycle sums already
brought back from the engine (per-user sums of converted ``y`` and compared ``n`` sessions, as
:class:`uem_helpers.stats.ClusterSums`), for the cycle (no prefix) and its baseline (``b_``).

Definitions
-----------
- Each rate gets the Wilson interval on its effective sample size under clustering by user
  (:func:`uem_helpers.stats.clustered_wilson_ci` with the delta-method standard error of
  :func:`uem_helpers.stats.ratio_metric_se`): one user's sessions are not independent.
- The gap ``difference = session_conversion - baseline_conversion`` gets the square-and-add
  (MOVER) combination of the two intervals, Newcombe's hybrid score method applied to the
  clustered intervals: it keeps its width when a rate is 0% or 100%, where a Wald interval
  collapses. ``p_value`` is the clustered z-test of the gap.
- With fewer than two users in a group nothing is clustered: Newcombe's interval and the score
  test on sessions (:func:`uem_helpers.stats.two_proportions`).
- **Segment mix**: when per-segment baselines are given, the baseline is the baseline rates of
  the segments weighted by the cycle's compared sessions in each (direct standardisation), with
  variance ``Σ w² se²`` (segments as independent groups); a cycle made only on android is then
  compared with android sessions. When a segment of the cycle has fewer than two baseline users
  the pooled baseline is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from uem_helpers.stats import ClusterSums, clustered_wilson_ci, ratio_metric_se, two_proportions, wilson_ci

#: ``interval`` value when the gap is clustered by user, and when it is Newcombe's on sessions.
CLUSTERED, NEWCOMBE = "clustered by user", "Newcombe, sessions"

HARM_COLUMNS = [
    "compared_sessions", "converted_sessions", "session_conversion", "session_conversion_low",
    "session_conversion_high", "baseline_sessions", "baseline_converted", "baseline_conversion", "baseline_low",
    "baseline_high", "difference", "difference_low", "difference_high", "p_value", "interval", "conversions_lost",
]


def harm(df: pd.DataFrame, *, has_conversion: bool, alpha: float, by_segment: pd.DataFrame | None = None,
         cycle_mix: pd.DataFrame | None = None) -> pd.DataFrame:
    """Conversion with and without each cycle, the gap and its interval, conversions lost and ``harmful``.

    Parameters
    ----------
    df : pandas.DataFrame
        Per cycle: ``loop``, ``start`` and the sums ``m, sy, sn, syy, snn, syn`` (cycle) and
        ``b_m, b_sy, ...`` (baseline).
    has_conversion : bool
        False leaves every conversion column NA.
    alpha : float
        1 - confidence level.
    by_segment : pandas.DataFrame, optional
        Baseline sums per ``start`` and ``segment`` (``m, sy, sn, syy, snn, syn``), for the segment mix.
    cycle_mix : pandas.DataFrame, optional
        The cycle's compared sessions ``n`` per ``loop`` and ``segment``.

    Returns
    -------
    pandas.DataFrame
        ``df``'s rows with :data:`HARM_COLUMNS` and ``harmful`` (the gap's interval lies below 0).
    """
    rows = []
    for r in df.itertuples():
        row = dict.fromkeys(HARM_COLUMNS, float("nan"))
        row.update(compared_sessions=_int(r.sn), converted_sessions=_int(r.sy), baseline_sessions=_int(r.b_sn),
                   baseline_converted=_int(r.b_sy), interval=None)
        if has_conversion and row["compared_sessions"] > 0 and row["baseline_sessions"] > 0:
            row.update(_compare(r, alpha, _mixed_baseline(r, by_segment, cycle_mix)))
            row["conversions_lost"] = max(0.0, -row["difference"]) * row["compared_sessions"]
        rows.append(row)
    out = pd.DataFrame(rows, index=df.index, columns=HARM_COLUMNS)
    if not has_conversion:
        for column in ("compared_sessions", "converted_sessions", "baseline_sessions", "baseline_converted"):
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["harmful"] = (out["difference_high"] < 0).fillna(False).astype(bool)
    return out


def _sums(r, prefix: str) -> ClusterSums:
    g = lambda name: float(getattr(r, prefix + name))  # noqa: E731
    return ClusterSums(int(g("m")), g("sy"), g("sn"), g("syy"), g("snn"), g("syn"))


def _mixed_baseline(r, by_segment: pd.DataFrame | None, cycle_mix: pd.DataFrame | None) -> tuple | None:
    """The baseline rate at the cycle's segment mix and its clustered standard error, or None (keep pooled)."""
    if by_segment is None or cycle_mix is None:
        return None
    mix = cycle_mix[(cycle_mix["loop"] == r.loop) & (cycle_mix["n"] > 0)]
    base = by_segment[by_segment["start"] == r.start].set_index("segment")
    if mix.empty or not set(mix["segment"]) <= set(base.index):
        return None
    # segments added up in name order: the engine returns them in any order, and a float sum in another order
    # can differ in its last bits, enough to flip the ranking of two rotations of one cycle with equal counts
    weights = (mix.set_index("segment")["n"] / mix["n"].sum()).sort_index()
    rate = variance = units = 0.0
    for segment, w in weights.items():
        sums = _sums(base.loc[segment], "")
        try:
            se = ratio_metric_se(sums)
        except ValueError:
            return None
        rate, variance, units = rate + w * sums.ratio, variance + (w * se) ** 2, units + sums.sum_n
    return rate, float(np.sqrt(variance)), units


def _compare(r, alpha: float, mixed: tuple | None) -> dict:
    """The cycle's sessions against the comparable ones (see the module's definitions)."""
    a, b = _sums(r, "b_"), _sums(r, "")
    try:
        se_a, se_b = ratio_metric_se(a), ratio_metric_se(b)
    except ValueError:
        p = two_proportions(int(a.sum_y), int(a.sum_n), int(b.sum_y), int(b.sum_n), alpha=alpha)
        low, high = wilson_ci(int(b.sum_y), int(b.sum_n), alpha=alpha)
        b_low, b_high = wilson_ci(int(a.sum_y), int(a.sum_n), alpha=alpha)
        return dict(session_conversion=p.p2, session_conversion_low=low, session_conversion_high=high,
                    baseline_conversion=p.p1, baseline_low=b_low, baseline_high=b_high, difference=p.diff,
                    difference_low=p.diff_low, difference_high=p.diff_high, p_value=p.p_value, interval=NEWCOMBE)
    rate, base, base_units = b.ratio, a.ratio, a.sum_n
    if mixed is not None:
        base, se_a, base_units = mixed
    low, high = clustered_wilson_ci(rate, se_b, b.sum_n, alpha=alpha)
    b_low, b_high = clustered_wilson_ci(base, se_a, base_units, alpha=alpha)
    diff, se = rate - base, float(np.hypot(se_a, se_b))
    p_value = float(2 * sps.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return dict(session_conversion=rate, session_conversion_low=low, session_conversion_high=high,
                baseline_conversion=base, baseline_low=b_low, baseline_high=b_high, difference=diff,
                difference_low=diff - float(np.hypot(rate - low, b_high - base)),
                difference_high=diff + float(np.hypot(high - rate, base - b_low)), p_value=p_value,
                interval=CLUSTERED + (", segment mix" if mixed is not None else ""))


def _int(x) -> int:
    return 0 if x is None or x != x else int(x)
