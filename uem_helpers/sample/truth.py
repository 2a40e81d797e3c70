"""Ground truth: the planted DESIGN values next to the REALISED values of the generated rows.

Realised values are counted chunk by chunk (:class:`Tally` keeps integer
sums only, so they do not depend on chunk order or float rounding) and
turned into rates at the end by :func:`ground_truth`. Every realised value
follows the metric definitions of DESIGN.md, e.g. the account-opening
funnel counts each user's first ``open_start`` and the steps reached within
one hour of it; cart conversion is checked-out carts / carts.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import scipy.stats as sps

from uem_helpers.sample import design as d
from uem_helpers.sample.survey import month_index
from uem_helpers.sample.texts import PHONE_FORMATS

GROUPS = ("before", "after")
#: Most planted personal values of one kind listed in the ground truth (the first ones generated).
PLANTED_VALUES_CAP = 1000
FEE_SHARE_BINS = [0.0, 0.05, 0.10, 0.20, np.inf]
_TOUCHPOINTS = [e for e in d.BROWSE if e != "app_open"]


class Tally:
    """Integer sums accumulated over chunks, keyed by name (scalars or fixed-shape arrays)."""

    def __init__(self) -> None:
        self._sums: dict[str, np.ndarray] = defaultdict(lambda: np.int64(0))
        self._kept: dict[str, list[str]] = {}

    def add(self, **counts: object) -> None:
        """Add each named count (an int or an integer array) to its running sum."""
        for name, value in counts.items():
            self._sums[name] = self._sums[name] + np.asarray(value, dtype=np.int64)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._sums[name]

    def keep(self, name: str, values: list[str], cap: int) -> None:
        """Keep string values under ``name``, in the order given, up to ``cap`` of them in all."""
        kept = self._kept.setdefault(name, [])
        kept.extend(values[: max(cap - len(kept), 0)])

    def kept(self, name: str) -> list[str]:
        """The values kept under ``name`` (see :meth:`keep`)."""
        return list(self._kept.get(name, []))


def tally_onboarding(t: Tally, times: np.ndarray, first: np.ndarray, after: np.ndarray) -> None:
    """Count the funnel of first attempts per launch group, and data quirks of all attempts.

    Parameters
    ----------
    t : Tally
    times : numpy.ndarray
        (n, 5) step times of every attempt, -1 when not reached.
    first, after : numpy.ndarray of bool
        First attempt of its user; open_start on or after the launch.
    """
    within = (times >= 0) & (times - times[:, :1] <= d.OPENING_WINDOW_S)
    step_s = np.where(within[:, 1:], times[:, 1:] - times[:, :-1], 0)
    for g, sel in zip(GROUPS, (first & ~after, first & after)):
        t.add(**{f"open_{g}_reached": within[sel].sum(axis=0),
                 f"open_{g}_step_seconds": step_s[sel].sum(axis=0),
                 f"open_{g}_total_seconds": np.where(within[sel, -1], times[sel, -1] - times[sel, 0], 0).sum()})
    reached = times >= 0
    same = reached[:, 1:] & (times[:, 1:] == times[:, :-1])
    t.add(open_same_second_pairs=same.sum(), open_attempts=len(times), open_retries=(~first).sum())


def tally_carts(t: Tally, created: np.ndarray, checked_at: np.ndarray, value: np.ndarray, fee: np.ndarray,
                discount: np.ndarray, expected_p: np.ndarray, eligible: np.ndarray, topped: np.ndarray) -> None:
    """Count conversion, order value, fee-share bins and bunching per policy group.

    Parameters
    ----------
    t : Tally
    created, checked_at : numpy.ndarray
        Cart creation and checkout times (-1 when abandoned).
    value, fee, discount : numpy.ndarray
        Cents.
    expected_p : numpy.ndarray
        Model probability of checkout (intent x payment success), the design expectation. The
        model-expected AOV of a group is ``sum(p * order value) / sum(p)`` over its carts: the
        expected mean order value of checked-out carts given the carts' drawn values, fees and
        discounts, the same conditioning as ``model_expected_conversion``.
    eligible, topped : numpy.ndarray of bool
        Post-policy cart in the top-up range; topped up to just above 99.
    """
    checked = checked_at >= 0
    share = fee / value
    band = (value >= d.BUNCHING_BAND_CENTS[0]) & (value < d.BUNCHING_BAND_CENTS[1])
    order = value - discount + fee
    for g, sel in zip(GROUPS, (created < d.FREE_SHIPPING_LAUNCH, created >= d.FREE_SHIPPING_LAUNCH)):
        bins = np.digitize(share[sel], FEE_SHARE_BINS[1:-1])
        t.add(**{f"cart_{g}_n": sel.sum(), f"cart_{g}_checked": (sel & checked).sum(),
                 f"cart_{g}_order_cents": order[sel & checked].sum(),
                 f"cart_{g}_expected_ppm": np.round(expected_p[sel] * 1e6).sum(),
                 f"cart_{g}_expected_order_ppm": np.round(expected_p[sel] * 1e6 * order[sel]).sum(),
                 f"cart_{g}_band": (sel & band).sum(),
                 f"cart_{g}_bin_n": np.bincount(bins, minlength=4),
                 f"cart_{g}_bin_checked": np.bincount(bins[checked[sel]], minlength=4)})
    t.add(cart_topup_eligible=eligible.sum(), cart_topped=topped.sum())


def tally_rollout(t: Tally, treatment: np.ndarray, cart_arm: np.ndarray, cart_checked: np.ndarray,
                  cart_expected_p: np.ndarray) -> None:
    """Count assigned users per arm and their carts created after assignment.

    Parameters
    ----------
    t : Tally
    treatment : numpy.ndarray of bool
        Arm of each assigned user.
    cart_arm : numpy.ndarray of bool
        Arm of the user of each cart created after its user's assignment.
    cart_checked : numpy.ndarray of bool
        Those carts were checked out.
    cart_expected_p : numpy.ndarray
        Their model probability of checkout.
    """
    for arm, sel_u, sel_c in (("control", ~treatment, ~cart_arm), ("treatment", treatment, cart_arm)):
        t.add(**{f"ab_{arm}_users": sel_u.sum(), f"ab_{arm}_carts": sel_c.sum(),
                 f"ab_{arm}_checked": (sel_c & cart_checked).sum(),
                 f"ab_{arm}_expected_ppm": np.round(cart_expected_p[sel_c] * 1e6).sum()})


def tally_journey(t: Tally, session: np.ndarray, time: np.ndarray, code: np.ndarray) -> None:
    """Count dwell, exits, bounces, size-guide loops and the payment incident on sorted events.

    Parameters
    ----------
    t : Tally
    session, time, code : numpy.ndarray
        Events sorted by session, time and logical order.
    """
    k = len(d.EVENTS)
    last = np.r_[session[1:] != session[:-1], True]
    dwell = np.where(last, 0, np.r_[time[1:] - time[:-1], 0])
    nxt = np.r_[code[1:], -1]
    t.add(j_events=np.bincount(code, minlength=k), j_exits=np.bincount(code[last], minlength=k),
          j_dwell_n=np.bincount(code[~last], minlength=k),
          j_dwell_seconds=np.bincount(code[~last], weights=dwell[~last], minlength=k).astype(np.int64))
    starts = np.r_[True, last[:-1]]
    sid = np.cumsum(starts) - 1
    n_sessions = int(starts.sum())
    size = np.bincount(sid, minlength=n_sessions)
    loops = np.bincount(sid[~last & (code == d.S["product_view"]) & (nxt == d.S["size_guide"])],
                        minlength=n_sessions) >= 2
    has_pv = np.bincount(sid[code == d.S["product_view"]], minlength=n_sessions) > 0
    ordered = np.bincount(sid[code == d.S["order_success"]], minlength=n_sessions) > 0
    pay = code == d.S["payment"]
    ok = pay & ~last & (nxt == d.S["order_success"])
    inc = (time >= d.INCIDENT_START) & (time < d.INCIDENT_END)
    t.add(j_sessions=n_sessions, j_single=(size == 1).sum(),
          j_loop_sessions=(loops & has_pv).sum(), j_loop_ordered=(loops & has_pv & ordered).sum(),
          j_pv_sessions=has_pv.sum(), j_pv_ordered=(has_pv & ordered).sum(),
          j_pay_incident=(pay & inc).sum(), j_pay_incident_ok=(ok & inc).sum(),
          j_pay_other=(pay & ~inc).sum(), j_pay_other_ok=(ok & ~inc).sum())


def tally_nps(t: Tally, month: np.ndarray, score: np.ndarray) -> None:
    """Count responses, promoters (9-10) and detractors (0-6) per month."""
    m = len(d.MONTHS)
    t.add(nps_n=np.bincount(month, minlength=m), nps_promoters=np.bincount(month[score >= 9], minlength=m),
          nps_detractors=np.bincount(month[score <= 6], minlength=m))


def tally_feedback(t: Tally, fb: pd.DataFrame) -> None:
    """Count feedback items per month and theme, labels, SLA, resolutions, personal data and near-misses.

    Also keeps the planted personal values themselves (the first :data:`PLANTED_VALUES_CAP` per kind),
    so tests can check that none reaches a report unmasked.

    Parameters
    ----------
    t : Tally
    fb : pandas.DataFrame
        Output of :func:`.feedback.make_feedback`.
    """
    m, k = len(d.MONTHS), len(d.THEMES)
    cell = month_index(fb["created_at"].to_numpy()) * k + fb["theme"].to_numpy()
    replied = fb["first_reply_at"].to_numpy() >= 0
    over = replied & (fb["first_reply_at"].to_numpy() - fb["created_at"].to_numpy() > d.SLA_HOURS * 3600)
    fmt = fb["phone_format"].to_numpy()
    t.add(fb_n=len(fb), fb_month_theme=np.bincount(cell, minlength=m * k),
          fb_labelled_month_theme=np.bincount(cell[fb["labelled"].to_numpy()], minlength=m * k),
          fb_channel=np.array([(fb["channel"] == c).sum() for c in d.FEEDBACK_CHANNELS]),
          fb_english=fb["english"].sum(), fb_anonymous=fb["anonymous"].sum(), fb_incident=fb["incident"].sum(),
          fb_replied=replied.sum(), fb_over_sla=over.sum(), fb_resolved=(fb["resolved_at"] >= 0).sum(),
          fb_we_did=(fb["resolution"] != "").sum(), fb_rating_blank=(fb["rating"] == 0).sum(),
          fb_phone_format=np.bincount(fmt[fmt >= 0], minlength=6),
          **{f"fb_{kind}": fb[kind].sum() for kind in [*d.PII_P, *d.NEAR_MISS_P]})
    for kind in d.PII_P:
        t.keep(f"fb_{kind}_values", fb.loc[fb[kind], f"{kind}_value"].tolist(), PLANTED_VALUES_CAP)


def tally_churn(t: Tally, churn, returning: np.ndarray, session_user: np.ndarray, session_start: np.ndarray,
                rate: np.ndarray, paid: np.ndarray, detractor: np.ndarray) -> None:
    """Count churn by segment and covariate, and the outreach campaign per arm.

    Parameters
    ----------
    t : Tally
    churn : Churn
        Output of :func:`.churn.draw_churn`.
    returning : numpy.ndarray of bool
        Segment of each user.
    session_user, session_start : numpy.ndarray
        User and start of every session that is written (each starts with an active event).
    rate : numpy.ndarray
        Sessions per day of each user while active.
    paid, detractor : numpy.ndarray of bool
        The user had a failed payment / a detractor answer before churning.
    """
    from uem_helpers.sample.churn import expected_churn

    gone = churn.at < d.PERIOD_END
    for name, sel in (("new", ~returning), ("returning", returning)):
        t.add(**{f"churn_{name}_users": sel.sum(), f"churn_{name}_churned": (sel & gone).sum()})
    t.add(churn_payment_error_users=paid.sum(), churn_detractor_users=detractor.sum())
    end = d.OUTREACH_AT + d.CHURN_INACTIVE_DAYS * d.DAY
    window = (session_start >= d.OUTREACH_AT) & (session_start < end)
    seen = np.zeros(returning.size, bool)
    seen[session_user[window]] = True
    p_hold = expected_churn(churn.hazard_at_outreach, rate, d.CHURN_INACTIVE_DAYS)
    p_out = expected_churn(churn.hazard_at_outreach * d.CHURN_HAZARD_RATIO["outreach"], rate,
                           d.CHURN_INACTIVE_DAYS)
    a = churn.assigned
    for arm, sel in (("outreach", a & churn.treated), ("holdout", a & ~churn.treated)):
        t.add(**{f"out_{arm}_users": sel.sum(), f"out_{arm}_churned": (sel & ~seen).sum(),
                 f"out_{arm}_left": (sel & (churn.at < end)).sum(),
                 f"out_{arm}_payment_error": (sel & paid).sum()})
    t.add(out_expected_treated_ppm=np.round(p_out[a] * 1e6).sum(),
          out_expected_holdout_ppm=np.round(p_hold[a] * 1e6).sum(), out_assigned=a.sum())


def _expected_whole_seconds(mean: float) -> float:
    """E[min(floor(X), cap)] for a step time X ~ Gamma(shape, mean / shape), as the generator draws it.

    Logs keep whole seconds, so each step loses about half a second to flooring;
    the planted "true" mean must be what the generator can produce, not the
    gamma's own mean. E[floor X capped] = sum over k = 1..cap of P(X >= k).
    """
    k = np.arange(1, d.DWELL_CAP_S + 1)
    return float(sps.gamma.sf(k, d.OPENING_STEP_SHAPE, scale=mean / d.OPENING_STEP_SHAPE).sum())


def _rate(num: object, den: object) -> float | None:
    num, den = float(num), float(den)
    return round(num / den, 6) if den else None


def _diff(after: float | None, before: float | None) -> float | None:
    return round(after - before, 6) if after is not None and before is not None else None


def _lift(after: float | None, before: float | None) -> float | None:
    return round(after / before - 1, 6) if after is not None and before else None


def ground_truth(t: Tally, meta: dict) -> dict:
    """Assemble ``ground_truth.json``: design and realised values per story.

    Parameters
    ----------
    t : Tally
        Sums over every chunk.
    meta : dict
        Seed, users, chunking, period, row counts ... (copied under ``meta``).

    Returns
    -------
    dict
        JSON-ready, with keys in a fixed order.
    """
    return {"meta": meta, "onboarding": _onboarding(t), "cart": _cart(t), "journey": _journey(t),
            "nps": _nps(t), "rollout": _rollout(t), "feedback": _feedback(t, PHONE_FORMATS), "churn": _churn(t)}


def _onboarding(t: Tally) -> dict:
    realised = {}
    for g in GROUPS:
        reached = t[f"open_{g}_reached"]
        step_s = t[f"open_{g}_step_seconds"]
        lost = reached[:-1] - reached[1:]
        mean_s = [_rate(step_s[i], reached[i + 1]) for i in range(4)]
        realised[g] = {
            "starters": int(reached[0]), "completed": int(reached[-1]),
            "abandonment_rate": _rate(reached[0] - reached[-1], reached[0]),
            "mean_minutes_to_open": _rate(t[f"open_{g}_total_seconds"], reached[-1] * 60),
            "steps": [{"step": d.OPENING[i + 1], "reached": int(reached[i + 1]), "lost": int(lost[i]),
                       "conversion_from_previous": _rate(reached[i + 1], reached[i]),
                       "mean_seconds_from_previous": mean_s[i]} for i in range(4)],
            "bottleneck_by_users_lost": d.OPENING[int(np.argmax(lost)) + 1],
            "bottleneck_by_time": d.OPENING[int(np.argmax([s or 0 for s in mean_s])) + 1],
        }
    design = {}
    for g in GROUPS:
        cont, means = d.OPENING_CONTINUE[g], d.OPENING_STEP_MEAN_S[g]
        design[g] = {"continue_probability": dict(zip(d.OPENING[1:], cont)),
                     "abandonment_rate": round(1 - float(np.prod(cont)), 6),
                     "mean_step_seconds": dict(zip(d.OPENING[1:], means)),
                     "mean_minutes_to_open": round(sum(_expected_whole_seconds(m) for m in means) / 60, 6)}
    return {
        "funnel": "account_opening", "steps": d.OPENING, "window_seconds": d.OPENING_WINDOW_S,
        "launch_date": "2026-08-15", "launch": "OCR auto-fill, step guidance, progress bar",
        "group_rule": "before/after by the user's first open_start (local time) vs the launch date",
        "bottleneck_step": "id_verified",
        "design": design, "realised": realised,
        "attempts": int(t["open_attempts"]), "retry_attempts": int(t["open_retries"]),
        "same_second_step_pairs": int(t["open_same_second_pairs"]),
        "repeated_step_probability": d.OPENING_DUPLICATE_P,
    }


def _cart(t: Tally) -> dict:
    realised = {}
    for g in GROUPS:
        n, ok = t[f"cart_{g}_n"], t[f"cart_{g}_checked"]
        realised[g] = {"carts": int(n), "checked_out": int(ok), "conversion": _rate(ok, n),
                       "abandonment_rate": _rate(n - ok, n), "aov": _rate(t[f"cart_{g}_order_cents"], ok * 100),
                       "model_expected_conversion": _rate(t[f"cart_{g}_expected_ppm"], n * 1_000_000),
                       "model_expected_aov": _rate(t[f"cart_{g}_expected_order_ppm"], t[f"cart_{g}_expected_ppm"] * 100),
                       "share_in_band": _rate(t[f"cart_{g}_band"], n)}
    b, a = realised["before"], realised["after"]
    bins = [f"[{lo:.2f}, {hi:.2f})" if np.isfinite(hi) else f"[{lo:.2f}, inf)"
            for lo, hi in zip(FEE_SHARE_BINS[:-1], FEE_SHARE_BINS[1:])]
    n_bin, ok_bin = t["cart_before_bin_n"], t["cart_before_bin_checked"]
    return {
        "policy": "free shipping over 99", "launch_date": "2026-09-01", "threshold_yuan": 99,
        "group_rule": "before/after by cart created_at (local time) vs the launch date",
        "aov_definition": "mean order_value (cart_value - discount + shipping_fee) of checked-out carts",
        "design": {"logistic_coefficients": dict(d.CART_COEF), "fee_share_cap": d.FEE_SHARE_CAP,
                   "payment_success_probability": d.PAYMENT_OK_P,
                   "target_relative_conversion_lift": 0.25, "target_relative_aov_lift": 0.12,
                   "post_policy_basket_factor": d.POST_POLICY_BASKET_FACTOR,
                   "topup_range_yuan": [x / 100 for x in d.TOPUP_RANGE_CENTS], "topup_probability": d.TOPUP_P,
                   "topup_excess_yuan": [x / 100 for x in d.TOPUP_EXCESS_CENTS]},
        "realised": {
            **realised,
            "relative_conversion_lift": _lift(a["conversion"], b["conversion"]),
            "relative_aov_lift": _lift(a["aov"], b["aov"]),
            "model_expected_relative_conversion_lift": _lift(a["model_expected_conversion"],
                                                             b["model_expected_conversion"]),
            "model_expected_relative_aov_lift": _lift(a["model_expected_aov"], b["model_expected_aov"]),
            "abandonment_by_fee_share_before": [
                {"fee_share": name, "carts": int(n_bin[i]), "abandonment_rate": _rate(n_bin[i] - ok_bin[i], n_bin[i])}
                for i, name in enumerate(bins)],
            "bunching": {"band_yuan": [x / 100 for x in d.BUNCHING_BAND_CENTS],
                         "topup_eligible_carts": int(t["cart_topup_eligible"]),
                         "topped_up_carts": int(t["cart_topped"]),
                         "topped_up_share": _rate(t["cart_topped"], t["cart_topup_eligible"]),
                         "excess_mass": _diff(a["share_in_band"], b["share_in_band"])},
        },
    }


def _journey(t: Tally) -> dict:
    n, exits = t["j_events"], t["j_exits"]
    dwell = {e: _rate(t["j_dwell_seconds"][d.S[e]], t["j_dwell_n"][d.S[e]]) for e in d.BROWSE}
    exit_rate = {e: _rate(exits[d.S[e]], n[d.S[e]]) for e in d.BROWSE}
    return {
        "touchpoints": d.BROWSE, "session_gap_minutes": d.SESSION_GAP_S // 60,
        "bottleneck_touchpoint": "customer_service",
        "design": {"mean_dwell_seconds": {e: d.DWELL_MEAN_S[e] for e in d.BROWSE},
                   "exit_probability": d.design_exit_probability(),
                   "loop": {"touchpoints": ["product_view", "size_guide"], "looping_user_share": d.LOOPER_SHARE,
                            "product_view_to_size_guide": d.LOOP_PROBABILITY["product_view"], "size_guide_to_product_view": d.LOOP_PROBABILITY["size_guide"],
                            "checkout_logit_shift": d.CART_COEF["looper"]},
                   "payment_incident": {"from": "2026-09-18", "to": "2026-09-20",
                                        "payment_success_probability": d.INCIDENT_PAYMENT_OK_P,
                                        "normal_payment_success_probability": d.PAYMENT_OK_P}},
        "realised": {
            "sessions": int(t["j_sessions"]), "bounce_rate": _rate(t["j_single"], t["j_sessions"]),
            "events": {e: int(n[d.S[e]]) for e in d.EVENTS},
            "mean_dwell_seconds": dwell, "exit_rate": exit_rate,
            "longest_dwell_touchpoint": max(_TOUCHPOINTS, key=lambda e: dwell[e] or 0),
            "highest_exit_touchpoint": max(_TOUCHPOINTS, key=lambda e: exit_rate[e] or 0),
            "loop": {"loop_rule": "session with product_view -> size_guide at least twice",
                     "sessions_with_product_view": int(t["j_pv_sessions"]),
                     "sessions_with_loop": int(t["j_loop_sessions"]),
                     "order_rate_with_loop": _rate(t["j_loop_ordered"], t["j_loop_sessions"]),
                     "order_rate_without_loop": _rate(t["j_pv_ordered"] - t["j_loop_ordered"],
                                                      t["j_pv_sessions"] - t["j_loop_sessions"])},
            "payment_incident": {
                "rule": "payment events by local date; success = next event of the session is order_success",
                "payments_during": int(t["j_pay_incident"]),
                "payment_to_order_during": _rate(t["j_pay_incident_ok"], t["j_pay_incident"]),
                "payments_outside": int(t["j_pay_other"]),
                "payment_to_order_outside": _rate(t["j_pay_other_ok"], t["j_pay_other"])},
        },
    }


def _nps(t: Tally) -> dict:
    design, realised = {}, {}
    for i, month in enumerate(d.MONTHS):
        p, pas, det = d.NPS_MIX[month]
        design[month] = {"promoters": p, "passives": pas, "detractors": det, "nps": round(100 * (p - det), 6)}
        n, pro, de = t["nps_n"][i], t["nps_promoters"][i], t["nps_detractors"][i]
        realised[month] = {"responses": int(n), "promoters": int(pro), "detractors": int(de),
                           "nps": round(100 * float(pro - de) / float(n), 6) if n else None}
    return {"definition": "NPS = %promoters (9-10) - %detractors (0-6), by month of answered_at",
            "shift_month": "2026-10", "response_probability_per_active_user_month": d.NPS_RESPONSE_P,
            "design": design, "realised": realised}


def _rollout(t: Tally) -> dict:
    arms = {}
    for arm in ("control", "treatment"):
        c, ok = t[f"ab_{arm}_carts"], t[f"ab_{arm}_checked"]
        arms[arm] = {"users": int(t[f"ab_{arm}_users"]), "carts_after_assignment": int(c),
                     "checked_out": int(ok), "conversion": _rate(ok, c),
                     "model_expected_conversion": _rate(t[f"ab_{arm}_expected_ppm"], c * 1_000_000)}
    users = arms["control"]["users"] + arms["treatment"]["users"]
    return {
        "experiment": d.EXPERIMENT, "variants": ["control", "treatment"], "start_date": "2026-10-08",
        "assignment_rule": "every user with a session on or after the start, at that session's start",
        "metric": "cart checkout conversion of carts created after the user's assignment",
        "design": {"treatment_share": d.ROLLOUT_TREATMENT_SHARE,
                   "checkout_logit_effect": d.CART_COEF["one_tap_checkout"]},
        "realised": {**arms, "assigned_users": users,
                     "treatment_share": _rate(arms["treatment"]["users"], users),
                     "conversion_difference": _diff(arms["treatment"]["conversion"], arms["control"]["conversion"]),
                     "relative_lift": _lift(arms["treatment"]["conversion"], arms["control"]["conversion"])},
    }


def _feedback(t: Tally, phone_formats: list[str]) -> dict:
    m, k = len(d.MONTHS), len(d.THEMES)
    cells = t["fb_month_theme"].reshape(m, k)
    labelled = t["fb_labelled_month_theme"].reshape(m, k)
    share = {month: _rate(cells[i, d.THEMES.index("payment")], cells[i].sum()) for i, month in enumerate(d.MONTHS)}
    mix = {month: dict(zip(d.THEMES, np.round(np.asarray(w) / sum(w), 6).tolist()))
           for month, w in d.THEME_MIX.items()}
    return {
        "themes": d.THEMES, "spike": {"theme": "payment", "month": "2026-09",
                                      "cause": "payment incident 2026-09-18..2026-09-20"},
        "sla_hours": d.SLA_HOURS,
        "design": {"theme_mix": mix, "labelled_probability": d.LABELLED_P, "english_probability": d.ENGLISH_P,
                   "incident_complaint_probability": d.INCIDENT_COMPLAINT_P,
                   "pii_probability": dict(d.PII_P), "near_miss_probability": dict(d.NEAR_MISS_P)},
        "realised": {
            "items": int(t["fb_n"]),
            "by_channel": dict(zip(d.FEEDBACK_CHANNELS, t["fb_channel"].tolist())),
            "english": int(t["fb_english"]), "anonymous": int(t["fb_anonymous"]),
            "incident_complaints": int(t["fb_incident"]), "rating_blank": int(t["fb_rating_blank"]),
            "theme_counts": {month: dict(zip(d.THEMES, cells[i].tolist())) for i, month in enumerate(d.MONTHS)},
            "labelled_theme_counts": {month: dict(zip(d.THEMES, labelled[i].tolist()))
                                      for i, month in enumerate(d.MONTHS)},
            "payment_share_by_month": share,
            "replied": int(t["fb_replied"]), "first_reply_over_sla": int(t["fb_over_sla"]),
            "over_sla_share_of_replied": _rate(t["fb_over_sla"], t["fb_replied"]),
            "resolved": int(t["fb_resolved"]), "resolved_with_we_did_note": int(t["fb_we_did"]),
            "pii": {kind: int(t[f"fb_{kind}"]) for kind in d.PII_P},
            "phone_formats": dict(zip(phone_formats, t["fb_phone_format"].tolist())),
            "near_misses": {kind: int(t[f"fb_{kind}"]) for kind in d.NEAR_MISS_P},
        },
        "planted_personal_values": {
            "cap_per_kind": PLANTED_VALUES_CAP,
            "planted": {kind: int(t[f"fb_{kind}"]) for kind in d.PII_P},
            "values": {kind: t.kept(f"fb_{kind}_values") for kind in d.PII_P},
        },
    }


def _churn(t: Tally) -> dict:
    hr = d.CHURN_HAZARD_RATIO
    n = t["out_assigned"]
    treated, holdout = _rate(t["out_expected_treated_ppm"], n * 1_000_000), _rate(t["out_expected_holdout_ppm"],
                                                                                 n * 1_000_000)
    arms = {}
    for arm in ("outreach", "holdout"):
        users, churned = t[f"out_{arm}_users"], t[f"out_{arm}_churned"]
        arms[arm] = {"users": int(users), "churned": int(churned), "churn_rate": _rate(churned, users),
                     "left_within_window": int(t[f"out_{arm}_left"]),
                     "with_payment_error": int(t[f"out_{arm}_payment_error"])}
    segments = {name: {"users": int(t[f"churn_{name}_users"]), "left_in_period": int(t[f"churn_{name}_churned"])}
                for name in ("new", "returning")}
    return {
        "model": "proportional hazards: hazard(t) = h0 * product of the hazard ratios of the covariates true at t",
        "covariates": {
            "payment_error": "a payment event with no order_success later in the same session, before t "
                             "(churn config payment_error: {attempt: payment, success: order_success})",
            "detractor": "an NPS answer with score 0-6 before t",
            "returning": "users.segment == returning (reference: new)",
            "outreach": "assigned to variant outreach of churn_outreach, from assigned_at on"},
        "definition": {"inactive_days": d.CHURN_INACTIVE_DAYS, "active_events": ["app_open", "open_start"]},
        "design": {
            "hazard_ratios": dict(hr), "baseline_lifetime_days": d.LIFETIME_DAYS_MEAN,
            "baseline_hazard_per_day": round(1 / d.LIFETIME_DAYS_MEAN, 6),
            "sessions_per_day": {"mean": d.SESSIONS_PER_DAY_MEAN, "gamma_shape": d.SESSIONS_PER_DAY_SHAPE,
                                 "floor": d.SESSIONS_PER_DAY_FLOOR},
            "fading": {"days_before_churn": d.FADE_DAYS, "sessions_kept": d.FADE_KEEP,
                       "rule": "each session in the days before the churn time is kept with this probability "
                               "(always kept: the signup session, account-opening sessions, the one with the first failed payment "
                               "and the last one in September)"},
            "outreach": {
                "experiment": d.OUTREACH_EXPERIMENT, "variants": ["outreach", "holdout"],
                "assigned_at": "2026-10-01 00:00:00", "treatment_share": d.OUTREACH_TREATMENT_SHARE,
                "holdout_share": round(1 - d.OUTREACH_TREATMENT_SHARE, 6),
                "eligibility": "alive on 2026-10-01, a session in September 2026, and a failed payment or an "
                               "NPS answer 0-6 before 2026-10-01",
                "hazard_ratio": hr["outreach"],
                "expected_churn_rate": {"outreach": treated, "holdout": holdout},
                "expected_churn_difference": _diff(treated, holdout),
                "expected_churn_rule": "mean over assigned users of P(no session in 30 days), h = hazard at "
                                       "assignment, r = the user's session rate, thinned to fade_keep * r in the "
                                       "fade_days before churn (sample.churn.expected_churn)"}},
        "realised": {
            "segments": segments,
            "users_with_payment_error": int(t["churn_payment_error_users"]),
            "users_with_detractor_answer": int(t["churn_detractor_users"]),
            "outreach": {
                **arms, "assigned_users": int(n),
                "churn_rule": "no app_open/open_start in [2026-10-01, 2026-10-31)",
                "churn_difference": _diff(arms["outreach"]["churn_rate"], arms["holdout"]["churn_rate"]),
                "treatment_share": _rate(arms["outreach"]["users"], n)}},
    }
