"""Hand-made logs shared by the journey flow tests, and the sample with its planted truth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from tests.conftest import CONFIG_PATH, SAMPLE_DIR
from uem_helpers.analyses.sessions import SESSION_END

T0 = datetime(2026, 10, 1, 9, 0, 0)
END = SESSION_END


def frame(rows, **extra) -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": pd.Series([r[0] for r in rows], dtype="string"),
        "timestamp": pd.Series([T0 + timedelta(seconds=r[1]) for r in rows], dtype="datetime64[us]"),
        "event": pd.Series([r[2] for r in rows], dtype="string"),
        **extra,
    })


def log(rows, **extra) -> ibis.Table:
    """Events from (user, seconds after T0, event) triples."""
    return ibis.memtable(frame(rows, **extra))


def pairs(out: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r.source, r.target): int(r.transitions) for r in out.itertuples()}


@pytest.fixture(scope="module")
def sample():
    from uem_helpers.core.config import load_config
    from uem_helpers.data.sources import load

    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["journey"]
    return load(load_config(CONFIG_PATH))["events"], truth["realised"]
