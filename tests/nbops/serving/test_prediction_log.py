"""The prediction log on its own: rotation by rows, bytes and time; bounded buffer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nbops.serving._prediction_log import PredictionLog, log_schema, read_parts


def _rows(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "request_id": [f"r{start + i}" for i in range(n)], "row": np.zeros(n, np.int32),
        "logged_at": pd.Timestamp.now(tz="UTC"), "model": "m",
        "model_version": np.int32(1), "score": np.linspace(0, 1, n), "label": np.int8(0),
        "x": np.arange(n, dtype=float), "c": ["a"] * n})


SCHEMA = log_schema(["x"], ["c"])


def test_parts_rotate_by_rows_and_nothing_is_lost(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_seconds=60, rotate_rows=100, max_buffer_rows=40)
    for k in range(10):
        log.append(_rows(30, 30 * k), SCHEMA)  # the buffer limit makes appends write
    assert len(list(tmp_path.glob("part-*.parquet"))) >= 2  # rotated while running
    log.close()
    assert not list(tmp_path.glob("*.arrows"))
    logged = read_parts(tmp_path)
    assert len(logged) == 300 and logged["request_id"].is_unique


def test_parts_rotate_by_bytes_and_time(tmp_path: Path) -> None:
    by_bytes = PredictionLog(tmp_path / "b", flush_seconds=60, rotate_bytes=1, max_buffer_rows=5)
    by_bytes.append(_rows(5), SCHEMA)
    by_bytes.append(_rows(5, 5), SCHEMA)
    assert len(list((tmp_path / "b").glob("part-*.parquet"))) == 2
    by_bytes.close()
    by_time = PredictionLog(tmp_path / "t", flush_seconds=0.05, rotate_seconds=0.2)
    by_time.append(_rows(3), SCHEMA)
    deadline = time.monotonic() + 20
    while not list((tmp_path / "t").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read_parts(tmp_path / "t")) == 3
    assert list((tmp_path / "t").glob("part-*.parquet")), "the part was not closed in time"
    by_time.close()


def test_rows_built_later_need_their_count(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, flush_seconds=60)
    try:
        with pytest.raises(TypeError, match=r"needs rows="):
            log.append(lambda: _rows(3), SCHEMA)
        log.append(lambda: _rows(3), SCHEMA, rows=3)
    finally:
        log.close()
    assert len(read_parts(tmp_path)) == 3
