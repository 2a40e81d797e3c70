"""The incident watch in words: dated incidents by conversions lost with their interval and method; short periods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uem_helpers.analyses.journey import watch_incidents
from uem_helpers.present.journey import incident_finding, incidents_table
from uem_helpers.stories.journey import JourneyAnalysis


def _analysis(watch) -> JourneyAnalysis:
    return JourneyAnalysis(
        period_start="2026-08-01", period_end="2026-09-29", start_event=None, max_steps=4, segment_by=None,
        segment_a=None, segment_b=None, conversion_event="paid", incident_steps=["pay", "paid"], events=1,
        sessions=1, users=1, journey=None, bottlenecks=None, transitions=None, paths=None, sankey=None, loops=None,
        segment_diff=None, p_chart=watch.chart, incidents=watch.incidents, shifts=watch.shifts,
        alarm_chart=watch.alarm_chart, notes={"incidents": " ".join(watch.notes)} if watch.notes else {})


def _daily(x, n, step):
    d = pd.DataFrame({"date": pd.date_range("2026-08-01", periods=len(n)), "step_index": 1, "step": step,
                      "trials": n, "successes": x})
    return d.assign(rate=d["successes"] / d["trials"])


def test_incidents_read_with_range_interval_and_method_largest_loss_first():
    n = np.full(60, 100)
    small, big = np.full(60, 80), np.full(60, 80)
    small[10] = 50  # one sharp day, 30 conversions lost
    big[30:35] = 30  # five days at 30%, 250 lost
    errors = np.full(60, 3)
    errors[40:50] = 15
    watch = watch_incidents(pd.concat([_daily(small, n, "cart → pay"), _daily(big, n, "pay → paid")]),
                            _daily(errors, n, "payment_error"))
    text = incident_finding(_analysis(watch))
    assert text.startswith("**2** possible incident(s), largest loss first: pay → paid from 2026-08-31 to 2026-09-04: "
                           "30% against a usual 80% (−50.0 pts, 95% CI ")
    assert "500 attempts, about 250 conversions lost; sharp day + sustained shift); cart → pay on 2026-08-11" in text
    assert "Alarm events rose: sessions with **payment\\_error** from 2026-09-10 to 2026-09-19: 15.0% against a usual 3.0%" in text
    table = incidents_table(_analysis(watch))
    assert table["Step or alarm event"].tolist() == ["pay → paid", "cart → pay", "payment_error"]
    assert table["Conversions lost"].tolist() == ["250", "30", ""]


def test_a_short_period_says_what_the_watch_needs_instead_of_no_incident():
    watch = watch_incidents(_daily(np.array([4]), np.array([5]), "pay → paid"))
    text = incident_finding(_analysis(watch))
    assert text == "The incident watch needs at least 14 days of data, 7 for sharp days alone; this period has 1."
    assert "no incident" not in text


def test_a_long_list_names_the_three_largest_and_counts_the_rest_in_the_table():
    n = np.full(60, 100)
    steps = []
    for k, low in enumerate([30, 40, 50, 55, 60]):  # five steps, each with one sharp day; losses 50, 40, 30, 25, 20
        x = np.full(60, 80)
        x[5 + 10 * k] = low
        steps.append(_daily(x, n, f"s{k} → s{k + 1}"))
    watch = watch_incidents(pd.concat(steps))
    text = incident_finding(_analysis(watch))
    assert text.startswith("**5** possible incident(s), largest loss first: s0 → s1 on 2026-08-06")
    assert "s2 → s3 on 2026-08-26" in text and "s3 → s4" not in text and "s4 → s5" not in text
    assert "shift), and 2 more in the incidents table. A sharp day" in text
    assert len(incidents_table(_analysis(watch))) == 5
