"""A file the engine cannot read gets a short message naming it, never its bytes."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import SourceError
from uem_helpers.data.sources import load

SECRET = b"13812345678 zhang.san@example.com"


def _events_parquet(path):
    pd.DataFrame({"user_id": ["u1"] * 500, "timestamp": pd.Timestamp("2026-10-01"), "event": "x"}).to_parquet(path)
    return path


@pytest.mark.parametrize("damage", ["truncated", "not_parquet"])
def test_a_damaged_parquet_file_is_named_in_a_few_lines(tmp_path, damage):
    path = tmp_path / "events.parquet"
    if damage == "truncated":
        whole = _events_parquet(tmp_path / "whole.parquet").read_bytes()
        path.write_bytes(whole[: len(whole) // 2] + SECRET)
    else:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + SECRET * 20)
    with pytest.raises(SourceError) as caught:
        load(config_from_dict({"sources": {"events": {"path": str(path)}}}))
    message = str(caught.value)
    expected = "is not a readable Parquet file" if damage == "truncated" else "is a PNG image, not a Parquet file"
    assert str(path) in message and expected in message
    assert "13812345678" not in message and "\x89" not in message  # named as what it is, never echoed
    assert len(message.splitlines()) <= 5
