"""The benchmark's two event logs, generated once into ``benchmarks/data/`` (git-ignored) and reused.

``sample``
    The project's own sample generator (:func:`uem_helpers.sample.generate`, about 92 events per
    user: 11,000 users ≈ 1M events, 110,000 ≈ 10M). Its timestamps are tz-aware and are
    canonicalised to naive Asia/Shanghai wall-clock times. Its ``session_id`` column is dropped,
    so sessions come from the 30-minute gap rule, and it has a carts table.
``other``
    A differently shaped log made here with numpy and pyarrow, deterministic by seed and written in
    chunks (so 100M events never sit in memory at once): heavy-tailed users (lognormal events per
    user plus a few users with tens of thousands), long sessions with a ``session_id`` on every
    row, 500 event names (a journey of six steps, a cancel event and a size-guide loop that some
    sessions follow; the rest Zipf noise), 19-digit user ids, second-resolution timestamps (many
    ties), rows shuffled across 32 Parquet files. It has no carts table.

Each log is loaded once into ``benchmarks/data/<workload>_<size>.duckdb`` (table ``events`` with
the canonical columns read from the Parquet files, plus ``carts`` / ``carts_generated`` for the
sample) and opened read-only by every run, so a fresh process opens it at no cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
SEED = 1
FILES = 32
#: Copies of the generated carts in the ``carts`` table (see :func:`_add_carts`).
CART_COPIES = 20
#: Sample users per million events (the generator makes ~92 events per user: 10,153,022 at 110,000 users).
SAMPLE_USERS_PER_MILLION = 11_000

SPAN_SECONDS = 184 * 86400  # 2026-05-01 .. 2026-10-31
START = np.datetime64("2026-05-01T00:00:00", "s")
JOURNEY = ["j_landing", "j_search", "j_item", "j_size_guide", "j_cart", "j_cancel", "j_checkout", "j_paid"]
#: What a journey session does, step by step (truncated at its depth): the plain funnel, a size-guide
#: loop, a cancel between cart and checkout (the funnel's exclusion), a search loop.
TEMPLATES = [
    ["j_landing", "j_search", "j_item", "j_cart", "j_checkout", "j_paid"],
    ["j_landing", "j_item", "j_size_guide", "j_item", "j_cart", "j_checkout", "j_paid"],
    ["j_landing", "j_search", "j_item", "j_cart", "j_cancel", "j_checkout", "j_paid"],
    ["j_landing", "j_search", "j_item", "j_search", "j_item", "j_cart", "j_checkout"],
]
NOISE = [f"e_{i:03d}" for i in range(500 - len(JOURNEY))]
PLATFORMS = ["android", "ios", "web", "mini_program"]
SAMPLE_STAGES = {
    "discover": ["app_open", "home_view", "search", "category_view"],
    "consider": ["product_view", "size_guide", "review_view"],
    "purchase": ["add_to_cart", "cart_view", "shipping_info", "payment", "order_success"],
    "service": ["customer_service", "return_request"],
}


@dataclass(frozen=True)
class Shape:
    """What the cases of one workload ask for, the way the notebooks and stories ask for it."""

    funnel: list[str]
    funnel_window: str
    exclude_funnel: list[str]
    exclude_window: str
    exclude: list[str]
    start_event: str
    tie_order: tuple[str, ...]
    conversion: str
    goals: list[str]
    incident_steps: list[str]
    has_session_ids: bool
    has_carts: bool
    segment: str = "platform"
    extra: dict = field(default_factory=dict)


SHAPES = {
    # uem.yml: the account-opening funnel (1 h), the checkout funnel (1 d), the journey's stages as the tie order,
    # the checkout funnel as the conversion / incident steps, every funnel's last step a goal.
    "sample": Shape(
        funnel=["open_start", "info_submitted", "id_verified", "card_bound", "open_success"], funnel_window="1h",
        exclude_funnel=["cart_view", "shipping_info", "payment", "order_success"], exclude_window="1d",
        exclude=["customer_service"], start_event="app_open",
        tie_order=tuple(e for events in SAMPLE_STAGES.values() for e in events), conversion="order_success",
        goals=["open_success", "order_success"], incident_steps=["cart_view", "shipping_info", "payment", "order_success"],
        has_session_ids=False, has_carts=True,
    ),
    "other": Shape(
        funnel=["j_landing", "j_search", "j_item", "j_cart", "j_checkout", "j_paid"], funnel_window="1h",
        exclude_funnel=["j_item", "j_cart", "j_checkout", "j_paid"], exclude_window="1d", exclude=["j_cancel"],
        start_event="j_landing", tie_order=tuple(JOURNEY), conversion="j_paid", goals=["j_paid"],
        incident_steps=["j_landing", "j_item", "j_cart", "j_checkout", "j_paid"], has_session_ids=True,
        has_carts=False,
    ),
}


def events_of(size: str) -> int:
    """``"1M"`` -> 1_000_000, ``"10M"``, ``"100M"``, ``"250k"``."""
    m = re.fullmatch(r"(\d+)([kKmM]?)", size)
    if not m:
        raise ValueError(f"size {size!r}: give a number of events such as 1M, 10M or 100M")
    return int(m[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[m[2].lower()]


def database(workload: str, size: str, *, progress: bool = True) -> Path:
    """The benchmark database of one workload and size, generated and built when absent."""
    path = DATA / f"{workload}_{size}.duckdb"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    n = events_of(size)
    if workload == "sample":
        folder = _sample_files(n, progress)
        select = ("SELECT user_id::VARCHAR AS user_id, timezone('Asia/Shanghai', timestamp) AS timestamp, "
                  f"event::VARCHAR AS event, platform::VARCHAR AS platform FROM read_parquet('{folder}/events.parquet')")
    elif workload == "other":
        folder = other_files(n, SEED, progress=progress)
        select = ("SELECT user_id, timestamp::TIMESTAMP AS timestamp, event, session_id, platform "
                  f"FROM read_parquet('{folder}/*.parquet')")
    else:
        raise ValueError(f"workload {workload!r}: sample or other")
    if progress:
        print(f"Building {path} ...", flush=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    raw = duckdb.connect(str(partial))
    raw.execute(f"CREATE TABLE events AS {select}")
    if workload == "sample":
        _add_carts(raw, folder)
    raw.close()
    partial.rename(path)
    return path


def _sample_files(n_events: int, progress: bool) -> Path:
    users = max(1_000, round(n_events / 1_000_000 * SAMPLE_USERS_PER_MILLION))
    out = DATA / f"sample_users{users}_seed{SEED}"
    if not (out / "events.parquet").exists():
        from uem_helpers.sample import generate

        if progress:
            print(f"Generating the sample with {users:,} users into {out} ...", flush=True)
        generate(out, users=users, seed=SEED, progress=progress)
    return out


def _add_carts(raw: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """``carts_generated`` (the sample's carts) and ``carts``: those copied :data:`CART_COPIES` times.

    A cart helper's query over the generated carts alone takes a few milliseconds, less than
    Ibis's fixed cost of building and compiling a query, so the ratio would measure Ibis, not
    the helper. Copy ``k`` has ``cart_id`` and ``user_id`` suffixed ``~k`` (every cart and user
    distinct); every other column is unchanged, so counts scale by the copies and rates, means
    and fitted coefficients are those of the generated carts.
    """
    raw.execute(
        "CREATE TABLE carts_generated AS SELECT cart_id::VARCHAR AS cart_id, user_id::VARCHAR AS user_id, "
        "created_at::TIMESTAMP AS created_at, cart_value::DOUBLE AS cart_value, shipping_fee::DOUBLE AS shipping_fee, "
        "checked_out_at::TIMESTAMP AS checked_out_at, order_value::DOUBLE AS order_value, discount::DOUBLE AS discount "
        f"FROM read_csv('{folder / 'carts.csv'}', all_varchar = true)"
    )
    raw.execute(
        "CREATE TABLE carts AS SELECT cart_id || '~' || k AS cart_id, user_id || '~' || k AS user_id, created_at, "
        "cart_value, shipping_fee, checked_out_at, order_value, discount "
        f"FROM carts_generated, range({CART_COPIES}) AS copies(k) ORDER BY created_at"
    )


# --- the "other" log ---------------------------------------------------------------------------------


def other_files(n_events: int, seed: int, *, files: int = FILES, chunk_events: int = 2_000_000,
                progress: bool = False) -> Path:
    """Write the "other" log of about ``n_events`` events into ``files`` Parquet files; reuse it when present.

    Users are drawn first (their event counts, ids, platforms, start times: a few numbers each);
    then the events are made ``chunk_events`` at a time, shuffled, and each chunk's rows are
    spread at random over the files (one row group per chunk and file), so no file is sorted by
    user or time and memory stays at one chunk.
    """
    out = DATA / f"other_{n_events}_seed{seed}"
    if (out / "_done").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    counts = _user_counts(rng, n_events)
    n_users = len(counts)
    ids = rng.integers(10**18, 9 * 10**18, n_users, dtype=np.int64)  # 19 digits; a repeat is ~1e-7 likely
    if len(np.unique(ids)) != n_users:
        raise RuntimeError(f"seed {seed}: two users drew the same id; use another seed")
    platform = rng.integers(0, len(PLATFORMS), n_users)
    start = rng.integers(0, SPAN_SECONDS // 3, n_users)
    schema = pa.schema([("user_id", pa.string()), ("timestamp", pa.timestamp("s")), ("event", pa.string()),
                        ("session_id", pa.string()), ("platform", pa.string())])
    writers = [pq.ParquetWriter(out / f"part-{i:03d}.parquet", schema) for i in range(files)]
    try:
        ends = np.cumsum(counts)
        first = 0
        chunk = 0
        while first < n_users:
            last = int(np.searchsorted(ends, (ends[first - 1] if first else 0) + chunk_events, side="right"))
            last = max(last, first + 1)
            table = _other_chunk(np.random.default_rng([seed, chunk]), first, counts[first:last], ids[first:last],
                                 platform[first:last], start[first:last])
            part = np.random.default_rng([seed, chunk, 1]).integers(0, files, table.num_rows)
            for i, writer in enumerate(writers):
                writer.write_table(table.filter(pa.array(part == i)))
            if progress:
                print(f"  other: users {last:,}/{n_users:,}, events {int(ends[last - 1]):,}", flush=True)
            first, chunk = last, chunk + 1
    finally:
        for writer in writers:
            writer.close()
    (out / "_done").write_text(f"{int(counts.sum())} events, {n_users} users\n")
    return out


def _user_counts(rng: np.random.Generator, n_events: int) -> np.ndarray:
    """Events per user: lognormal (median 20, mean ~50) plus a few users with tens of thousands; summing to n_events."""
    heavy = rng.integers(10_000, 50_000, 5) if n_events >= 1_000_000 else np.array([], dtype=np.int64)
    body = n_events - int(heavy.sum())
    draws = np.maximum(1, rng.lognormal(3.0, 1.3, int(body / 40) + 1000).astype(np.int64))
    while draws.sum() < body:
        draws = np.concatenate([draws, np.maximum(1, rng.lognormal(3.0, 1.3, 10_000).astype(np.int64))])
    cut = int(np.searchsorted(np.cumsum(draws), body))
    draws = draws[: cut + 1]
    draws[-1] -= int(draws.sum()) - body
    counts = np.concatenate([draws[draws > 0], heavy]).astype(np.int64)
    return counts[rng.permutation(len(counts))]


def _other_chunk(rng, first: int, counts, ids, platform, start) -> pa.Table:
    """The events of one run of consecutive users, shuffled."""
    n = int(counts.sum())
    user = np.repeat(np.arange(len(counts)), counts)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    index = np.arange(n) - offsets  # the event's index within its user
    # Sessions: a new one with probability 1/30 per event (long sessions), always at a user's first event.
    breaks = (rng.random(n) < 1 / 30) | (index == 0)
    session_no = np.cumsum(breaks)
    session_no -= np.repeat(session_no[np.cumsum(counts) - counts] - 1, counts)  # 1-based within the user
    sessions_of_user = np.bincount(user, weights=breaks, minlength=len(counts))
    # Seconds to the previous event: within a session 0 (a tie, 20%), mostly seconds, sometimes an
    # hour (a long session over the 30-minute gap); between sessions a share of the user's span.
    within = np.where(rng.random(n) < 0.2, 0, rng.exponential(25, n).astype(np.int64) + 1)
    within = np.where(rng.random(n) < 0.02, rng.integers(1800, 7200, n), within)
    between = rng.exponential((0.6 * SPAN_SECONDS / sessions_of_user)[user]).astype(np.int64) + 1800
    step = np.where(index == 0, 0, np.where(breaks, between, within))
    seconds = np.cumsum(step)
    seconds -= np.repeat(seconds[np.cumsum(counts) - counts], counts)
    # A user whose events would run past the span has their gaps shrunk to fit (more ties, order kept).
    room = (SPAN_SECONDS - 1 - start) / np.maximum(1, seconds[np.cumsum(counts) - 1])
    seconds = start[user] + np.floor(seconds * np.minimum(1.0, room)[user]).astype(np.int64)
    # Events: noise by a Zipf law over 492 names; a quarter of the sessions follow a journey template
    # from a random offset, to a random depth.
    weights = 1.0 / np.arange(1, len(NOISE) + 1) ** 1.1
    event_idx = rng.choice(len(NOISE), n, p=weights / weights.sum())
    names = np.array(NOISE + JOURNEY, dtype=object)
    session_start = np.flatnonzero(breaks)
    session_len = np.diff(np.append(session_start, n))
    pos = np.arange(n) - np.repeat(session_start, session_len)
    n_sessions = len(session_start)
    follows = rng.random(n_sessions) < 0.25
    template = rng.integers(0, len(TEMPLATES), n_sessions)
    depth = np.minimum(rng.geometric(0.18, n_sessions) + 1, 7)
    offset = (rng.random(n_sessions) * np.maximum(1, session_len // 3)).astype(np.int64)
    width = max(len(t) for t in TEMPLATES)
    grid = np.full((len(TEMPLATES), width), -1)
    for i, t in enumerate(TEMPLATES):
        grid[i, : len(t)] = [len(NOISE) + JOURNEY.index(e) for e in t]
    k = pos - np.repeat(offset, session_len)
    s_follows, s_template, s_depth = (np.repeat(a, session_len) for a in (follows, template, depth))
    in_journey = s_follows & (k >= 0) & (k < s_depth) & (k < width)
    chosen = np.where(in_journey, grid[s_template, np.clip(k, 0, width - 1)], -1)
    event_idx = np.where(chosen >= 0, chosen, event_idx)
    order = rng.permutation(n)
    user_ids = ids.astype(str)
    session_ids = np.char.add(np.char.add("s", (first + user).astype(str)), np.char.add("-", session_no.astype(str)))
    return pa.table({
        "user_id": pa.array(user_ids[user][order]),
        "timestamp": pa.array((START + seconds.astype("timedelta64[s]"))[order]),
        "event": pa.array(names[event_idx][order].tolist(), pa.string()),
        "session_id": pa.array(session_ids[order]),
        "platform": pa.array(np.array(PLATFORMS, dtype=object)[platform[user][order]].tolist(), pa.string()),
    })
