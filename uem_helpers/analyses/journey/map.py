"""Journey map: per touchpoint, how many users it reaches, how many leave there, how long they stay.

Definitions (issue #7)
----------------------
A **touchpoint** is an event name (a screen, a step, a contact); the config's
``journey.stages`` groups touchpoints into stages (discover, consider, ...).
Sessions, exits and dwell are those of :func:`uem_helpers.analyses.sessions.sessionize`:
they are computed on *all* events of the period, then read at the touchpoints.

- ``events``: events of the touchpoint in the period; ``sessions`` and
  ``users``: distinct sessions and users with at least one (users **reached**).
- ``exit_rate`` = session-ending events at the touchpoint / its events whose
  outcome the log shows, with a Wilson interval (``exit_low`` / ``exit_high``).
  ``exits`` counts those session-ending events; ``users_lost`` counts the distinct
  users with a session ending there. The last event of a **cut-off** session
  (still open when the data stops, :mod:`uem_helpers.analyses.sessions`) is
  neither an exit nor a stay: it is counted in ``cut_off`` and left out of both
  the numerator and the denominator of ``exit_rate``, so the page people were on
  when the export stopped does not look like a page they leave.
- **dwell** of an event = seconds to the next event of its session (none at the
  session's last event). Per touchpoint: ``mean_dwell_seconds`` with a Student-t
  interval (``dwell_low`` / ``dwell_high``: mean ± t(n-1)·s/√n, ``s`` the sample
  standard deviation, ``n`` the events with a dwell), ``median_dwell_seconds``,
  ``p90_dwell_seconds`` and ``hours_spent`` (total dwell in hours). Counts,
  sums, standard deviations and quantiles are computed in the engine, in one
  query; only the intervals are worked out on the small result.
- ``stage_users``: distinct users with any touchpoint of the stage;
  ``stage_share`` = the touchpoint's users / ``stage_users`` (Wilson interval).

Satisfaction
------------
NPS answers and feedback items carry an optional ``touchpoint`` tag; a tag is
linked to the touchpoint whose event name it equals. Per touchpoint:
``nps`` = %promoters (9-10) - %detractors (0-6), on the -100..100 scale, with
the usual standard error ``100·sqrt((p + d - (p - d)²) / n)`` (``p``, ``d`` the
promoter and detractor shares of the ``n`` responses, :func:`uem_helpers.analyses.metrics.nps_score`)
and the normal interval ``nps ± z·SE`` clipped to [-100, 100]; ``feedback_items`` and, when the feedback
has a ``rating``, the share of rated items with rating <= 2 (Wilson interval).
Answers and items are read in the period (``answered_at``, ``created_at``).
Tags that match no touchpoint of the map are named in the notes.

Bottlenecks
-----------
Users lost is dominated by the busiest pages (a product page with a normal
22% exit rate loses more users than anything else), so it cannot rank
bottlenecks. :func:`bottlenecks` ranks touchpoints by the **sum of two ranks**:
on the lower 95% bound of the exit rate and on the lower 95% bound of the mean
dwell (lower bounds, so a small touchpoint cannot top the list by chance).
Users lost and hours spent are shown beside the rank to size the prize.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from uem_helpers.core.formats import duration
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import _, label
from uem_helpers.analyses.metrics import DETRACTOR_MAX, PROMOTER_MIN, nps_score
from uem_helpers.core.period import in_period
from uem_helpers.analyses.sessions import Sessions
from uem_helpers.stats import wilson_ci

#: Columns of :func:`touchpoints`, in order.
TOUCHPOINT_COLUMNS = [
    "touchpoint", "events", "sessions", "users", "exits", "cut_off", "exit_rate", "exit_low", "exit_high", "users_lost",
    "mean_dwell_seconds", "dwell_low", "dwell_high", "median_dwell_seconds", "p90_dwell_seconds", "hours_spent",
]
#: Satisfaction columns of the journey map table.
SATISFACTION_COLUMNS = [
    "nps", "nps_low", "nps_high", "nps_responses", "feedback_items", "feedback_rated",
    "low_rating_share", "low_rating_low", "low_rating_high",
]
#: Columns of :attr:`JourneyMap.table`, in order.
MAP_COLUMNS = (
    ["stage", "touchpoint", "users", "stage_users", "stage_share", "stage_share_low", "stage_share_high"]
    + [c for c in TOUCHPOINT_COLUMNS if c not in ("touchpoint", "users")]
    + SATISFACTION_COLUMNS
)
#: Columns of :func:`bottlenecks`, in order.
BOTTLENECK_COLUMNS = [
    "rank", "touchpoint", "events", "exit_rate", "exit_low", "exit_high", "mean_dwell_seconds", "dwell_low",
    "dwell_high", "median_dwell_seconds", "users_lost", "hours_spent", "rank_by_exit", "rank_by_dwell", "score",
    "reason",
]
#: Touchpoints with fewer events are left out of the bottleneck ranking by default.
MIN_EVENTS = 30
#: Feedback ratings at or below this count as low.
LOW_RATING_MAX = 2

_COUNTS = ["events", "sessions", "users", "exits", "cut_off", "users_lost", "dwell_n"]


@dataclass(frozen=True)
class JourneyMap:
    """The journey map: one row per stage and touchpoint, and notes for the reader.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`MAP_COLUMNS`, stages and touchpoints in config order (see the module docstring).
    notes : list of str
        Sentences about what is missing or unmatched (no NPS table, tags matching no touchpoint, ...).
    """

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def matrix(self, value: str = "exit_rate") -> pd.DataFrame:
        """Stage x touchpoint grid of one column (NaN where a touchpoint is not in the stage), for a heatmap.

        Parameters
        ----------
        value : str
            A numeric column of :attr:`table`, e.g. ``"exit_rate"``, ``"stage_share"``, ``"median_dwell_seconds"``.
        """
        if value not in self.table.columns or value in ("stage", "touchpoint"):
            raise ParameterError(f"value={value!r} is not a column of the journey map; use one of: "
                                 + ", ".join(c for c in self.table.columns if c not in ("stage", "touchpoint")))
        stages = list(dict.fromkeys(self.table["stage"]))
        touchpoints = list(dict.fromkeys(self.table["touchpoint"]))
        grid = self.table.pivot(index="stage", columns="touchpoint", values=value)
        return grid.reindex(index=stages, columns=touchpoints).astype("float64")


def touchpoints(
    sessions: Sessions,
    *,
    touchpoints: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per touchpoint: reach, exits and dwell, with intervals (definitions in the module docstring).

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    touchpoints : sequence of str, optional
        Event names to report, in this order (a name without events gets a row of zeros);
        every event name, busiest first, when omitted.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOUCHPOINT_COLUMNS`.
    """
    names = None if touchpoints is None else _names(touchpoints, "touchpoints")
    t = _sessionized(sessions)
    if names is not None:
        t = t.filter(t.event.isin(names))
    raw = _measured(t.mutate(touchpoint=t.event), ["touchpoint"])
    out = _finish(raw, alpha)
    if names is not None:
        out = _reindexed(out, pd.DataFrame({"touchpoint": names}), ["touchpoint"], alpha)
    else:
        out = out.sort_values(["events", "touchpoint"], ascending=[False, True], kind="stable")
    return out[TOUCHPOINT_COLUMNS].reset_index(drop=True)


def journey_map(
    sessions: Sessions,
    stages: Mapping[str, Sequence[str]],
    *,
    nps: ibis.Table | None = None,
    feedback: ibis.Table | None = None,
    alpha: float = 0.05,
) -> JourneyMap:
    """Stages and touchpoints from the config, each with reach, exits, dwell and satisfaction.

    Parameters
    ----------
    sessions : Sessions
        The period's sessionized events (:func:`~uem_helpers.analyses.sessions.prepare_sessions`).
    stages : mapping of str to sequence of str
        Stage -> its touchpoint event names, in journey order (config ``journey.stages``).
    nps : ibis.Table, optional
        Canonical NPS answers; satisfaction by NPS is left out (NaN) without it.
    feedback : ibis.Table, optional
        Canonical feedback items; feedback counts are left out (NaN) without it.
    alpha
        As in :func:`touchpoints`.

    Returns
    -------
    JourneyMap
        ``table`` with columns :data:`MAP_COLUMNS` (one row per stage and touchpoint, config order)
        and ``notes``.
    """
    layout = _layout(stages)
    notes: list[str] = []
    t = _sessionized(sessions)
    stage_map = ibis.memtable(layout[["stage", "touchpoint"]])
    t = t.join(stage_map, t.event == stage_map.touchpoint)
    raw = _measured(t, ["stage", "touchpoint"])

    satisfaction, sat_columns = _satisfaction(nps, feedback, sessions.period_start, sessions.period_end, notes)
    if satisfaction is not None:  # tags of no touchpoint too (no stage): they are named in the notes
        raw = raw.merge(satisfaction.execute(), on="touchpoint", how="outer")

    measured = raw.loc[raw["stage"].notna(), ["stage", "touchpoint", *_metrics_names()]]
    table = _reindexed(_finish(measured, alpha), layout, ["stage", "touchpoint"], alpha)
    in_stages = t.select("stage", "user_id").distinct()  # a stage's distinct users: plain grouping, which spills
    stage_users = in_stages.group_by("stage").aggregate(users=in_stages.count()).execute().set_index("stage")["users"]
    table["stage_users"] = table["stage"].map(stage_users).fillna(0).astype("int64")
    table["stage_share"] = table["users"] / table["stage_users"].where(table["stage_users"] > 0)
    table["stage_share_low"], table["stage_share_high"] = wilson_ci(table["users"], table["stage_users"], alpha=alpha)

    tags = raw.dropna(subset=["touchpoint"]).drop_duplicates("touchpoint").set_index("touchpoint")
    table = table.join(_satisfaction_metrics(tags, sat_columns, alpha), on="touchpoint")
    for column in ("nps_responses", "feedback_items", "feedback_rated"):
        if column in sat_columns:  # the source is there: no answer or item is a count of 0
            table[column] = table[column].fillna(0).astype("int64")
    unmatched = sorted(set(tags.index) - set(layout["touchpoint"]))
    if unmatched:
        notes.append(
            _("Satisfaction tags that match no touchpoint of the journey map (not shown): {tags}.").format(
                tags=", ".join(unmatched))
        )
    silent = list(table.loc[table["events"] == 0, "touchpoint"].drop_duplicates())
    if silent:
        notes.append(_("No events in the period at: {touchpoints}.").format(
            touchpoints=", ".join(label(t) for t in silent)))
    return JourneyMap(table=table[MAP_COLUMNS].reset_index(drop=True), notes=notes)


def bottlenecks(
    touchpoint_table: pd.DataFrame,
    *,
    candidates: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    min_events: int = MIN_EVENTS,
) -> pd.DataFrame:
    """Rank touchpoints as bottlenecks: high exit rate and long dwell, both judged by their lower 95% bounds.

    ``score`` = rank on ``exit_low`` + rank on ``dwell_low`` (1 = highest; a missing
    bound ranks last); the lowest score is rank 1. Ties go to the higher exit bound,
    then the higher dwell bound, then the name. Users lost and hours spent size the prize.

    Parameters
    ----------
    touchpoint_table : pandas.DataFrame
        :func:`touchpoints` or :attr:`JourneyMap.table` (a touchpoint in several stages counts once).
    candidates : iterable of str, optional
        Only these touchpoints (config ``journey.bottleneck_candidates``); all when omitted or empty.
    exclude : iterable of str
        Touchpoints never ranked, e.g. goal events (leaving after ``order_success`` is not a loss;
        pass the last step of each configured funnel).
    min_events : int
        Touchpoints with fewer events are left out (named in ``.attrs["notes"]``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BOTTLENECK_COLUMNS`, best-ranked first; ``.attrs["notes"]`` lists sentences
        about touchpoints left out.
    """
    needed = ["touchpoint", "events", "exit_rate", "exit_low", "exit_high", "mean_dwell_seconds", "dwell_low",
              "dwell_high", "median_dwell_seconds", "users_lost", "hours_spent"]
    missing = [c for c in needed if c not in touchpoint_table.columns]
    if missing:
        raise ParameterError(
            f"bottlenecks needs the table of touchpoints() or journey_map(); missing column(s): {', '.join(missing)}"
        )
    if isinstance(min_events, bool) or not isinstance(min_events, int | np.integer) or min_events < 0:
        raise ParameterError(f"min_events={min_events!r} must be a whole number of 0 or more")
    rows = touchpoint_table[needed].drop_duplicates("touchpoint").copy()
    notes: list[str] = []
    excluded = set(_names(exclude, "exclude")) if exclude else set()
    rows = rows[~rows["touchpoint"].isin(excluded)]
    wanted = _names(candidates, "candidates") if candidates else None
    if wanted:
        absent = [c for c in wanted if c not in set(rows["touchpoint"]) and c not in excluded]
        if absent:
            notes.append(_("Bottleneck candidates without a row in the touchpoint table: {touchpoints}.").format(
                touchpoints=", ".join(label(c) for c in absent)))
        rows = rows[rows["touchpoint"].isin(wanted)]
    rows = rows[rows["events"] > 0]
    small = rows["events"] < min_events
    if small.any():
        notes.append(
            _("Left out of the bottleneck ranking, fewer than {minimum} events: {touchpoints}.").format(
                minimum=min_events, touchpoints=", ".join(
                    f"{label(n)} ({int(e)})" for n, e in zip(rows.loc[small, "touchpoint"], rows.loc[small, "events"])))
        )
    rows = rows[~small]
    rows["rank_by_exit"] = rows["exit_low"].rank(ascending=False, method="min", na_option="bottom")
    rows["rank_by_dwell"] = rows["dwell_low"].rank(ascending=False, method="min", na_option="bottom")
    rows["score"] = rows["rank_by_exit"] + rows["rank_by_dwell"]
    rows = rows.sort_values(
        ["score", "exit_low", "dwell_low", "touchpoint"], ascending=[True, False, False, True],
        na_position="last", kind="stable",
    )
    rows["rank"] = np.arange(1, len(rows) + 1)
    for column in ("rank_by_exit", "rank_by_dwell", "score", "rank"):
        rows[column] = rows[column].astype("int64")
    rows["reason"] = [_reason(r) for r in rows.itertuples(index=False)]
    out = rows[BOTTLENECK_COLUMNS].reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


# --- engine side -----------------------------------------------------------------------


def _sessionized(sessions: Sessions) -> ibis.Table:
    return sessions.table.select("user_id", "timestamp", "event", "session", "ends", "is_exit", "cut_off",
                                 "dwell_seconds")


def _measured(t: ibis.Table, keys: list[str]) -> pd.DataFrame:
    """The touchpoint aggregates of a sessionized table per ``keys`` (:func:`_metrics_names`).

    Counts, sums and dwell statistics come from one pass over the events. Distinct sessions and users
    are counted as groups: each (keys, user, session), then each (keys, user), then the keys, so that
    no distinct hash table or window has to hold the whole log at once (DuckDB spills plain grouping,
    not those). The two are separate queries, joined on their few rows here: as one query, their
    hash tables and the quantiles ran at once and out of a 14 GB limit at 120M events; apart, the
    grouping peaks at ~12 GB and the rest at ~3.
    """
    dwell = t.dwell_seconds
    flat = t.group_by(keys).aggregate(
        events=t.count(),
        exits=t.ends.cast("int64").sum(),
        cut_off=(t.is_exit & t.cut_off).cast("int64").sum(),
        dwell_n=dwell.count(),
        dwell_sum=dwell.sum(),
        dwell_sd=dwell.std(how="sample"),
        median_dwell_seconds=dwell.quantile(0.5),
        p90_dwell_seconds=dwell.quantile(0.9),
    )
    per_session = t.group_by([*keys, "user_id", "session"]).aggregate(_ends=t.ends.any())
    users = per_session.group_by([*keys, "user_id"]).aggregate(_sessions=per_session.count(),
                                                                _lost=per_session._ends.any())
    reach = users.group_by(keys).aggregate(sessions=users._sessions.sum(), users=users.count(),
                                           users_lost=users._lost.cast("int64").sum())
    return flat.execute().merge(reach.execute(), on=keys, how="inner")[[*keys, *_metrics_names()]]


def _metrics_names() -> list[str]:
    return ["events", "sessions", "users", "exits", "cut_off", "users_lost", "dwell_n", "dwell_sum", "dwell_sd",
            "median_dwell_seconds", "p90_dwell_seconds"]


def _satisfaction(nps, feedback, period_start, period_end, notes: list[str]):
    """Per touchpoint tag: NPS answer and feedback counts (an expression), and its columns."""
    parts, columns = [], []
    if nps is None:
        notes.append(_("No NPS table: satisfaction by NPS is not shown."))
    elif "touchpoint" not in nps.columns:
        notes.append(_("The NPS table has no 'touchpoint' column: NPS is not linked to touchpoints."))
    else:
        n = nps.filter(in_period(nps.answered_at, period_start, period_end) & nps.touchpoint.notnull())
        parts.append(n.group_by(touchpoint=n.touchpoint.cast("string")).aggregate(
            nps_responses=n.count(),
            promoters=(n.score >= PROMOTER_MIN).cast("int64").sum(),
            detractors=(n.score <= DETRACTOR_MAX).cast("int64").sum(),
        ))
        columns += ["nps_responses", "promoters", "detractors"]
    if feedback is None:
        notes.append(_("No feedback table: feedback is not linked to touchpoints."))
    elif "touchpoint" not in feedback.columns:
        notes.append(_("The feedback table has no 'touchpoint' column: feedback is not linked to touchpoints."))
    else:
        f = feedback.filter(in_period(feedback.created_at, period_start, period_end) & feedback.touchpoint.notnull())
        metrics = {"feedback_items": f.count()}
        if "rating" in f.columns:
            metrics["feedback_rated"] = f.rating.count()
            metrics["low_ratings"] = (f.rating <= LOW_RATING_MAX).cast("int64").sum()
        else:
            notes.append(_("The feedback table has no 'rating' column: the share of low ratings is not shown."))
        parts.append(f.group_by(touchpoint=f.touchpoint.cast("string")).aggregate(**metrics))
        columns += list(metrics)
    if not parts:
        return None, []
    sat = parts[0]
    if len(parts) == 2:
        other = parts[1]
        joined = sat.outer_join(other, sat.touchpoint == other.touchpoint)
        sat = joined.select(
            *[c for c in columns if c not in ("touchpoint",)],
            touchpoint=ibis.coalesce(joined.touchpoint, joined.touchpoint_right),
        )
    return sat, columns


# --- small frames ----------------------------------------------------------------------


def _finish(raw: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Rates, intervals and hours from the engine's counts and sums."""
    out = raw.copy()
    for column in _COUNTS:
        out[column] = out[column].fillna(0).astype("int64")
    for column in ("dwell_sum", "dwell_sd", "median_dwell_seconds", "p90_dwell_seconds"):
        out[column] = out[column].astype("float64")
    known = out["events"] - out["cut_off"]  # cut-off last events: neither exits nor stays
    out["exit_rate"] = out["exits"] / known.where(known > 0)
    out["exit_low"], out["exit_high"] = _wilson(out["exits"], known, alpha)
    n = out["dwell_n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, out["dwell_sum"].to_numpy() / n, np.nan)
        half = sps.t.ppf(1 - alpha / 2, n - 1) * out["dwell_sd"].to_numpy() / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    out["mean_dwell_seconds"] = mean
    out["dwell_low"], out["dwell_high"] = mean - half, mean + half
    out["hours_spent"] = out["dwell_sum"].fillna(0.0) / 3600
    return out


def _reindexed(out: pd.DataFrame, layout: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """``out`` on the rows of ``layout`` (in its order); rows without events get zeros and NaN."""
    merged = layout.merge(out.drop(columns=[c for c in layout.columns if c not in keys], errors="ignore"),
                          on=keys, how="left")
    blank = merged["events"].isna()
    if blank.any():
        for column in _COUNTS:
            merged[column] = merged[column].fillna(0).astype("int64")
        merged["hours_spent"] = merged["hours_spent"].fillna(0.0)
        merged["exit_low"], merged["exit_high"] = _wilson(merged["exits"], merged["events"] - merged["cut_off"], alpha)
    return merged


def _satisfaction_metrics(tags: pd.DataFrame, columns: list[str], alpha: float) -> pd.DataFrame:
    """NPS with its interval and feedback counts per touchpoint tag (NaN where a source is absent)."""
    out = pd.DataFrame(index=tags.index)
    tags = tags[columns].astype("float64")  # an outer join can bring counts back as objects
    z = sps.norm.ppf(1 - alpha / 2)
    if "nps_responses" in columns:
        n = tags["nps_responses"].fillna(0).astype("int64")
        out["nps"], se = nps_score(tags["promoters"].fillna(0), tags["detractors"].fillna(0), n)
        out["nps_low"] = (out["nps"] - z * se).clip(lower=-100)
        out["nps_high"] = (out["nps"] + z * se).clip(upper=100)
        out["nps_responses"] = n
    if "feedback_items" in columns:
        out["feedback_items"] = tags["feedback_items"].fillna(0).astype("int64")
    if "feedback_rated" in columns:
        rated = tags["feedback_rated"].fillna(0).astype("int64")
        low = tags["low_ratings"].fillna(0).astype("int64")
        out["feedback_rated"] = rated
        out["low_rating_share"] = low / rated.where(rated > 0)
        out["low_rating_low"], out["low_rating_high"] = _wilson(low, rated, alpha)
    for column in SATISFACTION_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    return out[SATISFACTION_COLUMNS]


def _wilson(successes: pd.Series, totals: pd.Series, alpha: float) -> tuple[pd.Series, pd.Series]:
    if len(totals) == 0:
        empty = pd.Series([], dtype="float64", index=totals.index)
        return empty, empty.copy()
    return wilson_ci(successes.astype("int64"), totals.astype("int64"), alpha=alpha)


def _layout(stages: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Stage, touchpoint rows in config order, checked."""
    if not isinstance(stages, Mapping) or not stages:
        raise ParameterError(
            f"stages must map each stage to its touchpoint events, e.g. {{'discover': ['app_open', 'search']}}; "
            f"got {stages!r}"
        )
    rows = []
    for stage, names in stages.items():
        for name in _names(names, f"stages[{stage!r}]"):
            rows.append({"stage": str(stage), "touchpoint": name})
    return pd.DataFrame(rows, columns=["stage", "touchpoint"]).drop_duplicates(ignore_index=True)


def _names(values, what: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ParameterError(f"{what} must be a list of event names; got {values!r}")
    names = list(values)
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad or not names:
        raise ParameterError(f"{what} must be a non-empty list of event names; got {values!r}")
    return list(dict.fromkeys(names))


def _ordinal(n: int) -> str:
    if n == 1:
        return ""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}-"


def _reason(row) -> str:
    """Why a touchpoint ranks where it does, in words."""
    exit_part = (
        f"{_ordinal(row.rank_by_exit)}highest exit rate ({row.exit_rate:.0%}, 95% CI {row.exit_low:.0%}"
        f"–{row.exit_high:.0%})"
    )
    if np.isnan(row.dwell_low):
        dwell_part = "too few dwell times for an interval"
    else:
        dwell_part = (
            f"{_ordinal(row.rank_by_dwell)}longest mean dwell ({duration(row.mean_dwell_seconds, minutes_from=120)}, 95% CI "
            f"{duration(row.dwell_low, minutes_from=120, unit=False)}–{duration(row.dwell_high, minutes_from=120)})"
        )
    return (
        f"{exit_part} and {dwell_part}; {int(row.users_lost):,} users left here, "
        f"{row.hours_spent:,.0f} hours spent"
    )

