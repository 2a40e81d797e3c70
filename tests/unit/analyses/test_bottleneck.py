"""Bottleneck ranking on a hand-made funnel readout."""

import pandas as pd
import pytest

from uem_helpers.analyses.bottleneck import rank_bottlenecks


def readout(lost, medians, entered=100):
    rows, reached = [], entered
    rows.append({"step_index": 1, "step": "s1", "entered": entered, "reached": entered, "lost": 0, "median_seconds": float("nan")})
    for i, (lo, med) in enumerate(zip(lost, medians), start=2):
        reached -= lo
        rows.append({"step_index": i, "step": f"s{i}", "entered": entered, "reached": reached, "lost": lo, "median_seconds": med})
    return pd.DataFrame(rows)


def test_worst_step_loses_most_and_is_slowest():
    b = rank_bottlenecks(readout(lost=[5, 30, 5], medians=[60, 300, 40]))
    assert b.step == "s3"
    assert b.lost == 30
    assert b.loss_share == pytest.approx(30 / 40)
    assert b.time_share == pytest.approx(300 / 400)
    assert b.ranking["step"].tolist() == ["s3", "s2", "s4"]
    assert b.ranking.set_index("step").loc["s4", "rank_by_time"] == 3
    assert "'s3'" in b.sentence() and "30 users" in b.sentence() and "5.0 min" in b.sentence()


def test_loss_and_time_are_weighed_equally():
    # s2 loses 60% of users but is quick; s3 loses 40% and holds users 90% of the time.
    b = rank_bottlenecks(readout(lost=[30, 20], medians=[10, 90]))
    assert b.ranking["score"].tolist() == pytest.approx([(0.4 + 0.9) / 2, (0.6 + 0.1) / 2])
    assert b.step == "s3"


def test_empty_funnel_is_a_clear_error():
    with pytest.raises(ValueError, match="no entered users"):
        rank_bottlenecks(readout(lost=[0, 0], medians=[float("nan")] * 2, entered=0))


def test_the_sentence_in_chinese_names_the_step_by_its_display_name():
    from uem_helpers.core.i18n import in_language

    b = rank_bottlenecks(readout(lost=[5, 30, 5], medians=[60, 300, 40]))
    assert b.sentence() == ("The bottleneck is 's3': it loses 30 users (75% of all drop-off) and takes a median 5.0 min "
                            "(75% of a typical completer's time).")
    with in_language("zh", {"s3": {"zh": "身份认证"}}):
        assert b.sentence() == ("瓶颈是“身份认证”：该步骤流失 30 名用户（占全部流失的 75%），耗时中位数为 5分钟"
                                "（占典型完成用户总耗时的 75%）。")
