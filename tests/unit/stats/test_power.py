"""Users needed for a given power (uem_helpers.stats._power): a known answer."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from uem_helpers.stats import users_needed

from tests.unit.stats.by_hand import Z95


def test_users_needed_known_answer():
    # se 0.02 with 1,000 users, effect 0.03 at 5% / 80%: 1000 · 0.02² · (1.95996 + 0.84162)² / 0.03² = 3,488.4
    z = Z95 + norm.ppf(0.8)
    assert users_needed(0.02, 1000, 0.03) == pytest.approx(1000 * 0.0004 * z**2 / 0.0009)
    assert round(users_needed(0.02, 1000, 0.03)) == 3488
    assert users_needed(0.02, 1000, 0.0) == math.inf
    with pytest.raises(ValueError, match="power must be between 0 and 1"):
        users_needed(0.02, 1000, 0.03, power=1.5)
