"""A Ploomber executor that runs tasks on a Dask distributed cluster.

Chosen in ``pipeline.yaml`` without touching any notebook::

    executor:
      dotted_path: nbops.engine.dask_executor.DaskExecutor
      address: '{{dask.address}}'   # env.yaml; empty: a LocalCluster on 127.0.0.1
      workers: 2                    # LocalCluster only: worker processes
      worker_wait: 30               # seconds for a worker to join when there is none

Each notebook task goes to a worker as plain data (:class:`~nbops.engine._dask_job.
NotebookJob`: the rendered notebook, product paths, Papermill options, the run's
``NBOPS_*`` variables), never as a Ploomber task: a task holds its DAG, its
clients and their locks, which cannot be pickled to a scheduler in another
process. The worker runs the notebook with Papermill (the ``nbops`` engine, an
immediate kernel shutdown) and the build process does the rest as Ploomber
would — product metadata, task hooks — so the DAG hooks (the nbops run ledger,
reports, gates) run in the build process, unchanged.

Where the worker builds: with a team remote, in a private folder of its own,
inputs and products travelling through the remote by hash
(:mod:`nbops.engine._dask_remote`); without one, in the project folder, which
must then be on storage every worker mounts at the same path (docs/scaling-out.md).
Before the first task every worker is checked (the remote with its own
credentials, or the shared folder; the notebooks' kernels).

Failures are never silent and always fail the build through Ploomber (so the run
is recorded as failed): a task that raises fails its task; a worker that dies
mid-task makes the scheduler run the task elsewhere and, past its
``allowed-failures``, fails it with ``KilledWorker``; an unreachable or vanished
scheduler, a worker without the remote's credentials or without a package a
notebook imports each end the build with one sentence naming it and the fix.

Dask is imported only when this executor is built, never on the default path.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from ploomber.constants import TaskStatus
from ploomber.exceptions import DAGBuildEarlyStop, DAGBuildError
from ploomber.executors.abc import Executor
from ploomber.messagecollector import BuildExceptionsCollector
from ploomber.products import MetaProduct
from ploomber.tasks import NotebookRunner
from ploomber.tasks.abc import TaskReport

from nbops.adapters import format_task_exception, kernel_name
from nbops.core import NbopsError, is_secret_name
from nbops.engine._dask_job import (
    NotebookJob,
    TaskFailed,
    WorkerError,
    check_worker,
    missing_package,
    run_job,
)

logger = logging.getLogger("nbops")

_READY = (TaskStatus.WaitingExecution, TaskStatus.WaitingDownload)
#: Seconds to reach the scheduler.
CONNECT_TIMEOUT = 15
#: Default seconds for a worker to join a scheduler that has none (``worker_wait``).
WORKERS_TIMEOUT = 30


class ClusterError(Exception):
    """The cluster cannot run this build (one sentence: what and the fix)."""


class DaskExecutor(Executor):  # type: ignore[misc]
    """Runs a rendered DAG's notebook tasks on a Dask cluster.

    Args:
        address: the scheduler (``tcp://host:8786``); empty or ``None`` starts a
            ``LocalCluster`` bound to 127.0.0.1 for the length of the build.
        workers: worker processes of that local cluster.
        retries: extra attempts for a task that raised (Dask's ``retries``).
        allowed_failures: worker deaths the scheduler tolerates per task (it
            reschedules the task elsewhere) before it gives up with
            ``KilledWorker``; applies to the local cluster only — a remote
            scheduler keeps its own ``distributed.scheduler.allowed-failures``.
        worker_wait: seconds to wait for a worker to join a scheduler that has none,
            before the first task or once every worker is gone, before the build
            fails with one sentence.

    After a build, :attr:`timings` holds one entry per task that ran: its worker
    and the seconds spent sending inputs, fetching them on the worker, running
    the notebook (kernel start included), pushing products and receiving them.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        retries: int = 0,
        allowed_failures: int = 1,
        worker_wait: float = WORKERS_TIMEOUT,
    ) -> None:
        self.address = (address or "").strip() or None
        self.workers = max(1, int(workers))
        self.retries = max(0, int(retries))
        self.allowed_failures = max(0, int(allowed_failures))
        self.worker_wait = max(0.0, float(worker_wait))
        self.timings: list[dict[str, Any]] = []

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
        unsupported = [f"{t.name} ({type(t).__name__})" for t in dag.values()
                       if t.exec_status in _READY and not _runs_on_papermill(t)]
        if unsupported:
            raise DAGBuildError(
                f"The Dask executor runs notebook tasks executed by Papermill, and "
                f"{', '.join(unsupported)} is not one. Fix: make it a notebook task, or use "
                "nbops.engine.executor.NbopsExecutor in pipeline.yaml")
        self.timings = []
        try:
            with dask.config.set({"distributed.scheduler.allowed-failures":
                                  self.allowed_failures}):
                if self.address:
                    try:
                        client = Client(self.address, timeout=CONNECT_TIMEOUT)
                    except (OSError, TimeoutError) as exc:
                        raise ClusterError(
                            f"Cannot reach the Dask scheduler at {self.address} ({exc}). Fix: "
                            f"start it (`dask scheduler`) or correct `address` in pipeline.yaml"
                        ) from None
                    with client:
                        try:
                            return self._run(dag, client)
                        except OSError as exc:  # CommClosedError and the like
                            raise ClusterError(
                                f"The Dask scheduler at {self.address} went away during the "
                                f"build ({exc}). Fix: restart it (`dask scheduler`) and its "
                                "workers, then build again") from None
                with LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None,
                ) as cluster, Client(cluster) as client:
                    return self._run(dag, client)
        except ClusterError as exc:
            for task in dag.values():
                if task.exec_status in _READY:
                    task.exec_status = TaskStatus.Aborted
            raise DAGBuildError(str(exc)) from None

    def _run(self, dag: Any, client: Any) -> list[Any]:
        from distributed import wait
        from distributed.client import FuturesCancelledError

        scheduler = str(client.scheduler.address)
        root, url = _remote_of(dag)
        project = Path(root) if root is not None else Path.cwd()
        _check_workers(client, scheduler, url, str(project), dag, self.worker_wait)
        env = _worker_env(os.environ)
        token = uuid.uuid4().hex[:8]
        reports: list[Any] = []
        errors = BuildExceptionsCollector()
        running: dict[Any, tuple[Any, float, float]] = {}
        started: set[str] = set()
        alone_since: float | None = None  # since when the scheduler has had no worker
        poll = min(5.0, max(0.5, self.worker_wait / 2))  # seconds between looks at the workers
        try:
            while True:
                for task in dag.values():
                    if task.name not in started and task.exec_status in _READY:
                        started.add(task.name)
                        t0 = time.perf_counter()
                        try:
                            job = _job(task, project, env, url)
                        except Exception as exc:  # noqa: BLE001 - fails this task, not the loop
                            logger.error("task %s could not be sent: %s", task.name, exc)
                            task.exec_status = TaskStatus.Errored
                            message = str(exc) if isinstance(exc, NbopsError) else (
                                format_task_exception(exc))
                            errors.append(task=task, message=message, obj=exc)
                            continue
                        sent = time.perf_counter() - t0
                        logger.info("submitting task %s to %s", task.name, scheduler)
                        future = client.submit(run_job, job, key=f"nbops-{task.name}-{token}",
                                               retries=self.retries, pure=False)
                        running[future] = (task, t0, sent)
                if not running:
                    break
                try:
                    done = wait(list(running), timeout=poll, return_when="FIRST_COMPLETED").done
                except FuturesCancelledError:  # the client lost its scheduler
                    lost = next(iter(running.values()))[0]
                    lost.exec_status = TaskStatus.Errored
                    raise ClusterError(_scheduler_gone(scheduler, lost.name)) from None
                except TimeoutError:
                    if client.scheduler_info()["workers"]:
                        alone_since = None
                    elif alone_since is None:
                        alone_since = time.monotonic()
                    elif time.monotonic() - alone_since > self.worker_wait:
                        raise ClusterError(
                            f"Every worker of the Dask scheduler at {scheduler} is gone, and "
                            f"no other joined within {self.worker_wait:g} s. Fix: start workers "
                            f"(`dask worker {scheduler} --nthreads 1`), then build again"
                        ) from None
                    continue
                for future in done:
                    task, t0, sent = running.pop(future)
                    report = self._finish(task, future, errors, project, url, scheduler)
                    if report is not None:
                        self.timings[-1].update(send_s=sent, total_s=time.perf_counter() - t0)
                        logger.info("task %s timings: %s", task.name,
                                    json.dumps(self.timings[-1]))
                        reports.append(report)
        except BaseException:
            with contextlib.suppress(Exception):  # the scheduler may be gone already
                client.cancel(list(running))
            raise
        if errors:
            if any(isinstance(m.obj, DAGBuildEarlyStop) for m in errors):
                raise DAGBuildEarlyStop(f"Early stop requested by a task:\n{errors}")
            raise DAGBuildError(str(errors))
        return reports

    def _finish(self, task: Any, future: Any, errors: Any, root: Path, url: str | None,
                scheduler: str) -> Any:
        """Record a task the cluster finished with (build process)."""
        if future.status == "cancelled":
            task.exec_status = TaskStatus.Errored
            raise ClusterError(_scheduler_gone(scheduler, task.name))
        if future.status == "finished":
            result = future.result()
            try:
                t0 = time.perf_counter()
                if url is not None:
                    from nbops.engine._dask_remote import receive_outputs

                    receive_outputs(root, url, result["outputs"], result.get("inline") or {})
                received = time.perf_counter() - t0
                _settle_notebook(task)
                task._post_run_actions()
            except Exception as lost:  # noqa: BLE001 - recorded for the build summary
                logger.error("task %s: %s", task.name, lost)
                task.exec_status = TaskStatus.Errored
                errors.append(task=task, message=format_task_exception(lost), obj=lost)
                return None
            task.exec_status = TaskStatus.Executed
            timing = {"task": task.name, "worker": result["worker"], **result["timings"],
                      "receive_s": received}
            self.timings.append(timing)
            logger.info("task %s ran on Dask worker %s", task.name, result["worker"])
            elapsed = sum(result["timings"].values()) + received
            return TaskReport.with_data(name=task.name, ran=True, elapsed=elapsed)
        exc = future.exception()
        if isinstance(exc, WorkerError):
            task.exec_status = TaskStatus.Errored
            raise ClusterError(str(exc))
        if isinstance(exc, TaskFailed) and exc.missing and (
                importlib.util.find_spec(exc.missing) is not None):
            # the build has the package and the worker has not: the worker's fault, and the
            # run records this sentence (not the notebook's ModuleNotFoundError)
            task.exec_status = TaskStatus.Errored
            raise ClusterError(str(missing_package(exc, task.name)))
        if isinstance(exc, TaskFailed):
            message = exc.message
            if url is not None and (exc.outputs or exc.inline):
                try:  # the partially executed notebook, for the run page
                    from nbops.engine._dask_remote import receive_outputs

                    receive_outputs(root, url, exc.outputs, exc.inline)
                except Exception as lost:  # noqa: BLE001 - the task's own error matters more
                    logger.error("task %s: its notebook could not be fetched: %s", task.name, lost)
        elif type(exc).__name__ == "KilledWorker":
            message = (f"KilledWorker: task {task.name!r} ended every Dask worker that ran it "
                       f"({exc}); the scheduler gave up. Fix: read the workers' logs (memory, a "
                       "crash in the notebook), or raise the scheduler's allowed-failures")
        else:
            message = format_task_exception(exc)
        logger.error("task %s failed on the cluster: %s", task.name, message.splitlines()[0])
        task.exec_status = TaskStatus.Errored
        try:
            task._run_on_failure()
        except Exception as hook_exc:  # noqa: BLE001 - the hook's own failure is reported too
            errors.append(task=task, message=format_task_exception(hook_exc), obj=hook_exc)
        errors.append(task=task, message=message, obj=exc)
        return None


def _worker_env(environ: Any) -> dict[str, str]:
    """What a job carries of the build's environment: ``NBOPS_*``, never a secret-named one."""
    return {k: v for k, v in environ.items() if k.startswith("NBOPS_") and not is_secret_name(k)}


def _scheduler_gone(scheduler: str, task: str) -> str:
    return (f"The Dask scheduler at {scheduler} went away while task {task!r} was running. "
            "Fix: restart it (`dask scheduler`) and its workers, then build again")


def _runs_on_papermill(task: Any) -> bool:
    return isinstance(task, NotebookRunner) and task.executor == "papermill"


def _remote_of(dag: Any) -> tuple[Path | None, str | None]:
    """``(project root, remote URL)`` when the project has a remote, else ``(None, None)``."""
    from nbops.adapters import dag_root
    from nbops.core import Project
    from nbops.remote import configured_url

    root = dag_root(dag)
    if root is None:
        return None, None
    url = configured_url(Project(root))
    return (root, url) if url else (None, None)


def _check_workers(client: Any, scheduler: str, url: str | None, root: str, dag: Any,
                   worker_wait: float) -> None:
    """Every worker can run tasks (before the first one), else :class:`ClusterError`."""
    try:
        client.wait_for_workers(1, timeout=worker_wait)
    except TimeoutError:
        raise ClusterError(
            f"The Dask scheduler at {scheduler} has no workers. Fix: start some "
            f"(`dask worker {scheduler} --nthreads 1`) with the project's environment") from None
    kernels = sorted({name for t in dag.values() if t.exec_status in _READY
                      for name in [_kernel_of(t)] if name})
    problems = client.run(check_worker, url, root, kernels)
    for problem in problems.values():
        if problem:
            raise ClusterError(problem)


def _kernel_of(task: Any) -> str | None:
    params = task.executor_params or {}
    if params.get("kernel_name"):
        return str(params["kernel_name"])
    try:
        return kernel_name(json.loads(task.source.nb_str_rendered))
    except ValueError:
        return None


def _notebook_product(task: Any) -> Any:
    """The product Ploomber writes the executed notebook to (as NotebookRunner.run picks it)."""
    if not isinstance(task.product, MetaProduct):
        return task.product
    key = task.nb_product_key
    if isinstance(key, str):
        return task.product[key]
    chosen = key[-1]
    for each in key:
        if Path(str(task.product[each])).suffix == ".ipynb":
            chosen = each
    return task.product[chosen]


def _product_paths(task: Any) -> list[Path]:
    from nbops.engine._dask_remote import product_files

    return [Path(os.path.abspath(str(f))) for f in product_files(task.product)]


def _input_paths(task: Any, root: Path) -> list[Path]:
    """Files the task reads: its upstream products, and project files named by its params."""
    paths = [p for upstream in task.upstream.values() for p in _product_paths(upstream)]
    for name, value in task.params.to_dict().items():
        if name in ("product", "upstream") or not isinstance(value, str) or not value:
            continue
        candidate = Path(os.path.abspath(root / value))
        if root in candidate.parents and candidate.is_file():
            paths.append(candidate)
    return paths


def _job(task: Any, root: Path, env: dict[str, str], url: str | None) -> NotebookJob:
    """The plain-data description of one notebook task (build process)."""
    if task.static_analysis == "regular":
        task.source._check_notebook(raise_=True, check_signature=False)
    output = Path(os.path.abspath(str(_notebook_product(task)))).with_suffix(".ipynb")
    papermill = {"request_save_on_cell_execute": False,
                 **{k: v for k, v in (task.executor_params or {}).items() if k != "kernel_pool"},
                 "engine_name": "nbops"}  # nbclient, immediate kernel shutdown
    if task.local_execution:
        papermill["cwd"] = str(Path(str(task.source.loc)).parent.resolve())
    inputs: dict[str, str] = {}
    secrets: dict[str, str] = {}
    if url is not None:
        from nbops.core import secret_replacements
        from nbops.engine._dask_remote import relative, send_inputs

        secrets = secret_replacements(task.params.to_json_serializable(params_only=True))

        for path in [output, *_product_paths(task)]:
            relative(path, root)  # products must come back into the project
        inputs = send_inputs(_input_paths(task, root), root, url)
    return NotebookJob(task=task.name, notebook=task.source.nb_str_rendered, root=str(root),
                       output=str(output), products=tuple(str(p) for p in _product_paths(task)),
                       papermill=papermill, env=env, url=url, inputs=inputs, secrets=secrets)


def _settle_notebook(task: Any) -> None:
    """What Ploomber does after Papermill: the ``.ipynb`` to its product path, converters."""
    product = Path(str(_notebook_product(task)))
    ipynb = product.with_suffix(".ipynb")
    if ipynb == product:
        return
    product.unlink(missing_ok=True)
    if isinstance(task.nb_product_key, list):
        import shutil

        for key in task.nb_product_key:
            other = Path(str(task.product[key]))
            if other != ipynb:
                shutil.copyfile(ipynb, other)
    ipynb.rename(product)
    converters = task._converter if isinstance(task._converter, list) else [task._converter]
    for converter in converters:
        converter.convert()
