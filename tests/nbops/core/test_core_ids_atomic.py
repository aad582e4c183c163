"""Run ids and atomic writes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from nbops.core._atomic import atomic_write_json, atomic_write_text
from nbops.core._ids import is_run_id, new_run_id, parse_iso, utc_now_iso


def test_run_ids_are_well_formed_unique_and_sort_by_time() -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    ids = [new_run_id(start + timedelta(microseconds=i)) for i in range(200)]
    assert all(is_run_id(run_id) for run_id in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == 200
    assert ids[0].startswith("20260102T030405600000Z-")
    assert not is_run_id("20260102T030405Z-abcdef")
    assert not is_run_id("../../etc/passwd")


def test_timestamps_round_trip() -> None:
    stamp = utc_now_iso()
    assert stamp.endswith("Z")
    assert abs((parse_iso(stamp) - datetime.now(UTC)).total_seconds()) < 5


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path) -> None:
    target = tmp_path / "sub" / "file.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert os.listdir(target.parent) == ["file.json"]


def test_failed_write_keeps_old_content(tmp_path) -> None:
    target = tmp_path / "file.json"
    atomic_write_text(target, "old")
    with pytest.raises(ValueError):
        atomic_write_json(target, {"x": float("nan")})  # not representable in JSON
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["file.json"]
