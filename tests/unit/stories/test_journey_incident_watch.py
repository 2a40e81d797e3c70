"""The journey story runs the incident watch from the config: the funnel's steps and journey.alarm_events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uem_helpers.core.config import config_from_dict
from uem_helpers.data.sources import from_frames
from uem_helpers.present.journey import incident_finding
from uem_helpers.stories.journey import analyse_journey


def _log(days: int) -> pd.DataFrame:
    """Six payers a day, one session each: 5 of 6 pay normally; from day 20 to 33 one of 6 pays and 3 of 6 see an error."""
    rows = []
    for d in range(days):
        bad = 20 <= d <= 33
        for i in range(6):
            t = pd.Timestamp("2025-01-01 10:00") + pd.Timedelta(days=d, minutes=40 * i)
            user = f"{d}-{i}"
            rows += [(user, t, "cart"), (user, t + pd.Timedelta(seconds=5), "pay")]
            if (i < 1) if bad else (i < 5):
                rows.append((user, t + pd.Timedelta(seconds=10), "paid"))
            if bad and i >= 3 or (not bad and i == 0 and d % 10 == 0):
                rows.append((user, t + pd.Timedelta(seconds=20), "payment_error"))
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])


def _config():
    return config_from_dict({"sources": {"events": {"path": "events.parquet"}},
                             "funnels": {"checkout": {"steps": ["cart", "pay", "paid"]}},
                             "journey": {"alarm_events": ["payment_error"]}})


def test_the_story_finds_the_drop_and_the_error_rise_over_their_weeks():
    a = analyse_journey(from_frames({"events": _log(60)}), _config())
    inc = a.incidents
    pay = inc[(inc["kind"] == "step") & (inc["step"] == "pay → paid")].iloc[0]
    assert (pay["first_date"], pay["last_date"]) == (pd.Timestamp("2025-01-21"), pd.Timestamp("2025-02-03"))
    assert pay["rate"] == np.float64(14 / 84) and "sustained shift" in pay["method"]
    error = inc[inc["kind"] == "alarm event"].iloc[0]
    assert error["step"] == "payment_error" and error["first_date"] <= pd.Timestamp("2025-01-22")
    assert a.shifts is not None and a.alarm_chart is not None
    assert incident_finding(a).startswith("**1** possible incident(s), largest loss first: pay → paid from "
                                          "2025-01-21 to 2025-02-03")


def test_a_one_day_period_says_what_the_watch_needs():
    a = analyse_journey(from_frames({"events": _log(1)}), _config())
    assert a.incidents is None
    assert incident_finding(a) == ("The incident watch needs at least 14 days of data, 7 for sharp days alone; "
                                   "this period has 1.")
