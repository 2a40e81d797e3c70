"""A second, differently shaped log with its own planted truth: every notebook is tested on it.

Not the bundled sample's story and not its shape. A marketplace app exports one gzipped CSV
of events and nothing else:

- columns in its own names: ``member_no`` (user ids as 19-digit strings, some above the
  64-bit integer range), ``occurred_at`` (``2025-02-03 03:04:05 UTC``: second resolution,
  written in UTC while the company reads Shanghai time, with many events in one second),
  ``action``, ``client_os`` (android / ios / h5) and ``order_amount`` (filled on
  ``add_to_cart`` and ``payment_ok`` rows only);
- rows in no particular order; no session ids (sessions come from the 30-minute gap);
- no users, carts, NPS, feedback or assignments tables;
- a quarter (2025-01-01 to 2025-03-31) whose data **ends mid-session** on 2025-03-31 at
  :data:`DATA_END` Shanghai time, just after a push campaign sent people to ``item``.

Planted (the values a test compares with are in :data:`TRUTH`):

- a **sustained low-volume incident**: ``payment_attempt -> payment_ok`` (about five attempts
  a day) succeeds :data:`PAY_OK` of the time, but :data:`PAY_OK_INCIDENT` from
  :data:`INCIDENT_FIRST` to :data:`INCIDENT_LAST`; in those weeks every failure writes
  ``payment_error`` and more of them end in ``support_chat``;
- a **four-step checkout loop** ``shipping_details -> add_to_cart -> cart -> shipping_details``
  made only on android in March 2025 (:data:`LOOP_SHARE` of the android sessions reaching
  shipping details), after which a session pays far less often;
- harmless cycles that must not rank above it: browsing ``item -> catalogue -> item`` by
  everyone (converting as often as anyone), and repeat purchases ``payment_ok ->
  payment_attempt -> payment_ok`` (through the goal);
- a **sign-up funnel** ``signup_start -> sms_code -> kyc_upload -> signup_done`` for new
  members, whose KYC step improves on :data:`LAUNCH` (a one-page KYC form).

Everything is drawn from one seeded generator: the same seed writes the same bytes.
"""

from __future__ import annotations

import gzip
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

ZONE = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2025, 1, 1)
DAYS = 90
PERIOD = "2025-01..2025-03"
#: Shanghai wall-clock time at which the export stopped (the last day is cut mid-afternoon).
DATA_END = datetime(2025, 3, 31, 14, 10)
INCIDENT_FIRST, INCIDENT_LAST = date(2025, 2, 3), date(2025, 2, 23)
PAY_OK, PAY_OK_INCIDENT = 0.85, 0.40
LOOP = ("shipping_details", "add_to_cart", "cart", "shipping_details")
LOOP_PLATFORM, LOOP_MONTH = "android", "2025-03"
LOOP_SHARE = 0.5
#: Chance a session that made the planted loop still goes on to pay (others: SHIPPING_PAY).
LOOP_PAY, SHIPPING_PAY = 0.2, 0.72
LAUNCH = date(2025, 2, 15)
KYC_BEFORE, KYC_AFTER = 0.62, 0.85
CAMPAIGN_SESSIONS = 60

#: Next-action probabilities; "END" ends the session. payment_attempt is decided by the incident.
CHAIN = {
    "launch": {"search": 0.30, "catalogue": 0.40, "item": 0.10, "support_chat": 0.02, "END": 0.18},
    "search": {"item": 0.60, "catalogue": 0.20, "END": 0.20},
    "catalogue": {"item": 0.70, "search": 0.10, "END": 0.20},
    "item": {"add_to_cart": 0.27, "catalogue": 0.30, "search": 0.04, "support_chat": 0.01, "END": 0.38},
    "add_to_cart": {"cart": 0.85, "item": 0.08, "END": 0.07},
    "cart": {"shipping_details": 0.72, "item": 0.10, "END": 0.18},
    "payment_ok": {"payment_attempt": 0.20, "item": 0.10, "END": 0.70},
    "payment_error": {"support_chat": 0.30, "END": 0.70},
    "support_chat": {"item": 0.30, "END": 0.70},
}
#: Mean seconds on each screen before the next action (exponential, whole seconds: ties happen).
DWELL = {"launch": 8, "search": 25, "catalogue": 30, "item": 50, "add_to_cart": 1, "cart": 20,
         "shipping_details": 60, "payment_attempt": 1, "payment_ok": 15, "payment_error": 10,
         "support_chat": 300, "signup_start": 20, "sms_code": 40, "kyc_upload": 120, "signup_done": 5}
STAGES = {
    "arrive": ["launch", "signup_start", "sms_code", "kyc_upload", "signup_done"],
    "browse": ["search", "catalogue", "item"],
    "checkout": ["add_to_cart", "cart", "shipping_details", "payment_attempt", "payment_ok", "payment_error"],
    "help": ["support_chat"],
}


def generate(users: int = 750, seed: int = 2025) -> tuple[pd.DataFrame, dict]:
    """The export (one row per event, the app's own column names) and the truth it plants."""
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    tally: dict[date, list[int]] = {}
    ids = _member_numbers(rng, users + CAMPAIGN_SESSIONS)
    for u in range(users):
        platform = str(rng.choice(["android", "ios", "h5"], p=[0.5, 0.35, 0.15]))
        new = rng.random() < 0.35
        first = int(rng.integers(0, DAYS * 86400)) if new else 0  # new members sign up during the quarter
        starts = sorted(rng.integers(first, DAYS * 86400, size=int(rng.integers(2, 9))))
        if new:
            starts[0] = first
        for k, offset in enumerate(starts):
            day = datetime.combine(FIRST_DAY, datetime.min.time()) + timedelta(seconds=int(offset))
            t = day.replace(hour=int(rng.integers(8, 23)))
            _session(rng, rows, tally, ids[u], platform, t, signup=new and k == 0)
    for c in range(CAMPAIGN_SESSIONS):  # the push at the end of the data: people land on an item page
        t = DATA_END - timedelta(seconds=int(rng.integers(30, 600)))
        rows.append((ids[users + c], t, "launch", "android", None))
        rows.append((ids[users + c], t + timedelta(seconds=int(rng.integers(1, 6))), "item", "android", None))
    frame = pd.DataFrame(rows, columns=["member_no", "local", "action", "client_os", "order_amount"])
    frame = frame[frame["local"] <= DATA_END].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    utc = frame["local"].dt.tz_localize(ZONE).dt.tz_convert("UTC")
    export = frame.drop(columns="local")
    export.insert(1, "occurred_at", utc.dt.strftime("%Y-%m-%d %H:%M:%S UTC"))
    return export, _truth(tally, frame)


def _member_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """19-digit member numbers as text; about a fifth are above 2**63 - 1 (no 64-bit integer holds them)."""
    numbers: set[str] = set()
    while len(numbers) < n:
        numbers.add(str(int(rng.integers(1, 10))) + "".join(map(str, rng.integers(0, 10, size=18))))
    return sorted(numbers, key=lambda _: rng.random())


def _session(rng, rows, tally, member, platform, t, *, signup):
    """One visit: a walk through CHAIN from launch (after sign-up for a new member)."""
    def emit(action, amount=None):
        rows.append((member, t, action, platform, amount))

    def wait(action):
        return timedelta(seconds=int(rng.exponential(DWELL[action])))

    if signup:
        kyc = KYC_AFTER if t.date() >= LAUNCH else KYC_BEFORE
        steps = ["signup_start"]
        for step, chance in (("sms_code", 0.9), ("kyc_upload", kyc), ("signup_done", 0.93)):
            if rng.random() >= chance:
                break
            steps.append(step)
        for step in steps:
            emit(step)
            t += wait(step) + timedelta(seconds=1)
        if steps[-1] != "signup_done":
            return
    action, looped = "launch", False
    while True:
        if action == "add_to_cart":
            emit(action, float(round(rng.lognormal(4.2, 0.6), 2)))
        else:
            emit(action)
        if t > DATA_END:
            return
        if action == "payment_attempt":
            day = t.date()
            failing = INCIDENT_FIRST <= day <= INCIDENT_LAST
            ok = rng.random() < (PAY_OK_INCIDENT if failing else PAY_OK)
            tally.setdefault(day, [0, 0])
            tally[day][0] += 1
            tally[day][1] += int(ok)
            t += timedelta(seconds=int(rng.integers(0, 3)))  # the outcome often lands in the same second
            action = "payment_ok" if ok else "payment_error"
            if ok:
                emit(action, float(round(rng.lognormal(4.8, 0.5), 2)))
                action = _next(rng, CHAIN[action])
                t += wait("payment_ok") + timedelta(seconds=5)
                if action == "END":
                    break
                continue
            if failing and rng.random() < 0.5:
                emit(action)
                t += wait(action)
                action = "support_chat"
                continue
        elif action == "shipping_details":
            loops_now = platform == LOOP_PLATFORM and f"{t:%Y-%m}" == LOOP_MONTH and not looped \
                and rng.random() < LOOP_SHARE
            if loops_now:
                looped = True
                for step in LOOP[1:-1]:
                    t += wait(action) + timedelta(seconds=2)
                    action = step
                    emit(action, float(round(rng.lognormal(4.2, 0.6), 2)) if step == "add_to_cart" else None)
                t += wait(action) + timedelta(seconds=2)
                action = "shipping_details"
                continue
            pay = LOOP_PAY if looped else SHIPPING_PAY
            action = _next(rng, {"payment_attempt": pay, "add_to_cart": 0.03, "END": 0.97 - pay})
        else:
            action = _next(rng, CHAIN[action])
        if action == "END":
            break
        t += wait(rows[-1][2]) + timedelta(seconds=int(rng.integers(0, 2)))


def _next(rng, options: dict[str, float]) -> str:
    return str(rng.choice(list(options), p=list(options.values())))


def _truth(attempts: dict[date, list[int]], frame: pd.DataFrame) -> dict:
    """What the log plants, with the realised counts behind the designed rates."""
    days = pd.DataFrame([(d, n, k) for d, (n, k) in attempts.items()], columns=["day", "attempts", "ok"])
    during = days["day"].between(INCIDENT_FIRST, INCIDENT_LAST)
    return {
        "period": PERIOD,
        "first_event": f"{frame['local'].min():%Y-%m-%d %H:%M:%S}",
        "last_event": f"{frame['local'].max():%Y-%m-%d %H:%M:%S}",
        "incident": {
            "step": "payment_attempt → payment_ok",
            "first_date": INCIDENT_FIRST.isoformat(), "last_date": INCIDENT_LAST.isoformat(),
            "designed_rate": PAY_OK, "designed_rate_during": PAY_OK_INCIDENT,
            "attempts_per_day": round(float(days["attempts"].sum()) / DAYS, 2),
            "rate_outside": float(days.loc[~during, "ok"].sum() / days.loc[~during, "attempts"].sum()),
            "rate_during": float(days.loc[during, "ok"].sum() / days.loc[during, "attempts"].sum()),
            "alarm_events": ["payment_error", "support_chat"],
        },
        "loop": {"cycle": " → ".join(LOOP), "platform": LOOP_PLATFORM, "month": LOOP_MONTH,
                 "share_of_sessions": LOOP_SHARE, "pay_after_loop": LOOP_PAY, "pay_without": SHIPPING_PAY},
        "harmless_cycles": ["item → catalogue → item", "payment_ok → payment_attempt → payment_ok"],
        "cut_off_sessions_at_least": CAMPAIGN_SESSIONS,
        "campaign_page": "item",
        "signup": {"steps": ["signup_start", "sms_code", "kyc_upload", "signup_done"], "launch": LAUNCH.isoformat(),
                   "kyc_before": KYC_BEFORE, "kyc_after": KYC_AFTER},
        "carts": _carts(frame),
        "users": int(frame["member_no"].nunique()),
        "events": int(len(frame)),
    }


def _carts(frame: pd.DataFrame, window: timedelta = timedelta(days=1)) -> dict:
    """Carts by the documented rule, counted by hand: a member's add_to_cart opens a cart unless one is open
    (its last addition within ``window``, no checkout since); a payment_ok within ``window`` of the last
    addition checks the open cart out."""
    carts = checked_out = 0
    rows = frame[frame["action"].isin(["add_to_cart", "payment_ok"])]
    rows = rows.assign(order=rows["action"] != "add_to_cart").sort_values(["member_no", "local", "order"])
    for _, member in rows.groupby("member_no", sort=False):
        last_add = None
        for local, action in zip(member["local"], member["action"]):
            open_cart = last_add is not None and local - last_add <= window
            if action == "add_to_cart":
                carts += not open_cart
                last_add = local
            elif open_cart:
                checked_out += 1
                last_add = None
    return {"carts": carts, "checked_out": checked_out}


def config(events_file: str = "events.csv.gz") -> dict:
    """The company's config: its own names mapped, its own funnels and journey, nothing of the sample's."""
    return {
        "timezone": "Asia/Shanghai",
        "sources": {"events": {
            "path": events_file,
            "columns": {"member_no": "user_id", "occurred_at": "timestamp", "action": "event",
                        "client_os": "platform"},
        }},
        "funnels": {
            "checkout": {"title": "Checkout (结算)", "window": "1d",
                         "steps": ["add_to_cart", "cart", "shipping_details", "payment_attempt", "payment_ok"]},
            "signup": {"title": "Merchant sign-up (商户注册)", "window": "7d",
                       "steps": ["signup_start", "sms_code", "kyc_upload", "signup_done"]},
        },
        "journey": {"start_event": "launch", "stages": STAGES, "alarm_events": ["payment_error", "support_chat"]},
        "carts": {"cart_event": "add_to_cart", "checkout_event": "payment_ok", "value_column": "order_amount",
                  "window": "1d"},
        "metrics": {"task_completion": {"start": "payment_attempt", "success": "payment_ok", "window": "1h"},
                    "account_opening_funnel": "signup"},
        "churn": {"inactive_days": 30, "active_events": ["launch"], "payment_error": {"event": "payment_error"},
                  "support_events": ["support_chat"], "segments": ["platform"], "top_k": 20},
        "report": {"output_dir": "reports", "parameters": {
            "onboarding_funnel": {"funnel": "signup", "launch_date": LAUNCH.isoformat(),
                                  "launch_description": "the one-page KYC form"},
            "cart_abandonment": {"policy_launch_date": ""},
        }},
    }


def write(folder: Path, users: int = 750, seed: int = 2025) -> tuple[Path, dict]:
    """Write ``events.csv.gz`` and ``uem.yml`` into ``folder``; return the config path and the truth."""
    folder.mkdir(parents=True, exist_ok=True)
    frame, truth = generate(users, seed)
    with gzip.GzipFile(folder / "events.csv.gz", "wb", mtime=0) as out:
        out.write(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    path = folder / "uem.yml"
    path.write_text(yaml.safe_dump(config(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, truth
