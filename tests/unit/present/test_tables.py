"""Report tables show percentages, minutes and intervals, not raw floats."""

import pandas as pd

from uem_helpers.analyses.bottleneck import rank_bottlenecks
from uem_helpers.present.tables import bottleneck_table, step_changes_table


def test_bottleneck_table_formats_shares_and_minutes():
    readout = pd.DataFrame({
        "step_index": [1, 2, 3], "step": ["a", "<b>", "c"], "entered": [100] * 3, "reached": [100, 70, 60],
        "lost": [0, 30, 10], "median_seconds": [float("nan"), 300.0, 60.0],
    })
    table = bottleneck_table(rank_bottlenecks(readout))
    assert table.index.tolist() == ["2. <b>", "3. c"]
    assert table.iloc[0].tolist() == ["30", "75%", "5.0 min", "83%", 1, 1]
    assert "&lt;b&gt;" in table.to_html() and "<b>" not in table.to_html().replace("<tbody>", "")


def test_step_changes_table_formats_points_and_p_values():
    steps = pd.DataFrame({"step_index": [2], "step": ["v"], "value_a": [0.6917], "value_b": [0.9191],
                          "abs_effect": [0.2273], "ci_low": [0.1893], "ci_high": [0.2639], "p_value": [4.9e-27]})
    row = step_changes_table(steps).iloc[0].tolist()
    assert row == ["69.2%", "91.9%", "+22.7", "+18.9 to +26.4", "< 0.001"]
