"""The journey's next steps send the reader to feedback only when feedback is tagged with the touchpoint."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from uem_helpers.analyses.journey import JourneyMap
from uem_helpers.present.journey import next_steps


def analysis(feedback_items):
    table = pd.DataFrame({"stage": ["pay"], "touchpoint": ["payment_attempt"], "feedback_items": [feedback_items]})
    return SimpleNamespace(has_data=True, journey=JourneyMap(table=table), loops=None, incidents=None,
                           conversion_event=None,
                           bottlenecks=pd.DataFrame({"touchpoint": ["payment_attempt"]}))


def test_without_a_feedback_table_the_advice_is_to_test_a_change():
    text = next_steps(analysis(float("nan")))
    assert "feedback" not in text
    assert text.endswith("(the top bottleneck). Test a change on a share of users.")


def test_with_tagged_feedback_the_advice_names_how_many_items_to_read():
    assert next_steps(analysis(12.0)).endswith(
        "(the top bottleneck). Read the 12 feedback items tagged with it, then test a change on a share of users.")
