"""A Ploomber executor that runs tasks on a Dask distributed cluster.

Chosen in ``pipeline.yaml`` without touching any notebook::

    executor:
      dotted_path: nbops.engine.dask_executor.DaskExecutor
      address: '{{dask.address}}'   # env.yaml; empty: a LocalCluster on 127.0.0.1
      workers: 2                    # LocalCluster only: worker processes

Each task is pickled to a worker, built there exactly as Ploomber's own
executors build it (notebook tasks through Papermill, with an immediate kernel
shutdown), and its product metadata comes back to the build process. The DAG
hooks — the nbops run ledger, reports and gates — keep running in the build
process, so they work unchanged. The worker gets the build's working
directory and its ``NBOPS_*`` variables (``NBOPS_RUN_ID`` …) for the length
of the task, so notebooks record into the right run.

Failures are never silent: a task that raises fails its task; a worker that
dies mid-task makes the scheduler run the task elsewhere and, past its
``allowed-failures``, fails it with ``KilledWorker``. On a real multi-machine cluster,
either the project has a team remote (then inputs and products travel through
it by hash and workers need no shared folder: :mod:`nbops.engine._dask_remote`),
or products and the nbops store must live on storage every worker sees under
the same path (see docs/scaling-out.md).

Dask is imported only when this executor is built, never on the default path.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ploomber.constants import TaskStatus
from ploomber.exceptions import DAGBuildEarlyStop, DAGBuildError
from ploomber.executors.abc import Executor
from ploomber.messagecollector import BuildExceptionsCollector
from ploomber.tasks import NotebookRunner

from nbops.adapters import format_task_exception

logger = logging.getLogger("nbops")

_READY = (TaskStatus.WaitingExecution, TaskStatus.WaitingDownload)
#: One task at a time per worker process: a task changes the process's working
#: directory and environment while it runs.
_TASK_LOCK = threading.Lock()


def build_on_worker(task: Any, cwd: str, env: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """Build one task inside a Dask worker; returns Ploomber's ``(report, metadata)``."""
    with _TASK_LOCK:
        saved_cwd, saved_env = os.getcwd(), dict(os.environ)
        os.chdir(cwd)
        os.environ.update(env)
        try:
            result: tuple[Any, dict[str, Any]] = task._build(catch_exceptions=True)
            return result
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


class DaskExecutor(Executor):  # type: ignore[misc]
    """Runs a rendered DAG's tasks on a Dask cluster.

    Args:
        address: the scheduler (``tcp://host:8786``); empty or ``None`` starts a
            ``LocalCluster`` bound to 127.0.0.1 for the length of the build.
        workers: worker processes of that local cluster.
        retries: extra attempts for a task that raised (Dask's ``retries``).
        allowed_failures: worker deaths the scheduler tolerates per task (it
            reschedules the task elsewhere) before it gives up with
            ``KilledWorker``; applies to the local cluster only — a remote
            scheduler keeps its own ``distributed.scheduler.allowed-failures``.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        retries: int = 0,
        allowed_failures: int = 1,
    ) -> None:
        self.address = (address or "").strip() or None
        self.workers = max(1, int(workers))
        self.retries = max(0, int(retries))
        self.allowed_failures = max(0, int(allowed_failures))

    def __repr__(self) -> str:
        where = self.address or f"LocalCluster(127.0.0.1, {self.workers} workers)"
        return f"DaskExecutor({where}, retries={self.retries})"

    def __call__(self, dag: Any, show_progress: bool = True) -> list[Any]:
        super().__call__(dag)
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            from nbops.core import ConfigError

            raise ConfigError(
                f"pipeline.yaml asks for the Dask executor but {exc.name} is not installed",
                "pip install 'nbops[dask]', or use nbops.engine.executor.NbopsExecutor",
            ) from None

        with dask.config.set({"distributed.scheduler.allowed-failures": self.allowed_failures}):
            if self.address:
                with Client(self.address) as client:
                    return self._run(dag, client)
            with LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
            ) as cluster, Client(cluster) as client:
                return self._run(dag, client)

    def _run(self, dag: Any, client: Any) -> list[Any]:
        from distributed import wait

        env = {k: v for k, v in os.environ.items() if k.startswith("NBOPS_")}
        cwd = os.getcwd()
        root, url = _remote_of(dag)
        notebooks = [t for t in dag.values() if isinstance(t, NotebookRunner)]
        saved = {t.name: t.executor_params for t in notebooks}
        for t in notebooks:
            if t.executor == "papermill":
                # no pool on a worker: the nbops engine is then nbclient plus an
                # immediate kernel shutdown
                t.executor_params = {**t.executor_params, "engine_name": "nbops"}
        reports: list[Any] = []
        errors = BuildExceptionsCollector()
        running: dict[Any, Any] = {}
        started: set[str] = set()
        try:
            while True:
                for task in dag.values():
                    if task.name not in started and task.exec_status in _READY:
                        started.add(task.name)
                        logger.info("submitting task %s to %s", task.name, client.scheduler.address)
                        if url is not None and root is not None:
                            from nbops.engine._dask_remote import (
                                build_in_private_folder,
                                send_inputs,
                            )

                            future = client.submit(
                                build_in_private_folder, task, str(root), env, url,
                                send_inputs(task, root, url), key=f"nbops-{task.name}",
                                retries=self.retries, pure=False,
                            )
                        else:
                            future = client.submit(
                                build_on_worker, task, cwd, env, key=f"nbops-{task.name}",
                                retries=self.retries, pure=False,
                            )
                        running[future] = task
                if not running:
                    break
                done = wait(list(running), return_when="FIRST_COMPLETED").done
                for future in done:
                    task = running.pop(future)
                    report = _finish(task, future, errors, root, url)
                    if report is not None:
                        reports.append(report)
        finally:
            for t in notebooks:
                t.executor_params = saved[t.name]
        if errors:
            if any(isinstance(m.obj, DAGBuildEarlyStop) for m in errors):
                raise DAGBuildEarlyStop(f"Early stop requested by a task:\n{errors}")
            raise DAGBuildError(str(errors))
        return reports


def _remote_of(dag: Any) -> tuple[Any, str | None]:
    """``(project root, remote URL)`` when the project has a remote, else ``(None, None)``."""
    from nbops.adapters import dag_root
    from nbops.core import Project
    from nbops.remote import configured_url

    root = dag_root(dag)
    if root is None:
        return None, None
    url = configured_url(Project(root))
    return (root, url) if url else (None, None)


def _finish(task: Any, future: Any, errors: Any, root: Any = None, url: str | None = None) -> Any:
    """Record a task the cluster finished with (build process)."""
    if future.status == "finished":
        if url is not None:
            from nbops.engine._dask_remote import receive_outputs

            report, metadata, outputs = future.result()
            try:
                receive_outputs(root, url, outputs)
            except Exception as lost:  # noqa: BLE001 - a product that cannot come back fails it
                logger.error("task %s: its products could not be fetched: %s", task.name, lost)
                task.exec_status = TaskStatus.Errored
                errors.append(task=task, message=str(lost), obj=lost)
                return None
        else:
            report, metadata = future.result()
        task.product.metadata.update_locally(metadata)
        task.exec_status = TaskStatus.Executed
        return report
    exc = future.exception()
    logger.error("task %s failed on the cluster: %r", task.name, exc)
    task.exec_status = TaskStatus.Errored
    errors.append(task=task, message=format_task_exception(exc), obj=exc)
    return None
