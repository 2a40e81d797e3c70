"""Feedback helpers: keywords and classifier on Chinese and English, known answers for priority and the loop,
and recovery of the sample's planted feedback truth (the September payment spike)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from uem_helpers.analyses import feedback as fb
from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ConfigError, ContractError, ParameterError
from uem_helpers.data.sources import from_frames, load
from uem_helpers.stats import wilson_ci

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

TRUTH = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["feedback"]
TAXONOMY = load_config(CONFIG_PATH).feedback_taxonomy


def _feedback(rows, columns=("created_at", "channel", "text", "category", "rating")) -> pd.DataFrame:
    """A feedback frame from tuples of ``columns``; ids FB0, FB1, ..."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    frame.insert(0, "feedback_id", [f"FB{i}" for i in range(len(frame))])
    for column in ("created_at", "first_reply_at", "resolved_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    if "rating" in frame:
        frame["rating"] = frame["rating"].astype("Int64")
    return frame


def _table(frame: pd.DataFrame, con=None):
    return from_frames({"feedback": frame}, con=con)["feedback"]


@pytest.fixture(scope="module")
def sample():
    config = load_config(CONFIG_PATH)
    ds = load(config, tables=["feedback"])
    return ds, fb.classify(ds["feedback"], config.feedback_taxonomy)


# --- keyword matcher ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("运费太贵，能不能包邮？", "shipping"),                      # Chinese keyword as a substring, no segmenter
    ("买了运费险还是要付运费", "shipping"),                      # 运费 inside a longer word still counts
    ("支付宝付款一直转圈", "payment"),                           # 支付 inside 支付宝, 付款
    ("开户时实名认证失败", "account_opening"),
    ("App很卡顿，打开就闪退", "app_performance"),
    ("PAYMENT failed twice", "payment"),                         # English: case-insensitive
    ("The app crashes on start", "app_performance"),             # English ending: crash -> crashes
    ("refunded after a week", "payment"),                        # refund -> refunded
    ("payment失败了", "payment"),                                 # English word next to Chinese
    ("ＰＡＹＭＥＮＴ failed", "payment"),                          # full-width letters are normalised
    ("付款了但物流没更新，支付失败", "payment"),                   # most hits wins: payment 2, shipping 1
    ("快递太慢了", "shipping"),                                   # tie 1-1 with 慢: taxonomy order (shipping first)
    ("客服回复太慢", "customer_service"),                          # customer_service 2 beats app_performance 1
])
def test_keywords_find_chinese_and_english(text, expected):
    assert fb.keyword_categories([text], TAXONOMY)["category"].tolist() == [expected]


@pytest.mark.parametrize("text", [
    "运动鞋很好看",                # 运动 is not 运费: no false shipping hit
    "款式很好看，颜色正",           # 款 alone is not 付款 / 扣款
    "My accountant liked it",     # account is a whole word only
    "It loads slowly",            # slow + ly is not an allowed ending
    "Very supportive staff",      # support + ive neither
    "sizeable discount, thanks",  # size + able neither
    "",
    None,
])
def test_keywords_negatives_stay_unclassified(text):
    out = fb.keyword_categories([text], TAXONOMY)
    assert out["category"].tolist() == [fb.UNCLASSIFIED]
    assert out["hits"].tolist() == [0]


def test_short_chinese_keyword_limit_is_documented_behaviour():
    # 慢 matches inside 慢慢来 ("take your time"): the known limit of substring matching (module docstring);
    # a human label or the classifier is what corrects such items.
    assert fb.keyword_categories(["慢慢来，不着急"], TAXONOMY)["category"].tolist() == ["app_performance"]


def test_keyword_hits_count_every_occurrence_and_keep_the_index():
    texts = pd.Series(["运费太贵，买一件也要付运费", "shipping and delivery were slow"], index=[10, 20])
    out = fb.keyword_categories(texts, TAXONOMY)
    assert out.index.tolist() == [10, 20]
    assert out["hits"].tolist() == [2, 2]  # 运费 twice; shipping + delivery (slow is 1 for app_performance)
    assert out["category"].tolist() == ["shipping", "shipping"]


@pytest.mark.parametrize("taxonomy", [{}, {"payment": []}, {"payment": "支付"}, {"payment": [" "]}])
def test_bad_taxonomy_names_the_key(taxonomy):
    with pytest.raises(ConfigError, match="feedback_taxonomy"):
        fb.keyword_categories(["支付失败"], taxonomy)


# --- classifier ---------------------------------------------------------------------------

# Wordings the taxonomy's keywords miss (退款 / 到账 / parcel ...), so the n-gram classifier can beat them.
_PAY_ZH = ["钱扣了订单没出来{}", "退款还没到账{}", "银行卡被多扣了{}钱"]
_SHIP_ZH = ["包裹{}天了还没到", "东西寄丢了{}", "签收了却没收到{}"]
_PAY_EN = ["money was taken {} times but no order", "still waiting for my money back, day {}"]
_SHIP_EN = ["parcel {} never arrived", "the package has been stuck for {} days"]


def _labelled_items(n_per_template: int = 8) -> pd.DataFrame:
    rows = []
    for label, templates in (("payment", _PAY_ZH + _PAY_EN), ("shipping", _SHIP_ZH + _SHIP_EN)):
        for t in templates:
            for i in range(n_per_template):
                rows.append(("2026-09-01 10:00", "app", t.format(i + 2), label, 3))
    return _feedback(rows)


def test_classifier_beats_keywords_on_chinese_and_english_and_labels_the_rest():
    labelled = _labelled_items()
    unlabelled = _feedback([("2026-09-02 10:00", "app", "退款一直没到账", None, None),
                            ("2026-09-02 10:00", "app", "my parcel never arrived", None, None),
                            ("2026-09-02 10:00", "app", "东西寄丢了，怎么办", None, None),
                            ("2026-09-02 10:00", "app", "money was taken twice", None, None)])
    unlabelled["feedback_id"] = [f"U{i}" for i in range(len(unlabelled))]
    frame = pd.concat([labelled, unlabelled], ignore_index=True)
    out = fb.classify(_table(frame), TAXONOMY)
    check = out.check
    assert check.n_labels == check.n_test == len(labelled) == 80
    assert check.used and check.accuracy > check.keyword_accuracy
    low, high = wilson_ci(round(check.accuracy * check.n_test), check.n_test)
    assert (check.accuracy_low, check.accuracy_high) == pytest.approx((low, high))
    assert check.keyword_accuracy == pytest.approx(0.0)  # none of these wordings holds a keyword
    rest = out.items.set_index("feedback_id").loc[unlabelled["feedback_id"]]
    assert rest["source"].tolist() == ["model"] * 4
    assert rest["category"].tolist() == ["payment", "shipping", "shipping", "payment"]
    assert (out.items.loc[out.items["label"].notna(), "source"] == "label").all()
    assert "held-out" in check.sentence() and "classifier" in check.sentence()


def test_classifier_is_deterministic():
    table = _table(_labelled_items())
    a, b = fb.classify(table, TAXONOMY), fb.classify(table, TAXONOMY)
    assert a.check == b.check
    pd.testing.assert_frame_equal(a.items, b.items)


def test_too_few_labels_fall_back_to_keywords():
    frame = _feedback([("2026-09-01", "app", "支付失败", "payment", 1),
                       ("2026-09-01", "app", "快递太慢", "shipping", 1),
                       ("2026-09-01", "app", "The courier lost it", None, 2),
                       ("2026-09-01", "app", "谢谢", None, 5)])
    out = fb.classify(_table(frame), TAXONOMY)
    assert not out.check.used and out.check.n_test == 0
    assert "2 human label(s), fewer than the 60 needed" in out.check.reason
    assert out.items["source"].tolist() == ["label", "label", "keywords", "keywords"]
    assert out.items["category"].tolist() == ["payment", "shipping", "shipping", fb.UNCLASSIFIED]
    assert out.items["model_category"].isna().all()
    assert "not used" in out.check.sentence()


def test_human_labels_outside_the_taxonomy_are_kept_as_categories():
    frame = _feedback([("2026-09-01", "app", "好评", "praise", 5), ("2026-09-01", "app", "支付失败", None, 1)])
    out = fb.classify(_table(frame), TAXONOMY)
    assert out.categories == (*TAXONOMY, "praise")
    assert out.items["category"].tolist() == ["praise", "payment"]


def test_classify_an_empty_period_gives_well_formed_items():
    frame = _feedback([("2026-09-01", "app", "支付失败", None, 1)])
    out = fb.classify(_table(frame), TAXONOMY, period_start="2026-04-01", period_end="2026-05-31")
    assert out.items.empty
    assert {"month", "label", "keyword_category", "category", "source"} <= set(out.items.columns)
    assert fb.volume(out).empty
    assert fb.top_themes(out, "2026-05").empty
    assert fb.priority(out, "2026-05")["score"].eq(0).all()


def test_classify_names_a_missing_column():
    frame = _feedback([("2026-09-01", "app", "支付失败", None, 1)])
    with pytest.raises(ContractError, match="table 'feedback', column 'text'"):
        fb.classify(_table(frame).drop("text"), TAXONOMY)


# --- priority -----------------------------------------------------------------------------

# (created_at, channel, text, human category, rating): the categories are given as labels.
_PRIORITY_ROWS = [
    # September: payment 4 items rated 1, 2, 5, blank -> severity 2/3
    ("2026-09-02", "app", "a", "payment", 1),
    ("2026-09-03", "app", "b", "payment", 2),
    ("2026-09-04", "app", "c", "payment", 5),
    ("2026-09-05", "app", "d", "payment", None),
    # September: shipping 2 items, none rated -> default severity 0.5
    ("2026-09-06", "app", "e", "shipping", None),
    ("2026-09-07", "app", "f", "shipping", None),
    # September: app_performance 1 item rated 1 -> severity 1
    ("2026-09-08", "app", "g", "app_performance", 1),
    # August: payment 1, shipping 3, account_opening 2
    ("2026-08-02", "app", "h", "payment", 3),
    ("2026-08-03", "app", "i", "shipping", 1),
    ("2026-08-04", "app", "j", "shipping", 1),
    ("2026-08-05", "app", "k", "shipping", 1),
    ("2026-08-06", "app", "l", "account_opening", 1),
    ("2026-08-07", "app", "m", "account_opening", 1),
]


def test_priority_known_answer():
    classified = fb.classify(_table(_feedback(_PRIORITY_ROWS)), TAXONOMY)
    out = fb.priority(classified, "2026-09").set_index("category")
    # payment:  volume 4, growth (4+1)/(1+1) = 2.5, severity 2/3 -> 4 * 2/3 * 2.5 = 6.667
    # app_perf: volume 1, growth (1+1)/(0+1) = 2,   severity 1   -> 2
    # shipping: volume 2, growth (2+1)/(3+1) = 0.75, default 0.5 -> 0.75
    # account_opening: volume 0 -> 0; customer_service, product_quality: 0
    assert out.loc["payment", ["volume", "last_month", "rated", "low_rated"]].tolist() == [4, 1, 3, 2]
    assert out.loc["payment", "score"] == pytest.approx(4 * (2 / 3) * 2.5)
    assert out.loc["app_performance", "score"] == pytest.approx(2.0)
    assert out.loc["shipping", ["severity", "growth", "score"]].tolist() == pytest.approx([0.5, 0.75, 0.75])
    assert out.loc["shipping", "severity_source"] == "default"
    assert out.loc["account_opening", ["volume", "last_month", "growth", "score"]].tolist() == pytest.approx(
        [0, 2, 1 / 3, 0])
    ranked = fb.priority(classified, "2026-09")
    assert ranked["category"].tolist() == ["payment", "app_performance", "shipping", "account_opening",
                                           "customer_service", "product_quality"]  # zero scores: taxonomy order
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_priority_given_severity_and_default():
    classified = fb.classify(_table(_feedback(_PRIORITY_ROWS)), TAXONOMY)
    out = fb.priority(classified, "2026-09", severity={"shipping": 1.0}, default_severity=0.2).set_index("category")
    assert out.loc["shipping", ["severity", "score"]].tolist() == pytest.approx([1.0, 1.5])
    assert out.loc["shipping", "severity_source"] == "given"
    assert out.loc["customer_service", ["severity", "severity_source"]].tolist() == [0.2, "default"]
    with pytest.raises(ParameterError, match="severity must be a number"):
        fb.priority(classified, "2026-09", severity={"shipping": -1})


def test_priority_refuses_a_month_whose_previous_month_was_not_classified():
    table = _table(_feedback(_PRIORITY_ROWS))
    september_only = fb.classify(table, TAXONOMY, period_start="2026-09-01", period_end="2026-09-30")
    with pytest.raises(ParameterError, match="classify 2026-08 and 2026-09"):
        fb.priority(september_only, "2026-09")
    with pytest.raises(ParameterError, match="expected one month as YYYY-MM"):
        fb.priority(fb.classify(table, TAXONOMY), "2026-8")


# --- volumes and themes -------------------------------------------------------------------


def test_volume_by_month_and_channel_known_answer():
    frame = _feedback([("2026-08-01", "app", "支付失败", None, 1), ("2026-08-02", "email", "支付失败", None, 1),
                       ("2026-08-03", "app", "快递慢", None, 1), ("2026-09-01", "app", "快递慢", None, 1)])
    classified = fb.classify(_table(frame), TAXONOMY)
    out = fb.volume(classified, by=("month", "channel"))
    assert out[["month", "channel", "items"]].values.tolist() == [
        ["2026-08", "app", 2], ["2026-08", "email", 1], ["2026-09", "app", 1]]
    assert out["share"].tolist() == pytest.approx([2 / 3, 1 / 3, 1.0])
    assert out.loc[0, ["share_low", "share_high"]].tolist() == pytest.approx(list(wilson_ci(2, 3)))
    by_category = fb.volume(classified, by="category")
    assert by_category[["category", "items"]].values.tolist() == [["payment", 2], ["shipping", 2]]
    assert by_category["share"].tolist() == pytest.approx([0.5, 0.5])
    with pytest.raises(ParameterError, match="unknown column"):
        fb.volume(classified, by=("month", "segment"))


def test_top_themes_rank_count_and_quote_raw_distinct_texts():
    frame = _feedback([
        ("2026-09-01", "app", "支付失败但是扣款了，请退款。邮箱amy.wu555@qq.com", None, 1),
        ("2026-09-02", "app", "支付失败但是扣款了，请退款。", None, 1),
        ("2026-09-03", "app", "Payment keeps timing out at checkout", None, 2),
        ("2026-09-04", "app", "快递太慢了", None, 2),
        ("2026-09-05", "app", "谢谢", None, 5),
        ("2026-08-05", "app", "快递太慢了", None, 2),
    ])
    classified = fb.classify(_table(frame), TAXONOMY)
    out = fb.top_themes(classified, "2026-09", n=5, quotes=2)
    assert out["category"].tolist() == ["payment", "shipping"]  # unclassified is not a theme
    assert out["items"].tolist() == [3, 1] and out["last_month"].tolist() == [0, 1]
    assert out["share"].tolist() == pytest.approx([3 / 5, 1 / 5])  # of all 5 September items
    assert out.loc[0, ["share_low", "share_high"]].tolist() == pytest.approx(list(wilson_ci(3, 5)))
    payment = out.loc[0, ["quote_1", "quote_2"]].tolist()
    assert len(set(payment)) == 2 and "Payment keeps timing out at checkout" in payment  # two different wordings
    assert out.loc[1, "quote_2"] is None  # only one shipping text
    raw = fb.top_themes(classified, "2026-09", n=1, quotes=3)
    assert any("amy.wu555@qq.com" in q for q in raw.loc[0, ["quote_1", "quote_2", "quote_3"]])  # raw, not masked
    assert list(fb.top_themes(classified, "2026-09", n=1, quotes=0).columns) == [
        "rank", "category", "items", "share", "share_low", "share_high", "last_month"]
    with pytest.raises(ParameterError, match="n >= 1"):
        fb.top_themes(classified, "2026-09", n=0)


# --- the loop: known answers --------------------------------------------------------------

_LOOP_COLUMNS = ("created_at", "channel", "text", "first_reply_at", "resolved_at")
_LOOP_ROWS = [
    # September items (period 2026-09), read at now = 2026-10-02 00:00, SLA 24 h
    ("2026-09-01 00:00", "app", "A", "2026-09-01 02:00", "2026-09-02 00:00"),   # 2 h, resolved
    ("2026-09-10 00:00", "app", "B", "2026-09-11 12:00", None),                 # 36 h: over SLA, open
    ("2026-09-20 00:00", "email", "C", "2026-09-21 00:00", "2026-10-01 12:00"),  # exactly 24 h: within; resolved
    #                                                                             after the period: open at its end
    ("2026-09-30 12:00", "email", "D", None, None),                             # due 10-01 12:00, never answered
    ("2026-09-29 12:00", "store", "H", "2026-10-03 00:00", None),               # reply after now: not replied yet
    # other months
    ("2026-10-01 06:00", "app", "E", None, None),                               # after the period
    ("2026-08-25 00:00", "app", "F", "2026-08-25 01:00", None),                 # August, still open: backlog >7d
    ("2026-08-30 00:00", "store", "G", "2026-08-30 01:00", "2026-08-31 00:00"),  # August, closed
]


def _loop_table(con=None):
    frame = _feedback(_LOOP_ROWS, columns=_LOOP_COLUMNS)
    frame["first_reply_at"], frame["resolved_at"] = pd.to_datetime(frame["first_reply_at"]), pd.to_datetime(
        frame["resolved_at"])
    return _table(frame, con)


def test_loop_metrics_known_answer():
    out = fb.loop_metrics(_loop_table(), sla_hours=24, month="2026-09", now="2026-10-02 00:00")
    assert out.as_of == pd.Timestamp("2026-10-01").to_pydatetime()
    total = out.summary.iloc[0]
    assert total["channel"] == "all"
    # items A B C D H; replied by now A(2 h) B(36 h) C(24 h); all five past their deadline
    assert total[["items", "replied", "due", "within_sla", "replied_over_sla", "resolved"]].tolist() == [
        5, 3, 5, 2, 1, 2]
    assert total["reply_median_h"] == pytest.approx(24.0)
    assert total["reply_p90_h"] == pytest.approx(24 + 0.8 * 12)  # linear between 24 and 36 at rank 1.8
    assert total["within_sla_share"] == pytest.approx(2 / 5)
    assert total[["within_sla_low", "within_sla_high"]].tolist() == pytest.approx(list(wilson_ci(2, 5)))
    assert total[["resolved_share", "resolved_low", "resolved_high"]].tolist() == pytest.approx(
        [2 / 5, *wilson_ci(2, 5)])
    # open at 2026-10-01 00:00: B (21 d), C (11 d), F (37 d) are >7d; D (0.5 d) <1d; H (1.5 d) 1-3d, unreplied
    assert total["open_backlog"] == 5
    by_channel = out.summary.set_index("channel")
    assert by_channel.loc["app", ["items", "replied", "within_sla", "due", "open_backlog"]].tolist() == [2, 2, 1, 2, 2]
    assert by_channel.loc["app", "reply_median_h"] == pytest.approx(19.0)
    assert by_channel.loc["store", ["items", "replied", "due", "within_sla"]].tolist() == [1, 0, 1, 0]
    assert np.isnan(by_channel.loc["store", "reply_median_h"])
    backlog = out.backlog[out.backlog["channel"] == "all"]
    assert backlog[["age", "items", "unreplied"]].values.tolist() == [
        ["<1d", 1, 1], ["1-3d", 1, 1], ["3-7d", 0, 0], [">7d", 3, 0]]
    assert set(out.backlog["channel"]) == {"all", "app", "email", "store"}
    assert "answered within 24 h" in out.sentence()


def test_loop_metrics_now_defaults_to_the_latest_stamp():
    out = fb.loop_metrics(_loop_table(), sla_hours=24, period_start="2026-09-01", period_end="2026-09-30")
    assert out.now == pd.Timestamp("2026-10-03").to_pydatetime()  # H's reply is the latest time in the table
    total = out.summary.iloc[0]
    assert total[["replied", "within_sla", "replied_over_sla"]].tolist() == [4, 2, 2]  # H replied after 84 h


def test_loop_metrics_an_empty_period_is_well_formed():
    out = fb.loop_metrics(_loop_table(), sla_hours=24, month="2026-07", now="2026-10-02")
    total = out.summary.iloc[0]
    assert total[["items", "replied", "due", "open_backlog"]].tolist() == [0, 0, 0, 0]
    assert np.isnan(total["within_sla_share"]) and np.isnan(total["reply_median_h"])
    assert out.backlog["items"].sum() == 0 and len(out.backlog) == len(fb.AGE_BUCKETS)
    assert out.sentence() == "No feedback was created in the period."


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"sla_hours": 0}, ParameterError, "sla_hours must be a positive number"),
    ({"sla_hours": 24, "month": "2026-09", "period_start": "2026-09-01"}, ParameterError, "either month"),
    ({"sla_hours": 24, "month": "2026-09..2026-10"}, ParameterError, "one month as YYYY-MM"),
    ({"sla_hours": 24, "month": "2026-09", "now": "2026-08-01"}, ParameterError, "before the period starts"),
])
def test_loop_metrics_bad_parameters(kwargs, error, words):
    with pytest.raises(error, match=words):
        fb.loop_metrics(_loop_table(), **kwargs)


def test_loop_metrics_needs_the_reply_column():
    with pytest.raises(ContractError, match="column 'first_reply_at'.*loop metrics"):
        fb.loop_metrics(_loop_table().drop("first_reply_at"), sla_hours=24)


# --- you said, we did ---------------------------------------------------------------------


def test_you_said_we_did_groups_notes_of_items_resolved_in_the_month():
    frame = _feedback([
        ("2026-08-28", "app", "支付失败但是扣款了", "2026-09-02", "修复支付网关"),   # created in August, resolved Sep
        ("2026-09-03", "app", "付款一直转圈", "2026-09-05", "修复支付网关"),
        ("2026-09-04", "app", "快递太慢了", "2026-09-06", "优化发货"),
        ("2026-09-05", "app", "快递太慢了", "2026-09-07", "  "),                   # blank note: no change
        ("2026-09-06", "app", "支付失败", None, "修复支付网关"),                   # not resolved
        ("2026-09-20", "app", "支付失败", "2026-10-01", "修复支付网关"),           # resolved in October
    ], columns=("created_at", "channel", "text", "resolved_at", "resolution"))
    classified = fb.classify(_table(frame), TAXONOMY)
    out = fb.you_said_we_did(classified, "2026-09")
    assert out[["category", "we_did", "items"]].values.tolist() == [["payment", "修复支付网关", 2],
                                                                   ["shipping", "优化发货", 1]]
    assert out.loc[0, "you_said"] in {"支付失败但是扣款了", "付款一直转圈"}
    assert out.loc[0, ["first_resolved", "last_resolved"]].tolist() == [pd.Timestamp("2026-09-02"),
                                                                      pd.Timestamp("2026-09-05")]
    assert fb.you_said_we_did(classified)["items"].sum() == 4
    assert fb.you_said_we_did(classified, "2026-07").empty
    with pytest.raises(ContractError, match="column 'note'"):
        fb.you_said_we_did(classified, note="note")


# --- the sample's planted truth -----------------------------------------------------------


def test_sample_categories_recover_the_planted_theme_counts(sample):
    _, classified = sample
    counts = fb.volume(classified).pivot(index="month", columns="category", values="items").fillna(0)
    planted = pd.DataFrame(TRUTH["realised"]["theme_counts"]).T
    pd.testing.assert_frame_equal(counts[planted.columns].astype(int), planted.astype(int), check_names=False)
    assert (classified.items["category"] != fb.UNCLASSIFIED).all()


def test_sample_payment_is_the_top_theme_of_the_spike_month(sample):
    _, classified = sample
    spike = TRUTH["spike"]
    assert fb.top_themes(classified, spike["month"])["category"].iloc[0] == spike["theme"]
    assert fb.priority(classified, spike["month"])["category"].iloc[0] == spike["theme"]


def test_sample_classifier_check_is_reported(sample):
    _, classified = sample
    check = classified.check
    assert check.n_test == check.n_labels > 200
    assert 0.9 < check.accuracy <= 1 and check.accuracy_low < check.accuracy <= check.accuracy_high
    # the sample's texts all hold a taxonomy keyword: keywords win and are used
    assert check.keyword_accuracy >= check.accuracy and not check.used
    assert f"{check.accuracy:.0%}" in check.sentence()


def test_sample_loop_reproduces_the_planted_replies_and_resolutions(sample):
    ds, classified = sample
    out = fb.loop_metrics(ds["feedback"], sla_hours=TRUTH["sla_hours"])
    total = out.summary.iloc[0]
    realised = TRUTH["realised"]
    assert total["items"] == realised["items"]
    assert total["replied"] == realised["replied"]
    assert total["replied_over_sla"] == realised["first_reply_over_sla"]
    assert total["resolved"] == realised["resolved"]
    assert fb.you_said_we_did(classified)["items"].sum() == realised["resolved_with_we_did_note"]


@pytest.mark.spark
def test_feedback_helpers_give_identical_numbers_on_duckdb_and_spark(spark_con):
    frame = _feedback(_PRIORITY_ROWS)
    duck, spark = fb.classify(_table(frame), TAXONOMY), fb.classify(_table(frame, spark_con), TAXONOMY)
    pd.testing.assert_frame_equal(fb.priority(duck, "2026-09"), fb.priority(spark, "2026-09"))
    args = {"sla_hours": 24, "month": "2026-09", "now": "2026-10-02"}
    a, b = fb.loop_metrics(_loop_table(), **args), fb.loop_metrics(_loop_table(spark_con), **args)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_dtype=False)
    pd.testing.assert_frame_equal(a.backlog, b.backlog, check_dtype=False)
