"""The content-addressed store: ``.nbops/store/objects/ab/cdef…``, one file per blake3 digest.

Every product, notebook and artifact a run references is kept here once.
Content is **copied** in (a reflink when the filesystem supports it, so a
gigabyte costs no data blocks), never hard-linked: Ploomber and Papermill
rewrite products in place, which would silently change a hard-linked stored
object. Objects are written atomically, made read-only, and re-hashed when
read back (:meth:`ContentStore.verify`, :meth:`ContentStore.read_bytes`).
Run folders may hard-link *from* the store, since nothing writes there.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbops.core._atomic import fsync_dir, link_or_copy
from nbops.core._errors import IntegrityError, LedgerError
from nbops.core._hashing import PREFIX, hash_bytes, hash_file, is_hash

_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
TRUST_DIGEST_BYTES = 64 << 20


@dataclass(frozen=True)
class PutResult:
    """What :meth:`ContentStore.put_file` did."""

    digest: str
    size: int
    added: bool


def _reflink(src: Path, dst_fd: int) -> bool:
    with open(src, "rb") as source:
        try:
            fcntl.ioctl(dst_fd, _FICLONE, source.fileno())
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY,
                             errno.EPERM, errno.EBADF):
                return False
            raise
    return True


class ContentStore:
    """A folder of immutable objects named by their digest.

    Args:
        root: the store folder (``.nbops/store``).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def path_for(self, digest: str) -> Path:
        """Where the object ``digest`` lives (whether or not it exists)."""
        if not is_hash(digest):
            raise LedgerError(f"{digest!r} is not an nbops content hash",
                              "hashes look like 'blake3:' followed by 64 hex digits")
        hexdigest = digest[len(PREFIX):]
        return self.objects / hexdigest[:2] / hexdigest[2:]

    def has(self, digest: str) -> bool:
        """Whether the object is present (not whether it is intact)."""
        return self.path_for(digest).is_file()

    def _install(self, tmp: Path, digest: str) -> None:
        """Move a fully written, fsynced temp file into place, durably."""
        target = self.path_for(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        fsync_dir(target.parent)  # the manifest naming it is written after this

    def _tempfile(self) -> tuple[int, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        return fd, Path(name)

    def put_file(self, path: Path, digest: str | None = None) -> PutResult:
        """Store the content of ``path``; a no-op when that content is already stored.

        Args:
            path: the file to snapshot.
            digest: its digest if already known (e.g. from the hash cache). For
                files of :data:`TRUST_DIGEST_BYTES` or more it is trusted when the
                file's size, mtime and ctime did not change during the copy (one
                hash of a big product instead of two); otherwise the stored copy
                is re-hashed.
        """
        path = Path(path)
        before = os.stat(path)
        size = before.st_size
        if digest is not None and self.has(digest):
            return PutResult(digest, size, False)
        fd, tmp = self._tempfile()
        try:
            with os.fdopen(fd, "wb") as out:
                if not _reflink(path, out.fileno()):
                    with open(path, "rb") as source:
                        shutil.copyfileobj(source, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            after = os.stat(path)
            unchanged = (digest is not None and size >= TRUST_DIGEST_BYTES
                         and tmp.stat().st_size == size
                         and (after.st_size, after.st_mtime_ns, after.st_ctime_ns)
                         == (before.st_size, before.st_mtime_ns, before.st_ctime_ns))
            # hash what we stored, unless the source provably did not move under us
            actual = digest if unchanged and digest is not None else hash_file(tmp)
            if digest is not None and actual != digest:
                raise LedgerError(
                    f"{path} changed while nbops was snapshotting it",
                    "do not modify products while a build is closing; rebuild",
                )
            stored_size = tmp.stat().st_size
            if self.has(actual):
                tmp.unlink()
                return PutResult(actual, stored_size, False)
            self._install(tmp, actual)
            return PutResult(actual, stored_size, True)
        finally:
            if tmp.exists():
                tmp.unlink()

    def put_bytes(self, data: bytes) -> PutResult:
        """Store ``data``; a no-op when already stored."""
        digest = hash_bytes(data)
        if self.has(digest):
            return PutResult(digest, len(data), False)
        fd, tmp = self._tempfile()
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._install(tmp, digest)
        finally:
            if tmp.exists():
                tmp.unlink()
        return PutResult(digest, len(data), True)

    def new_tempfile(self) -> Path:
        """An empty temp file inside the store (same filesystem), for :meth:`install_verified`."""
        fd, tmp = self._tempfile()
        os.close(fd)
        return tmp

    def install_verified(self, tmp: Path, digest: str) -> bool:
        """Move ``tmp`` (from :meth:`new_tempfile`, already hashed to ``digest`` by the
        caller, e.g. a verified download) into place; returns whether it was added.

        One rename, no second copy or hash of a large download.
        """
        tmp = Path(tmp)
        if tmp.parent != self.tmp:
            raise LedgerError(f"{tmp} is not a temp file of {self.root}",
                              "this is a bug in nbops; please report it")
        if self.has(digest):
            tmp.unlink()
            return False
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        self._install(tmp, digest)
        return True

    def verify(self, digest: str) -> None:
        """Re-hash the object.

        Raises:
            IntegrityError: missing, or its content does not match its name.
        """
        target = self.path_for(digest)
        if not target.is_file():
            raise IntegrityError(f"Stored object {digest} is missing from {self.objects}",
                                 "restore .nbops/store from a backup or rebuild the run")
        actual = hash_file(target)
        if actual != digest:
            raise IntegrityError(f"Stored object {target} is corrupt (its content hashes to "
                                 f"{actual})", "delete it and rebuild the run that produced it")

    def read_bytes(self, digest: str) -> bytes:
        """The object's content, verified against its digest."""
        target = self.path_for(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(f"Stored object {digest} is missing from {self.objects}",
                                 "restore .nbops/store from a backup or rebuild the run") from None
        if hash_bytes(data) != digest:
            raise IntegrityError(f"Stored object {target} is corrupt",
                                 "delete it and rebuild the run that produced it")
        return data

    def materialize(self, digest: str, dest: Path, link: bool = True) -> None:
        """Put the object at ``dest``: a hard link (read-only use) or a private copy.

        Use ``link=True`` only for destinations nothing will write to (run
        folders); working products get a copy (reflink when possible) so that
        a later in-place rewrite cannot touch the stored object.
        """
        source = self.path_for(digest)
        if not source.is_file():
            raise IntegrityError(f"Stored object {digest} is missing from {self.objects}",
                                 "restore .nbops/store from a backup or rebuild the run")
        dest = Path(dest)
        if link:
            link_or_copy(source, dest)
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".tmp-{os.getpid()}-{dest.name}"
        if tmp.exists():
            tmp.unlink()
        try:
            with open(tmp, "wb") as out:
                if not _reflink(source, out.fileno()):
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()

    def iter_digests(self) -> Iterator[str]:
        """Every object name in the store."""
        if not self.objects.is_dir():
            return
        for bucket in sorted(self.objects.iterdir()):
            if bucket.is_dir():
                for item in sorted(bucket.iterdir()):
                    yield PREFIX + bucket.name + item.name

    def delete(self, digest: str) -> int:
        """Remove an object; returns the bytes freed."""
        target = self.path_for(digest)
        try:
            size = target.stat().st_size
            target.unlink()
        except FileNotFoundError:
            return 0
        return size

