"""The kernel fork server: a pre-imported parent that forks one fresh kernel per notebook.

Run as ``python -m nbops.runtime._forkserver --reply-fd N`` by
:class:`nbops.runtime._fork_provisioner.ForkServer`. It imports ``ipykernel``
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

Pre-imported modules (``--preimport``, the executor's ``preload`` list) make every
kernel start with them already loaded. Two of the usual ones start a thread when
imported: OpenBLAS's pool (numpy) and the background purger of the jemalloc that
pyarrow links. The server imports them with ``OPENBLAS_NUM_THREADS=1`` and
jemalloc's background thread off (unless the environment already says otherwise),
and each kernel gets back what a kernel started from scratch would have: its own
BLAS thread count (see :func:`_as_if_started_afresh`) and its own numpy global
random state. If a pre-imported module still leaves a thread behind, the ready
message names it and the server forks nothing (kernels then start the ordinary way).
When stdin closes (the build ended or died) the server kills every kernel it
forked and exits, so no kernel outlives its build. Signals (SIGTERM, a kernel's exit)
wake the server's wait for a request through a pipe (``signal.set_wakeup_fd``), so a
signal is never held until the next request; kernels hold no end of it.

**Servers forked from a zygote.** A sweep runs many builds, one after another, each with
its own kernel fork server; importing the ``preload`` modules again for each costs about
1.8 s of CPU per build, next to the build's own kernels. Run as ``python -m
nbops.runtime._forkserver --control-fd N`` the process is a *zygote*: it does the same
imports once, then, for each request on the control socket (an ``AF_UNIX``
``SOCK_SEQPACKET`` socket, one message per request or answer), forks a kernel fork server
that serves exactly as above. A request is the message ``fork`` carrying two or three
file descriptors (``SCM_RIGHTS``): the read end of the new server's request pipe, the
write end of its reply pipe and, optionally, the file its output and its kernels' go to.
The zygote answers ``{"pid": N}`` or ``{"error": "..."}``, sends ``{"ready": pid, ...}``
once its imports are done and ``{"exit": pid, "code": N}`` whenever a server it forked
ends (it reaps them). It exits when the control socket closes. The forked server is a
new session, holds no end of the control socket, and is indistinguishable from a server
started afresh to the build that adopts it
(:func:`nbops.runtime._fork_provisioner.hand_over`); the zygote itself never forks a
kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import TypedDict

#: What a kernel imports while it starts (``ipykernel.debugger`` pulls in
#: debugpy/pydevd, the slowest part). None of these start a thread.
KERNEL_MODULES = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "IPython.core.history", "psutil", "pdb",
)

#: Set in the server (only when it pre-imports modules, and only where the environment does
#: not set them) so that importing numpy and pyarrow starts no thread.
QUIET_IMPORTS = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}

#: The matplotlib backend ipykernel gives a kernel whose environment sets none.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

_children: set[int] = set()
#: Whether this server capped OpenBLAS's threads for its imports (kernels get theirs back).
_blas_capped = False
_reply_fd = -1
#: In a zygote: the control socket.
_control: socket.socket | None = None
#: The pipe Python's own signal handler writes to (``signal.set_wakeup_fd``): read end, write end.
_wakeup: tuple[int, int] | None = None


class KernelRequest(TypedDict):
    """A request to fork a kernel (one line on the server's stdin)."""

    argv: list[str]
    cwd: str
    env: dict[str, str]


class Readiness(TypedDict, total=False):
    """What the ready message adds: why the server cannot fork, if so."""

    unforkable: str


class ServerMessage(TypedDict, total=False):
    """A fork server's (or the zygote's) message: ``ready`` (with :class:`Readiness`),
    ``pid`` or ``error`` answering a request, or ``exit`` and ``code`` of a child."""

    ready: int
    unforkable: str
    pid: int
    error: str
    exit: int
    code: int


def _ready_message(ready: Readiness) -> ServerMessage:
    message: ServerMessage = {"ready": os.getpid()}
    if "unforkable" in ready:
        message["unforkable"] = ready["unforkable"]
    return message


def _send(message: ServerMessage) -> None:
    # one small write per message: atomic on a pipe, even from a signal handler
    os.write(_reply_fd, (json.dumps(message) + "\n").encode())


def _ended() -> Iterator[tuple[int, int]]:
    """Reap every child that has ended: its pid and exit code (a signal as -N)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, os.waitstatus_to_exitcode(status)


def _wake_on_signals() -> None:
    """Make every signal wake this process's waits (a fresh pipe in each process).

    Python runs a signal's handler between two bytecodes. A signal that arrives after the
    last check and before a blocking read starts would wait for that read's data: a
    server's exit on SIGTERM until its build's next request, a server's exit report until
    the zygote's next request. The C-level handler writes to this pipe instead, and
    :func:`_wait_readable` waits on it too.
    """
    global _wakeup
    _stop_waking()
    read_fd, write_fd = os.pipe()
    for fd in (read_fd, write_fd):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    _wakeup = read_fd, write_fd


def _stop_waking() -> None:
    """Undo :func:`_wake_on_signals` (a kernel, or a server forked by the zygote)."""
    global _wakeup
    if _wakeup is not None:
        signal.set_wakeup_fd(-1)
        for fd in _wakeup:
            os.close(fd)
        _wakeup = None


def _wait_readable(fd: int) -> None:
    """Block until ``fd`` has data or is closed, running the handler of every signal that
    arrives meanwhile (even one that arrived just before this started to wait)."""
    assert _wakeup is not None
    poller = select.poll()
    for watched in (fd, _wakeup[0]):
        poller.register(watched, select.POLLIN)
    while True:
        events = dict(poller.poll())
        if _wakeup[0] in events:
            try:
                while os.read(_wakeup[0], 512):
                    pass
            except BlockingIOError:
                pass  # drained; the handlers run as this returns to Python code
        if fd in events:
            return


def _requests() -> Iterator[KernelRequest]:
    """Each request on stdin (one JSON object per line), until stdin closes."""
    pending = b""
    while True:
        _wait_readable(0)
        chunk = os.read(0, 65536)
        if not chunk:  # the build closed its end: a half-written last line has no reader
            return
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            request: KernelRequest = json.loads(line)  # written by ForkServer.fork
            yield request


def _reap(signum: int = 0, frame: object = None) -> None:
    for pid, code in _ended():
        _children.discard(pid)
        _send({"exit": pid, "code": code})


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _become_kernel(request: KernelRequest, base_path: list[str]) -> None:
    """In the child: turn this fresh process into an IPython kernel (never returns)."""
    code = 1
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        _stop_waking()
        os.close(_reply_fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _as_if_started_afresh(request["env"])
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


def blas_threads(env: dict[str, str]) -> int:
    """The OpenBLAS thread count a new interpreter with ``env`` would start with.

    OpenBLAS reads ``OPENBLAS_NUM_THREADS``, then ``GOTO_NUM_THREADS``, then
    ``OMP_NUM_THREADS``; without them it uses every CPU this process may run on.
    """
    for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        value = env.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0))


def _as_if_started_afresh(env: dict[str, str]) -> None:
    """In the child: undo what the server's imports share with every fork.

    numpy's global random state was seeded once, in the server: every kernel would
    draw the same "random" numbers (``random`` re-seeds itself after a fork; numpy
    does not). OpenBLAS was capped at one thread for the server's imports.
    """
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()  # from the OS's entropy, as at a fresh import
    if _blas_capped:
        threads = blas_threads(env)
        if threads != 1:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads, user_api="blas")


def _thread_count() -> int:
    """Threads in this process, native ones included where the OS tells us."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _import_all(preimport: list[str]) -> Readiness:
    """Import the kernel machinery and ``preimport``; what the ready message adds.

    Returns ``{}``, or ``{"unforkable": sentence}`` when an import left a thread
    running (forking then would copy a process whose other threads are gone).
    """
    global _blas_capped
    import importlib
    import importlib.util

    for name in KERNEL_MODULES:
        importlib.import_module(name)
    if preimport:
        # what every kernel sets as it starts, before its code runs: matplotlib reads it
        # when imported, which a pre-imported matplotlib is long before the kernel starts
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
        for name, value in QUIET_IMPORTS.items():
            if name not in os.environ:
                os.environ[name] = value
                _blas_capped |= name == "OPENBLAS_NUM_THREADS"
        if _blas_capped and importlib.util.find_spec("threadpoolctl") is None:
            # nothing could give the kernels their BLAS threads back: do not cap
            del os.environ["OPENBLAS_NUM_THREADS"]
            _blas_capped = False
    for name in preimport:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - the kernel will report it where it matters
            sys.stderr.write(f"nbops fork server: could not pre-import {name}: {exc}\n")
        if _thread_count() != 1:
            return {"unforkable": f"importing {name!r} started a thread"}
    if _blas_capped:
        importlib.import_module("threadpoolctl")
    return {}


def serve(preimport: list[str]) -> None:
    """Import the kernel machinery, then fork kernels on request until stdin closes."""
    # like ipykernel_launcher: the launch directory is not an import location
    base_path = [p for p in sys.path[1:]]
    _serve_kernels(_import_all(preimport), base_path)


def _serve_kernels(ready: Readiness, base_path: list[str]) -> None:
    """Fork kernels on request (stdin) until stdin closes; then kill those still running."""
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles Ctrl-C, then closes stdin
    signal.signal(signal.SIGTERM, _terminate)  # still take the kernels down (finally below)
    _wake_on_signals()
    _send(_ready_message(ready))
    try:
        for request in _requests():
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


# -- the zygote ---------------------------------------------------------------
def _report(message: ServerMessage) -> bool:
    """One message on the control socket (a whole message per send: never interleaved).

    False when the client has gone (its end closed, e.g. a sweep refused before its
    first trial): nothing more to serve, and nothing to say about it on stderr.
    """
    assert _control is not None
    try:
        _control.send(json.dumps(message).encode())
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def _reap_servers(signum: int = 0, frame: object = None) -> None:
    for pid, code in _ended():
        try:
            _report({"exit": pid, "code": code})  # False: nobody is waiting for it
        except OSError:
            pass  # the client has gone; nobody is waiting for this server


def _become_server(fds: list[int], ready: Readiness, base_path: list[str]) -> None:
    """In the zygote's child: become a kernel fork server on the pipes received (never
    returns)."""
    global _reply_fd
    code = 0
    try:
        os.setsid()  # as a server started afresh: its own session
        assert _control is not None
        _control.close()
        stdin_fd, _reply_fd, *output = fds
        os.dup2(stdin_fd, 0)  # kernels replace fd 0 with /dev/null: no kernel holds the pipe
        os.close(stdin_fd)
        for fd in output:  # this server's and its kernels' output: the build's log
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
        _serve_kernels(ready, base_path)
    except SystemExit as exc:  # SIGTERM (after the kernels were killed)
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # say why this server failed, in the kernels' log
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve_servers(control: socket.socket, preimport: list[str]) -> None:
    """The zygote: import once, then fork a kernel fork server per request until the
    control socket closes (see the module's docstring for the protocol)."""
    global _control
    _control = control
    base_path = [p for p in sys.path[1:]]
    ready = _import_all(preimport)
    signal.signal(signal.SIGCHLD, _reap_servers)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the sweep handles Ctrl-C
    _wake_on_signals()
    if not _report(_ready_message(ready)):
        return  # the client went while this imported: nothing to fork
    while True:
        _wait_readable(control.fileno())
        try:
            message, fds, _, _ = socket.recv_fds(control, 64, 3)
        except ConnectionResetError:
            break
        if not message:  # the client closed its end (or died): nothing more to fork
            break
        refusal = ready.get("unforkable")
        if refusal is None and _thread_count() != 1:
            refusal = "the zygote is no longer single-threaded"
        if message != b"fork" or len(fds) not in (2, 3) or refusal is not None:
            for fd in fds:
                os.close(fd)
            if not _report({"error": refusal or f"not a fork request: {message[:40]!r} "
                                                f"with {len(fds)} file descriptors"}):
                break
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _become_server(fds, ready, base_path)
        for fd in fds:
            os.close(fd)
        if not _report({"pid": pid}):
            break


def main(argv: list[str] | None = None) -> None:
    global _reply_fd
    parser = argparse.ArgumentParser(prog="python -m nbops.runtime._forkserver")
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--reply-fd", type=int, help="serve kernels; answer on this pipe")
    role.add_argument("--control-fd", type=int,
                      help="be a zygote: fork kernel fork servers, on this socket's requests")
    parser.add_argument("--preimport", action="append", default=[])
    args = parser.parse_args(argv)
    code = 0
    try:
        if args.control_fd is not None:
            serve_servers(socket.socket(fileno=args.control_fd), args.preimport)
        else:
            _reply_fd = args.reply_fd
            serve(args.preimport)
    except SystemExit as exc:  # SIGTERM (after serve killed the kernels)
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    # every kernel is gone (serve's last step): skip the slow tear-down of all the
    # pre-imported modules, which the build would wait for as it ends (a zygote's
    # servers end with their own builds: they do not need it)
    os._exit(code)


if __name__ == "__main__":
    # run the module under its own name, not as __main__: `make mutate` swaps in a
    # mutant by module name, and a process started with -m would otherwise never
    # run one (every fork-server mutant "survived" untested)
    from nbops.runtime._forkserver import main as _main

    _main()
