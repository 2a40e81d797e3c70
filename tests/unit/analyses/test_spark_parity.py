"""Every event-level helper gives the same numbers on Spark as on DuckDB (issue #20).

One log on two engines: the bundled sample cut to its first :data:`LAST_USER` users by the same
Ibis filter on both backends (before anything is sessionized), and each helper called as its
benchmark case calls it (``benchmarks/cases_*.py``: the events with ``user_id``, ``timestamp``,
``event`` and ``platform``, so sessions come from the 30-minute gap rule), plus the churn
features. Counts must be identical and rates equal to a relative 1e-9; rows are compared after a
sort that does not depend on the engine's row order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from functools import cached_property

import pandas as pd
import pytest

from uem_helpers.analyses import cart, journey
from uem_helpers.analyses.churn import ChurnRule, as_of_instant, cutoffs, user_features
from uem_helpers.analyses.funnel import completion_times, funnel
from uem_helpers.analyses.metrics import bounce_rate, retention, stickiness
from uem_helpers.analyses.sessions import SessionRule, Sessions, prepare_sessions
from uem_helpers.core.config import load_config
from uem_helpers.data.engine import connect
from uem_helpers.data.sources import Dataset, load
from tests.conftest import CONFIG_PATH

pytestmark = pytest.mark.spark

#: The sample's user ids run from 0000001 to 0003000: the first 300 users (~32k events, ~1.7k carts).
LAST_USER = "0000300"
TABLES = ["events", "users", "carts", "nps", "feedback", "assignments"]
CONFIG = load_config(CONFIG_PATH)
OPENING, CHECKOUT = CONFIG.funnels["account_opening"], CONFIG.funnels["checkout"]
#: The journey's rule: the configured gap, ties at one instant in the touchpoints' order.
RULE = SessionRule.from_stages(CONFIG.sessions.gap, CONFIG.journey.stages)
SEGMENT = "platform"
#: The free-shipping launch and threshold the cart cases read.
LAUNCH, THRESHOLD = "2026-09-01", 99.0


class Side:
    """The cut sample on one backend, its tables cached there once for the module."""

    def __init__(self, con) -> None:
        # the contract checks have their own backend tests; here only the helpers are compared
        data = load(CONFIG, con=con, tables=TABLES, validate=False)
        self.cached = {name: t.filter(t.user_id <= LAST_USER).cache() for name, t in data.tables.items()}
        self.data = dataclasses.replace(data, tables=dict(self.cached))
        self.events = self.data["events"].select("user_id", "timestamp", "event", SEGMENT)

    def sessions(self, cache: bool = False) -> Sessions:
        """The events sessionized as the journey story does; the cached ones are made once per module."""
        return self.cached_sessions if cache else prepare_sessions(self.events, gap=RULE, keep=[SEGMENT])

    @cached_property
    def cached_sessions(self) -> Sessions:
        """The sessions materialised in the backend (``cache=True``), as the sessions and loops cases take them."""
        return prepare_sessions(self.events, gap=RULE, keep=[SEGMENT], cache=True)

    @cached_property
    def loops(self) -> pd.DataFrame:
        """The loops as the journey story asks for them, ranked (computed once: two cases read them)."""
        return journey.loops(self.sessions(cache=True), conversion_event=CHECKOUT.steps[-1],
                             goal_events=[OPENING.steps[-1], CHECKOUT.steps[-1]], segment_by=SEGMENT, min_users=10)

    def carts(self) -> cart.Carts:
        """The carts typed for the cart helpers, as each cart case prepares them."""
        return cart.prepare_carts(self.data["carts"])

    def release(self) -> None:
        if "cached_sessions" in vars(self):
            self.cached_sessions.table.release()
        for table in self.cached.values():
            table.release()


def _churn_features(side: Side):
    # tests/unit/analyses/churn/test_backends.py compares these (and the survival table) on the whole
    # sample; called the same way here so the cut log is covered too
    rule = ChurnRule.from_config(CONFIG)
    points = cutoffs(side.data, rule, as_of_instant("2026-10-31"))
    features = user_features(side.data, rule, points.validate, CONFIG)
    return {"features": features.to_frame(), "missing": features.missing}


#: Helper name -> the call on one side, with the arguments of its benchmark case.
CASES: dict[str, Callable[[Side], object]] = {
    # sessions: the whole sessionized table, so sessions, events per session and exits per event all agree
    "sessions": lambda s: s.sessions(cache=True).table.execute(),
    "funnel": lambda s: funnel(s.events, OPENING.steps, window=OPENING.window),
    "funnel_exclusion": lambda s: funnel(s.events, CHECKOUT.steps, window=CHECKOUT.window,
                                         exclude=["customer_service"]),
    "completion_times": lambda s: completion_times(s.events, OPENING.steps, window=OPENING.window),
    "transitions": lambda s: journey.transitions(s.sessions()),
    "paths": lambda s: journey.paths(s.sessions(), CONFIG.journey.start_event, max_steps=5, top_n=10),
    # loops: every number of every cycle; the order they are ranked in, and the rotations it names, apart
    "loops": lambda s: s.loops.drop(columns="same_cycle_as"),
    "loops_ranking": lambda s: s.loops[["loop", "same_cycle_as"]].assign(rank=range(len(s.loops))),
    "step_conversion_daily": lambda s: journey.step_conversion_daily(s.sessions(), CHECKOUT.steps),
    "journey_map": lambda s: journey.journey_map(s.sessions(), CONFIG.journey.stages, nps=s.data["nps"],
                                                 feedback=s.data["feedback"]).table,
    "sankey_links": lambda s: journey.sankey_links(s.sessions(), CONFIG.journey.start_event, max_steps=4, top_n=8),
    "segment_diff": lambda s: journey.segment_diff(s.sessions(), SEGMENT, "ios", "android"),
    "retention": lambda s: retention(s.events, weeks=8),
    "stickiness": lambda s: stickiness(s.events, by="month"),
    "bounce_rate": lambda s: bounce_rate(s.events, gap=RULE, by="month"),
    "cart_outcomes": lambda s: cart.cart_outcomes(s.carts()),
    "daily_abandonment": lambda s: cart.daily_abandonment(s.carts()),
    "abandonment_by_fee_share": lambda s: cart.abandonment_by_fee_share(s.carts()),
    "fee_share_fit": lambda s: cart.fee_share_fit(s.carts()),
    "threshold_bunching": lambda s: cart.threshold_bunching(s.carts(), THRESHOLD, LAUNCH),
    "policy_impact": lambda s: cart.policy_impact(s.carts(), LAUNCH),
    "conversion_drivers": lambda s: cart.conversion_drivers(s.carts(), s.events),
    "churn_features": _churn_features,
}


@pytest.fixture(scope="module")
def duckdb_side() -> Iterator[Side]:
    side = Side(connect())
    yield side
    side.release()


@pytest.fixture(scope="module")
def spark_side(spark_con) -> Iterator[Side]:
    side = Side(spark_con)
    yield side
    side.release()


def tables(result: object, name: str = "result") -> Iterator[tuple[str, pd.DataFrame]]:
    """A helper's result as named frames: a frame as it is, the scalars of a dataclass or dict as one row,
    a nested frame, dataclass or dict under its own name."""
    if isinstance(result, pd.DataFrame):
        yield name, result
        return
    items = dataclasses.asdict(result).items() if dataclasses.is_dataclass(result) else dict(result).items()
    scalars = {}
    for key, value in items:
        if isinstance(value, (pd.DataFrame, dict)):
            yield from tables(value, f"{name}.{key}")
        else:
            scalars[key] = value
    if scalars:
        yield name, pd.DataFrame([scalars])


def in_fixed_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by every column, the non-float ones first (their values are exact), on a fresh index;
    times in nanoseconds (the engines return them in different units, which says nothing of their values)."""
    named_index = any(n is not None for n in frame.index.names)
    frame = frame.reset_index() if named_index else frame.reset_index(drop=True)
    for column in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[ns]")
    exact = [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
    floats = [c for c in frame.columns if c not in exact]
    return frame.sort_values(exact + floats, kind="stable", na_position="last").reset_index(drop=True)


def assert_same(duck: object, spark: object) -> None:
    """Identical counts and labels, floats within a relative 1e-9, whatever the rows' order."""
    duck_parts, spark_parts = dict(tables(duck)), dict(tables(spark))
    assert list(spark_parts) == list(duck_parts)
    for name, frame in duck_parts.items():
        assert len(frame) > 0, f"{name}: no rows, nothing compared"
        pd.testing.assert_frame_equal(in_fixed_order(frame), in_fixed_order(spark_parts[name]), check_dtype=False,
                                      rtol=1e-9, atol=0, obj=name)


@pytest.mark.parametrize("helper", list(CASES))
def test_identical_on_duckdb_and_spark(helper, duckdb_side, spark_side):
    call = CASES[helper]
    assert_same(call(duckdb_side), call(spark_side))
