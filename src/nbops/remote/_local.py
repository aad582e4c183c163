"""``file://`` remotes: a folder every machine mounts (NFS, SMB, a synced drive).

Objects and documents are written to a temp file and renamed, so they appear
whole; the shared documents' compare-and-swap runs under an ``flock`` of a
``.lock`` file beside each document, their version being the content's hash.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nbops.core import RemoteError, atomic_write_bytes, hash_bytes
from nbops.remote._store import RemoteStore, Version


class LocalStore(RemoteStore):
    """A ``file:///absolute/folder`` remote."""

    schemes = ("file",)
    protocol = "file"
    example = "file:///absolute/folder"
    conditional_writes = True

    def _root(self, netloc: str, path: str) -> str:
        return path.rstrip("/")

    def check_reachable(self) -> None:
        if not Path(self.root).is_dir():
            raise RemoteError(f"The folder of remote {self.label} does not exist",
                              "mount it or create it, or fix the URL with "
                              "`nbops remote set URL`")

    def put_file(self, source: Path, key: str) -> None:
        target = Path(self.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def put_bytes(self, key: str, data: bytes) -> None:
        atomic_write_bytes(Path(self.path(key)), data)  # core.atomic: temp file, fsync, replace

    def link(self, key: str, expires_s: int) -> str:
        return "file://" + self.path(key)

    def _found_path(self, item: str) -> str:
        return item.replace("\\", "/")

    def read_versioned(self, key: str) -> tuple[bytes | None, Version]:
        data = self.get_bytes(key)
        return data, (hash_bytes(data) if data is not None else None)

    @contextlib.contextmanager
    def _lock(self, target: Path) -> Iterator[None]:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(target) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def write_if(self, key: str, data: bytes, version: Version) -> bool:
        target = Path(self.path(key))
        with self._lock(target):
            try:
                current: Version = hash_bytes(target.read_bytes())
            except FileNotFoundError:
                current = None
            if current != version:
                return False
            atomic_write_bytes(target, data)
        return True
