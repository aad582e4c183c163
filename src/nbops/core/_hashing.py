"""blake3 content hashes (``"blake3:<64 hex>"``) and a stat-keyed hash cache.

Hashing a multi-gigabyte product on every build would dominate the ledger's
cost, so :class:`HashCache` remembers each file's digest together with its
size, mtime, ctime and inode; while those are unchanged the file is not read
again. Any rewrite (even in place, even with the same size) changes mtime and
ctime, so a stale digest is never returned for modified content.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from nbops.core._atomic import atomic_write_json
from nbops.core._schema import schema_errors

PREFIX = "blake3:"
_CHUNK = 1 << 20
_MMAP_THRESHOLD = 64 << 20
_RACY_NS = 50_000_000
logger = logging.getLogger("nbops")


#: The process whose blake3 may have started its thread pool (Rayon's), if any.
_pool_owner: int | None = None


def _hasher() -> Any:
    """A blake3 hasher: multi-threaded, except in a process forked after hashing began.

    blake3's worker threads do not survive ``fork()``: a forked copy of a process that
    has hashed would wait forever for them on its next large update (the mutation
    harness, which forks per mutant, hung that way). Such a copy hashes on one thread;
    the digest is the same.
    """
    global _pool_owner
    from blake3 import blake3

    pid = os.getpid()
    if _pool_owner is None:
        _pool_owner = pid
    return blake3(max_threads=blake3.AUTO if _pool_owner == pid else 1)


def hash_bytes(data: bytes) -> str:
    """Digest of ``data``."""
    hasher = _hasher()
    hasher.update(data)
    return PREFIX + str(hasher.hexdigest())


def hash_file(path: Path) -> str:
    """Digest of the file at ``path`` (large files are memory-mapped and hashed in parallel)."""
    hasher = _hasher()
    size = os.path.getsize(path)
    if size >= _MMAP_THRESHOLD:
        hasher.update_mmap(str(path))
    else:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    return PREFIX + str(hasher.hexdigest())


def is_hash(value: object) -> bool:
    """Whether ``value`` is a well-formed nbops digest."""
    return (
        isinstance(value, str)
        and value.startswith(PREFIX)
        and len(value) == len(PREFIX) + 64
        and all(c in "0123456789abcdef" for c in value[len(PREFIX):])
    )


def _stat_key(st: os.stat_result) -> dict[str, int]:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "ino": st.st_ino}


class HashCache:
    """Digests of working files, reused while the file's stat is unchanged.

    Args:
        path: where the cache is persisted (``.nbops/cache/hashes.json``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self.hits = 0
        self.misses = 0
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("nbops: ignoring unreadable hash cache %s (%s)", self.path, exc)
            return
        errors = schema_errors(data, "hash_cache")
        if errors:
            logger.warning("nbops: ignoring invalid hash cache %s (%s)", self.path, errors[0])
            return
        self._entries = data["entries"]

    def hash(self, path: Path) -> tuple[str, int]:
        """Return ``(digest, size)`` of ``path``, hashing it only if it changed."""
        key = str(Path(path).resolve())
        st = os.stat(key)
        stat = _stat_key(st)
        entry = self._entries.get(key)
        if entry is not None and all(entry[k] == v for k, v in stat.items()):
            self.hits += 1
            return str(entry["hash"]), st.st_size
        self.misses += 1
        started_ns = time.time_ns()
        digest = hash_file(Path(key))
        after = _stat_key(os.stat(key))
        # Remember only content that did not change while we read it and that is
        # not "racy": a write within the filesystem's timestamp granularity of
        # our read could change the bytes without changing mtime.
        if after == stat and started_ns - st.st_mtime_ns > _RACY_NS:
            self._entries[key] = {**stat, "hash": digest}
            self._dirty = True
        return digest, st.st_size

    def save(self) -> None:
        """Persist the cache (atomically), dropping entries for files that are gone."""
        if not self._dirty:
            return
        self._entries = {k: v for k, v in self._entries.items() if os.path.exists(k)}
        data = {"schema_version": 1, "entries": self._entries}
        errors = schema_errors(data, "hash_cache")
        if errors:
            raise ValueError(f"hash cache would be invalid: {errors[0]}")
        atomic_write_json(self.path, data, durable=False)  # a cache: lost, it is rebuilt
        self._dirty = False
