"""The nbops Ploomber executor: pooled fresh kernels, independent tasks in parallel.

Chosen in ``pipeline.yaml`` without touching any notebook::

    executor:
      dotted_path: nbops.engine.executor.NbopsExecutor
      workers: 2                    # independent tasks run side by side
      preload: [pandas, sklearn]    # every kernel starts with these imported

How it differs from Ploomber's executors:

* notebooks run through the ``nbops`` Papermill engine on kernels that a
  :class:`~nbops.runtime._kernel_pool.KernelPool` started ahead of need; each
  kernel serves one notebook and is killed afterwards, and the pool is torn
  down when the build ends, fails or is interrupted;
* tasks run in worker threads of the build process (the heavy lifting happens
  in the kernel processes, so threads are enough to keep every core busy), the
  scheduler waits on futures instead of polling, and every status change,
  task hook and metadata write happens in the main thread, one at a time;
* nothing is pickled and nothing runs in a forked copy of the build, so DAG
  hooks (the nbops run ledger) see exactly what Ploomber's serial executor
  would show them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from ploomber.constants import TaskStatus
from ploomber.exceptions import DAGBuildEarlyStop, DAGBuildError
from ploomber.executors.abc import Executor
from ploomber.messagecollector import BuildExceptionsCollector
from ploomber.tasks import NotebookRunner

from nbops.adapters import format_task_exception, kernel_name
from nbops.core import ConfigError
from nbops.runtime import ForkServer, KernelPool, speedups_off, take_handed_over

logger = logging.getLogger("nbops")

ENGINE_NAME = "nbops"
_READY = (TaskStatus.WaitingExecution, TaskStatus.WaitingDownload)


class NbopsExecutor(Executor):  # type: ignore[misc]
    """Runs a rendered DAG: notebooks on pre-started kernels, up to ``workers`` at once.

    Args:
        workers: how many tasks may run at the same time (``None``: one per CPU).
        ahead: idle kernels kept started (default: ``workers``).
        preload: modules every kernel starts with (no name is bound): imported once by
            the fork server before it forks, or by each kernel started the ordinary way
            while it waits.
        fork: fork kernels from a pre-imported server (POSIX; default) instead
            of starting a new interpreter for each.
    """

    def __init__(
        self,
        workers: int | None = 1,
        ahead: int | None = None,
        preload: Iterable[str] = (),
        fork: bool = True,
    ) -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.ahead = self.workers if ahead is None else max(0, int(ahead))
        self.preload = _checked_preload(preload)
        self.fork = bool(fork) and os.name == "posix"
        speedups_off()  # a bad NBOPS_RUNTIME fails as the pipeline loads, before any task

    def __repr__(self) -> str:
        return f"NbopsExecutor(workers={self.workers}, ahead={self.ahead}, preload={self.preload})"

    def __call__(self, dag: Any, show_progress: bool = True) -> list[Any]:
        super().__call__(dag)
        todo = [t for t in dag.values() if t.exec_status != TaskStatus.Skipped]
        notebooks = [t for t in todo if _runs_on_papermill(t)]
        workers = self.workers
        if workers > 1 and any(_changes_cwd(t) for t in todo):
            logger.warning(
                "a task sets its own working directory (local_execution or cwd); "
                "running tasks one at a time"
            )
            workers = 1
        # Started only when there is a notebook to run (a no-op build pays
        # nothing); the first kernels start the ordinary way while it imports,
        # unless a server was started ahead for this build (a sweep's next trial).
        # NBOPS_RUNTIME=plain: each kernel a new interpreter started when its notebook is
        # due, without the pipeline's preload (nbops.runtime._switch).
        plain = speedups_off()
        ahead, preload = (0, ()) if plain else (self.ahead, self.preload)
        started = take_handed_over()
        server = None
        if self.fork and notebooks and not plain:
            server = ForkServer(preimport=preload, started=started)
        elif started is not None:
            started.close()
        try:
            with KernelPool(
                ahead=ahead, preload=preload, budget=len(notebooks), fork_server=server
            ) as pool:
                for name in _kernel_names(notebooks)[:1]:
                    pool.refill(name)
                with _pooled(notebooks, pool):
                    return _schedule(dag, workers)
        finally:
            if server is not None:
                server.close()


def _checked_preload(modules: Iterable[str]) -> tuple[str, ...]:
    """The preload list, refusing names that are not installed (checked without importing)."""
    if isinstance(modules, str):
        modules = [modules]
    names = tuple(str(m).strip() for m in modules if str(m).strip())
    for name in names:
        if importlib.util.find_spec(name.split(".")[0]) is None:
            raise ConfigError(
                f"executor preload module {name!r} in pipeline.yaml is not installed",
                "remove it from `preload:` or install it in the project's environment",
            )
    return names


def _schedule(dag: Any, workers: int) -> list[Any]:
    reports: list[Any] = []
    errors = BuildExceptionsCollector()
    running: dict[Future[Any], Any] = {}
    started: set[str] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nbops-task") as threads:
        while True:
            for task in dag.values():
                if len(running) >= workers:
                    break
                if task.name not in started and task.exec_status in _READY:
                    started.add(task.name)
                    logger.info("starting task %s", task.name)
                    running[threads.submit(task._run)] = task
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                report = _finish(task, future, errors)
                if report is not None:
                    reports.append(report)
    if errors:
        if any(isinstance(m.obj, DAGBuildEarlyStop) for m in errors):
            raise DAGBuildEarlyStop(f"Early stop requested by a task:\n{errors}")
        raise DAGBuildError(str(errors))
    return reports


def _finish(task: Any, future: Future[Any], errors: Any) -> Any:
    """Record a finished task (main thread): hooks, metadata, status."""
    exc = future.exception()
    if exc is None:
        try:
            task._post_run_actions()
        except Exception as post_exc:  # recorded for the build summary, like Ploomber does
            task.exec_status = TaskStatus.Errored
            errors.append(task=task, message=format_task_exception(post_exc), obj=post_exc)
            return None
        task.exec_status = TaskStatus.Executed
        return future.result()
    logger.error("task %s failed: %s", task.name, exc)
    task.exec_status = TaskStatus.Errored
    try:
        task._run_on_failure()
    except Exception as hook_exc:  # the hook's own failure is reported too
        errors.append(task=task, message=format_task_exception(hook_exc), obj=hook_exc)
    errors.append(task=task, message=format_task_exception(exc), obj=exc)
    return None


@contextmanager
def _pooled(tasks: list[Any], pool: KernelPool) -> Iterator[None]:
    """Route the notebook tasks through the nbops engine for this build only."""
    saved = {t.name: t.executor_params for t in tasks}
    try:
        for t in tasks:
            t.executor_params = {
                # Papermill rewrites (and re-validates) the whole output notebook
                # before and after every cell by default; write it once at the
                # end (it is still written when a cell fails or the kernel dies).
                "request_save_on_cell_execute": False,
                # each notebook's progress line is named by its task ("train: 57%|…"),
                # not Papermill's "Executing" (tasks run side by side in parallel builds)
                "progress_bar": {"desc": t.name},
                **t.executor_params,
                "engine_name": ENGINE_NAME,
                "kernel_pool": pool,
            }
        yield
    finally:
        for t in tasks:
            t.executor_params = saved[t.name]


def _runs_on_papermill(task: Any) -> bool:
    return isinstance(task, NotebookRunner) and task.executor == "papermill"


def _changes_cwd(task: Any) -> bool:
    params = getattr(task, "executor_params", None) or {}
    return bool(getattr(task, "local_execution", False) or "cwd" in params)


def _kernel_names(tasks: list[Any]) -> list[str]:
    """Kernel names of the notebook tasks, in execution order, without repeats."""
    names: list[str] = []
    for task in tasks:
        try:
            name = kernel_name(json.loads(task.source.nb_str_rendered))
        except ValueError:
            continue
        if name and name not in names:
            names.append(name)
    return names
