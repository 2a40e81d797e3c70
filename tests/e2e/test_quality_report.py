"""End to end: a log with planted data-quality problems gives a report whose findings open with each of them.

The cart report (it reads carts, events, users and assignments) runs once through
the pipeline on a small October log with exact duplicate events, checkouts dated
before their cart, two users in both variants of an experiment, and bidirectional
overrides and zero-width spaces in an event property. Its key findings must open
with each problem's sentence, before the analysis findings; the collapsed
data-quality block must list them with pseudonyms only; no hidden character may
reach the page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from uem_helpers.pipeline.run import run_notebook

from tests.planted_quality import BIDI, ZERO_WIDTH

CHECKOUT = ["cart_view", "shipping", "pay"]
HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
RAW_ID = re.compile(r"U\d{5}")
OPENINGS = [  # in check order
    "of the rows of table 'events' are exact duplicates",
    "of checkouts precede their cart",
    "2 users are in more than one variant of the same experiment",
    "values in table 'events' hold invisible or control characters",
]


def _write_planted_case(root: Path) -> Path:
    """60 users with four October carts each, the checkout steps after them, and the problems planted."""
    rng = np.random.default_rng(3)
    users, carts, events = [], [], []
    for u in range(60):
        uid = f"U{u:05d}"
        users.append({"user_id": uid, "signup_at": pd.Timestamp("2026-09-01 08:00"),
                      "platform": "ios" if u % 2 else "android"})
        for day in rng.choice(np.arange(1, 30), size=4, replace=False):
            created = pd.Timestamp(2026, 10, int(day), 10) + pd.Timedelta(minutes=int(rng.integers(0, 300)))
            checked = bool(rng.random() < 0.5)
            steps = CHECKOUT if checked else CHECKOUT[:1]
            events += [{"user_id": uid, "timestamp": created + pd.Timedelta(minutes=1 + k), "event": e, "page": e}
                       for k, e in enumerate(steps)]
            checked_out = created + pd.Timedelta(minutes=3) if checked else pd.NaT
            if checked and len(carts) % 10 == 0:
                checked_out = created - pd.Timedelta(minutes=20)  # planted: checked out before the cart existed
            carts.append({"cart_id": f"C{len(carts):06d}", "user_id": uid, "created_at": created,
                          "cart_value": round(float(rng.uniform(30, 200)), 2), "shipping_fee": 8.0,
                          "checked_out_at": checked_out})
    events = pd.DataFrame(events)
    events.loc[:2, "page"] = [f"cart{BIDI}weiv", f"pay{ZERO_WIDTH}ment", f"ship\x00ping"]  # planted: hidden characters
    events = pd.concat([events, events.iloc[::15]], ignore_index=True)  # planted: exact duplicate rows
    assignments = pd.DataFrame({"user_id": [u["user_id"] for u in users], "experiment": "one_tap",
                                "variant": ["control" if i % 2 else "treatment" for i in range(len(users))],
                                "assigned_at": pd.Timestamp("2026-10-01 00:00")})
    both = assignments.iloc[:2].assign(variant=lambda f: np.where(f.variant == "control", "treatment", "control"))
    assignments = pd.concat([assignments, both], ignore_index=True)  # planted: two users in both variants
    tables = {"users": pd.DataFrame(users), "carts": pd.DataFrame(carts), "events": events, "assignments": assignments}
    for name, frame in tables.items():
        frame.to_parquet(root / f"{name}.parquet", index=False)
    config = {"sources": {name: {"path": f"{name}.parquet"} for name in tables},
              "funnels": {"checkout": {"steps": CHECKOUT, "window": "1d"}},
              "report": {"output_dir": "reports"}}
    (root / "uem.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "uem.yml"


class _Items(HTMLParser):
    """The text of every ``<li>`` and every ``<details>`` start tag of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self.details: list[list[tuple[str, str | None]]] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "li":
            self.items.append("")
            self._depth += 1
        elif tag == "details":
            self.details.append(attrs)

    def handle_endtag(self, tag):
        if tag == "li":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.items[-1] += data


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    result = run_notebook("cart_abandonment", {"period_start": "2026-10-01", "period_end": "2026-10-31",
                                               "policy_launch_date": "2026-10-16"},
                          config_path=_write_planted_case(root), period="2026-10", output_dir=root / "reports")
    assert result.ok, result
    return (root / "reports" / "2026-10" / "cart_abandonment.html").read_text(encoding="utf-8")


def test_the_key_findings_open_with_each_planted_problem(html):
    page = _Items()
    page.feed(html[html.index('id="Key-findings"'):])  # the heading, not its entry in the contents
    # The carts fall on October 1-29 between 10:00 and 15:00: the coverage warning opens the findings.
    assert page.items[0].startswith("Data coverage: The events cover 2026-10-01 1")
    assert "after the period's start and" in page.items[0] and "short of the period's end" in page.items[0]
    quality = [item for item in page.items if item.startswith("Data quality:")]
    assert len(quality) == len(OPENINGS)
    assert page.items[1:len(OPENINGS) + 1] == quality  # before the analysis findings
    assert not page.items[len(OPENINGS) + 1].startswith("Data quality:")
    for item, words in zip(quality, OPENINGS):
        assert words in item, (words, item)
    assert "the A/B readouts count them in both arms" in quality[2]


def test_the_data_quality_block_is_there_and_collapsed(html):
    page = _Items()
    page.feed(html)
    blocks = [attrs for attrs in page.details if ("class", "uem-quality") in attrs]
    assert blocks == [[("class", "uem-quality")]]  # one block, no open attribute
    start = html.index('<details class="uem-quality">')
    block = html[start:html.index("</details>", start)]
    assert re.search(r"<summary>Data quality: \d+ findings, 4 above threshold; the data covers less than the "
                     r"period</summary>", block)
    for what in ("exact duplicate rows", "checkouts before their cart was created",
                 "users in more than one variant of an experiment", "values with invisible or control characters"):
        assert f"<td>{what}</td>" in block, what
    assert len(re.findall(r"u_[0-9a-f]{12}", block)) >= 4  # examples, as pseudonyms


def test_no_raw_id_and_no_hidden_character_reaches_the_report(html):
    shown = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", html)  # images' bytes can spell "U12345"
    assert not RAW_ID.search(shown), RAW_ID.search(shown).group()
    assert not HIDDEN.search(html), repr(HIDDEN.search(html).group())
