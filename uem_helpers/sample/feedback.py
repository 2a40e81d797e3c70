"""Story 6: feedback items in Chinese and English, with themes, replies, resolutions and personal data.

Items follow sessions (probability :data:`.design.FEEDBACK_PER_SESSION`)
and carry a theme drawn from the month's mix (:data:`.design.THEME_MIX`:
payment spikes in September 2026), plus one payment complaint for about
half of the payments the incident broke. Replies take a log-normal time
(some beyond the 24 h SLA); some replied items are resolved, a share of
them with a "we did" note naming the product change. Some texts carry a
phone number, an e-mail address or an ID number, and some carry
near-misses (order and tracking numbers, prices, dates) that are not
personal data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uem_helpers.sample import design as d
from uem_helpers.sample import texts as tx
from uem_helpers.sample.survey import month_index

_THEME_TOUCHPOINT = {"shipping": "delivery", "payment": "payment", "account_opening": "account_opening",
                     "app_performance": "app", "customer_service": "customer_service",
                     "product_quality": "product_view"}


def make_feedback(
    rng: np.random.Generator,
    user: np.ndarray,
    end: np.ndarray,
    failed_user: np.ndarray,
    failed_at: np.ndarray,
) -> pd.DataFrame:
    """Draw the feedback items of one chunk.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    user, end : numpy.ndarray
        Chunk user index and last event time of every session.
    failed_user, failed_at : numpy.ndarray
        User and time of the carts whose payment the incident broke.

    Returns
    -------
    pandas.DataFrame
        One row per item, sorted by user and time: ``user``, ``anonymous``, ``created_at``,
        ``channel``, ``text``, ``rating`` (0 = blank), ``theme``, ``labelled``, ``touchpoint``,
        ``first_reply_at``/``resolved_at`` (-1 = none), ``resolution``, ``english``,
        ``incident``, one boolean column per personal-data and near-miss kind, ``phone_format``, and
        per personal-data kind ``<kind>_value``: the value planted in the text ("" for none).
    """
    after = np.flatnonzero(rng.random(user.size) < d.FEEDBACK_PER_SESSION)
    n_base, n_inc = after.size, failed_user.size
    complains = rng.random(n_inc) < d.INCIDENT_COMPLAINT_P
    f_user = np.concatenate([user[after], failed_user[complains]]).astype(np.int64)
    created = np.concatenate([end[after] + rng.integers(60, 7200, n_base),
                              failed_at[complains] + rng.integers(600, 6 * 3600, int(complains.sum()))])
    created = np.minimum(created, d.PERIOD_END)
    incident = np.r_[np.zeros(n_base, bool), np.ones(int(complains.sum()), bool)]
    order = np.lexsort((created, f_user))
    f_user, created, incident = f_user[order], created[order], incident[order]
    n = f_user.size

    mix = np.array([d.THEME_MIX[m] for m in d.MONTHS], dtype=float)
    mix = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)[month_index(created)]
    theme = (rng.random(n)[:, None] >= mix).sum(axis=1).clip(0, len(d.THEMES) - 1)
    theme = np.where(incident, d.THEMES.index("payment"), theme)
    channel = rng.choice(d.FEEDBACK_CHANNELS, n, p=d.FEEDBACK_CHANNEL_P)
    english = rng.random(n) < d.ENGLISH_P
    text = _texts(rng, theme, english)

    frame = {"user": f_user, "anonymous": rng.random(n) < d.ANONYMOUS_FEEDBACK_P, "created_at": created,
             "channel": channel, "theme": theme, "english": english, "incident": incident}
    extras: list[list[str]] = [[] for _ in range(n)]
    for kind, p in d.PII_P.items():
        has = rng.random(n) < p
        frame[kind] = has
        rows = np.flatnonzero(has)
        if kind == "phone":
            values, fmt = tx.phone(rng, rows.size)
            frame["phone_format"] = np.full(n, -1)
            frame["phone_format"][rows] = fmt
        else:
            values = tx.email(rng, rows.size) if kind == "email" else tx.id_number(rng, rows.size)
        frame[f"{kind}_value"] = np.full(n, "", dtype=object)
        frame[f"{kind}_value"][rows] = values
        _add(extras, rows, values, tx.PII_CLAUSES[kind], english)
    for kind, p in d.NEAR_MISS_P.items():
        has = rng.random(n) < p
        frame[kind] = has
        rows = np.flatnonzero(has)
        _add(extras, rows, tx.near_miss(rng, kind, created[rows]), tx.NEAR_MISS_CLAUSES[kind], english)
    frame["text"] = [_join(t, e, x) for t, e, x in zip(text, english, extras)]

    rating = rng.choice([1, 2, 3, 4, 5], n, p=[0.30, 0.28, 0.20, 0.12, 0.10])
    frame["rating"] = np.where(rng.random(n) < d.RATING_BLANK_P, 0, rating)
    frame["labelled"] = rng.random(n) < d.LABELLED_P
    frame["touchpoint"] = np.array([_THEME_TOUCHPOINT[t] for t in d.THEMES])[theme]
    reply_h = np.exp(rng.normal(np.log(d.REPLY_MEDIAN_H), d.REPLY_SIGMA, n))
    reply_h = np.where(channel == "phone_callback", reply_h * 0.3, reply_h)
    first_reply = created + np.ceil(reply_h * 3600).astype(np.int64)
    resolved = first_reply + np.ceil(np.exp(rng.normal(np.log(d.RESOLVE_MEDIAN_H * 3600), 0.8, n))).astype(np.int64)
    replied = (first_reply <= d.PERIOD_END) & (rng.random(n) >= d.UNANSWERED_P)
    is_resolved = replied & (rng.random(n) < d.RESOLVE_P) & (resolved <= d.PERIOD_END)
    frame["first_reply_at"] = np.where(replied, first_reply, -1)
    frame["resolved_at"] = np.where(is_resolved, resolved, -1)
    we_did = is_resolved & (rng.random(n) < d.WE_DID_P)
    frame["resolution"] = [_note(d.THEMES[t], r) if w else "" for t, r, w in zip(theme, resolved, we_did)]
    return pd.DataFrame(frame)


def _texts(rng: np.random.Generator, theme: np.ndarray, english: np.ndarray) -> list[str]:
    """Fill a random template of each item's theme and language."""
    pick = rng.integers(0, 1000, theme.size)
    product = rng.integers(0, len(tx.PRODUCTS[0]), theme.size)
    courier = rng.choice(tx.COURIERS, theme.size)
    days, hours, minutes = (rng.integers(2, 9, theme.size), rng.integers(2, 49, theme.size),
                            rng.integers(5, 41, theme.size))
    out = []
    for i, (t, e) in enumerate(zip(theme, english)):
        templates = tx.FEEDBACK[d.THEMES[t]][int(e)]
        out.append(templates[pick[i] % len(templates)].format(
            product=tx.PRODUCTS[int(e)][product[i]], courier=courier[i], days=days[i],
            hours=hours[i], minutes=minutes[i]))
    return out


def _add(extras: list[list[str]], rows: np.ndarray, values: list[str], clauses: tuple[str, str],
         english: np.ndarray) -> None:
    """Append a clause carrying ``values`` to the extra sentences of the given rows."""
    for r, v in zip(rows.tolist(), values):
        extras[r].append(clauses[int(english[r])].format(v=v))


def _join(text: str, english: bool, extras: list[str]) -> str:
    if not extras:
        return text
    return text + (" " + ". ".join(e[0].upper() + e[1:] for e in extras) + "." if english
                   else "".join(e + "。" for e in extras))


def _note(theme: str, resolved_at: int) -> str:
    """The newest product change of the theme that was live when the item was resolved."""
    return [note for since, note in tx.WE_DID[theme] if since <= resolved_at][-1]
