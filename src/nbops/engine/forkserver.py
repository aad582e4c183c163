"""The kernel fork server: a pre-imported parent that forks one fresh kernel per notebook.

Run as ``python -m nbops.engine.forkserver --reply-fd N`` by
:class:`nbops.engine.fork_provisioner.ForkServer`. It imports ``ipykernel``
once (the bulk of a kernel's 0.6 s start-up), then serves requests read from
stdin, one JSON object per line::

    {"argv": [...kernel arguments...], "cwd": "...", "env": {...}}

and answers on the reply pipe, one JSON object per line:
``{"pid": N}`` or ``{"error": "..."}`` for each request, and
``{"exit": pid, "code": N}`` whenever a kernel ends.

Fork safety: the server never creates a thread, an event loop or a ZeroMQ
context; it only imports modules. It checks that it is still single-threaded
before every fork and refuses (the caller then starts the kernel the ordinary
way) if anything started a thread. Each child starts a new session, resets
signal handlers, closes the server's pipes, takes the requested working
directory and environment, and only then builds the kernel, with its own
sockets, threads and event loop. ``random`` re-seeds itself in every child.
When stdin closes (the build ended or died) the server kills every kernel it
forked and exits, so no kernel outlives its build.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Any

#: What a kernel imports while it starts (``ipykernel.debugger`` pulls in
#: debugpy/pydevd, the slowest part). None of these start a thread.
KERNEL_MODULES = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "IPython.core.history", "psutil", "pdb",
)

_children: set[int] = set()
_reply_fd = -1


def _send(message: dict[str, Any]) -> None:
    # one small write per message: atomic on a pipe, even from a signal handler
    os.write(_reply_fd, (json.dumps(message) + "\n").encode())


def _reap(signum: int = 0, frame: object = None) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _children.discard(pid)
        _send({"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _become_kernel(request: dict[str, Any], base_path: list[str]) -> None:
    """In the child: turn this fresh process into an IPython kernel (never returns)."""
    code = 1
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        os.close(_reply_fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        sys.path[:] = base_path
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # report how the kernel failed to start, then leave
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _thread_count() -> int:
    """Threads in this process, native ones included where the OS tells us."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def serve(preimport: list[str]) -> None:
    """Import the kernel machinery, then fork kernels on request until stdin closes."""
    import importlib

    # like ipykernel_launcher: the launch directory is not an import location
    base_path = [p for p in sys.path[1:]]
    for name in [*KERNEL_MODULES, *preimport]:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles Ctrl-C, then closes stdin
    signal.signal(signal.SIGTERM, _terminate)  # still take the kernels down (finally below)
    _send({"ready": os.getpid()})
    try:
        for line in sys.stdin:
            request = json.loads(line)
            if _thread_count() != 1:
                _send({"error": "the fork server is no longer single-threaded"})
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _become_kernel(request, base_path)
            _children.add(pid)
            _send({"pid": pid})
    finally:
        for pid in list(_children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                _children.discard(pid)
        _reap()


def main(argv: list[str] | None = None) -> None:
    global _reply_fd
    parser = argparse.ArgumentParser(prog="python -m nbops.engine.forkserver")
    parser.add_argument("--reply-fd", type=int, required=True)
    parser.add_argument("--preimport", action="append", default=[])
    args = parser.parse_args(argv)
    _reply_fd = args.reply_fd
    serve(args.preimport)


if __name__ == "__main__":
    main()
