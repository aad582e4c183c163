"""The remote's run index (``runs/index.json``): what makes a run visible, what is refused
as not ours, and when nothing is written (a file:// remote, no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbops.contracts import NEWER_FIX
from nbops.core import RemoteError
from nbops.remote import RemoteStore, open_remote
from nbops.remote._index import INDEX_KEY, add_entries, read_index


@pytest.fixture()
def remote(tmp_path: Path) -> RemoteStore:
    return open_remote(f"file://{tmp_path / 'bucket'}")


def test_a_remote_without_an_index_has_no_visible_runs(remote: RemoteStore) -> None:
    assert INDEX_KEY == "runs/index.json"
    assert read_index(remote) == {}
    add_entries(remote, {})  # nothing to add: nothing is written
    assert remote.read_versioned(INDEX_KEY)[0] is None


def test_entries_are_added_replaced_and_stored_sorted_and_compact(remote: RemoteStore) -> None:
    add_entries(remote, {"run-b": {"status": "succeeded", "note": "é"}})
    add_entries(remote, {"run-a": {"status": "failed"}})
    add_entries(remote, {"run-b": {"status": "gated"}})
    assert read_index(remote) == {"run-a": {"status": "failed"}, "run-b": {"status": "gated"}}
    assert remote.read_versioned(INDEX_KEY)[0] == (
        b'{"schema_version":1,"runs":{"run-a":{"status":"failed"},"run-b":{"status":"gated"}}}')
    add_entries(remote, {"run-c": {"note": "é"}})
    assert '"note":"é"' in remote.read_versioned(INDEX_KEY)[0].decode("utf-8")
    with pytest.raises(ValueError):  # never a non-standard NaN in a shared document
        add_entries(remote, {"run-d": {"score": float("nan")}})


def test_entries_already_there_write_nothing(remote: RemoteStore) -> None:
    add_entries(remote, {"run-a": {"status": "failed"}, "run-b": {"status": "ok"}})
    _, version = remote.read_versioned(INDEX_KEY)
    written = Path(remote.path(INDEX_KEY)).stat().st_ino  # a write replaces the file
    add_entries(remote, {"run-b": {"status": "ok"}})
    assert remote.read_versioned(INDEX_KEY)[1] == version
    assert Path(remote.path(INDEX_KEY)).stat().st_ino == written
    add_entries(remote, {"run-b": {"status": "ok"}, "run-c": {"status": "ok"}})
    assert remote.read_versioned(INDEX_KEY)[1] != version
    assert sorted(read_index(remote)) == ["run-a", "run-b", "run-c"]


@pytest.mark.parametrize("content, problem, fix", [
    (b"{oops", "is not valid JSON",
     "restore it from the bucket's versioning, or delete it and push every run again "
     "(objects already there are not re-uploaded)"),
    (b"[]", "is not an nbops run index",
     "check the remote URL; delete the file and push again if it is ours"),
    (b'{"schema_version": 2, "runs": {}}',  # ours, from a later nbops: not to be deleted
     "has schema_version 2, newer than the remote_index version 1 this nbops reads",
     NEWER_FIX),
    (b'{"runs": {}}', "is not an nbops run index",
     "check the remote URL; delete the file and push again if it is ours"),
    (b'{"schema_version": 1, "runs": []}', "is not an nbops run index",
     "check the remote URL; delete the file and push again if it is ours"),
    (b'{"schema_version": 1}', "is not an nbops run index",
     "check the remote URL; delete the file and push again if it is ours"),
])
def test_an_index_that_is_not_ours_is_refused_and_left_as_it_is(
    remote: RemoteStore, content: bytes, problem: str, fix: str,
) -> None:
    assert remote.write_if(INDEX_KEY, content, None)
    for attempt in (lambda: read_index(remote),
                    lambda: add_entries(remote, {"run-a": {"status": "ok"}})):
        with pytest.raises(RemoteError) as refused:
            attempt()
        assert (refused.value.problem, refused.value.fix) == (
            f"runs/index.json on remote {remote.label} {problem}", fix)
    assert remote.read_versioned(INDEX_KEY)[0] == content


def test_an_index_written_by_hand_in_the_standard_layout_is_read(remote: RemoteStore) -> None:
    assert remote.write_if(INDEX_KEY, json.dumps(
        {"schema_version": 1, "runs": {"r": {"status": "ok"}}}, indent=2).encode(), None)
    assert read_index(remote) == {"r": {"status": "ok"}}
