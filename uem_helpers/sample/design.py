"""The planted design of the sample data: every parameter a story depends on.

All times are wall-clock seconds in Asia/Shanghai counted from 1970-01-01
00:00 *local* ("local epoch seconds"): the generator never needs a time zone
database, and Asia/Shanghai has had a fixed UTC+8 offset since 1991, so the
UTC instant is always ``local - 8 h``.

The values here are the DESIGN side of ``ground_truth.json``; the REALISED
side is measured on the generated rows (see :mod:`.truth`).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

TIMEZONE = "Asia/Shanghai"
UTC_OFFSET_S = 8 * 3600
DAY = 86_400


def local_s(text: str) -> int:
    """Local epoch seconds of a wall-clock time such as ``"2026-08-15 00:00:00"``.

    Parameters
    ----------
    text : str
        An ISO date or date-time, read as wall-clock time in Asia/Shanghai.

    Returns
    -------
    int
        Seconds since 1970-01-01 00:00 local wall clock.
    """
    return int((datetime.fromisoformat(text) - datetime(1970, 1, 1)).total_seconds())


PERIOD_START = local_s("2026-05-01 00:00:00")
PERIOD_END = local_s("2026-10-31 23:59:59")
#: Month starts (local) May..November, for per-month bookkeeping.
MONTH_STARTS = np.array([local_s(f"2026-{m:02d}-01") for m in range(5, 12)], dtype=np.int64)
MONTHS = [f"2026-{m:02d}" for m in range(5, 11)]

# --- users ---------------------------------------------------------------
RETURNING_SHARE = 0.35
RETURNING_SIGNUP_FROM = local_s("2025-01-01")
PLATFORMS = ["android", "ios", "mini_program", "web"]
PLATFORM_P = [0.45, 0.30, 0.17, 0.08]
CHANNELS = ["organic", "ads", "referral", "store_qr"]
CHANNEL_P = [0.45, 0.30, 0.15, 0.10]
#: Entry channel of a session after the first (the first one uses the user's acquisition channel).
LATER_SESSION_CHANNEL_P = [0.75, 0.15, 0.06, 0.04]
REGIONS = ["广东", "浙江", "江苏", "上海", "北京", "山东", "四川", "河南", "湖北", "福建",
           "湖南", "安徽", "河北", "重庆", "陕西", "天津", "辽宁", "广西", "云南", "江西"]
REGION_W = [14, 8, 8, 7, 6, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 2, 3, 3, 2, 2]
DORMANT_SHARE = 0.01
"""Users who sign up and never come back: they have no events at all."""
SESSIONS_PER_DAY_MEAN = 0.22
SESSIONS_PER_DAY_SHAPE = 0.8
SESSIONS_PER_DAY_FLOOR = 0.25
"""Lowest session rate of a user while active. Without it (gamma shape 0.8, mean 0.22) many live
users go 30 days without a session, an observed "churn" that is not one; on seed 9 that false churn
pulled a Cox model's hazard ratios on the observed 30-day-gap churn to 1.6 (payment error, design
2.5), 1.5 (detractor, 2.0) and 0.82 (returning, 0.5). With the floor: 2.3, 2.4 and 0.60."""
LIFETIME_DAYS_MEAN = 120.0
"""Reference lifetime (1 / h0): a new user with no failed payment, no detractor answer and no outreach."""
#: Minimum distance between two session starts of one user: a session lasts at most
#: ~3.6 h by construction, so the next one starts at least 30 min after it ends.
SESSION_SLOT_S = 4 * 3600 + 30 * 60
SESSION_GAP_S = 30 * 60
HOUR_W = [1, .6, .3, .2, .2, .3, .8, 1.5, 2.5, 3, 3.2, 3.5, 4.5, 4, 3.3, 3.2,
          3.3, 3.6, 4, 4.6, 5.5, 6, 5, 2.8]

# --- events vocabulary ------------------------------------------------------
BROWSE = ["app_open", "home_view", "search", "category_view", "product_view", "size_guide",
          "review_view", "add_to_cart", "cart_view", "shipping_info", "payment", "order_success",
          "customer_service", "return_request"]
OPENING = ["open_start", "info_submitted", "id_verified", "card_bound", "open_success"]
EVENTS = BROWSE + OPENING
EXIT = len(BROWSE)  # pseudo-state "session ends"
S = {name: i for i, name in enumerate(EVENTS)}

# --- story 1: account opening ----------------------------------------------
OPENING_LAUNCH = local_s("2026-08-15 00:00:00")
OPENING_WINDOW_S = 3600
OPENING_P_NEW = 0.80
OPENING_P_RETURNING = 0.10
OPENING_DELAY_DAYS_MEAN = 1.5
OPENING_RETRY_P = 0.35
#: P(reach step k+1 | reached step k) for the four transitions, before / after launch.
OPENING_CONTINUE = {"before": [0.90, 0.70, 0.90, 0.97], "after": [0.97, 0.92, 0.97, 0.98]}
#: Mean seconds spent on each transition (gamma, shape 2), before / after launch.
OPENING_STEP_MEAN_S = {"before": [110.0, 360.0, 75.0, 12.0], "after": [35.0, 85.0, 30.0, 4.0]}
OPENING_STEP_SHAPE = 2.0
OPENING_DUPLICATE_P = 0.05
"""Share of attempts with one repeated step event (a re-submitted form)."""

# --- story 3: journey --------------------------------------------------------
#: Mean dwell (seconds until the next event of the session) per touchpoint; gamma, shape 1.5.
DWELL_MEAN_S = {
    "app_open": 8, "home_view": 25, "search": 30, "category_view": 35, "product_view": 55,
    "size_guide": 40, "review_view": 60, "add_to_cart": 6, "cart_view": 35, "shipping_info": 45,
    "payment": 25, "order_success": 12, "customer_service": 480, "return_request": 80,
    "open_start": 8,
}
DWELL_SHAPE = 1.5
DWELL_CAP_S = 1500
BROWSE_MAX_STEPS = 60
BROWSE_MAX_ELAPSED_S = 90 * 60
LOOPER_SHARE = 0.12
"""Users who go back and forth between product_view and size_guide."""

_T = {  # transition rows of the browsing Markov chain (next-state probabilities)
    "app_open": {"home_view": .59, "search": .15, "category_view": .08, "product_view": .05,
                 "customer_service": .02, "return_request": .01, "exit": .10},
    "home_view": {"search": .25, "category_view": .25, "product_view": .25,
                  "customer_service": .03, "return_request": .01, "exit": .21},
    "search": {"product_view": .60, "search": .10, "category_view": .05, "home_view": .05, "exit": .20},
    "category_view": {"product_view": .60, "category_view": .05, "search": .08, "home_view": .07,
                      "exit": .20},
    "product_view": {"product_view": .15, "size_guide": .08, "review_view": .12, "add_to_cart": .22,
                     "search": .10, "home_view": .08, "customer_service": .02, "exit": .23},
    "size_guide": {"product_view": .70, "add_to_cart": .10, "exit": .20},
    "review_view": {"product_view": .55, "add_to_cart": .15, "home_view": .05, "exit": .25},
    "customer_service": {"home_view": .10, "product_view": .05, "return_request": .20, "exit": .65},
    "return_request": {"customer_service": .25, "home_view": .35, "exit": .40},
    "after_order": {"home_view": .35, "product_view": .10, "customer_service": .05, "exit": .50},
    "after_abandon": {"product_view": .30, "home_view": .20, "search": .10, "exit": .40},
}
_T_LOOPER = {
    "product_view": {"product_view": .10, "size_guide": .45, "review_view": .07, "add_to_cart": .08,
                     "search": .05, "home_view": .03, "customer_service": .02, "exit": .20},
    "size_guide": {"product_view": .80, "add_to_cart": .02, "exit": .18},
}
LOOP_PROBABILITY = {"product_view": _T_LOOPER["product_view"]["size_guide"],
                    "size_guide": _T_LOOPER["size_guide"]["product_view"]}
"""Planted loop: P(product_view -> size_guide) and P(size_guide -> product_view) of looping users."""
AFTER_ORDER, AFTER_ABANDON = EXIT + 1, EXIT + 2  # extra row indices of the matrices


def transition_matrix(looper: bool) -> np.ndarray:
    """Row-stochastic matrix of the browsing chain, rows = states (+ 2 post-cart rows), cols = states + exit.

    Parameters
    ----------
    looper : bool
        Use the product_view <-> size_guide loop rows of the looping users.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(BROWSE) + 3, len(BROWSE) + 1)``; rows of cart states are unused (forced path).
    """
    rows = dict(_T)
    if looper:
        rows.update(_T_LOOPER)
    m = np.zeros((EXIT + 3, EXIT + 1))
    for name, row in rows.items():
        r = {"after_order": AFTER_ORDER, "after_abandon": AFTER_ABANDON}.get(name, S.get(name))
        for to, p in row.items():
            m[r, EXIT if to == "exit" else S[to]] = p
    return m


def design_exit_probability() -> dict[str, float]:
    """Planted P(session ends) after each browsing touchpoint (non-loopers)."""
    return {name: row.get("exit", 0.0) for name, row in _T.items() if name in S}


# --- story 2: cart -------------------------------------------------------------
FREE_SHIPPING_LAUNCH = local_s("2026-09-01 00:00:00")
FREE_SHIPPING_THRESHOLD_CENTS = 9900
CART_VALUE_MEDIAN = 85.0
CART_VALUE_SIGMA = 0.65
CART_VALUE_MIN_CENTS, CART_VALUE_MAX_CENTS = 990, 100_000
SHIPPING_FEES_CENTS = [600, 800, 1000, 1200]
SHIPPING_FEES_P = [0.25, 0.35, 0.25, 0.15]
POST_POLICY_BASKET_FACTOR = 1.18
"""After the policy, baskets grow by this factor (customers add items to reach free shipping)."""
TOPUP_RANGE_CENTS = (8000, 9900)
TOPUP_P = 0.45
"""Share of post-policy carts with a natural value in [80, 99) topped up to just above 99."""
TOPUP_EXCESS_CENTS = (0, 900)
BUNCHING_BAND_CENTS = (9900, 10900)
COUPON_P = 0.15
COUPONS_CENTS = [(5900, 500), (12900, 1000), (25900, 2000)]  # (minimum value, discount)
#: logit P(checkout intent) = b0 + fee_share * shipping_fee / cart_value (capped at 1)
#:   + free_shipping * [fee = 0 under the policy] + looper * [loop user] + one_tap * [treated]
CART_COEF = {"intercept": -0.05, "fee_share": -6.0, "free_shipping": 0.14, "looper": -1.0,
             "one_tap_checkout": 1.0}
FEE_SHARE_CAP = 1.0
PAYMENT_OK_P = 0.97
ABANDON_STAGE_P = [0.55, 0.30, 0.15]
"""Where a non-intending cart stops: after cart_view, shipping_info or payment."""

# --- story 3b: payment incident ---------------------------------------------
INCIDENT_START = local_s("2026-09-18 00:00:00")
INCIDENT_END = local_s("2026-09-21 00:00:00")  # exclusive: 18, 19, 20 September
INCIDENT_PAYMENT_OK_P = 0.30

# --- story 5: rollout ---------------------------------------------------------
EXPERIMENT = "one_tap_checkout"
ROLLOUT_START = local_s("2026-10-08 00:00:00")
ROLLOUT_TREATMENT_SHARE = 0.05

# --- story 4: NPS -------------------------------------------------------------
NPS_RESPONSE_P = 0.10
#: (promoter, passive, detractor) probabilities per month, May..October.
NPS_MIX = {
    "2026-05": (0.42, 0.34, 0.24), "2026-06": (0.43, 0.34, 0.23), "2026-07": (0.43, 0.35, 0.22),
    "2026-08": (0.45, 0.34, 0.21), "2026-09": (0.44, 0.34, 0.22), "2026-10": (0.30, 0.32, 0.38),
}
NPS_COMMENT_P = 0.55
NPS_TOUCHPOINTS = ["account_opening", "search", "product_view", "cart_view", "payment", "delivery",
                   "customer_service", "return_request"]

# --- story 6: feedback -----------------------------------------------------------
FEEDBACK_PER_SESSION = 0.015
"""Chance that a session is followed by a feedback item of its user."""
ANONYMOUS_FEEDBACK_P = 0.08
THEMES = ["shipping", "payment", "account_opening", "app_performance", "customer_service",
          "product_quality"]
#: Theme mix per month (weights), May..October: payment spikes in September (the incident),
#: account opening complaints fall after the August launch.
THEME_MIX = {
    "2026-05": [20, 12, 25, 15, 14, 14], "2026-06": [20, 12, 25, 15, 14, 14],
    "2026-07": [20, 12, 25, 15, 14, 14], "2026-08": [22, 12, 15, 17, 17, 17],
    "2026-09": [18, 45, 8, 10, 10, 9], "2026-10": [25, 14, 8, 19, 17, 17],
}
INCIDENT_COMPLAINT_P = 0.5
"""Share of payments failed by the incident that send a payment complaint within hours."""
FEEDBACK_CHANNELS = ["app", "email", "mini_program_survey", "phone_callback", "store"]
FEEDBACK_CHANNEL_P = [0.40, 0.15, 0.20, 0.15, 0.10]
ENGLISH_P = 0.25
LABELLED_P = 0.40
RATING_BLANK_P = 0.20
UNANSWERED_P = 0.04
"""Share of feedback items nobody ever answers (they stay open)."""
REPLY_MEDIAN_H = 7.0
REPLY_SIGMA = 1.1
RESOLVE_P = 0.60
RESOLVE_MEDIAN_H = 40.0
WE_DID_P = 0.35
"""Share of resolved items answered with a product change (a 'we did' resolution note)."""
SLA_HOURS = 24
PII_P = {"phone": 0.07, "email": 0.04, "id_number": 0.03}
NEAR_MISS_P = {"order_number": 0.10, "price": 0.12, "date": 0.10, "tracking_number": 0.05}

# --- story 7: churn and the outreach campaign ----------------------------------------
#: Proportional-hazards churn: hazard(t) = h0 * exp(sum of log hazard ratios of the covariates
#: true at t), h0 = 1 / LIFETIME_DAYS_MEAN per day (see :mod:`.churn`).
CHURN_HAZARD_RATIO = {"payment_error": 2.5, "detractor": 2.0, "returning": 0.5, "outreach": 0.6}
BASE_LIFETIME_DAYS_MEAN = LIFETIME_DAYS_MEAN / (CHURN_HAZARD_RATIO["returning"] * CHURN_HAZARD_RATIO["outreach"])
"""Lifetime drawn with the session schedule: its hazard is the smallest the model allows; :mod:`.churn` adds the rest."""
OUTREACH_EXPERIMENT = "churn_outreach"
OUTREACH_AT = local_s("2026-10-01 00:00:00")
OUTREACH_ACTIVE_FROM = local_s("2026-09-01 00:00:00")
OUTREACH_TREATMENT_SHARE = 0.8
CHURN_INACTIVE_DAYS = 30
FADE_DAYS = 28
"""Users fade before they leave: in the FADE_DAYS before a user's churn time their sessions thin out.
Without it churn is abrupt (a Poisson session process that simply stops), and whoever has not been
seen for longest is all a model can know: on seed 9 the churn model's AUC was 0.910 against the
recency baseline's 0.912. With four weeks of fading to 45% the activity trend tells who is leaving
before recency does (seeds 9 and 10: +0.030 and +0.039 AUC over the baseline, both intervals above 0)."""
FADE_KEEP = 0.45
"""Share of the sessions in those FADE_DAYS that are kept (each independently: the session rate times 0.45)."""
