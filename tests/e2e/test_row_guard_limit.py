"""The row guard's limit for the sample's reports sits above every per-user result and below every row-level table."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from ..conftest import SAMPLE_DIR
from .conftest import GUARD_ROWS


def test_the_limit_lies_between_the_samples_users_and_its_carts_and_events():
    users = len(pd.read_csv(SAMPLE_DIR / "users.csv"))
    carts = len(pd.read_csv(SAMPLE_DIR / "carts.csv"))
    events = pq.read_metadata(SAMPLE_DIR / "events.parquet").num_rows
    assert users < GUARD_ROWS < carts < events
