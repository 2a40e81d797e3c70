"""Synthetic churn feature frames with known, planted effects (the columns of analyses/churn/features.py).

Churn risk is multiplicative, so a planted factor is the relative risk of churn with vs
without the feature whatever the other (independent) features do:

    risk = BASE x PAYMENT_RR^[payment_errors_recent > 0] x DETRACTOR_RR^detractor
           x RETURNING_RR^[segment == returning] x exp(RECENCY_SLOPE x days_since_active)

Every other column is noise. ``recency_only=True`` keeps only the recency factor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASE = 0.05
PAYMENT_RR = 3.0
DETRACTOR_RR = 2.0
RETURNING_RR = 0.5
RECENCY_SLOPE = 0.03  # per day: 30 days inactive multiply the risk by e^0.9 = 2.5


def churn_frame(users: int, seed: int, *, recency_only: bool = False, start: int = 0) -> pd.DataFrame:
    """``users`` rows of features (index ``user_id``) and a ``churned`` label drawn from the planted risk."""
    rng = np.random.default_rng(seed)
    days_since_active = rng.integers(0, 30, users)
    active_recent = rng.poisson(5, users)
    active_prior = rng.poisson(5, users)
    payment_recent = rng.binomial(2, 0.1, users)  # ~19% have at least one
    payment = payment_recent + rng.binomial(1, 0.1, users)
    answered = rng.random(users) < 0.4
    nps = np.where(answered, rng.integers(0, 11, users), np.nan)
    detractor = (answered & (nps <= 6)).astype(int)
    segment = rng.choice(["new", "returning", "occasional"], users, p=[0.4, 0.4, 0.2])
    platform = rng.choice(["ios", "android", "web", "tv"], users, p=[0.45, 0.45, 0.095, 0.005])
    frame = pd.DataFrame(
        {
            "days_since_active": days_since_active,
            "active_days": active_recent + active_prior,
            "active_days_recent": active_recent,
            "active_days_prior": active_prior,
            "activity_trend": active_recent - active_prior,
            "sessions": rng.poisson(8, users),
            "session_minutes": rng.gamma(2.0, 3.0, users),
            "tenure_days": rng.integers(14, 400, users),
            "funnel_failures": rng.poisson(0.5, users),
            "payment_errors": payment,
            "payment_errors_recent": payment_recent,
            "carts_abandoned": rng.poisson(0.7, users),
            "nps_last": nps,
            "detractor": detractor,
            "complaints": rng.poisson(0.2, users),
            "complaint_price": rng.binomial(1, 0.05, users),
            "support_contacts": rng.poisson(0.3, users),
            "segment": segment,
            "platform": platform,
        },
        index=pd.Index([f"u{start + i:05d}" for i in range(users)], name="user_id"),
    )
    risk = BASE * np.exp(RECENCY_SLOPE * days_since_active)
    if not recency_only:
        risk = risk * np.where(payment_recent > 0, PAYMENT_RR, 1.0) * np.where(detractor == 1, DETRACTOR_RR, 1.0)
        risk = risk * np.where(segment == "returning", RETURNING_RR, 1.0)
    frame["churned"] = rng.random(users) < risk
    return frame
