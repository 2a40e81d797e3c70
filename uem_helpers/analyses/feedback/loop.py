"""The feedback loop: first reply, resolution, the SLA, and the open backlog by age, per channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd

from uem_helpers.analyses.feedback._common import _REQUIRED, _month, _require
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.formats import duration, instant, percent
from uem_helpers.core.i18n import N_, _
from uem_helpers.core.period import in_period, parse_period, period_bounds, to_datetime
from uem_helpers.stats import wilson_ci


#: Backlog age buckets: label and upper bound in days (the last is open-ended).
AGE_BUCKETS = ((N_("<1d"), 1.0), (N_("1-3d"), 3.0), (N_("3-7d"), 7.0), (N_(">7d"), np.inf))


#: Channel label of the all-channels rows in loop metrics.
ALL_CHANNELS = N_("all")


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
            return _("No feedback was created in the period.")
        hours = f"{self.sla_hours:g}"
        reply = (_("median first reply {median} (p90 {p90})").format(
                     median=duration(3600 * row["reply_median_h"]), p90=duration(3600 * row["reply_p90_h"]))
                 if row["replied"] else _("no item answered yet"))
        sla = (_("{share} answered within {hours} h (95% CI {low}-{high})").format(
                   share=percent(row["within_sla_share"]), hours=hours, low=percent(row["within_sla_low"]),
                   high=percent(row["within_sla_high"]))
               if row["due"] else _("no item past its {hours} h deadline yet").format(hours=hours))
        return _("{items} items: {reply}; {sla}; {resolved} resolved; {open} open at {as_of}.").format(
            items=f"{int(row['items']):,}", reply=reply, sla=sla, resolved=percent(row["resolved_share"]),
            open=f"{int(row['open_backlog']):,}", as_of=instant(self.as_of))


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
    edges = [0.0, *[b for _age, b in AGE_BUCKETS]]
    backlog_rows["age"] = pd.cut(age_days.clip(lower=0), edges, right=False, labels=[a for a, _end in AGE_BUCKETS])
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
    ages = [a for a, _end in AGE_BUCKETS]
    frames = []
    for channel in [ALL_CHANNELS, *channels]:
        part = rows if channel == ALL_CHANNELS else rows[rows["channel"] == channel]
        grouped = part.groupby("age", observed=False).agg(items=("age", "size"), unreplied=("unreplied", "sum"))
        grouped = grouped.reindex(ages, fill_value=0)
        frames.append(pd.DataFrame({"channel": channel, "age": ages, "items": grouped["items"].astype(int).to_numpy(),
                                    "unreplied": grouped["unreplied"].astype(int).to_numpy()}))
    return pd.concat(frames, ignore_index=True)
