"""blake3 hashing and the stat-keyed hash cache."""

from __future__ import annotations

import json
import os
import time

from nbops.core._hashing import HashCache, hash_bytes, hash_file, is_hash


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


FORK_AFTER_HASHING = """
import os, sys, time
from nbops.core._hashing import hash_bytes
data = os.urandom(8 << 20)
before = hash_bytes(data)  # blake3 starts its worker threads here
pid = os.fork()
if pid == 0:
    os._exit(0 if hash_bytes(data) == before else 3)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status))
    time.sleep(0.05)
os.kill(pid, 9)
sys.exit("the forked copy hung hashing")
"""


def test_a_process_forked_after_hashing_still_hashes(tmp_path) -> None:
    """blake3's threads do not survive fork(): the copy must not wait for them."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FORK_AFTER_HASHING], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
