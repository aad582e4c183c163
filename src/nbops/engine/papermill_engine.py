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
from typing import Any

from papermill.engines import NBClientEngine
from papermill.utils import merge_kwargs, remove_args

logger = logging.getLogger("nbops")


class NbopsEngine(NBClientEngine):  # type: ignore[misc]
    """Papermill engine: pooled fresh kernels, immediate shutdown."""

    @classmethod
    def execute_managed_notebook(  # type: ignore[no-untyped-def]
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        kernel_pool=None,
        **kwargs,
    ):
        if kernel_pool is None:
            kwargs.setdefault("shutdown_kernel", "immediate")
            return super().execute_managed_notebook(
                nb_man, kernel_name, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file, start_timeout=start_timeout,
                execution_timeout=execution_timeout, **kwargs,
            )
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
