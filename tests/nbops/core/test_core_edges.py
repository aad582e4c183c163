"""Edges of the store, the hash cache and the lock that the main core tests leave out."""

from __future__ import annotations

import pytest

from nbops.core._errors import LedgerError
from nbops.core._store import ContentStore


def test_a_malformed_digest_is_refused_before_any_path_is_built(tmp_path) -> None:
    store = ContentStore(tmp_path / "store")
    for bad in ("blake3:" + "0" * 63, "sha256:" + "0" * 64, "blake3:" + "G" * 64, ""):
        with pytest.raises(LedgerError):
            store.path_for(bad)


def _aged(path, data: bytes) -> None:
    import os
    import time

    path.write_bytes(data)
    past = time.time() - 5
    os.utime(path, (past, past))


def test_hash_cache_counts_and_writes_only_when_something_changed(tmp_path) -> None:
    from nbops.core._hashing import HashCache, hash_file

    store = tmp_path / "cache.json"
    HashCache(store).save()
    assert not store.exists()  # nothing hashed: nothing written
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    _aged(a, b"a" * 10)
    _aged(b, b"b" * 10)
    cache = HashCache(store)
    for path in (a, b, a, b, a):
        assert cache.hash(path)[0] == hash_file(path)
    assert (cache.misses, cache.hits) == (2, 3)
    cache.save()
    store.write_text("sentinel")
    cache.save()  # already saved: not written again
    assert store.read_text() == "sentinel"


def test_a_hash_cache_that_breaks_its_schema_is_ignored(tmp_path) -> None:
    import json
    import os

    from nbops.core._hashing import HashCache, hash_file

    data = tmp_path / "data.bin"
    _aged(data, b"x" * 100)
    st = os.stat(data)
    forged = {"schema_version": 1, "entries": {str(data.resolve()): {
        "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
        "ino": st.st_ino, "hash": "not a digest"}}}
    store = tmp_path / "cache.json"
    store.write_text(json.dumps(forged))
    cache = HashCache(store)
    assert cache.hash(data)[0] == hash_file(data) and cache.misses == 1


def test_thresholds_keep_integer_settings_integers() -> None:
    from nbops.monitoring import Thresholds

    thresholds = Thresholds.from_mapping({"bins": "20", "top_k": 3.0, "alpha": "0.05"})
    assert type(thresholds.bins) is int and type(thresholds.top_k) is int
    assert type(thresholds.alpha) is float and thresholds.alpha == 0.05
    assert Thresholds.from_mapping({"bins": None}).bins == 10  # None keeps the default


def test_recorded_environment_defaults_to_the_process_environment(monkeypatch) -> None:
    from nbops.core._secrets import whitelisted_env

    monkeypatch.setenv("PYTHONHASHSEED", "7")
    monkeypatch.delenv("NBOPS_RECORD_ENV", raising=False)
    assert whitelisted_env()["PYTHONHASHSEED"] == "7"
    # nothing outside the whitelist, whatever it is called
    assert whitelisted_env(["A"], {"A": "1", "XXXX": "2", "HOME": "/h"}) == {"A": "1"}


def test_lock_timeout_defaults_and_the_message_names_the_holder(tmp_path, monkeypatch) -> None:
    import fcntl
    import json
    import os
    import time

    from nbops.core._errors import LockTimeout
    from nbops.core._locks import ProjectLock, default_timeout

    monkeypatch.delenv("NBOPS_LOCK_TIMEOUT", raising=False)
    assert default_timeout() == 30.0
    monkeypatch.setenv("NBOPS_LOCK_TIMEOUT", "0.25")
    assert default_timeout() == 0.25
    monkeypatch.setenv("NBOPS_LOCK_TIMEOUT", "soon")
    assert default_timeout() == 30.0
    monkeypatch.setenv("NBOPS_LOCK_TIMEOUT", "0.25")

    path = tmp_path / "deep" / "lock"
    path.parent.mkdir()
    holder = {"pid": 4242, "host": "elsewhere", "run_id": None, "purpose": "gc",
              "acquired_at": "2026-01-01T00:00:00Z"}
    path.write_text(json.dumps(holder))
    other = os.open(path, os.O_RDWR)  # another open file description: a second holder
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            ProjectLock(path).acquire()  # waits NBOPS_LOCK_TIMEOUT
        assert time.monotonic() - started >= 0.25
        assert caught.value.problem == (
            f"Another nbops gc holds the project lock {path} (pid 4242 on elsewhere, run -, "
            "since 2026-01-01T00:00:00Z); waited 0.25s")
        assert caught.value.fix == ("wait for it to finish, or raise NBOPS_LOCK_TIMEOUT to "
                                    "wait longer")
        path.write_text("[]")
        with pytest.raises(LockTimeout) as unknown:
            ProjectLock(path).acquire(timeout=0)
        assert unknown.value.problem.startswith(
            f"Another nbops build holds the project lock {path} (pid ? on ?, run -, since ?)")
    finally:
        os.close(other)


def test_lock_holder_record_and_release(tmp_path) -> None:
    import os
    import socket

    from nbops.core._locks import ProjectLock, is_locked, read_holder

    path = tmp_path / "new" / "lock"
    assert not is_locked(path) and read_holder(path) == {}
    lock = ProjectLock(path, purpose="checkout")
    lock.release()  # not held: nothing to do
    with lock:
        holder = read_holder(path)
        assert {k: holder[k] for k in ("schema_version", "pid", "host", "run_id", "purpose")} == {
            "schema_version": 1, "pid": os.getpid(), "host": socket.gethostname(),
            "run_id": None, "purpose": "checkout"}
        lock.acquire(timeout=0)  # already held by this object: no-op
        step = ProjectLock(path, purpose="gc")
        step.acquire(timeout=0, run_id="20260101T000000000000Z-bbbbbb")  # re-entrant, named
        assert read_holder(path)["run_id"] == "20260101T000000000000Z-bbbbbb"
        step.release()
        assert is_locked(path) and lock.held
    assert not lock.held and not is_locked(path)
    assert path.read_text() == ""  # the holder record is cleared on release
    again = ProjectLock(path)
    again.acquire(timeout=0)
    again.release()
    assert not is_locked(path)


def test_store_sizes_dedupe_delete_and_listing(tmp_path) -> None:
    import stat

    from nbops.core._errors import IntegrityError

    store = ContentStore(tmp_path / "store")
    assert list(store.iter_digests()) == []  # no objects folder yet
    first = store.put_bytes(b"abc")
    assert (first.size, first.added) == (3, True)
    assert store.put_bytes(b"abc") == type(first)(first.digest, 3, False)
    product = tmp_path / "p.bin"
    product.write_bytes(b"abc")
    known = store.put_file(product, first.digest)  # known and stored: nothing copied
    assert (known.digest, known.size, known.added) == (first.digest, 3, False)
    assert not list(store.tmp.iterdir())
    (store.objects / "stray-file").write_text("not a bucket")
    assert list(store.iter_digests()) == [first.digest]
    assert store.delete(first.digest) == 3 and not store.has(first.digest)
    assert store.delete(first.digest) == 0
    with pytest.raises(IntegrityError, match="missing"):
        store.read_bytes(first.digest)
    with pytest.raises(IntegrityError, match="missing"):
        store.materialize(first.digest, tmp_path / "out" / "p.bin")
    again = store.put_bytes(b"abc").digest
    target = tmp_path / "work" / "p.bin"
    target.parent.mkdir()
    (target.parent / f".tmp-{__import__('os').getpid()}-p.bin").write_text("stale")
    store.materialize(again, target, link=False)
    assert target.read_bytes() == b"abc"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["p.bin"]  # no temp left


def test_a_known_digest_is_trusted_only_for_big_unchanged_files(tmp_path, monkeypatch) -> None:
    from nbops.core import _store as store_module
    from nbops.core._hashing import hash_bytes

    calls = []
    real = store_module.hash_file
    monkeypatch.setattr(store_module, "hash_file", lambda p: calls.append(p) or real(p))
    product = tmp_path / "big.bin"
    product.write_bytes(b"x" * 100)
    digest = hash_bytes(b"x" * 100)
    monkeypatch.setattr(store_module, "TRUST_DIGEST_BYTES", 100)  # exactly its size: trusted
    store = ContentStore(tmp_path / "a")
    assert store.put_file(product, digest).added and calls == []
    assert store.read_bytes(digest) == b"x" * 100
    monkeypatch.setattr(store_module, "TRUST_DIGEST_BYTES", 101)  # one byte short: re-hashed
    assert ContentStore(tmp_path / "b").put_file(product, digest).added and len(calls) == 1
    monkeypatch.setattr(store_module, "TRUST_DIGEST_BYTES", 1)
    assert ContentStore(tmp_path / "c").put_file(product).added and len(calls) == 2  # unknown


def test_store_integrity_messages_name_the_object_and_the_fix(tmp_path) -> None:
    import os

    from nbops.core._errors import IntegrityError

    store = ContentStore(tmp_path / "store")
    digest = store.put_bytes(b"payload").digest
    target = store.path_for(digest)
    os.chmod(target, 0o644)
    target.write_bytes(b"tampered")
    for read in (store.verify, store.read_bytes):
        with pytest.raises(IntegrityError) as corrupt:
            read(digest)
        assert corrupt.value.problem.startswith(f"Stored object {target} is corrupt")
        assert corrupt.value.fix == "delete it and rebuild the run that produced it"
    target.unlink()
    for read in (store.verify, store.read_bytes,
                 lambda d: store.materialize(d, tmp_path / "out")):
        with pytest.raises(IntegrityError) as missing:
            read(digest)
        assert missing.value.problem == f"Stored object {digest} is missing from {store.objects}"
        assert missing.value.fix == "restore .nbops/store from a backup or rebuild the run"


def test_materialize_copies_when_a_hard_link_is_impossible(tmp_path, monkeypatch) -> None:
    import os

    store = ContentStore(tmp_path / "store")
    digest = store.put_bytes(b"content").digest

    def no_links(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "run" / "nb.ipynb"
    store.materialize(digest, target)  # a run folder on another filesystem
    assert target.read_bytes() == b"content"
    assert target.stat().st_ino != store.path_for(digest).stat().st_ino
