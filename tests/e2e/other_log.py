"""A second clickstream, shaped unlike the bundled sample, for the journey notebook.

A content-and-checkout app exports one CSV: its own column names (``uid``, ``event_time``,
``action``, ``sid``, ``device``), string user ids, its own session ids, Chinese event names,
and no users, carts, NPS or feedback tables. Planted, so a test can check the report finds them:

- a **loop**: a third of the users compare items, going 列表 -> 详情 -> 列表 again and again;
- an **incident**: on :data:`INCIDENT_DAY` payment mostly fails, so 支付 -> 支付成功 falls from
  :data:`PAY_SUCCESS` to :data:`PAY_SUCCESS_INCIDENT`;
- a **bottleneck**: 客服 (customer service) keeps users long and loses most of them.

Everything is drawn from one seeded generator, so the same seed writes the same bytes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

START = datetime(2026, 3, 1)
DAYS = 31
INCIDENT_DAY = "2026-03-12"
PAY_SUCCESS = 0.85
PAY_SUCCESS_INCIDENT = 0.15
COMPARER_SHARE = 0.35
LOOP = ("列表", "详情", "列表")
BOTTLENECK = "客服"

#: Next-action probabilities of ordinary users; "END" ends the session.
CHAIN = {
    "首页": {"搜索": 0.35, "列表": 0.45, "客服": 0.05, "END": 0.15},
    "搜索": {"列表": 0.75, "首页": 0.05, "END": 0.20},
    "列表": {"详情": 0.70, "搜索": 0.10, "END": 0.20},
    "详情": {"下单": 0.35, "收藏": 0.15, "列表": 0.15, "客服": 0.05, "END": 0.30},
    "收藏": {"下单": 0.30, "列表": 0.30, "END": 0.40},
    "下单": {"支付": 0.85, "END": 0.15},
    "客服": {"详情": 0.20, "END": 0.80},
}
#: Comparers go back from 详情 to 列表 far more often.
COMPARER_DETAIL = {"下单": 0.15, "收藏": 0.05, "列表": 0.65, "客服": 0.02, "END": 0.13}
#: Mean seconds before the next action.
DWELL = {"首页": 12, "搜索": 20, "列表": 25, "详情": 45, "收藏": 8, "下单": 30, "支付": 20, "客服": 400}


def generate(users: int = 800, seed: int = 11) -> pd.DataFrame:
    """The clickstream, one row per action, in the app's own column and event names."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        uid = f"u_{u:05d}"
        device = rng.choice(["ios", "android", "web"], p=[0.45, 0.4, 0.15])
        comparer = rng.random() < COMPARER_SHARE
        for s in range(int(rng.integers(1, 7))):
            t = START + timedelta(days=int(rng.integers(0, DAYS)), seconds=int(rng.integers(8 * 3600, 23 * 3600)))
            sid = f"{uid}-{s + 1:02d}"
            action = "首页"
            while True:
                rows.append((uid, t.strftime("%Y-%m-%d %H:%M:%S"), action, sid, device))
                if action == "支付":
                    ok = PAY_SUCCESS_INCIDENT if t.strftime("%Y-%m-%d") == INCIDENT_DAY else PAY_SUCCESS
                    if rng.random() < ok:
                        t += timedelta(seconds=int(rng.integers(2, 6)))
                        rows.append((uid, t.strftime("%Y-%m-%d %H:%M:%S"), "支付成功", sid, device))
                    break
                options = COMPARER_DETAIL if (comparer and action == "详情") else CHAIN[action]
                action = rng.choice(list(options), p=list(options.values()))
                if action == "END":
                    break
                t += timedelta(seconds=1 + int(rng.exponential(DWELL[rows[-1][2]])))
    return pd.DataFrame(rows, columns=["uid", "event_time", "action", "sid", "device"])


def write(folder: Path, users: int = 800, seed: int = 11) -> Path:
    """Write ``clickstream.csv`` and its ``uem.yml`` into ``folder``; return the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    generate(users, seed).to_csv(folder / "clickstream.csv", index=False, encoding="utf-8")
    config = {
        "timezone": "Asia/Shanghai",
        "sources": {"events": {
            "path": "clickstream.csv",
            "columns": {"uid": "user_id", "event_time": "timestamp", "action": "event", "sid": "session_id",
                        "device": "platform"},
        }},
        "funnels": {"purchase": {"title": "下单转化", "steps": ["详情", "下单", "支付", "支付成功"], "window": "1h"}},
        "journey": {"start_event": "首页", "stages": {
            "发现": ["首页", "搜索", "列表"], "决策": ["详情", "收藏"], "购买": ["下单", "支付", "支付成功"],
            "服务": ["客服"]}},
        "report": {"output_dir": "reports", "notebooks": ["journey_analysis"]},
    }
    path = folder / "uem.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
