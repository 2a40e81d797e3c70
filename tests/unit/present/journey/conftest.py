"""Every journey chart test draws in the report style and closes its figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from uem_helpers.present import plots  # noqa: E402


@pytest.fixture(autouse=True)
def style():
    plots.use_report_style()
    yield
    plt.close("all")
