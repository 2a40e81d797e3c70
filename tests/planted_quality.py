"""A small log with every data-quality problem planted once, shared by the data, present and e2e tests.

Each planted row carries a comment saying which check it trips; the counts it
gives are written out in ``tests/unit/data/test_quality.py``.
"""

from __future__ import annotations

import pandas as pd

BIDI = "\u202e"  # right-to-left override
ZERO_WIDTH = "\u200b"  # zero-width space


def planted_frames() -> dict[str, pd.DataFrame]:
    """Events, carts, NPS, feedback and assignments of four users, with the problems planted."""
    events = pd.DataFrame(
        [
            ("u1", "2026-10-01 10:00:00", "app_open", "s1"),
            ("u1", "2026-10-01 10:00:00", "app_open", "s1"),   # exact duplicate row
            ("u1", "2026-10-01 10:00:00", "search", "s1"),     # tie with the two above
            ("u2", "2026-10-01 11:00:00", "app_open", "s1"),   # s1 now has two users
            ("u3", "1970-01-01 08:00:00", "app_open", "s3"),   # an epoch default
            ("u3", "2026-10-02 09:00:00", "app_open", "s4"),
            ("u4", "2026-10-31 23:50:00", "app_open", "s5"),   # the data ends 10 minutes later
            ("u4", "2026-11-01 00:00:00", "search", "s5"),     # outside October
        ],
        columns=["user_id", "timestamp", "event", "session_id"],
    )
    carts = pd.DataFrame({
        "cart_id": ["c1", "c2", "c3"], "user_id": ["u1", "u2", "u3"],
        "created_at": ["2026-10-01 10:00:00", "2026-10-01 11:00:00", "2026-10-02 09:00:00"],
        "checked_out_at": ["2026-10-01 10:05:00", "2026-10-01 10:30:00", None],  # c2 before its cart
        "cart_value": [100.0, 50.0, 20.0],
    })
    nps = pd.DataFrame({"response_id": ["r1", "r2"], "user_id": ["u1", "u3"],
                        "answered_at": ["2026-10-01 09:00:00", "2026-10-03 09:00:00"],  # r1 before u1's first event
                        "score": [9, 3]})
    feedback = pd.DataFrame({"feedback_id": ["f1", "f2"], "created_at": ["2026-10-01 12:00:00"] * 2,
                             "channel": ["app", "app"],
                             "text": [f"good{BIDI}txt.exe", f"fi{ZERO_WIDTH}ne"],  # a bidi override, a zero-width space
                             "user_id": ["u1", "u2"]})
    assignments = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "experiment": ["x", "x", "x"],
                                "variant": ["control", "treatment", "control"],  # u1 in both variants
                                "assigned_at": ["2026-10-01 00:00:00"] * 3})
    return {"events": events, "carts": carts, "nps": nps, "feedback": feedback, "assignments": assignments}
