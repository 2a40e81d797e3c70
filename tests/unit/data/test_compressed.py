"""Compressed exports are read directly: ``events.csv.gz`` and ``events.csv.zst`` (UTF-8 or GBK), alone or
in a folder; a damaged zstd file is named as such; Parquet in every codec."""

from __future__ import annotations

import gzip

import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import SourceError
from uem_helpers.data.sources import load

CSV = "user_id,timestamp,event\n0000007,2026-10-01 10:00:00,开户开始\n0000042,2026-10-02 11:00:00,app_open\n"


def _load(path, tmp_path, **source):
    config = {"sources": {"events": {"path": str(path), **source}}, "cache_dir": str(tmp_path / "cache")}
    return load(config_from_dict(config, base_dir=tmp_path))


def _gzip(data: bytes, path):
    path.write_bytes(gzip.compress(data))


def _zstd(data: bytes, path):
    import pyarrow as pa

    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(data)


COMPRESSORS = {".gz": _gzip, ".zst": _zstd}


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_compressed_csv_is_read_directly(tmp_path, encoding, suffix):
    path = tmp_path / f"events.csv{suffix}"
    COMPRESSORS[suffix](CSV.encode(encoding), path)
    events = _load(path, tmp_path)["events"].to_pandas()
    assert sorted(events.user_id) == ["0000007", "0000042"] and "开户开始" in set(events.event)


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_a_folder_of_compressed_csv_parts_is_read(tmp_path, suffix):
    folder = tmp_path / "export"
    folder.mkdir()
    header, *rows = CSV.splitlines()
    for i, row in enumerate(rows):
        COMPRESSORS[suffix](f"{header}\n{row}\n".encode(), folder / f"part-{i}.csv{suffix}")
    assert _load(folder, tmp_path, format="csv")["events"].count().execute() == 2


def test_a_damaged_zstd_file_is_named_as_such(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(64))
    with pytest.raises(SourceError, match="damaged zstd file"):
        _load(path, tmp_path)


@pytest.mark.parametrize("codec", ["snappy", "gzip", "zstd", "brotli", "lz4", "none"])
def test_parquet_is_read_whatever_its_codec(tmp_path, codec):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pa.table({"user_id": ["0000007", "0000042", "0000042"],
                      "timestamp": ["2026-10-01 10:00:00", "2026-10-02 11:00:00", "2026-10-02 11:05:00"],
                      "event": ["开户开始", "app_open", "app_open"]})
    path = tmp_path / f"events.{codec}.parquet"
    pq.write_table(frame, path, compression=codec)
    events = _load(path, tmp_path)["events"].to_pandas()
    assert sorted(events.user_id) == ["0000007", "0000042", "0000042"]
    assert events.event.value_counts().to_dict() == {"app_open": 2, "开户开始": 1}
