"""Incident watch p-chart: the days below the control limits are marked and dated; the step choice is checked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.present import journey as jp  # noqa: E402
from uem_helpers.core.errors import ParameterError  # noqa: E402
from tests.unit.present.journey._charts import texts  # noqa: E402


def _chart() -> pd.DataFrame:
    """Ten days of 100 payments each; 75% convert, except 15% on 2026-09-18 and 2026-09-19."""
    dates = pd.date_range("2026-09-14", periods=10, freq="D")
    successes = np.array([75, 75, 75, 75, 15, 15, 75, 75, 75, 75])
    center = successes.sum() / 1000  # 0.63
    half = 3 * np.sqrt(center * (1 - center) / 100)
    rate = successes / 100
    outside = np.where(rate < center - half, "below", None)
    return pd.DataFrame({"date": dates.date, "step": "payment → order_success", "trials": 100,
                         "successes": successes, "rate": rate, "center": center, "lcl": center - half,
                         "ucl": center + half, "outside": outside})


def test_p_chart_marks_and_dates_the_days_below_the_limits():
    ax = jp.p_chart(_chart())
    assert ax.get_title() == "'payment → order_success': 2 days below the control limits (2026-09-18–09-19)"
    assert "2026-09-18–09-19" in texts(ax)
    below = [c for c in ax.collections if c.get_label() == "below the limits"][0]
    np.testing.assert_allclose(below.get_offsets()[:, 1], [0.15, 0.15])
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def test_p_chart_step_choice_is_checked():
    two = pd.concat([_chart(), _chart().assign(step="cart → checkout")])
    with pytest.raises(ParameterError, match="pass step= one of: payment → order_success, cart → checkout"):
        jp.p_chart(two)
    with pytest.raises(ParameterError, match="step='x' is not in the chart"):
        jp.p_chart(two, "x")
    calm = jp.p_chart(two.assign(outside=None), "cart → checkout")
    assert calm.get_title() == "'cart → checkout': no day below the control limits"


def test_a_sustained_shift_is_shaded_and_named_in_the_title():
    shifts = pd.DataFrame({"step": ["payment → order_success", "cart → checkout"],
                           "first_date": pd.to_datetime(["2026-09-17", "2026-09-14"]),
                           "last_date": pd.to_datetime(["2026-09-20", "2026-09-15"])})
    ax = jp.p_chart(_chart(), shifts=shifts)
    assert ax.get_title() == ("'payment → order_success': sustained drop 2026-09-17–09-20; "
                              "2 days below the control limits")
    shaded = [p for p in ax.patches if p.get_label() == "sustained shift"]
    assert len(shaded) == 1  # only the drawn step's run
    x0, x1 = shaded[0].get_x(), shaded[0].get_x() + shaded[0].get_width()
    days = matplotlib.dates.num2date
    assert (f"{days(x0):%Y-%m-%d %H}", f"{days(x1):%Y-%m-%d %H}") == ("2026-09-16 12", "2026-09-20 12")
