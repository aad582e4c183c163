"""The ``nbops`` Papermill engine.

Papermill imports every registered engine when ``papermill`` itself is imported,
so this module must stay cheap and must not import nbops' heavier layers.

Two modes:

* given a ``kernel_pool`` (the nbops executor passes one through the task's
  executor parameters), the notebook runs on a kernel started ahead of need,
  which is killed afterwards (see :mod:`nbops.runtime._kernel_pool`);
* without one, it is Papermill's nbclient engine with an immediate kernel
  shutdown (a kernel that ignores a graceful shutdown request stalls the task
  for seconds; the notebook has finished by then, so nothing is lost).
"""

from __future__ import annotations

import logging
import os
import time
from typing import IO, TYPE_CHECKING, Any

from papermill.engines import NBClientEngine
from papermill.utils import merge_kwargs, remove_args

if TYPE_CHECKING:  # types only: this module must stay cheap to import (see above)
    from nbformat import NotebookNode

    from nbops.runtime import KernelPool

logger = logging.getLogger("nbops")


class NbopsEngine(NBClientEngine):  # type: ignore[misc]
    """Papermill engine: pooled fresh kernels, immediate shutdown."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,  # Papermill's NotebookExecutionManager (untyped)
        kernel_name: str,
        log_output: bool = False,
        stdout_file: IO[str] | None = None,
        stderr_file: IO[str] | None = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        kernel_pool: KernelPool | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        if kernel_pool is None:
            kwargs.setdefault("shutdown_kernel", "immediate")
            executed: NotebookNode = super().execute_managed_notebook(
                nb_man, kernel_name, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file, start_timeout=start_timeout,
                execution_timeout=execution_timeout, **kwargs,
            )
            return executed
        from nbops.engine._notebook_client import PooledNotebookClient

        kwargs = remove_args(["input_path", "timeout", "startup_timeout", "kernel_name"], **kwargs)
        client_kwargs: dict[str, Any] = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        cwd = os.getcwd()
        t0 = time.perf_counter()
        kernel = kernel_pool.acquire(kernel_name, cwd)
        logger.debug("kernel pid %s acquired in %.3f s", kernel.pid, time.perf_counter() - t0)
        kernel_pool.refill(kernel_name, cwd)
        try:
            return PooledNotebookClient(nb_man, kernel, **client_kwargs).execute()
        finally:
            kernel_pool.release(kernel)
