"""A lease with expiry on the remote: who may change a shared document right now.

The lease is a small JSON document (``{holder, expires_at}``) taken and given
back with conditional writes only (``If-None-Match: *`` to create it,
``If-Match`` on its version to take an expired one or to release ours), so two
machines can never both believe they hold it while it is valid. A holder that
dies simply lets it expire (``ttl_s``). Writers still replace the protected
document with ``If-Match`` as well: even a holder whose lease ran out (a
paused laptop) cannot overwrite an update made after it.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from types import TracebackType

from nbops.core import RemoteError
from nbops.remote._store import RemoteStore


class RemoteLease:
    """Hold ``key`` on ``remote`` for at most ``ttl_s`` seconds (a context manager)."""

    def __init__(self, remote: RemoteStore, key: str, ttl_s: float = 60.0,
                 wait_s: float = 60.0, purpose: str = "update") -> None:
        self.remote = remote
        self.key = key
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.token = uuid.uuid4().hex
        self.purpose = purpose
        self.held = False

    def _doc(self, expires_at: float) -> bytes:
        return json.dumps({"holder": self.token, "host": socket.gethostname(),
                           "pid": os.getpid(), "purpose": self.purpose,
                           "expires_at": expires_at}).encode("utf-8")

    def acquire(self) -> None:
        """Take the lease, waiting up to ``wait_s`` for a live holder to release it."""
        deadline = time.monotonic() + self.wait_s
        holder = "another machine"
        while True:
            data, version = self.remote.read_versioned(self.key)
            free = data is None
            if data is not None:
                try:
                    doc = json.loads(data)
                    free = float(doc.get("expires_at", 0)) < time.time()
                    holder = f"{doc.get('host', '?')} (pid {doc.get('pid', '?')})"
                except (ValueError, TypeError, AttributeError):
                    free = True  # an unreadable lease protects nothing
            if free and self.remote.write_if(self.key, self._doc(time.time() + self.ttl_s),
                                             version):
                self.held = True
                return
            if time.monotonic() > deadline:
                raise RemoteError(
                    f"{self.key} on remote {self.remote.label} is held by {holder} for "
                    f"longer than {self.wait_s:.0f}s",
                    f"retry; a holder that died frees it within {self.ttl_s:.0f}s",
                )
            time.sleep(0.1 + 0.2 * (uuid.uuid4().int % 100) / 100)

    def release(self) -> None:
        """Give the lease back (only if it is still ours)."""
        if not self.held:
            return
        self.held = False
        data, version = self.remote.read_versioned(self.key)
        try:
            ours = data is not None and json.loads(data).get("holder") == self.token
        except ValueError:
            ours = False
        if ours:
            self.remote.write_if(self.key, self._doc(0.0), version)

    def __enter__(self) -> RemoteLease:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
