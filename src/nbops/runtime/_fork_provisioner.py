"""Launch kernels by forking them from the pre-imported fork server.

:class:`ForkServer` runs ``python -m nbops.runtime._forkserver`` (see that module
for the protocol and the fork-safety rules) and keeps track of the kernels it
forked; :class:`ForkProvisioner` is a jupyter_client kernel provisioner that
asks the server for a kernel instead of starting a new interpreter, and looks
like an ordinary local kernel to everything else (interrupts, kills, exit
codes). Any kernel command the server cannot serve (another interpreter or
kernel) falls back to the ordinary launch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

if TYPE_CHECKING:
    from nbops.runtime._forkserver import ServerMessage

logger = logging.getLogger("nbops")

LAUNCHER_ARGS = ["-m", "ipykernel_launcher"]


class ForkServerError(RuntimeError):
    """The fork server is gone or refused to fork."""


#: Set in every kernel's environment unless the user set them: what Papermill's own
#: command line sets (debugpy otherwise warns on stderr, in every build, that Python's
#: frozen modules may hide breakpoints; nobody debugs a kernel Papermill drives).
KERNEL_ENV_DEFAULTS = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def kernel_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) with :data:`KERNEL_ENV_DEFAULTS` filled in."""
    return {**KERNEL_ENV_DEFAULTS, **(os.environ if base is None else base)}


@dataclass(frozen=True)
class StartedServer:
    """A fork server process started ahead of the build that will use it.

    Only file descriptors and numbers: started by a process that must not start a
    thread (the sweep's trial server), then adopted by a :class:`ForkServer` in the
    forked process that runs the build. Whoever started it reaps it.
    """

    pid: int
    stdin_fd: int
    reply_fd: int
    env: dict[str, str]
    preimport: tuple[str, ...]

    def close(self) -> None:
        """Close this process's ends of the pipes (the server exits when all are closed)."""
        for fd in (self.stdin_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def start_server(env: Mapping[str, str] | None = None, preimport: tuple[str, ...] = (),
                 log: str | None = None) -> tuple[subprocess.Popen[bytes], StartedServer]:
    """Start ``python -m nbops.runtime._forkserver`` without starting a thread here.

    Its output and its kernels' (what they write outside the notebook) go to this
    process's, or are appended to the file ``log``.
    """
    full_env = kernel_environment(env)
    output = None if log is None else open(log, "ab")  # noqa: SIM115 - closed below
    read_fd, write_fd = os.pipe()
    stdin_read, stdin_write = os.pipe()
    argv = [sys.executable, "-m", "nbops.runtime._forkserver", "--reply-fd", str(write_fd)]
    for name in preimport:
        argv += ["--preimport", name]
    try:
        process = subprocess.Popen(argv, stdin=stdin_read, stdout=output, stderr=output,
                                   pass_fds=(write_fd,), env=full_env, start_new_session=True)
    except BaseException:
        for fd in (read_fd, stdin_write):
            os.close(fd)
        raise
    finally:
        os.close(write_fd)
        os.close(stdin_read)
        if output is not None:
            output.close()
    return process, StartedServer(process.pid, stdin_write, read_fd, full_env, tuple(preimport))


class Zygote:
    """A process that imported ``preimport`` once and forks kernel fork servers on request.

    Each :meth:`spawn` gives, in milliseconds, what :func:`start_server` gives after
    seconds of imports: a fresh kernel fork server that a build adopts
    (:func:`hand_over`). A sweep's trial server keeps one for all its trials. Like
    :func:`start_server`, it never starts a thread here; the protocol is in
    :mod:`nbops.runtime._forkserver`.
    """

    def __init__(self, env: Mapping[str, str] | None = None, preimport: tuple[str, ...] = (),
                 log: str | None = None) -> None:
        self.env = kernel_environment(env)
        self.preimport = tuple(preimport)
        self._exits: dict[int, int] = {}
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, "-m", "nbops.runtime._forkserver",
                "--control-fd", str(theirs.fileno())]
        for name in self.preimport:
            argv += ["--preimport", name]
        output = None if log is None else open(log, "ab")  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                pass_fds=(theirs.fileno(),), env=self.env, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            if output is not None:
                output.close()
        self._socket = ours

    @property
    def fileno(self) -> int:
        """This process's end of the control socket (a forked build closes it)."""
        return self._socket.fileno()

    def spawn(self, timeout: float = 60, log: str | None = None) -> StartedServer:
        """A new kernel fork server, forked by the zygote (which waits for its imports first).

        Its output and its kernels' (what they write outside the notebook) are appended to
        the file ``log``, or go where the zygote's go.

        Raises:
            ForkServerError: the zygote is gone, did not answer in ``timeout`` seconds, or
                refused (its imports started a thread).
        """
        output = None if log is None else os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                                  0o644)
        read_fd, write_fd = os.pipe()
        stdin_read, stdin_write = os.pipe()
        try:
            try:
                socket.send_fds(self._socket, [b"fork"], [stdin_read, write_fd]
                                + ([] if output is None else [output]))
            except OSError as exc:
                raise ForkServerError("the zygote has gone") from exc
            pid = kernel_pid(self._answer(timeout), "the zygote")
        except BaseException:
            for ours in (read_fd, stdin_write):
                os.close(ours)
            raise
        finally:
            for theirs in (stdin_read, write_fd, output):  # the server has its copies now
                if theirs is not None:
                    os.close(theirs)
        return StartedServer(pid, stdin_write, read_fd, self.env, self.preimport)

    def wait_exit(self, pid: int, timeout: float = 30) -> int | None:
        """Wait for a server this zygote forked to end; its exit code (None on timeout)."""
        deadline = time.monotonic() + timeout
        while pid not in self._exits:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self._handle(self._receive(remaining))
            except ForkServerError:
                return None
        return self._exits.pop(pid)

    def end_server(self, pid: int, timeout: float = 30) -> int:
        """Wait for a server to end (its build closed its pipes); kill it if it does not."""
        code = self.wait_exit(pid, timeout)
        if code is None:
            try:
                os.killpg(pid, signal.SIGKILL)  # the server and any kernel it still holds
            except ProcessLookupError:
                pass
            code = self.wait_exit(pid, 5)
        return -signal.SIGKILL if code is None else code

    def close(self, timeout: float = 30) -> None:
        """End the zygote (servers it forked live on until their builds end). Idempotent."""
        self._socket.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _receive(self, timeout: float) -> ServerMessage:
        self._socket.settimeout(timeout)
        try:
            raw = self._socket.recv(4096)
        except (TimeoutError, OSError) as exc:
            raise ForkServerError("the zygote did not answer") from exc
        if not raw:
            raise ForkServerError("the zygote has gone")
        message: ServerMessage = json.loads(raw)
        return message

    def _handle(self, message: ServerMessage) -> ServerMessage | None:
        """Record an exit; return an answer. The ready message needs nothing: a refusal to
        fork (its imports started a thread) comes as the answer to each request."""
        if "exit" in message:
            self._exits[int(message["exit"])] = int(message["code"])
        elif "ready" not in message:
            return message
        return None

    def _answer(self, timeout: float) -> ServerMessage:
        deadline = time.monotonic() + timeout
        while True:
            answer = self._handle(self._receive(max(deadline - time.monotonic(), 0.001)))
            if answer is not None:
                return answer


_handed_over: StartedServer | None = None


def hand_over(started: StartedServer) -> None:
    """Give this process's next build a fork server started ahead for it (see sweeps)."""
    global _handed_over
    _handed_over = started


def take_handed_over() -> StartedServer | None:
    """The fork server handed over to this process, once; None if there is none."""
    global _handed_over
    started, _handed_over = _handed_over, None
    return started


def kernel_pid(answer: ServerMessage, sender: str = "the kernel fork server") -> int:
    """The pid in the fork server's (or the zygote's) answer to a fork request.

    Raises:
        ForkServerError: the server refused, or answered a pid that is not a child's.
            A kernel (or a server) is later signalled by pid and by process group: 0 or
            -1 would reach this build's own process group, or every process it may signal.
    """
    if "pid" not in answer:
        raise ForkServerError(answer.get("error", f"unexpected answer {answer!r}"))
    pid = answer["pid"]
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise ForkServerError(f"{sender} answered an impossible pid {pid!r}")
    return pid


class ForkServer:
    """A running fork server process and the exit codes of the kernels it forked.

    Args:
        env: the server's environment (default ``os.environ``); kernels whose
            start-up-only variables differ are not forked from it.
        start_timeout: how long a fork waits for the server's imports.
        preimport: modules the server imports once, so that every kernel starts
            with them loaded (the executor's ``preload``).
        started: adopt a server started ahead (:func:`start_server`) instead of
            starting one; ``env`` and ``preimport`` are then the server's own.
    """

    def __init__(self, env: Mapping[str, str] | None = None, start_timeout: float = 60,
                 preimport: tuple[str, ...] = (), started: StartedServer | None = None) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        if started is None:
            self._process, started = start_server(env, tuple(preimport))
        self.env = started.env
        self.preimport = started.preimport
        self.pid = started.pid
        self._stdin = os.fdopen(started.stdin_fd, "wb")
        self._replies = os.fdopen(started.reply_fd, "rb")
        self._cond = threading.Condition()
        self._answers: list[ServerMessage] = []
        self._exits: dict[int, int] = {}
        self._request_lock = threading.Lock()
        self._alive = True
        #: Why the server cannot fork (a pre-imported module started a thread), if so.
        self.unforkable: str | None = None
        # not waited for here: the server imports while Ploomber renders the DAG;
        # the first fork waits for it
        self._ready = False
        self.start_timeout = start_timeout
        self._reader = threading.Thread(target=self._read, name="nbops-forkserver", daemon=True)
        self._reader.start()

    # -- requests ---------------------------------------------------------
    def fork(self, argv: list[str], cwd: str, env: Mapping[str, str], timeout: float = 30) -> int:
        """Fork a kernel running ``ipykernel_launcher <argv>``; returns its pid."""
        line = json.dumps({"argv": argv, "cwd": cwd, "env": dict(env)}) + "\n"
        with self._request_lock:
            self.wait_ready()
            if not self._alive or self._stdin.closed:
                raise ForkServerError("the kernel fork server is not running")
            try:
                self._stdin.write(line.encode())
                self._stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise ForkServerError("the kernel fork server went away") from exc
            answer = self._await_answer(timeout)
        return kernel_pid(answer)

    @property
    def ready(self) -> bool:
        """Whether the server has finished its imports and can fork right away."""
        with self._cond:
            return self._ready and self._alive and self.unforkable is None

    @property
    def alive(self) -> bool:
        """Whether the server still answers (it reports kernel exits while it does)."""
        with self._cond:
            return self._alive

    def exit_code(self, pid: int) -> int | None:
        """The exit code of a forked kernel, or None while it runs."""
        with self._cond:
            return self._exits.get(pid)

    def wait(self, pid: int, timeout: float | None = None) -> int | None:
        """Wait until a forked kernel has ended; its exit code (None on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while pid not in self._exits and self._alive:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._exits.get(pid, -signal.SIGKILL)

    def close(self, timeout: float = 10) -> None:
        """Stop the server; it kills any kernel still running first. Idempotent."""
        if self._replies.closed:
            return
        with self._request_lock:
            if not self._stdin.closed:
                self._stdin.close()
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        else:  # adopted: not this process's child; its replies end when it exits
            self._reader.join(timeout)
            if self._reader.is_alive():
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._reader.join(timeout)
        self._replies.close()

    # -- internals --------------------------------------------------------
    def wait_ready(self) -> None:
        """Block until the server has finished its imports (or raise ForkServerError)."""
        deadline = time.monotonic() + self.start_timeout
        with self._cond:
            while not self._ready:
                remaining = deadline - time.monotonic()
                if not self._alive or remaining <= 0:
                    raise ForkServerError("the kernel fork server did not start")
                self._cond.wait(remaining)

    def _await_answer(self, timeout: float) -> ServerMessage:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._answers:
                remaining = deadline - time.monotonic()
                if not self._alive or remaining <= 0:
                    raise ForkServerError("the kernel fork server did not answer")
                self._cond.wait(remaining)
            return self._answers.pop(0)

    def _read(self) -> None:
        for raw in self._replies:
            message: ServerMessage = json.loads(raw)
            with self._cond:
                if "exit" in message:
                    self._exits[int(message["exit"])] = int(message["code"])
                elif "ready" in message:
                    self._ready = True
                    self.unforkable = message.get("unforkable")
                    if self.unforkable:
                        logger.warning(
                            "kernels start the ordinary way (slower): the kernel fork server "
                            "pre-imports the executor's `preload` modules and %s, so it cannot "
                            "fork; remove that module from `preload:` in pipeline.yaml",
                            self.unforkable)
                else:
                    self._answers.append(message)
                self._cond.notify_all()
        with self._cond:
            self._alive = False
            self._cond.notify_all()


class ForkedProcess:
    """The ``subprocess.Popen`` subset jupyter_client uses, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, server: ForkServer) -> None:
        self.pid = pid
        self._server = server
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid)
        if self.returncode is None and not self._server.alive:
            # nobody will report this kernel's exit any more: look for it directly
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self._server.wait(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
        self.returncode = code
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:  # ended between the poll and the signal
                self.returncode = self._server.exit_code(self.pid) or -signum

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """A local kernel provisioner whose kernels are forked by a :class:`ForkServer`."""

    fork_server: ForkServer | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        server = self.fork_server
        if server is not None and server.preimport and server.alive and not server.ready:
            # a new interpreter would import the same modules again, competing with
            # the server for the CPU: waiting for the server is quicker
            with contextlib.suppress(ForkServerError):
                await asyncio.to_thread(server.wait_ready)
        if server is None or not server.ready or cmd[:3] != [sys.executable, *LAUNCHER_ARGS]:
            # without pre-imports, never wait for the server: while it is still
            # importing, a new interpreter is as quick
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        # as jupyter_client's launcher does: the kernel watches the build process
        env["JPY_PARENT_PID"] = str(os.getpid())
        cwd = str(kwargs.get("cwd") or os.getcwd())
        # ipykernel reads JPY_PARENT_PID when it is imported, which in the
        # server happened long before this kernel: pass it explicitly.
        argv = [*cmd[3:], f"--IPKernelApp.parent_handle={os.getpid()}"]
        try:
            pid = server.fork(argv, cwd, env)
        except ForkServerError as exc:
            logger.warning("starting a kernel the ordinary way: %s", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid, server)  # type: ignore[assignment]  # Popen-alike
        self.pid = pid
        self.pgid = pid  # the child started its own session
        self.cwd = cwd
        return self.connection_info
