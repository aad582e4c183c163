"""blake3 hashing and the stat-keyed hash cache."""

from __future__ import annotations

import json
import os
import time

from nbops.core.hashing import HashCache, hash_bytes, hash_file, is_hash


def _age(path, seconds: float = 5.0) -> None:
    """Make a file look written `seconds` ago (outside the racy window)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_file_and_bytes_hashes_agree(tmp_path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"hello" * 1000)
    assert hash_file(path) == hash_bytes(b"hello" * 1000)
    assert is_hash(hash_file(path))
    assert hash_bytes(b"a") != hash_bytes(b"b")


def test_cache_skips_unchanged_files_and_sees_in_place_rewrites(tmp_path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    _age(data)
    cache = HashCache(tmp_path / "cache.json")
    first, size = cache.hash(data)
    assert (size, cache.misses, cache.hits) == (8, 1, 0)
    assert cache.hash(data)[0] == first
    assert cache.hits == 1
    with open(data, "r+") as handle:  # same size, rewritten in place
        handle.write("x,y")
    second, _ = cache.hash(data)
    assert second != first
    assert second == hash_file(data)


def test_cache_persists_and_ignores_damage(tmp_path) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 100)
    _age(data)
    store = tmp_path / "cache.json"
    cache = HashCache(store)
    digest, _ = cache.hash(data)
    cache.save()
    saved = json.loads(store.read_text())
    assert saved["schema_version"] == 1
    again = HashCache(store)
    assert again.hash(data)[0] == digest and again.hits == 1
    store.write_text("{not json")
    damaged = HashCache(store)
    assert damaged.hash(data)[0] == digest and damaged.misses == 1


def test_fresh_files_are_not_cached(tmp_path) -> None:
    data = tmp_path / "new.txt"
    data.write_text("just written")
    cache = HashCache(tmp_path / "cache.json")
    cache.hash(data)
    cache.hash(data)
    assert cache.hits == 0  # a same-size rewrite within the timestamp tick could hide
