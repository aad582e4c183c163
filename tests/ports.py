"""What every server a test starts needs: a free TCP port on loopback, and a way to end it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick for 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kill_server(proc: subprocess.Popen[bytes]) -> None:
    """Kill a server's process group (started with ``start_new_session``; a throwaway test
    server needs no clean shutdown) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)
