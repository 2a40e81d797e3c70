"""A hand-made month shared by the churn tests: six users around the cutoff 2026-10-01 00:00.

The rule: 10 days without an active event (app_open, open_start) is churn, a tenure of 5 days is
needed, the recent half is 3 days (the feature window W is 2026-09-25 00:00 to the cutoff).
Every feature value the tests expect is worked out next to the rows that make it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from uem_helpers.analyses.churn import ChurnRule
from uem_helpers.core.config import config_from_dict
from uem_helpers.data.sources import from_frames

CUTOFF = datetime(2026, 10, 1)
RULE = ChurnRule(inactive=timedelta(days=10), active_events=("app_open", "open_start"),
                 min_tenure=timedelta(days=5), trend=timedelta(days=3))

CHURN = {"inactive_days": 10, "active_events": ["app_open", "open_start"], "min_tenure_days": 5, "trend_days": 3,
         "payment_error": {"attempt": "payment", "success": "order_success"},
         "support_events": ["customer_service"], "complaint_max_rating": 2, "segments": ["segment", "platform"]}


def config(**churn):
    """The hand-made data's config; ``churn`` keys override the section (None drops a key)."""
    section = {k: v for k, v in {**CHURN, **churn}.items() if v is not None}
    return config_from_dict({
        "sources": {"events": {"path": "events.parquet"}},
        "funnels": {"account_opening": {"steps": ["open_start", "open_success"], "window": "1h"}},
        "sessions": {"gap": "30min"},
        "feedback_taxonomy": {"payment": ["支付", "payment"], "shipping": ["物流", "delivery"]},
        "churn": section,
    })


EVENT_ROWS = [
    # u1: signed up 09-01 (tenure 30 d). Active days counted back from the cutoff: 0 (09-30), 1 (09-29),
    # 2 (09-28), 3 (09-27 23:00 is 3 d 1 h back), 4 (09-26) -> 5 days, recent (days 0-2) 3, prior (3-5) 2.
    # Sessions (30 min gap): 09-26 12:00-12:05 (5 min), 09-27 23:00-23:05 (5), 09-28 09:00-09:05 (5),
    # 09-29 08:00 (0), 09-30 10:00-10:20 (20) -> 5 sessions, mean 7 min.
    ("u1", "2026-09-26 12:00:00", "app_open", "ios"),
    ("u1", "2026-09-26 12:04:00", "order_success", "ios"),  # a success before the attempt does not save it
    ("u1", "2026-09-26 12:05:00", "payment", "ios"),        # error 1 (prior half)
    ("u1", "2026-09-27 23:00:00", "app_open", "ios"),
    ("u1", "2026-09-27 23:05:00", "customer_service", "ios"),  # support contact 1
    ("u1", "2026-09-28 09:00:00", "app_open", "ios"),
    ("u1", "2026-09-28 09:01:00", "open_start", "ios"),     # funnel entered and completed a minute later
    ("u1", "2026-09-28 09:02:00", "open_success", "ios"),
    ("u1", "2026-09-28 09:05:00", "payment", "ios"),        # error 2 (recent): no success after it
    ("u1", "2026-09-29 08:00:00", "app_open", "ios"),
    ("u1", "2026-09-30 10:00:00", "app_open", "ios"),
    ("u1", "2026-09-30 10:10:00", "app_open", "ios"),       # last active: 13 h 50 min before the cutoff
    ("u1", "2026-09-30 10:15:00", "payment", "ios"),        # success at the same instant: no error
    ("u1", "2026-09-30 10:15:00", "order_success", "ios"),
    ("u1", "2026-09-30 10:20:00", "home_view", "ios"),
    ("u1", "2026-10-05 09:00:00", "app_open", "ios"),       # back after the cutoff: not churned
    # u2: signed up 09-20 (tenure 11 d); last active 09-22 10:00, 8 d 14 h back (before W, within 10 d).
    ("u2", "2026-09-22 10:00:00", "app_open", "web"),
    ("u2", "2026-10-02 10:00:00", "home_view", "web"),      # not an active event
    ("u2", "2026-10-11 00:00:00", "app_open", "web"),       # exactly 10 d after the cutoff: too late, churned
    # u3: signed up 09-27, tenure 4 d < 5: not eligible.
    ("u3", "2026-09-28 10:00:00", "app_open", "ios"),
    ("u3", "2026-10-03 10:00:00", "app_open", "ios"),
    # u4: not in users; last active 09-20 12:00, 10.5 d back: already gone, not eligible.
    ("u4", "2026-09-10 12:00:00", "app_open", "android"),
    ("u4", "2026-09-20 12:00:00", "app_open", "android"),
    # u5: not in users (tenure from the first active event, 09-01: 30 d); last active exactly 10 d back.
    ("u5", "2026-09-01 00:00:00", "app_open", "android"),
    ("u5", "2026-09-21 00:00:00", "app_open", "android"),
    ("u5", "2026-10-10 23:59:59", "app_open", "android"),   # one second inside the label window
    # u6: signed up 09-26 00:00, tenure exactly 5 d. Funnel entered 09-29 12:00, no success within 1 h: a failure;
    # the entry at 23:30 closes after the cutoff and is not judged.
    ("u6", "2026-09-29 12:00:00", "open_start", "android"),
    ("u6", "2026-09-30 23:30:00", "open_start", None),        # platform missing: the last known one is android
    ("u6", "2026-10-01 00:00:00", "app_open", "web"),        # at the cutoff: a label, not a feature
]

USERS = pd.DataFrame({
    "user_id": ["u1", "u2", "u3", "u6"],
    "signup_at": pd.to_datetime(["2026-09-01", "2026-09-20", "2026-09-27", "2026-09-26"]),
    "segment": ["returning", "new", "new", "new"],
})

CARTS = pd.DataFrame({
    "cart_id": ["c1", "c2", "c3", "c4"],
    "user_id": ["u1", "u1", "u1", "u6"],
    "created_at": pd.to_datetime(["2026-09-28 09:03", "2026-09-29 08:01", "2026-09-20 10:00", "2026-09-30 23:40"]),
    "cart_value": [10.0, 20.0, 30.0, 40.0],
    # c1 paid; c2 paid only after the cutoff (abandoned as of the cutoff); c3 before W; c4 never paid
    "checked_out_at": pd.to_datetime(["2026-09-28 09:04", "2026-10-02 10:00", None, None]),
})

NPS = pd.DataFrame({
    "response_id": ["r1", "r2", "r3", "r4", "r5"],
    "user_id": ["u2", "u2", "u2", "u6", "u6"],
    # u2: two answers at one instant, the greater id (r3, score 4) is the last: a detractor despite r2's 9
    "answered_at": pd.to_datetime(["2026-09-10 12:00", "2026-09-23 12:00", "2026-09-23 12:00", "2026-09-29 13:00",
                                   "2026-10-01 00:00"]),   # r5 at the cutoff: not seen
    "score": [10, 9, 4, 7, 0],
})

FEEDBACK = pd.DataFrame({
    "feedback_id": ["f1", "f2", "f3", "f4", "f5", "f6"],
    "created_at": pd.to_datetime(["2026-09-27 10:00", "2026-09-29 10:00", "2026-09-30 10:00", "2026-09-29 10:00",
                                  "2026-09-24 10:00", "2026-09-26 10:00"]),
    "channel": ["app"] * 6,
    "text": ["payment failed again", "delivery was slow", "物流太慢了", "great app", "hello", "hello"],
    "user_id": ["u1", "u1", "u1", "u6", "u2", "u2"],
    # f1 a rated complaint about payment; f2 rated 5: no complaint; f3 unrated, shipping: a complaint;
    # f4 unrated, no theme: none; f5 before W; f6 rated 2 without a theme: a complaint without a topic
    "rating": pd.array([1, 5, None, None, 2, 2], dtype="Int64"),
})


def events(rows=EVENT_ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"]).assign(
        timestamp=lambda f: pd.to_datetime(f["timestamp"]))


def dataset(con=None, *, extra_events=(), tables=("users", "carts", "nps", "feedback"), **replace):
    """The hand-made tables (``replace`` swaps a table's frame), with ``extra_events`` planted."""
    frames = {"events": events([*EVENT_ROWS, *extra_events]), "users": USERS, "carts": CARTS, "nps": NPS,
              "feedback": FEEDBACK, **replace}
    return from_frames({name: frame for name, frame in frames.items() if name == "events" or name in tables},
                       con=con)
