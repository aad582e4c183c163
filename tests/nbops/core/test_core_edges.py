"""Edges of the store, the hash cache and the lock that the main core tests leave out."""

from __future__ import annotations

import pytest

from nbops.core.errors import LedgerError
from nbops.core.store import ContentStore


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
    from nbops.core.hashing import HashCache, hash_file

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

    from nbops.core.hashing import HashCache, hash_file

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
    from nbops.core.secrets import whitelisted_env

    monkeypatch.setenv("PYTHONHASHSEED", "7")
    monkeypatch.delenv("NBOPS_RECORD_ENV", raising=False)
    assert whitelisted_env()["PYTHONHASHSEED"] == "7"
    # nothing outside the whitelist, whatever it is called
    assert whitelisted_env(["A"], {"A": "1", "XXXX": "2", "HOME": "/h"}) == {"A": "1"}
