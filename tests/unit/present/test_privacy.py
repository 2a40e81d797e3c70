"""Privacy: detectors and maskers, pseudonyms, small-cell suppression, safe display, footer facts."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uem_helpers.present import narrative, plots, privacy, tables
from uem_helpers.pipeline import runfacts
from uem_helpers.core.config import PrivacyConfig
from uem_helpers.core.errors import ConfigError
from uem_helpers.pipeline.export import footer_html, header_html
from uem_helpers.present.privacy import find_personal_data, fold_funnel_segments, fold_small_groups, groups_to_fold, id_number_valid, luhn_valid, mask_text, pseudonym, pseudonymize, resolve_key, safe_table, suppress_small_cells

from tests.conftest import SAMPLE_DIR

KEY = b"k" * 32


@pytest.fixture(autouse=True)
def default_policy():
    """Every test starts from the default policy (no key in the environment: a per-run key)."""
    privacy.use(PrivacyConfig(key_env="UEM_TEST_NO_SUCH_VARIABLE"))
    yield
    privacy._ACTIVE.clear()


# --------------------------------------------------------------------------- detectors and maskers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me at 13812345678", "call me at 138****5678"),
        ("我的电话+86 138 1234 5678，麻烦回电", "我的电话+86 138****5678，麻烦回电"),
        ("电话：+86-138-1234-5678。", "电话：+86-138****5678。"),
        ("call 138-1234-5678 or 0086 13912345678", "call 138****5678 or 0086 139****5678"),
        ("手机８６１５０１２３４５６７８", "手机86150****5678"),  # full-width digits
        ("座机010-62345678转1", "座机010-****5678转1"),
        ("office (0755) 8765432", "office (0755) ***5432"),
        ("邮箱zhangwei88@qq.com。", "邮箱z***@qq.com。"),
        ("email me at li.na.42@163.com.", "email me at l***@163.com."),
        # 11010519491231002X: area 110105, born 1949-12-31, serial 002, check X (sum of weights = 2 mod 11 -> X)
        ("身份证号11010519491231002X", "身份证号110***********002X"),
        ("card 4111 1111 1111 1111 please", "card 4111 **** **** 1111 please"),  # Luhn-valid test Visa
        ("卡号6222020000000000000", "卡号6222***********0000"),  # 19-digit UnionPay: 6+2*2+2+2*2+0+2*2 = 20 -> valid
        ("from 192.168.1.23 today", "from 192.168.*.* today"),
        ("addr fe80::1ff:fe23:4567:890a", "addr fe80:****"),
    ],
)
def test_masking_keeps_the_sentence_readable(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "订单号202609150042",  # 12-digit order number (date + serial)
        "order 2026091500421234",  # 16 digits, Luhn sum 54: not a card
        "订单号110105194912310021",  # 18 digits, ID-shaped but the check character is wrong (X expected)
        "订单号110105194913310029",  # 18 digits with a 13th month
        "运单号SF012345678901",  # tracking number: 12 digits after SF
        "价格99元，实付￥129.00，原价¥259",  # prices
        "paid $19.99 vs $9.99",
        "2026-09-15下的单，9月15日到货，12:30:45签收",  # dates and times
        "version 1.2.3.4.5 and 10.5%",
        "1381234567890",  # 13 digits: not a mobile number
        "std::vector",
    ],
)
def test_near_misses_are_not_masked(text):
    assert find_personal_data(text) == []
    assert mask_text(text) == text


def test_id_number_and_luhn_checks():
    assert id_number_valid("11010519491231002X") and id_number_valid("11010519491231002x")
    assert not id_number_valid("110105194912310021")
    assert not id_number_valid("11010519490231002X")  # 31 February
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112") and not luhn_valid("41a1")


def test_kinds_are_honoured_and_checked():
    text = "13812345678 a@b.cn"
    assert mask_text(text, ["email"]) == "13812345678 a***@b.cn"
    assert [f.kind for f in find_personal_data(text)] == ["phone", "email"]
    assert mask_text(None) == "" and find_personal_data(float("nan")) == []
    with pytest.raises(ValueError, match="unknown personal-data kind.*'passport'"):
        mask_text(text, ["passport"])
    policy = privacy.use(PrivacyConfig(mask=["phone"]))
    assert policy.mask_text(text) == "138****5678 a@b.cn"


def test_every_planted_value_of_the_sample_is_found_and_nothing_else():
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["feedback"]
    texts = pd.read_csv(SAMPLE_DIR / "feedback.csv", encoding="gbk", dtype=str, keep_default_na=False)["text"]
    found = [f for t in texts for f in find_personal_data(t)]
    planted = truth["planted_personal_values"]
    assert {k: sum(f.kind == k for f in found) for k in planted["planted"]} == planted["planted"]
    assert len(found) == sum(planted["planted"].values()), "a near-miss was flagged"
    masked = "\n".join(mask_text(t) for t in texts)
    for values in planted["values"].values():
        for value in values:
            assert value in "\n".join(texts) and value not in masked


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -+@.:abcX元月日$"), max_size=40))
def test_masking_is_idempotent_and_leaves_no_finding(text):
    once = mask_text(text)
    assert mask_text(once) == once
    assert find_personal_data(once) == []


# --------------------------------------------------------------------------- pseudonyms


def test_pseudonyms_are_keyed_stable_and_short():
    a = pseudonym("U0000042", KEY)
    assert re.fullmatch(r"u_[0-9a-f]{12}", a)
    assert a == pseudonym("U0000042", KEY) != pseudonym("U0000042", b"x" * 32) != pseudonym("U0000043", KEY)
    assert pseudonym(None, KEY) is None and pseudonym(float("nan"), KEY) is None
    ids = pd.Series(["U1", None, "U1"], index=[5, 6, 7], name="user_id")
    out = pseudonymize(ids, KEY)
    assert out.index.tolist() == [5, 6, 7] and out.name == "user_id"
    assert out[5] == out[7] == pseudonym("U1", KEY) and out[6] is None


def test_key_sources_and_short_keys():
    long = "s" * 16
    assert resolve_key(PrivacyConfig(key=long), {}) == (long.encode(), "config")
    assert resolve_key(PrivacyConfig(key_env="K"), {"K": long}) == (long.encode(), "env")
    key1, source = resolve_key(PrivacyConfig(key_env="K"), {"K": ""})
    key2, _ = resolve_key(PrivacyConfig(key_env="K"), {})
    assert source == "per-run" and len(key1) == 32 and key1 != key2
    with pytest.raises(ConfigError, match=r"environment variable K.*hidden, 5 characters.*at least 16") as err:
        resolve_key(PrivacyConfig(key_env="K"), {"K": "short"})
    assert "short" not in str(err.value)


def test_a_pseudonym_that_looks_like_a_phone_number_is_not_masked():
    """12 hex digits can hold an 11-digit run such as a mobile number; the masker leaves pseudonyms whole."""
    text = "examples: u_d14589466059, u_13812345678a; call 13812345678"
    assert mask_text(text) == "examples: u_d14589466059, u_13812345678a; call 138****5678"


def test_same_key_same_pseudonym_across_policies(monkeypatch):
    monkeypatch.setenv("UEM_TEST_KEY", "a-long-secret-key-0123")
    one = privacy.Policy.from_config(PrivacyConfig(key_env="UEM_TEST_KEY"))
    two = privacy.Policy.from_config(PrivacyConfig(key_env="UEM_TEST_KEY"))
    assert one.pseudonym("U7") == two.pseudonym("U7")
    assert "secret" not in repr(one) and "secret" not in json.dumps(one.facts())
    runs = [privacy.Policy.from_config(PrivacyConfig(key_env="UEM_TEST_NO_SUCH_VARIABLE")) for _ in range(2)]
    assert runs[0].pseudonym("U7") != runs[1].pseudonym("U7")


# --------------------------------------------------------------------------- suppression


def test_groups_to_fold_adds_the_next_smallest_when_the_fold_is_too_small():
    assert groups_to_fold({"a": 50, "b": 30}, 10) == []
    assert groups_to_fold({"a": 50, "b": 30, "c": 3}, 10) == ["c", "b"]  # c alone = 3 < 10: fold b too
    assert groups_to_fold({"a": 50, "b": 6, "c": 4}, 10) == ["c", "b"]  # 4 + 6 = 10 is enough
    assert groups_to_fold({"a": 50, "b": 6, "c": 2, "d": 1}, 10) == ["d", "c", "b", "a"]  # 9 < 10: fold a
    assert groups_to_fold({"other": 40, "a": 20, "b": 5, "c": 5}, 10) == ["b", "c", "other"]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(1, 40), max_size=8), st.integers(1, 20))
def test_no_group_shown_below_the_minimum_and_other_is_never_one_small_group(sizes, min_size):
    frame = pd.DataFrame({"seg": list(sizes), "users": list(sizes.values())})
    out = fold_small_groups(frame, "seg", min_size, size="users")
    assert out["users"].sum() == frame["users"].sum()
    shown = out[out["seg"] != "other"]
    assert (shown["users"] >= min_size).all()
    fold = groups_to_fold(sizes, min_size)
    if fold and len(fold) < len(sizes):  # something stays shown: "other" must be large enough on its own
        assert out.loc[out["seg"] == "other", "users"].iloc[0] >= min_size


def test_fold_funnel_segments_recomputes_other_from_counts():
    rows = []
    # (segment, entered, reached step 2): android 100 -> 60, ios 6 -> 3, web 5 -> 1
    for seg, entered, reached in [("android", 100, 60), ("ios", 6, 3), ("web", 5, 1)]:
        for k, r in ((1, entered), (2, reached)):
            rows.append({"platform": seg, "step_index": k, "step": ["s1", "s2"][k - 1], "entered": entered,
                         "reached": r, "lost": (entered - r) if k == 2 else 0, "step_conversion": r / entered,
                         "step_conversion_low": 0.0, "step_conversion_high": 1.0, "conversion": r / entered,
                         "conversion_low": 0.0, "conversion_high": 1.0, "median_seconds": 5.0,
                         "p75_seconds": 6.0, "p90_seconds": 7.0})
    out = fold_funnel_segments(pd.DataFrame(rows), "platform", 10)
    assert out["platform"].tolist() == ["android", "android", "other", "other"]
    other = out[out["platform"] == "other"].set_index("step_index")
    assert other.loc[1, "entered"] == 11 and other.loc[2, "reached"] == 4 and other.loc[2, "lost"] == 7
    assert other.loc[2, "conversion"] == pytest.approx(4 / 11) and other.loc[2, "step"] == "s2"
    assert other.loc[2, "conversion_low"] < 4 / 11 < other.loc[2, "conversion_high"] < 1
    assert other["median_seconds"].isna().all()


def test_suppress_small_cells_hides_small_counts_and_their_complements():
    table = pd.DataFrame({"users": [120, 4, 50, 0], "share": [0.69, 0.02, 0.29, 0.0]}, index=list("abcd"))
    out = suppress_small_cells(table, 10, columns=["users"], linked={"share": "users"})
    # b = 4 is hidden; it is the only hidden cell of the column, so the next smallest non-zero (c = 50) goes too.
    assert out["users"].tolist() == [120, "< 10", "suppressed", 0]
    assert out["share"].tolist() == [0.69, "suppressed", "suppressed", 0.0]
    cross = pd.DataFrame({"x": [3, 20, 30], "y": [40, 50, 60]})
    both = suppress_small_cells(cross, 10, lines="both")
    hidden = both.map(lambda v: isinstance(v, str))
    assert hidden.sum(axis=0).tolist() == [2, 2] and hidden.sum(axis=1).isin([0, 2]).all()
    with pytest.raises(ValueError, match="no column.*'nope'"):
        suppress_small_cells(table, 10, columns=["nope"])


# --------------------------------------------------------------------------- display and helpers


HOSTILE = '<img src=x onerror=alert(1)> 13812345678 "><svg onload=alert(2)>'


def test_safe_table_masks_and_escapes_cells_and_labels():
    frame = pd.DataFrame({HOSTILE: [HOSTILE, 1]}, index=pd.Index([HOSTILE, "b"], name=HOSTILE))
    page = safe_table(frame)._repr_html_()
    assert "<img" not in page and "<svg" not in page and "13812345678" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt; 138****5678") == 4
    assert privacy.html_text('a"b<c> a@b.cn') == "a&quot;b&lt;c&gt; a***@b.cn"


def test_presentation_helpers_mask_data_text():
    assert narrative.md_escape("call 13812345678 <b>") == r"call 138\*\*\*\*5678 &lt;b&gt;"
    assert plots.plain("$5 a@b.cn") == r"\$5 a***@b.cn"
    steps = pd.DataFrame({"step_index": [2], "step": ["13812345678"], "value_a": [0.5], "value_b": [0.6],
                          "abs_effect": [0.1], "ci_low": [0.0], "ci_high": [0.2], "p_value": [0.04]})
    assert tables.step_changes_table(steps).index.tolist() == ["2. 138****5678"]


def test_footer_states_the_protections(monkeypatch):
    policy = privacy.use(PrivacyConfig(min_cell_size=20, mask=["phone", "email"]))
    facts = runfacts.RunFacts(privacy=policy.facts())
    footer = footer_html(facts)
    assert "random key made for this run only" in footer and "fewer than 20 users" in footer
    assert "e-mail addresses, mobile numbers." in footer and "ID numbers" not in footer
    monkeypatch.setenv("UEM_PRIVACY_KEY", "x" * 20)
    footer = footer_html(runfacts.RunFacts(privacy=privacy.Policy.from_config().facts()))
    assert "environment variable UEM_PRIVACY_KEY" in footer and "x" * 20 not in footer
    assert "did not record its privacy settings" in footer_html(None)


def test_runfacts_carry_the_privacy_facts(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    payload = runfacts.record(rows={"events": 1})
    assert payload["privacy"] == privacy.active().facts()
    cells = [{"outputs": [{"data": o}]} for o in shown]
    assert runfacts.read(cells).privacy == privacy.active().facts()


def test_header_masks_parameter_values():
    from datetime import datetime

    head = header_html("T", period="2026-10", parameters={"note": "ring 13812345678 <script>"},
                       started_at=datetime(2026, 11, 1), duration_s=1.0,
                       facts=runfacts.RunFacts(privacy=privacy.active().facts()))
    assert "13812345678" not in head and "138****5678" in head and "<script>" not in head
