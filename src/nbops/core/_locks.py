"""The project build lock: one build (or ledger-changing command) at a time.

An ``flock`` on ``.nbops/lock``. The kernel releases it when its holder dies,
even on ``kill -9``, which is what makes stale-run detection reliable: a run
still marked ``running`` while nobody holds the lock was interrupted. The file
also records who holds it (pid, host, run id) for the error message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from nbops.core._atomic import dumps_json
from nbops.core._errors import LockTimeout
from nbops.core._ids import utc_now_iso

DEFAULT_TIMEOUT_ENV = "NBOPS_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0

# Locks this process holds: real path -> [fd, holders]. The lock is re-entrant
# within a process, so a post-close step that takes it (checkout, gc) does not
# deadlock against the build that runs it, and a build interrupted inside a
# long-lived process (Ctrl-C in a notebook) does not block the next one there.
_HELD: dict[str, list[int]] = {}


def default_timeout() -> float:
    """Seconds to wait for the lock: ``$NBOPS_LOCK_TIMEOUT`` or 30."""
    try:
        return float(os.environ.get(DEFAULT_TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


class ProjectLock:
    """An exclusive, process-level lock on a project.

    Args:
        path: the lock file (``.nbops/lock``).
        purpose: a word for messages ("build", "gc", ...).
    """

    def __init__(self, path: Path, purpose: str = "build") -> None:
        self.path = Path(path)
        self.purpose = purpose
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self, timeout: float | None = None, run_id: str | None = None) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            LockTimeout: another process still holds it after ``timeout``.
        """
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.path)
        if key in _HELD:
            _HELD[key][1] += 1
            self._fd = _HELD[key][0]
            if run_id is not None:
                self._write_holder(run_id)
            return
        wait = default_timeout() if timeout is None else timeout
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    who = read_holder(self.path)
                    os.close(fd)
                    raise LockTimeout(
                        f"Another nbops {who.get('purpose', 'build')} holds the project lock "
                        f"{self.path} (pid {who.get('pid', '?')} on {who.get('host', '?')}, "
                        f"run {who.get('run_id') or '-'}, since {who.get('acquired_at', '?')}); "
                        f"waited {wait:g}s",
                        f"wait for it to finish, or raise {DEFAULT_TIMEOUT_ENV} to wait longer",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        self._fd = fd
        _HELD[key] = [fd, 1]
        self._write_holder(run_id)

    def _write_holder(self, run_id: str | None) -> None:
        assert self._fd is not None
        info = {"schema_version": 1, "pid": os.getpid(), "host": socket.gethostname(),
                "acquired_at": utc_now_iso(), "run_id": run_id, "purpose": self.purpose}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, dumps_json(info).encode(), 0)

    def release(self) -> None:
        """Release the lock (no-op if not held; the last holder in this process unlocks)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        key = os.path.realpath(self.path)
        entry = _HELD.get(key)
        if entry is not None and entry[0] == fd and entry[1] > 1:
            entry[1] -= 1
            return
        _HELD.pop(key, None)
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: Path) -> dict[str, Any]:
    """Best-effort description of the current holder (empty if unknown)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_locked(path: Path) -> bool:
    """Whether some open file description (any process, this one included) holds the lock."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops our probe lock, if we got it
    return False
