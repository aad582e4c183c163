"""A pool of kernels started ahead of need, one fresh process per notebook.

Starting a Jupyter kernel costs about 0.6 s here (interpreter start-up plus
``ipykernel`` imports), plus whatever the notebook imports. The pool launches
kernels *before* a notebook asks for one, so that cost overlaps the previous
notebook's execution instead of sitting on the critical path.

Isolation is not traded for speed: every kernel serves exactly one notebook
and is killed afterwards; nothing is ever reused. Optional *preloads* import
modules (``pandas``, ``sklearn`` …) into ``sys.modules`` while the kernel
waits; they bind no name in the user namespace, so a notebook still has to
``import pandas`` itself, exactly as in a cold kernel.

A kernel started before the run's environment was complete (for example
before the ``on_render`` hook set ``NBOPS_RUN_ID``) has its ``os.environ``
brought up to date when it is handed out: see :meth:`PooledKernel.env_changes`.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("nbops")

#: Variables that only matter when an interpreter starts: a kernel launched
#: with different values cannot be fixed afterwards, so it is discarded.
#: (MPLBACKEND is read when matplotlib is imported: at start-up, for a preloaded one.)
STARTUP_ONLY_VARIABLES = frozenset(
    {"PYTHONPATH", "PYTHONHOME", "PYTHONHASHSEED", "PYTHONNOUSERSITE", "LD_LIBRARY_PATH",
     "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VIRTUAL_ENV",
     "MPLBACKEND"}
)


def preload_arguments(modules: Iterable[str]) -> list[str]:
    """Kernel command-line arguments that import ``modules`` at start-up.

    The import runs through ``importlib`` inside an expression that evaluates
    to ``None``, so it binds no name and displays nothing.
    """
    names = [m.strip() for m in modules if m and m.strip()]
    if not names:
        return []
    code = f"list(map(__import__('importlib').import_module, {names!r})).clear()"
    return [f"--IPKernelApp.exec_lines={code}"]


@dataclass
class PooledKernel:
    """One started kernel process, handed to exactly one notebook."""

    manager: Any  # jupyter_client.AsyncKernelManager
    kernel_name: str
    cwd: str
    env: dict[str, str] = field(repr=False)

    @property
    def pid(self) -> int | None:
        """The kernel's process id (None once it has been cleaned up)."""
        provisioner = getattr(self.manager, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def env_changes(self, current: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
        """What differs between the kernel's start-up environment and ``current``.

        Returns:
            ``(set, unset)``: variables to assign and variables to delete in
            the kernel so that its ``os.environ`` equals ``current``.
        """
        to_set = {k: v for k, v in current.items() if self.env.get(k) != v}
        to_unset = [k for k in self.env if k not in current]
        return to_set, to_unset


class KernelPool:
    """Kernels launched ahead of need, keyed by kernel name and working directory.

    Args:
        ahead: how many idle kernels to keep started per key.
        preload: modules each kernel imports while it waits (no names bound).
        budget: the total number of kernels this pool may still launch (the
            number of notebooks left to run); ``None`` means unlimited. Keeps
            the pool from starting kernels nobody will use.
        fork_server: a running :class:`~nbops.runtime._fork_provisioner.ForkServer`
            to fork kernels from (milliseconds instead of a fresh interpreter's
            start-up); ``None`` starts each kernel as a new process.

    Use it as a context manager: leaving the block kills every kernel it
    started, whether the build succeeded, failed or was interrupted.
    """

    def __init__(
        self,
        ahead: int = 1,
        preload: Iterable[str] = (),
        budget: int | None = None,
        fork_server: Any = None,
    ) -> None:
        self.ahead = max(0, int(ahead))
        self.preload = tuple(preload)
        self._budget = budget
        self._idle: dict[tuple[str, str], deque[PooledKernel]] = {}
        self._in_use: dict[int, PooledKernel] = {}
        self._launching: dict[tuple[str, str], int] = {}
        self._cond = threading.Condition()
        self._closed = False
        self.started = 0
        self._serial = itertools.count()
        self._fork_server = fork_server
        self._killers: list[threading.Thread] = []
        # IPC sockets: no TCP port hunting, and no plain-text TCP between processes.
        self.transport = "ipc" if os.name == "posix" else "tcp"
        ipc = self.transport == "ipc"
        self._socket_dir = tempfile.mkdtemp(prefix="nbops-kernels-") if ipc else ""

    # -- life cycle -------------------------------------------------------
    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every kernel this pool started (idle or still in use)."""
        with self._cond:
            self._closed = True
            victims = [k for q in self._idle.values() for k in q] + list(self._in_use.values())
            killers, self._killers = self._killers, []
            self._idle.clear()
            self._in_use.clear()
            self._cond.notify_all()
        for kernel in victims:
            _kill(kernel)
        for thread in killers:
            thread.join()
        if self._socket_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    # -- public API -------------------------------------------------------
    def prestart(self, kernel_name: str, cwd: str | None = None) -> None:
        """Launch idle kernels for ``kernel_name`` until ``ahead`` are waiting or starting."""
        key = (kernel_name, cwd or os.getcwd())
        while True:
            with self._cond:
                waiting = len(self._idle.get(key, ())) + self._launching.get(key, 0)
                if self._closed or waiting >= self.ahead or not self._take_budget():
                    return
                self._launching[key] = self._launching.get(key, 0) + 1
            self._launch_into_idle(key)

    def acquire(self, kernel_name: str, cwd: str | None = None) -> PooledKernel:
        """A started kernel for one notebook.

        Takes a waiting kernel, or waits for one that is already starting, or
        launches one right away when none is on its way.
        """
        key = (kernel_name, cwd or os.getcwd())
        kernel = None
        with self._cond:
            while kernel is None:
                if self._closed:
                    raise RuntimeError("the kernel pool is closed")
                queue = self._idle.get(key)
                if queue:
                    candidate = queue.popleft()
                    if _startup_env_matches(candidate.env, os.environ):
                        kernel = candidate
                    else:
                        logger.debug("discarding a pre-started kernel: start-up env changed")
                        threading.Thread(target=_kill, args=(candidate,), daemon=True).start()
                elif self._launching.get(key, 0):
                    self._cond.wait()
                else:
                    self._take_budget(force=True)
                    break
        if kernel is None:
            kernel = self._launch(*key)
        with self._cond:
            self._in_use[id(kernel)] = kernel
        return kernel

    def release(self, kernel: PooledKernel) -> None:
        """Kill a kernel after its notebook ran (it is never reused).

        The kill and the wait for the process to end happen in the background,
        off the build's critical path; :meth:`close` waits for them.
        """
        thread = threading.Thread(target=_kill, args=(kernel,), name="nbops-kernel-kill")
        with self._cond:
            self._in_use.pop(id(kernel), None)
            self._killers = [t for t in self._killers if t.is_alive()]
            self._killers.append(thread)
        thread.start()

    def refill(self, kernel_name: str, cwd: str | None = None) -> None:
        """Top the idle kernels back up in a background thread."""
        thread = threading.Thread(
            target=self.prestart, args=(kernel_name, cwd), name="nbops-kernel-pool", daemon=True
        )
        thread.start()

    def live_pids(self) -> list[int]:
        """Process ids of kernels the pool currently holds (for tests and debugging)."""
        with self._cond:
            kernels = [k for q in self._idle.values() for k in q] + list(self._in_use.values())
        return [pid for pid in (k.pid for k in kernels) if pid is not None]

    # -- internals --------------------------------------------------------
    def _take_budget(self, force: bool = False) -> bool:
        if self._budget is None:
            return True
        if self._budget <= 0 and not force:
            return False
        self._budget -= 1
        return True

    def _launch_into_idle(self, key: tuple[str, str]) -> None:
        try:
            kernel = self._launch(*key)
        finally:
            with self._cond:
                self._launching[key] -= 1
                self._cond.notify_all()
        with self._cond:
            if not self._closed:
                self._idle.setdefault(key, deque()).append(kernel)
                self._cond.notify_all()
                return
        _kill(kernel)

    def _launch(self, kernel_name: str, cwd: str) -> PooledKernel:
        from jupyter_client.manager import AsyncKernelManager

        from nbops.runtime._fork_provisioner import kernel_environment

        t0 = time.perf_counter()
        env = kernel_environment()
        options: dict[str, object] = {"kernel_name": kernel_name, "transport": self.transport}
        if self._socket_dir:
            options["ip"] = os.path.join(self._socket_dir, f"k{next(self._serial)}")
        manager = AsyncKernelManager(**options)
        server = self._fork_server
        if server is not None and _startup_env_matches(server.env, env):
            from nbops.runtime._fork_provisioner import ForkProvisioner

            manager.kernel_id = str(uuid.uuid4())
            provisioner = ForkProvisioner(
                kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager
            )
            provisioner.fork_server = server
            manager.provisioner = provisioner
        _await(manager.start_kernel(
            cwd=cwd, env=env, extra_arguments=preload_arguments(self.preload)
        ))
        self.started += 1
        kernel = PooledKernel(manager=manager, kernel_name=kernel_name, cwd=cwd, env=env)
        logger.debug("launched kernel %s (pid %s) in %.3f s", kernel_name, kernel.pid,
                     time.perf_counter() - t0)
        return kernel


def _await(coroutine: Any) -> Any:
    """Run one kernel-manager coroutine to completion on a loop of its own, then close it.

    Pool work happens in short-lived threads; a loop left open per thread would
    leak its sockets.
    """
    import asyncio

    return asyncio.run(coroutine)


def _startup_env_matches(started_with: Mapping[str, str], current: Mapping[str, str]) -> bool:
    return all(started_with.get(k) == current.get(k) for k in STARTUP_ONLY_VARIABLES)


def _kill(kernel: PooledKernel) -> None:
    """Kill the kernel process right away and release its files and sockets."""
    manager = kernel.manager
    try:
        if manager.has_kernel:
            _await(manager.shutdown_kernel(now=True))
        else:
            _await(manager.cleanup_resources())
    except RuntimeError as exc:  # "No kernel is running!" and closed loops
        logger.debug("kernel cleanup: %s", exc)
