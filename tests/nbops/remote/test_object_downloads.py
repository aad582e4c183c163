"""Objects brought from the remote into the local store: only what is missing, every byte
re-hashed, and a sentence naming what needed a missing or altered object (file:// remote)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core import ContentStore, IntegrityError, Project, RemoteError, hash_bytes
from nbops.remote import RemoteStore, open_remote
from nbops.remote._config import set_remote
from nbops.remote._objects import download_objects, fetch_for, fetch_missing


@pytest.fixture()
def remote(tmp_path: Path) -> RemoteStore:
    return open_remote(f"file://{tmp_path / 'bucket'}")


def _upload(remote: RemoteStore, tmp_path: Path, data: bytes) -> str:
    digest = hash_bytes(data)
    source = tmp_path / f"upload-{digest[-8:]}"
    source.write_bytes(data)
    remote.put_object(source, digest)
    return digest


def _store(root: Path) -> ContentStore:
    return ContentStore(root / ".nbops" / "store")


def test_only_missing_objects_are_downloaded_once_each_and_counted(
    remote: RemoteStore, tmp_path: Path,
) -> None:
    store = _store(tmp_path / "here")
    have = store.put_bytes(b"already here").digest
    a, b = _upload(remote, tmp_path, b"a" * 10), _upload(remote, tmp_path, b"b" * 7)
    assert download_objects(remote, store, [a, have, b, a]) == (2, 17)
    assert store.path_for(a).read_bytes() == b"a" * 10 and store.has(b)
    assert download_objects(remote, store, [a, b, have]) == (0, 0)
    assert download_objects(remote, store, []) == (0, 0)
    assert list(store.tmp.iterdir()) == []


def test_an_altered_object_never_enters_the_store_and_leaves_no_temp_file(
    remote: RemoteStore, tmp_path: Path,
) -> None:
    store = _store(tmp_path / "here")
    digest = _upload(remote, tmp_path, b"the real bytes")
    Path(remote.path(remote.object_key(digest))).write_bytes(b"forged bytes")
    with pytest.raises(IntegrityError, match=f"Object {digest} on remote .* is altered"):
        download_objects(remote, store, [digest])
    assert not store.has(digest) and list(store.tmp.iterdir()) == []
    missing = hash_bytes(b"never pushed")
    with pytest.raises(IntegrityError, match=f"Object {missing} is missing from remote"):
        download_objects(remote, store, [missing])
    assert list(store.tmp.iterdir()) == []


def test_a_project_without_a_remote_consults_none(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBOPS_REMOTE", raising=False)
    root = tmp_path / "here"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    assert fetch_missing(root, [hash_bytes(b"x")]) is False


def test_a_project_with_a_remote_fetches_what_it_lacks(
    remote: RemoteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NBOPS_REMOTE", raising=False)
    root = tmp_path / "here"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    set_remote(Project(root), f"file://{tmp_path / 'bucket'}")
    digest = _upload(remote, tmp_path, b"model bytes")
    assert fetch_missing(root, [digest]) is True
    assert _store(root).path_for(digest).read_bytes() == b"model bytes"
    assert fetch_missing(root, [digest]) is True  # nothing missing: nothing to do
    missing = hash_bytes(b"never pushed")
    with pytest.raises(RemoteError) as refused:
        fetch_for(root, missing, "churn:3")
    assert refused.value.problem == (
        f"churn:3 needs {missing}, which is not in the local store, and the remote cannot "
        f"supply it: Object {missing} is missing from remote {remote.label}")
    assert refused.value.fix == "push the run again from a machine that has it"
    fetch_for(root, digest, "churn:3")  # present: nothing to say


def test_a_remote_that_cannot_be_opened_is_named_with_what_needed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBOPS_REMOTE", "ftp://nowhere/x")
    root = tmp_path / "here"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    with pytest.raises(RemoteError) as refused:
        fetch_for(root, hash_bytes(b"x"), "churn:3")
    assert refused.value.problem.startswith(f"churn:3 needs {hash_bytes(b'x')}, which is not "
                                            "in the local store, and the remote cannot supply "
                                            "it: The remote URL 'ftp://nowhere/x' has the "
                                            "unknown scheme")
    assert refused.value.fix.startswith("use s3://bucket/prefix")


def test_a_refusal_without_a_fix_of_its_own_says_where_the_object_can_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbops.core import NbopsError
    from nbops.remote import _objects

    def refuse(root: Path, digests: list[str]) -> bool:
        raise NbopsError("the remote answered nonsense")

    monkeypatch.setattr(_objects, "fetch_missing", refuse)
    with pytest.raises(RemoteError) as refused:
        fetch_for(tmp_path, hash_bytes(b"x"), "churn:3")
    assert refused.value.problem == (f"churn:3 needs {hash_bytes(b'x')}, which is not in the "
                                     "local store, and the remote cannot supply it: the remote "
                                     "answered nonsense")
    assert refused.value.fix == "push the run that produced it from its machine"
