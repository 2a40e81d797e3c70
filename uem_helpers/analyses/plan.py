"""The annual plan: goals per metric, and a monthly scorecard of where each goal stands.

The plan is a YAML file (``plan:`` in ``uem.yml``)::

    start: 2026-01-01            # optional; default: January 1 of the earliest due date's year
    goals:
      - metric: nps              # a metric name the KPI values use
        baseline: 18             # where it stood when the plan was made
        target: 30               # where it should be by `due` (lower than baseline: lower is better)
        owner: 王敏               # Chinese or English names
        due: 2026-12-31
        notes: 推荐者减贬损者      # optional

The scorecard (:func:`scorecard`) reads monthly KPI values (one row per metric
and month: ``value``, ``low``, ``high``, and ``successes``/``trials`` for rates
or ``se`` for NPS and stickiness, as made by :mod:`uem_helpers.analyses.metrics`) and
gives per goal this month, last month, the change with its interval, the
progress from baseline to target against the time elapsed, and a status by
the rule of :func:`goal_status`.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import yaml

from uem_helpers.core.errors import ConfigError, ParameterError
from uem_helpers.core.formats import month as month_name, percent
from uem_helpers.core.i18n import _
from uem_helpers.analyses.metrics import month_label, row_change

#: Keys of one goal; the first five are required.
GOAL_KEYS = ("metric", "baseline", "target", "owner", "due", "notes")
REQUIRED_GOAL_KEYS = GOAL_KEYS[:5]
#: Keys of the plan file's top level.
PLAN_KEYS = ("start", "goals")
#: How far (in progress, 0.25 = a quarter of the way from baseline to target) a goal may lag
#: the time elapsed before it is off track.
OFF_TRACK_MARGIN = 0.25
STATUSES = ("on track", "at risk", "off track", "no data")
SCORECARD_COLUMNS = [
    "metric", "owner", "due", "days_to_due", "baseline", "target",
    "this_month", "this_month_low", "this_month_high", "last_month",
    "change", "change_low", "change_high", "progress", "expected_progress", "status", "reason",
]


@dataclass(frozen=True, eq=False)
class Plan:
    """An annual plan, validated.

    Attributes
    ----------
    goals : pandas.DataFrame
        One row per goal: ``metric``, ``baseline``, ``target`` (floats), ``owner``,
        ``due`` (:class:`datetime.date`), ``notes`` (empty string when not given).
    start : datetime.date
        When the plan started: the file's ``start:``, else January 1 of the year of the earliest due date.
    source : str or None
        The file it was read from.
    """

    goals: pd.DataFrame
    start: date
    source: str | None = None


def read_plan(path: str | Path, *, known_metrics: Iterable[str] | None = None) -> Plan:
    """Read and validate the annual plan (YAML, UTF-8 with or without BOM).

    Parameters
    ----------
    path : str or Path
        The plan file, e.g. ``data/sample/plan.yml``.
    known_metrics : iterable of str, optional
        Metric names the workbench can compute; a goal naming another metric is an error.

    Returns
    -------
    Plan

    Raises
    ------
    ConfigError
        The file is missing or not YAML, or a goal is wrong; the message names the
        goal (index and metric), the key, the value found and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("plan", str(path), "the plan file does not exist; set 'plan:' in the config to its path")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise ConfigError("plan", str(path), f"the file is not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        where = f"{exc.reason} at byte {exc.start}"
        raise ConfigError("plan", str(path), f"the file is not UTF-8 ({where}); save it as UTF-8") from None
    return plan_from_dict(raw, source=str(path), known_metrics=known_metrics)


def plan_from_dict(raw: object, *, source: str | None = None, known_metrics: Iterable[str] | None = None) -> Plan:
    """Validate a plan given as a dict (as read from YAML); see :func:`read_plan`.

    Parameters
    ----------
    raw : dict
        ``{"goals": [...], "start": ...}``.
    source : str, optional
        Where it came from, for messages.
    known_metrics : iterable of str, optional
        Allowed metric names.

    Returns
    -------
    Plan
    """
    if not isinstance(raw, Mapping):
        raise ConfigError("(top level)", raw, "the plan must be a mapping with a 'goals' list", source)
    for key in raw:
        if key not in PLAN_KEYS:
            raise ConfigError(str(key), raw[key], f"unknown key; the plan's keys are: {', '.join(PLAN_KEYS)}", source)
    goals = raw.get("goals")
    if not isinstance(goals, list) or not goals:
        raise ConfigError("goals", goals, "a list of goals, each with metric, baseline, target, owner and due", source)
    known = None if known_metrics is None else list(known_metrics)
    rows, seen = [], {}
    for i, goal in enumerate(goals):
        row = _goal(i, goal, source, known)
        if row["metric"] in seen:
            raise ConfigError(
                _where(i, row["metric"], "metric"), row["metric"],
                f"the metric already has a goal (goals[{seen[row['metric']]}]); give each metric one goal", source,
            )
        seen[row["metric"]] = i
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(GOAL_KEYS))
    earliest = min(frame["due"])
    if raw.get("start") is None:
        start = date(earliest.year, 1, 1)
    else:
        start = _date(raw["start"], "start", source)
        if start >= earliest:
            raise ConfigError("start", raw["start"], f"a date before the earliest due date ({earliest})", source)
    return Plan(goals=frame, start=start, source=source)


def scorecard(
    plan: Plan,
    values: pd.DataFrame | Mapping[str, pd.DataFrame],
    month: object,
    *,
    today: object = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Where each goal of the plan stands at the end of ``month``.

    Per goal:

    - ``this_month`` (with ``this_month_low``/``_high``) and ``last_month``: the
      metric's value in ``month`` and the month before.
    - ``change``, ``change_low``, ``change_high``: this month minus last month
      with its interval (:func:`uem_helpers.analyses.metrics.row_change`: Newcombe for
      rates, normal with ``sqrt(se1² + se2²)`` for NPS and stickiness).
    - ``progress = (this_month - baseline) / (target - baseline)``: 0 at the
      baseline, 1 at the target, negative when worse than the baseline; it works
      the same when lower is better (target below baseline, e.g. bounce).
    - ``expected_progress``: the share of the time from the plan's start to the
      end of the due day that has passed at the end of ``month`` (0 to 1).
    - ``status`` and ``reason``: :func:`goal_status`.
    - ``days_to_due``: days from ``today`` to ``due`` (negative when overdue).

    Parameters
    ----------
    plan : Plan
        From :func:`read_plan`.
    values : pandas.DataFrame or mapping of str to DataFrame
        Long frame with ``metric``, ``month`` (``"YYYY-MM"``), ``value`` and, as
        available, ``low``, ``high``, ``successes``, ``trials``, ``se``; or a
        mapping metric -> monthly frame of :mod:`uem_helpers.analyses.metrics`.
    month : str, date or pandas.Timestamp
        The month reported, e.g. ``"2026-10"``.
    today : date-like, optional
        Date ``days_to_due`` counts from; the last day of ``month`` when omitted,
        so a report of a month reads the same whenever it is run.
    alpha : float
        Two-sided level of the change's interval.

    Returns
    -------
    pandas.DataFrame
        One row per goal, in plan order, with :data:`SCORECARD_COLUMNS`.
    """
    label = month_label(month)
    year, mon = int(label[:4]), int(label[5:])
    month_end = date(year, mon, calendar.monthrange(year, mon)[1])
    previous = month_label(date(year, mon, 1) - timedelta(days=1))
    today = month_end if today is None else _date(today, "today", None, error=ParameterError)
    long = _long_values(values)
    rows = []
    for goal in plan.goals.itertuples(index=False):
        mine = long[long["metric"] == goal.metric]
        this, last = _row(mine, label), _row(mine, previous)
        expected = expected_progress(plan.start, goal.due, month_end)
        change = row_change(last, this, alpha=alpha)
        value = _num(this, "value")
        progress = (value - goal.baseline) / (goal.target - goal.baseline)
        status, reason = goal_status(
            progress, expected, change["change_low"], change["change_high"],
            higher_is_better=goal.target > goal.baseline,
            no_data=None if this is not None and not math.isnan(value) else (
                _("no value for {month}").format(month=month_name(label)) if len(mine)
                else _("no values for the metric '{metric}'").format(metric=goal.metric)
            ),
        )
        rows.append({
            "metric": goal.metric, "owner": goal.owner, "due": goal.due, "days_to_due": (goal.due - today).days,
            "baseline": goal.baseline, "target": goal.target,
            "this_month": value, "this_month_low": _num(this, "low"), "this_month_high": _num(this, "high"),
            "last_month": _num(last, "value"),
            "change": change["change"], "change_low": change["change_low"], "change_high": change["change_high"],
            "progress": progress, "expected_progress": expected, "status": status, "reason": reason,
        })
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def expected_progress(start: date, due: date, as_of: date) -> float:
    """Share of the plan's time that has passed at the end of the day ``as_of`` (0 to 1).

    ``(as_of + 1 day - start) / (due + 1 day - start)``, clipped to [0, 1]: the
    plan runs from the start of ``start`` to the end of ``due``.
    """
    total = (due - start).days + 1
    elapsed = (as_of - start).days + 1
    return min(max(elapsed / total, 0.0), 1.0)


def goal_status(
    progress: float,
    expected: float,
    change_low: float,
    change_high: float,
    *,
    higher_is_better: bool,
    no_data: str | None = None,
    margin: float = OFF_TRACK_MARGIN,
) -> tuple[str, str]:
    """The status of one goal, and the reason in words.

    The rules, checked in this order (the first that applies decides):

    =====================================================================  ===========
    condition                                                              status
    =====================================================================  ===========
    no value this month (``no_data`` says why)                             no data
    target reached: ``progress >= 1``                                      on track
    ahead of time: ``progress >= expected``                                on track
    far behind: ``progress < expected - margin`` (margin 0.25)             off track
    this month's change significantly in the wrong direction (its         off track
    interval lies wholly below 0 when higher is better, above 0 when
    lower is better)
    otherwise (behind, but by less than the margin, and not getting       at risk
    significantly worse)
    =====================================================================  ===========

    ``progress`` and ``expected`` are shares of the way from baseline to target
    and of the plan's time (:func:`scorecard`). An unknown change (no last
    month) never counts as significant.

    Parameters
    ----------
    progress : float
        ``(value - baseline) / (target - baseline)``.
    expected : float
        Share of the plan's time elapsed.
    change_low, change_high : float
        Interval of this month minus last month (NaN when unknown).
    higher_is_better : bool
        True when the target is above the baseline.
    no_data : str, optional
        Why there is no value this month; when given the status is "no data".
    margin : float
        How far progress may lag ``expected`` before the goal is off track.

    Returns
    -------
    tuple of str
        ``(status, reason)``; status is one of :data:`STATUSES`.
    """
    if no_data is not None:
        return "no data", no_data
    shown = {"progress": percent(progress), "expected": percent(expected), "margin": percent(margin)}
    if progress >= 1:
        return "on track", _("target reached (progress {progress})").format(**shown)
    if progress >= expected:
        return "on track", _("progress {progress} of the way to target vs {expected} of the time elapsed").format(
            **shown)
    if progress < expected - margin:
        return "off track", _("progress {progress} of the way to target vs {expected} of the time elapsed: more "
                              "than {margin} behind").format(**shown)
    wrong = change_high < 0 if higher_is_better else change_low > 0
    if wrong:  # NaN compares False, so an unknown change is never significant
        interval = {"low": f"{change_low:.3g}", "high": f"{change_high:.3g}", **shown}
        if higher_is_better:
            return "off track", _("progress {progress} of the way to target vs {expected} of the time elapsed, and "
                                  "it fell significantly this month (change interval {low} to {high})"
                                  ).format(**interval)
        return "off track", _("progress {progress} of the way to target vs {expected} of the time elapsed, and it "
                              "rose significantly this month (change interval {low} to {high})").format(**interval)
    return "at risk", _("progress {progress} of the way to target vs {expected} of the time elapsed: behind, by "
                        "less than {margin}").format(**shown)


# --- internals ---------------------------------------------------------------------------


def _where(i: int, metric: object, key: str) -> str:
    name = f" ({metric})" if isinstance(metric, str) and metric else ""
    return f"goals[{i}]{name}.{key}"


def _goal(i: int, goal: object, source: str | None, known: list[str] | None) -> dict:
    if not isinstance(goal, Mapping):
        raise ConfigError(f"goals[{i}]", goal, f"a mapping with the keys {', '.join(REQUIRED_GOAL_KEYS)}", source)
    metric = goal.get("metric")
    for key in goal:
        if key not in GOAL_KEYS:
            raise ConfigError(_where(i, metric, str(key)), goal[key],
                              f"unknown key; a goal's keys are: {', '.join(GOAL_KEYS)}", source)
    for key in REQUIRED_GOAL_KEYS:
        if goal.get(key) in (None, ""):
            raise ConfigError(_where(i, metric, key), goal.get(key), f"the goal needs the key '{key}'", source)
    if not isinstance(metric, str):
        raise ConfigError(_where(i, metric, "metric"), metric, "a metric name such as 'nps'", source)
    if known is not None and metric not in known:
        raise ConfigError(_where(i, metric, "metric"), metric, f"known metrics are: {', '.join(known)}", source)
    baseline = _number(goal["baseline"], _where(i, metric, "baseline"), source)
    target = _number(goal["target"], _where(i, metric, "target"), source)
    if target == baseline:
        raise ConfigError(_where(i, metric, "target"), goal["target"],
                          f"a target different from the baseline ({goal['baseline']}); otherwise progress is undefined",
                          source)
    owner = goal["owner"]
    if not isinstance(owner, str) or not owner.strip():
        raise ConfigError(_where(i, metric, "owner"), owner, "the owner's name (e.g. 王敏 or Li Qiang)", source)
    notes = goal.get("notes")
    return {
        "metric": metric, "baseline": baseline, "target": target, "owner": owner.strip(),
        "due": _date(goal["due"], _where(i, metric, "due"), source), "notes": "" if notes is None else str(notes),
    }


def _number(value: object, key: str, source: str | None) -> float:
    if isinstance(value, bool):
        raise ConfigError(key, value, "a number, e.g. 0.12 or 18", source)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "a number, e.g. 0.12 or 18", source) from None
    if not math.isfinite(number):
        raise ConfigError(key, value, "a finite number, e.g. 0.12 or 18", source)
    return number


def _date(value: object, key: str, source: str | None, *, error: type = ConfigError) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if error is ConfigError:
        raise ConfigError(key, value, "a date written as YYYY-MM-DD, e.g. 2026-12-31", source)
    raise error(f"{key}={value!r} is not a date; write it as YYYY-MM-DD")


def _long_values(values: pd.DataFrame | Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """KPI values as one long frame: metric, month, value and whichever of low/high/successes/trials/se exist."""
    if isinstance(values, Mapping):
        frames = []
        for metric, frame in values.items():
            if "month" not in frame.columns:
                raise ParameterError(f"values for '{metric}' have no 'month' column; compute them with by='month'")
            frames.append(frame.assign(metric=metric))
        values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["metric", "month", "value"])
    missing = [c for c in ("metric", "month", "value") if c not in values.columns]
    if missing:
        raise ParameterError(
            f"KPI values lack the column(s) {', '.join(missing)}; expected metric, month, value "
            f"(and low, high, successes, trials or se); got {', '.join(map(str, values.columns))}"
        )
    values = values.copy()
    values["month"] = [month_label(m) for m in values["month"]]
    return values


def _row(frame: pd.DataFrame, label: str) -> pd.Series | None:
    sel = frame[frame["month"] == label]
    if len(sel) > 1:
        metric = sel["metric"].iloc[0]
        raise ParameterError(
            f"KPI values hold {len(sel)} rows for '{metric}' in {label}; give one row per metric and month"
        )
    return sel.iloc[0] if len(sel) else None


def _num(row: pd.Series | None, key: str) -> float:
    if row is None or key not in row.index or pd.isna(row[key]):
        return float("nan")
    return float(row[key])


__all__ = ["Plan", "expected_progress", "goal_status", "plan_from_dict", "read_plan", "scorecard"]
