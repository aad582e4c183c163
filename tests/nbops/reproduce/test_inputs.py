"""Restoring input data from the content store by hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core._errors import ReproduceError
from nbops.core._hashing import hash_bytes
from nbops.core._store import ContentStore
from nbops.reproduce._inputs import restore_inputs


def test_changed_inputs_come_back_from_the_store(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "store")
    original = b"id,churn\n1,0\n"
    digest = store.put_bytes(original).digest
    scratch = tmp_path / "scratch"
    (scratch / "data").mkdir(parents=True)
    (scratch / "data" / "in.csv").write_bytes(b"id,churn\n1,1\n")  # edited since the run
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(b"changed too")

    done = restore_inputs({"data/in.csv": digest, str(outside): digest}, store, scratch)

    assert (scratch / "data" / "in.csv").read_bytes() == original
    moved = Path(done.redirect[str(outside)])
    assert moved.read_bytes() == original and scratch in moved.parents
    assert outside.read_bytes() == b"changed too"  # never written
    assert set(done.restored) == {"data/in.csv", str(outside)}


def test_inputs_already_right_are_left_in_place(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "store")
    (tmp_path / "in.csv").write_bytes(b"x")
    done = restore_inputs({"in.csv": hash_bytes(b"x"), "nohash.csv": None}, store, tmp_path)
    assert done.in_place == ["in.csv"] and not done.restored
    assert done.unverifiable == ["nohash.csv"]


def test_missing_object_is_a_clear_error(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "store")
    with pytest.raises(ReproduceError, match="not in the content store"):
        restore_inputs({"in.csv": hash_bytes(b"lost")}, store, tmp_path)
