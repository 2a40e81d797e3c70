"""Month over month: the change of a metric between two months with its interval (Newcombe for rates,
normal for NPS and stickiness), and month labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd
from scipy import stats as sps

from uem_helpers.analyses.experiment import compare_rates
from uem_helpers.analyses.metrics._common import _check_alpha, _get, _z
from uem_helpers.core.errors import ParameterError


#: Kinds of :func:`row_change`: rates compare counts, the others a value and its standard error.
CHANGE_KINDS = ("rate", "nps", "stickiness", "normal")


def month_change(
    frame: pd.DataFrame,
    this_month: object,
    last_month: object,
    *,
    kind: str | None = None,
    alpha: float = 0.05,
) -> pd.Series:
    """The change of a monthly metric from ``last_month`` to ``this_month``, with its interval.

    See :func:`row_change` for the methods. ``frame`` is a monthly frame of this
    module (one row per month: filter segments first).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``month``, ``value`` and ``successes``/``trials`` (rates) or ``se``.
    this_month, last_month : str, date or pandas.Timestamp
        The months, e.g. ``"2026-10"`` and ``"2026-09"``.
    kind : {"rate", "nps", "stickiness", "normal"}, optional
        How to compare; inferred from the columns when omitted.
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    pandas.Series
        As :func:`row_change`; NaN values when a month has no row.

    Raises
    ------
    ParameterError
        No ``month`` column, or a month has more than one row.
    """
    if "month" not in frame.columns:
        raise ParameterError(
            f"month_change needs a 'month' column (a frame made with by='month'); got {list(frame.columns)}"
        )
    rows = []
    for m in (last_month, this_month):
        label = month_label(m)
        sel = frame[frame["month"] == label]
        if len(sel) > 1:
            raise ParameterError(
                f"month {label} has {len(sel)} rows (segments?); pick one row per month before comparing months"
            )
        rows.append(sel.iloc[0] if len(sel) else None)
    return row_change(rows[0], rows[1], kind=kind, alpha=alpha)


def row_change(
    last: Mapping | None, this: Mapping | None, *, kind: str | None = None, alpha: float = 0.05
) -> pd.Series:
    """The change ``this - last`` of a metric between two independent samples, with its interval.

    Methods:

    - ``"rate"`` (rows with ``successes`` and ``trials``): the difference of two
      proportions with Newcombe's hybrid score interval and the pooled z-test
      (:func:`uem_helpers.analyses.experiment.compare_rates`).
    - ``"nps"``, ``"stickiness"``, ``"normal"`` (rows with ``value`` and ``se``):
      ``change ± z · sqrt(se_last² + se_this²)`` and the two-sided normal test,
      for independent samples (two months' answers, two months' days).

    Parameters
    ----------
    last, this : mapping or pandas.Series, or None
        Rows of a metric frame (``value`` and ``successes``/``trials`` or ``se``); None when missing.
    kind : str, optional
        One of :data:`CHANGE_KINDS`; inferred from the rows when omitted (rate when both have trials).
    alpha : float
        Two-sided level.

    Returns
    -------
    pandas.Series
        ``last_value``, ``this_value``, ``change``, ``change_low``, ``change_high``,
        ``p_value``, ``kind``; NaN where a row is missing or holds no data.
    """
    _check_alpha(alpha)
    if kind is not None and kind not in CHANGE_KINDS:
        raise ParameterError(f"kind={kind!r} is not a kind of change; use one of: {', '.join(CHANGE_KINDS)}")
    nan = float("nan")
    last_value = _get(last, "value")
    this_value = _get(this, "value")
    if kind is None:
        kind = "rate" if not (math.isnan(_get(last, "trials")) or math.isnan(_get(this, "trials"))) else "normal"
    out = {"last_value": last_value, "this_value": this_value, "change": this_value - last_value,
           "change_low": nan, "change_high": nan, "p_value": nan, "kind": kind}
    if kind == "rate":
        s_a, n_a, s_b, n_b = (_get(r, k) for r in (last, this) for k in ("successes", "trials"))
        if all(not math.isnan(x) for x in (s_a, n_a, s_b, n_b)) and n_a > 0 and n_b > 0:
            r = compare_rates(int(s_a), int(n_a), int(s_b), int(n_b), metric="rate", alpha=alpha)
            out.update(change=r.abs_effect, change_low=r.ci_low, change_high=r.ci_high, p_value=r.p_value)
    else:
        se = math.hypot(_get(last, "se"), _get(this, "se"))
        if not math.isnan(out["change"]) and not math.isnan(se):
            z = _z(alpha)
            out.update(change_low=out["change"] - z * se, change_high=out["change"] + z * se)
            out["p_value"] = (1.0 if out["change"] == 0 else 0.0) if se == 0 else float(
                2 * sps.norm.sf(abs(out["change"]) / se))
    return pd.Series(out)


def nps_change(last: Mapping, this: Mapping, *, alpha: float = 0.05) -> pd.Series:
    """Change of NPS between two independent samples (rows of :func:`nps`): points, normal interval.

    ``change = NPS_this - NPS_last``, ``SE = sqrt(SE_last² + SE_this²)``,
    interval ``change ± z · SE``; see :func:`row_change`.
    """
    return row_change(last, this, kind="nps", alpha=alpha)


def month_label(value: object) -> str:
    """A month as ``"YYYY-MM"`` from ``"2026-10"``, a date, a datetime or a pandas Timestamp."""
    if isinstance(value, str):
        text = value.strip()
        try:
            datetime.strptime(text[:7], "%Y-%m")
        except ValueError:
            raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10") from None
        if len(text) not in (7, 10):
            raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        return text[:7]
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return f"{value:%Y-%m}"
    raise ParameterError(f"month={value!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
