"""The journey charts' shared vocabulary: end names agree with the analyses; plotly text is inert."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from tests.unit.present.journey._charts import HOSTILE  # noqa: E402


def test_end_names_match_the_analyses():
    from uem_helpers.analyses.sessions import SESSION_END

    assert jp.SESSION_END == SESSION_END
    journey = pytest.importorskip("uem_helpers.analyses.journey")
    assert jp.USER_END == journey.USER_END


def test_plotly_text_masks_then_escapes():
    assert jp.plotly_text(HOSTILE) == '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt; 138****8000'
    assert jp.plotly_text("R&D") == "R&amp;D"
    assert jp.plotly_text(None) == "" and jp.plotly_text(float("nan")) == ""
