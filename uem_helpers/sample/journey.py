"""Story 3: browsing sessions as a Markov chain over touchpoints, with carts inside.

Every browsing session starts with ``app_open`` and moves between
touchpoints with the transition rows of :func:`.design.transition_matrix`,
spending a gamma distributed dwell time (means in
:data:`.design.DWELL_MEAN_S`) on each. ``customer_service`` is the planted
bottleneck: eight-minute dwell and a 65% chance of ending the session.
Users flagged as loopers bounce between ``product_view`` and ``size_guide``
and convert less. An ``add_to_cart`` creates a cart (:mod:`.carts`) whose
outcome fixes the checkout path: ``cart_view``, then ``shipping_info``,
``payment`` and ``order_success`` as far as the cart gets; after it the
session goes on with the ``after_order`` or ``after_abandon`` row.

The loop runs over journey *steps*, each step advancing all live sessions
of the chunk at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uem_helpers.sample import design as d
from uem_helpers.sample.carts import Carts, make_carts
from uem_helpers.sample.population import EventBatch

_ADD, _ORDER = d.S["add_to_cart"], d.S["order_success"]
_DWELL = np.array([d.DWELL_MEAN_S.get(name, 1.0) for name in d.EVENTS], dtype=float)


@dataclass(frozen=True)
class CartRows:
    """Carts created in one chunk, in creation order."""

    session: np.ndarray
    created_at: np.ndarray
    checked_out_at: np.ndarray
    """Local epoch seconds of order_success, -1 when abandoned."""
    carts: Carts

    def subset(self, keep: np.ndarray) -> "CartRows":
        """The carts where ``keep`` is true."""
        return CartRows(self.session[keep], self.created_at[keep], self.checked_out_at[keep],
                        Carts(*(getattr(self.carts, f)[keep] for f in Carts.__dataclass_fields__)))


def browse(
    rng: np.random.Generator,
    session: np.ndarray,
    start: np.ndarray,
    looper: np.ndarray,
    treated: np.ndarray,
) -> tuple[EventBatch, CartRows]:
    """Play the browsing sessions of a chunk.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chunk's random generator.
    session : numpy.ndarray
        Schedule indices of the browsing sessions.
    start : numpy.ndarray
        Their start times (local epoch seconds).
    looper : numpy.ndarray of bool
        The session's user loops between product_view and size_guide.
    treated : numpy.ndarray of bool
        The session's user is in the rollout's treatment arm and already assigned.

    Returns
    -------
    events : EventBatch
    carts : CartRows
    """
    cum = np.cumsum(np.stack([d.transition_matrix(False), d.transition_matrix(True)]), axis=2)
    n = session.size
    state = np.full(n, d.S["app_open"], dtype=np.int64)
    t = start.astype(np.int64).copy()
    target = np.full(n, -1, dtype=np.int64)  # last checkout event of the session's open cart
    cart_of = np.full(n, -1, dtype=np.int64)
    loop_row = looper.astype(np.int64)
    live = np.arange(n)
    out: list[EventBatch] = []
    carts: list[Carts] = []
    cart_session, cart_created, checkout_pos, checkout_time = [], [], [], []
    n_carts, step = 0, 0
    while live.size:
        st, now = state[live], t[live]
        out.append(EventBatch(session[live], now, st, np.full(live.size, step)))
        new = np.flatnonzero(st == _ADD)
        if new.size:
            ids = live[new]
            made = make_carts(rng, now[new], looper[ids], treated[ids])
            carts.append(made)
            target[ids] = made.stage
            cart_of[ids] = n_carts + np.arange(new.size)
            cart_session.append(session[ids])
            cart_created.append(now[new])
            n_carts += new.size
        done = np.flatnonzero(st == _ORDER)
        checkout_pos.append(cart_of[live[done]])
        checkout_time.append(now[done])

        in_cart = (st >= _ADD) & (st <= _ORDER)
        at_end = in_cart & (st == target[live])
        row = np.where(at_end, np.where(st == _ORDER, d.AFTER_ORDER, d.AFTER_ABANDON), st)
        nxt = (rng.random(live.size)[:, None] >= cum[loop_row[live], row]).sum(axis=1)
        nxt = np.minimum(nxt, d.EXIT)
        nxt = np.where(in_cart & ~at_end, st + 1, nxt)
        too_long = (step + 1 >= d.BROWSE_MAX_STEPS) | (now - start[live] >= d.BROWSE_MAX_ELAPSED_S)
        nxt = np.where(too_long & ~(in_cart & ~at_end), d.EXIT, nxt)
        dwell = np.minimum(np.floor(rng.gamma(d.DWELL_SHAPE, _DWELL[st] / d.DWELL_SHAPE)), d.DWELL_CAP_S)
        t[live] = now + dwell.astype(np.int64)
        state[live] = nxt
        live = live[nxt != d.EXIT]
        step += 1

    checked = np.full(n_carts, -1, dtype=np.int64)
    pos = np.concatenate(checkout_pos).astype(np.int64) if checkout_pos else np.empty(0, np.int64)
    checked[pos] = np.concatenate(checkout_time)
    if not carts:  # typed empty arrays (draws of size 0 leave the generator untouched)
        carts.append(make_carts(rng, np.empty(0, np.int64), np.empty(0, bool), np.empty(0, bool)))
    cart_rows = CartRows(
        _cat(cart_session), _cat(cart_created), checked,
        Carts(*(np.concatenate([getattr(c, f) for c in carts]) for f in Carts.__dataclass_fields__)),
    )
    return EventBatch.concat(out) if out else EventBatch(*(np.empty(0, np.int64),) * 4), cart_rows


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)
