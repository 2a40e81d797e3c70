"""Text material of the sample: feedback and NPS comment templates, personal data and near-misses.

Templates hold no digits: every digit in a generated text comes from a slot
(a product count of days, a phone number, an order number ...), so the
planted personal data and near-misses can be counted exactly. Every string
is GBK-encodable (feedback.csv is written in GBK): no emoji, no euro sign,
and prices use the full-width yuan sign ``￥``.
"""

from __future__ import annotations

import numpy as np

from uem_helpers.sample.design import FREE_SHIPPING_LAUNCH, INCIDENT_END, OPENING_LAUNCH

#: theme -> (Chinese templates, English templates); each names a keyword of the uem.yml taxonomy.
FEEDBACK = {
    "shipping": (
        ["快递太慢了，下单{days}天还没发货，物流信息一直不更新。",
         "运费太贵，买一件{product}也要付运费，能不能包邮？",
         "{courier}快递员态度不好，包裹放在门口就走了。",
         "物流显示已签收，但是我没收到{product}。"],
        ["My {product} still has not shipped after {days} days, the delivery tracking never updates.",
         "The shipping fee is too high for a single {product}.",
         "The courier left my parcel at the door without calling."],
    ),
    "payment": (
        ["支付失败但是扣款了，{product}的订单没有生成，请尽快退款。",
         "付款一直转圈，提示支付超时，换了银行卡也不行。",
         "重复扣款两次，说要等退款，太不方便了。"],
        ["Payment failed but I was charged for my {product} order, please refund.",
         "Payment keeps timing out at checkout, tried two cards.",
         "I was charged twice and still have no order."],
    ),
    "account_opening": (
        ["开户太麻烦了，实名认证一直失败，身份证照片上传不了。",
         "身份证认证卡在最后一步，开户流程太长。",
         "开户要填的信息太多，认证等了{minutes}分钟。"],
        ["Identity verification failed again, I gave up opening the account.",
         "Account verification takes {minutes} minutes, far too many steps."],
    ),
    "app_performance": (
        ["App很卡顿，打开商品页加载很慢。",
         "更新以后闪退，{product}页面一直加载不出来。",
         "首页加载太慢，经常白屏。"],
        ["The app is so slow, pages keep loading forever.",
         "The app crashes every time I open the {product} page."],
    ),
    "customer_service": (
        ["客服回复太慢，等了{hours}小时没人理。",
         "人工客服一直排队，转人工太难了。",
         "客服答非所问，问题还是没解决，希望有人工回复。"],
        ["Support never replied to my message after {hours} hours.",
         "Could not reach a human agent, the support bot is useless."],
    ),
    "product_quality": (
        ["收到的{product}有破损，质量很差。",
         "尺码偏小，按尺码表买的{product}还是不合适。",
         "{product}质量不错，但是颜色和图片不一样。"],
        ["The {product} arrived broken, poor quality.",
         "The size runs small even though I followed the size chart for the {product}."],
    ),
}
PRODUCTS = (["连衣裙", "运动鞋", "T恤", "羽绒服", "牛仔裤", "双肩包", "保温杯", "蓝牙耳机"],
            ["dress", "sneakers", "T-shirt", "down jacket", "jeans", "backpack", "thermos", "earbuds"])
COURIERS = ["顺丰", "中通", "圆通", "韵达", "京东"]

#: kind -> (Chinese clause, English clause); ``{v}`` is the planted value.
PII_CLAUSES = {
    "phone": ("我的电话{v}，麻烦回电", "please call me at {v}"),
    "email": ("邮箱{v}", "email me at {v}"),
    "id_number": ("身份证号{v}", "my ID number is {v}"),
}
NEAR_MISS_CLAUSES = {
    "order_number": ("订单号{v}", "order {v}"),
    "price": ("价格{v}", "paid {v}"),
    "date": ("{v}下的单", "ordered on {v}"),
    "tracking_number": ("运单号{v}", "tracking number {v}"),
}
PHONE_FORMATS = ["plain", "plus86_space", "plus86_dashes", "spaces", "dashes", "plus86"]
_MOBILE_PREFIXES = [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159,
                    166, 173, 176, 177, 180, 181, 182, 183, 186, 187, 188, 189, 191, 198, 199]
_EMAIL_NAMES = ["zhangwei", "li.na", "wangfang", "liu.yang", "chenjing", "yangli", "huang.min",
                "zhao.lei", "amy.wu", "kevin.lin"]
_EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"]
#: Real county-level division codes (first six digits of an ID number).
_ID_AREAS = ["110105", "310104", "440305", "330106", "510107", "420106", "320102", "350203"]
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = "10X98765432"

#: theme -> [(local epoch seconds from which the change is live, note)], newest last.
WE_DID = {
    "shipping": [(0, "优化了发货流程，物流信息实时更新"), (FREE_SHIPPING_LAUNCH, "上线满99元包邮")],
    "payment": [(0, "支付失败自动退款提速"), (INCIDENT_END, "修复支付网关超时，增加备用通道")],
    "account_opening": [(0, "简化开户资料填写"), (OPENING_LAUNCH, "上线身份证OCR自动识别和进度条，开户更快")],
    "app_performance": [(0, "优化首页和商品页加载速度")],
    "customer_service": [(0, "增加人工客服坐席，转人工更快")],
    "product_quality": [(0, "商品页增加尺码推荐和实拍图")],
}

NPS_COMMENTS = {
    "promoter": (["东西不错，物流也快。", "很好用，会推荐给朋友。", "开户很顺利，体验很好。"],
                 ["Great app, fast delivery.", "Easy to use, would recommend."]),
    "passive": (["还行，有时候加载有点慢。", "商品一般，价格还可以。"],
                ["It is okay, sometimes slow.", "Fine, nothing special."]),
    "detractor": (["支付老是失败，体验很差。", "客服太慢，问题一直没解决。", "运费太贵，不想再买了。"],
                  ["Payment failed twice, very frustrating.", "Support is slow and unhelpful."]),
}


def phone(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """Valid Chinese mobile numbers written in the formats of :data:`PHONE_FORMATS`.

    Returns
    -------
    texts : list of str
    formats : numpy.ndarray
        Index into PHONE_FORMATS of each number.
    """
    prefix = rng.choice(_MOBILE_PREFIXES, n)
    mid, end = rng.integers(0, 10_000, n), rng.integers(0, 10_000, n)
    fmt = rng.integers(0, len(PHONE_FORMATS), n)
    patterns = ["{p}{m:04d}{e:04d}", "+86 {p}{m:04d}{e:04d}", "+86-{p}-{m:04d}-{e:04d}",
                "{p} {m:04d} {e:04d}", "{p}-{m:04d}-{e:04d}", "+86{p}{m:04d}{e:04d}"]
    return [patterns[f].format(p=p, m=m, e=e) for f, p, m, e in zip(fmt, prefix, mid, end)], fmt


def email(rng: np.random.Generator, n: int) -> list[str]:
    """E-mail addresses at common Chinese and international providers."""
    names = rng.choice(_EMAIL_NAMES, n)
    digits = rng.integers(10, 10_000, n)
    domains = rng.choice(_EMAIL_DOMAINS, n)
    return [f"{a}{b}@{c}" for a, b, c in zip(names, digits, domains)]


def id_number(rng: np.random.Generator, n: int) -> list[str]:
    """18-character resident ID numbers with a real area code, a valid birth date and check character."""
    area = rng.choice(_ID_AREAS, n)
    birth = np.datetime64("1960-01-01") + rng.integers(0, 45 * 365, n).astype("timedelta64[D]")
    born = np.datetime_as_string(birth, unit="D")
    seq = rng.integers(0, 1000, n)
    bodies = [f"{a}{b.replace('-', '')}{s:03d}" for a, b, s in zip(area, born, seq)]
    return [body + id_check(body) for body in bodies]


def id_check(body: str) -> str:
    """Check character (ISO 7064 MOD 11-2) of the first 17 digits of an ID number.

    Parameters
    ----------
    body : str
        The first 17 digits.

    Returns
    -------
    str
        ``"0"``-``"9"`` or ``"X"``.
    """
    return _ID_CHECK[int(np.dot(_ID_WEIGHTS, [int(c) for c in body])) % 11]


def near_miss(rng: np.random.Generator, kind: str, created: np.ndarray) -> list[str]:
    """Number-like values that are not personal data: order and tracking numbers, prices, dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    kind : str
        A key of :data:`NEAR_MISS_CLAUSES`.
    created : numpy.ndarray
        Local epoch seconds of the texts (orders and dates lie a few days earlier).

    Returns
    -------
    list of str
    """
    n = created.size
    day = (created - rng.integers(0, 5, n) * 86_400).astype("datetime64[s]").astype("datetime64[D]")
    return _NEAR_MISS[kind](rng, np.datetime_as_string(day, unit="D"))


def _order_number(rng: np.random.Generator, iso: np.ndarray) -> list[str]:
    """12 digits: the order date and a serial (not a phone, ID or card number)."""
    return [f"{s.replace('-', '')}{k:04d}" for s, k in zip(iso, rng.integers(0, 10_000, iso.size))]


def _tracking_number(rng: np.random.Generator, iso: np.ndarray) -> list[str]:
    return [f"SF{k:012d}" for k in rng.integers(0, 10**12, iso.size)]


def _price(rng: np.random.Generator, iso: np.ndarray) -> list[str]:
    amounts = rng.choice([39, 59, 89, 99, 129, 199, 259], iso.size)
    return [f"{a}元" if k else f"￥{a}" for a, k in zip(amounts, rng.random(iso.size) < 0.6)]


def _date(rng: np.random.Generator, iso: np.ndarray) -> list[str]:
    return [s if k else f"{int(s[5:7])}月{int(s[8:10])}日" for s, k in zip(iso, rng.random(iso.size) < 0.4)]


_NEAR_MISS = {"order_number": _order_number, "price": _price, "date": _date,
              "tracking_number": _tracking_number}
