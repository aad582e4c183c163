"""Papermill's notebook client, driving a kernel taken from the pool.

Differences from Papermill's own client:

* the kernel is already running (started ahead of need by
  :class:`nbops.runtime._kernel_pool.KernelPool`); its ``os.environ`` is brought
  up to date before the first cell, silently, binding no name;
* a kernel that dies mid-notebook (``os._exit``, a segfault, the OOM killer)
  becomes an ordinary cell error, ``DeadKernelError`` on the cell that was
  running, so Papermill saves the partial notebook and raises its usual
  ``PapermillExecutionError`` naming the cell, and only that task fails.
"""

from __future__ import annotations

import json
import subprocess
import time
from queue import Empty
from typing import Any

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbclient.util import run_hook
from nbformat import NotebookNode
from nbformat.v4 import new_output
from papermill.clientwrap import PapermillNotebookClient

from nbops.runtime import PooledKernel, kernel_environment

DEAD_KERNEL_ENAME = "DeadKernelError"


def env_sync_code(to_set: dict[str, str], to_unset: list[str]) -> str:
    """Python source that updates ``os.environ`` in a kernel without binding names."""
    return (
        f"__import__('os').environ.update({json.dumps(to_set)}); "
        f"[__import__('os').environ.pop(k, None) for k in {json.dumps(to_unset)}] and None"
    )


class PooledNotebookClient(PapermillNotebookClient):  # type: ignore[misc]
    """Runs one notebook on one pre-started kernel, then hands it back to be killed."""

    nb: NotebookNode  # set by nbclient's NotebookClient (untyped through Papermill's subclass)

    def __init__(self, nb_man: Any, kernel: PooledKernel, **kwargs: Any) -> None:
        super().__init__(nb_man, km=kernel.manager, **kwargs)
        self.pooled_kernel = kernel
        self.kernel_died = False

    async def async_start_new_kernel_client(self) -> Any:
        """Connect to the pooled kernel; ready as soon as both channels answer.

        jupyter_client's ``wait_for_ready`` ends by waiting for 0.2 s of
        silence on IOPub — per notebook, on the critical path. Here the kernel
        is ready once a ``kernel_info`` request has its reply on the shell
        channel *and* its status messages on IOPub (proof that the
        subscription is live, so no output of the first cell can be lost).
        """
        assert self.km is not None
        kc = self.km.client()
        await ensure_async(kc.start_channels())
        try:
            await _wait_until_connected(kc, self.startup_timeout)
        except Exception:
            await ensure_async(kc.stop_channels())
            raise
        self.kc = kc
        kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        to_set, to_unset = self.pooled_kernel.env_changes(kernel_environment())
        if to_set or to_unset:
            msg_id = kc.execute(
                env_sync_code(to_set, to_unset), silent=True, store_history=False
            )
            reply = await self.async_wait_for_reply(msg_id)
            if reply is None or reply["content"].get("status") != "ok":
                raise RuntimeError("could not pass the build's environment to the kernel")
        return kc

    # nbclient binds the synchronous twin to its own coroutine: rebind to ours
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def execute(self, **kwargs: Any) -> NotebookNode:
        """Execute every cell; never ask a dead kernel for its info."""
        self.reset_execution_trackers()
        with self.setup_kernel(**kwargs):
            kc: Any = self.kc  # nbclient's kernel client, from the untyped Papermill base
            try:
                self.papermill_execute_cells()
                if not self.kernel_died:
                    info_msg = self.wait_for_reply(kc.kernel_info())
                    self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                    self.set_widgets_metadata()
            finally:
                kc.stop_channels()
                self.kc = None
        return self.nb

    def papermill_execute_cells(self) -> None:
        for index, cell in enumerate(self.nb.cells):
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except CellExecutionError as exc:
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=exc)
                break
            except DeadKernelError as exc:
                self.kernel_died = True
                self._record_dead_kernel(self.nb.cells[index], index, exc)
                break
            finally:
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    def _record_dead_kernel(self, cell: NotebookNode, index: int, exc: Exception) -> None:
        code = _exit_code(self.pooled_kernel)
        evalue = (
            f"the kernel process (pid {self.pooled_kernel.pid}) died while running cell "
            f"index {index}{'' if code is None else f' (exit code {code})'}; the cell's own code "
            "ended the process (os._exit, a crash in native code, or the out-of-memory killer). "
            "Run the notebook interactively to find the line"
        )
        cell.setdefault("outputs", []).append(
            new_output(
                "error", ename=DEAD_KERNEL_ENAME, evalue=evalue,
                traceback=[f"{DEAD_KERNEL_ENAME}: {evalue}"],
            )
        )
        self.nb_man.cell_exception(cell, cell_index=index, exception=exc)


async def _wait_until_connected(kc: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    asked: set[str] = set()
    while time.monotonic() < deadline:
        asked.add(kc.kernel_info())
        answered = await _shell_answer(kc, asked)
        if answered is None:
            if not await ensure_async(kc.is_alive()):
                raise RuntimeError("the kernel died before it answered")
            continue
        # Any asked request's idle proves IOPub is connected. Waiting for the idle
        # of the one just answered could lag forever: once an idle was missed
        # (IOPub still subscribing), every later round answered an older request
        # whose idle had already gone by, while asking a new one.
        if await _saw_idle(kc, asked):
            while True:  # drop whatever else start-up published
                try:
                    await kc.get_iopub_msg(timeout=0)
                except Empty:
                    return
    raise RuntimeError(f"the kernel did not answer within {timeout} s")


async def _shell_answer(kc: Any, asked: set[str], wait: float = 0.5) -> str | None:
    """The request id of the first reply to any of ``asked`` (a kernel still
    starting answers earlier attempts late), or None if none came in time."""
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await kc.get_shell_msg(timeout=left)
        except Empty:
            return None
        parent = reply["parent_header"].get("msg_id")
        if parent in asked:
            return str(parent)
    return None


async def _saw_idle(kc: Any, msg_ids: set[str], wait: float = 0.5) -> bool:
    """Whether IOPub carries the ``idle`` status of one of ``msg_ids`` (it is subscribed)."""
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await kc.get_iopub_msg(timeout=left)
        except Empty:
            return False
        if (msg["parent_header"].get("msg_id") in msg_ids and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"):
            return True
    return False


def _exit_code(kernel: PooledKernel) -> int | None:
    provisioner = getattr(kernel.manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None:
        return None
    try:
        code: int | None = process.wait(timeout=2)  # a Popen, or the fork provisioner's twin
        return code
    except subprocess.TimeoutExpired:
        return None
