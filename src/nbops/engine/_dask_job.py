"""What a Dask worker receives and runs: one notebook task as plain data.

The build process turns each Ploomber task into a :class:`NotebookJob` (strings,
paths, a dict of Papermill options: nothing that holds a lock, a DAG or a client,
so it pickles to a scheduler on another machine). A worker needs only the
environment (nbops, Papermill, a kernel, the project's libraries) and, with a team
remote, the remote's credentials in its own environment:

* with a remote, :func:`run_job` builds in a private folder under the worker's
  Dask ``local_directory``: it fetches the task's inputs by hash (verified), runs
  the rendered notebook with Papermill, pushes every product back by hash and
  returns ``{relative path: hash}``;
* without one, the project folder must be on storage every worker mounts at the
  same path, and the job runs there.

Failures come back as exceptions that pickle: :class:`WorkerError` (the worker
cannot run any task: one sentence naming it and the fix) and :class:`TaskFailed`
(the notebook raised; the partially executed notebook travels back with it).
:func:`check_worker` is run on every worker before the first task.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

logger = logging.getLogger(__name__)

#: how often a kernel that died before running anything is started again: a fresh
#: kernel binds TCP ports jupyter_client chose a moment earlier, which another process
#: on the worker's machine can take first ("Address already in use")
KERNEL_START_ATTEMPTS = 3

#: One task at a time per worker process: a job changes the process's working
#: directory and environment while it runs.
TASK_LOCK = threading.Lock()


@dataclass(frozen=True)
class NotebookJob:
    """One notebook task, as the worker needs it.

    Attributes:
        task: the task's name.
        notebook: the rendered notebook (JSON text, parameters injected).
        root: the project folder of the build process.
        output: where the executed notebook goes (absolute, ``.ipynb``).
        products: every product file of the task (absolute).
        papermill: keyword arguments of ``papermill.execute_notebook``.
        env: the build's ``NBOPS_*`` variables (the run id …), never a credential.
        url: the team remote, or ``None`` for a shared folder.
        inputs: with a remote, ``{path relative to root: hash}`` of the upstream products.
        secrets: the secret values among the task's parameters and what replaces each
            (:func:`nbops.core.secret_replacements`; the rendered notebook holds them
            anyway): files holding one never go through the remote.
    """

    task: str
    notebook: str
    root: str
    output: str
    products: tuple[str, ...]
    papermill: dict[str, object]  # keyword arguments of papermill.execute_notebook
    env: dict[str, str]
    url: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


class WorkerError(RuntimeError):
    """A worker that cannot run tasks (its message is the one sentence to show)."""


class TaskFailed(RuntimeError):
    """The task's notebook raised: its message, ``{relative path: hash}`` of what it left,
    the worker, and the module it could not import (``""`` for any other error)."""

    def __init__(self, message: str, outputs: dict[str, str], worker: str = "",
                 missing: str = "", inline: dict[str, bytes] | None = None) -> None:
        super().__init__(message, outputs, worker, missing, inline or {})

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def outputs(self) -> dict[str, str]:
        return dict(self.args[1])

    @property
    def worker(self) -> str:
        return str(self.args[2])

    @property
    def inline(self) -> dict[str, bytes]:
        """Files holding a secret, sent back with the result instead of through the remote."""
        return dict(self.args[4])

    @property
    def missing(self) -> str:
        """The top-level module a ``ModuleNotFoundError`` named."""
        return str(self.args[3])

    def __str__(self) -> str:
        return self.message


def missing_package(failed: TaskFailed, task: str) -> WorkerError:
    """The sentence for a module the build's environment has and the worker's lacks."""
    return WorkerError(
        f"Dask worker {failed.worker} lacks the Python package {failed.missing!r} that task "
        f"{task!r} imports. Fix: install the project's environment on every worker (the same "
        "lock file as the build) and restart the workers")


def _worker_address() -> str:
    from distributed import get_worker

    return str(get_worker().address)


def _credentials_fix(url: str) -> str:
    scheme = url.split("://", 1)[0]
    names = {"s3": "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL)",
             "gs": "GOOGLE_APPLICATION_CREDENTIALS", "gcs": "GOOGLE_APPLICATION_CREDENTIALS",
             "az": "AZURE_STORAGE_CONNECTION_STRING", "abfs": "AZURE_STORAGE_CONNECTION_STRING"}
    return (f"start the `dask worker` process with the remote's credentials in its environment "
            f"({names.get(scheme, 'the store’s usual variables')}); they never travel with a task")


def _open_remote(url: str, worker: str) -> Any:
    """The remote, checked; a :class:`WorkerError` naming ``worker`` if it cannot be used."""
    from nbops.core import NbopsError
    from nbops.remote import open_remote

    try:
        remote = open_remote(url)
        remote.check_reachable()
    except NbopsError as exc:
        problem = getattr(exc, "problem", str(exc)).rstrip(".")
        fix = (_credentials_fix(url) if "credentials" in problem
               else getattr(exc, "fix", None) or "check the worker's network and settings")
        raise WorkerError(f"Dask worker {worker} cannot use the team remote: {problem}. "
                          f"Fix: {fix}") from None
    return remote


def check_worker(url: str | None, root: str, kernels: list[str],
                 dask_worker: Any = None) -> str | None:
    """Run on every worker (``Client.run``) before the first task: ``None``, or why it cannot."""
    worker = str(dask_worker.address) if dask_worker is not None else _worker_address()
    try:
        if url is not None:
            _open_remote(url, worker)
        elif not Path(root).is_dir():
            raise WorkerError(
                f"Dask worker {worker} does not see the project folder {root}. Fix: mount the "
                "project at the same path on every worker, or set a team remote (`nbops remote "
                "set URL`) so that products travel through it (docs/scaling-out.md)")
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        specs = KernelSpecManager()
        for name in kernels:
            try:
                specs.get_kernel_spec(name)
            except NoSuchKernel:
                raise WorkerError(
                    f"Dask worker {worker} has no Jupyter kernel {name!r}. Fix: install the "
                    "project's environment on the worker (the same lock file as the build) "
                    "and restart it") from None
    except WorkerError as exc:
        return str(exc)
    return None


def _relative(path: str, root: str) -> str:
    return Path(path).relative_to(root).as_posix()


def _hashes(paths: list[Path], workdir: Path) -> dict[str, str]:
    from nbops.core import hash_file

    return {p.relative_to(workdir).as_posix(): hash_file(p) for p in paths if p.is_file()}


def _withhold_secrets(outputs: dict[str, str], workdir: Path,
                      secrets: dict[str, str]) -> dict[str, bytes]:
    """Take the files holding a secret parameter's value out of ``outputs``; their bytes.

    The team bucket never holds a secret (``nbops push`` keeps such objects back); the
    executed notebook of a task with a secret parameter always holds it (``secrets``:
    :attr:`NotebookJob.secrets`). Such files go
    back to the build process with the task's result, over the cluster's own connection.
    """
    from nbops.core import MAX_SECRET_SCAN, secret_byte_pairs

    pairs = secret_byte_pairs(secrets)
    inline: dict[str, bytes] = {}
    for relpath in list(outputs) if pairs else []:
        path = workdir / relpath
        if path.stat().st_size > MAX_SECRET_SCAN:  # data, not a notebook: never read whole
            continue
        data = path.read_bytes()
        if any(raw in data for raw, _ in pairs):
            inline[relpath] = data
            del outputs[relpath]
    return inline


def _push(remote: Any, outputs: dict[str, str], workdir: Path) -> None:
    for digest in remote.missing_objects(set(outputs.values())):
        source = next(workdir / r for r, d in outputs.items() if d == digest)
        remote.put_object(source, digest)


def _failure(exc: BaseException, job: NotebookJob, worker: str,
             outputs: dict[str, str], inline: dict[str, bytes]) -> TaskFailed:
    """What a notebook that raised sends back (the build decides whose fault a missing
    module is: only the build knows whether its own environment has it)."""
    missing = ""
    if getattr(exc, "ename", None) == "ModuleNotFoundError":
        missing = str(getattr(exc, "evalue", "")).replace("No module named ", "").strip("'\" ")
    return TaskFailed(f"Error when executing task {job.task!r} on Dask worker {worker}:\n{exc}",
                      outputs, worker, missing.split(".")[0], inline)


def _execute(papermill: Any, source: Path, output: Path, params: Mapping[str, object],
             task: str) -> BaseException | None:
    """Run the notebook with Papermill; the cell error it raised, if any.

    A kernel that dies before any cell ran (its ports taken between being chosen and
    bound) is started again, at most :data:`KERNEL_START_ATTEMPTS` times in all.
    """
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(str(source), str(output), **params)
        except papermill.PapermillExecutionError as exc:
            cell_error: Exception = exc  # a RuntimeError; untyped, as all of Papermill
            return cell_error
        except Exception as exc:
            if attempt == KERNEL_START_ATTEMPTS or not nothing_ran(output):
                raise
            logger.warning("nbops: task %r: the kernel died before running a cell (%s); "
                           "starting it again", task, exc)
            continue
        return None
    return None


def nothing_ran(output: Path) -> bool:
    """Whether the executed notebook at ``output`` ran no cell (or was never written)."""
    try:
        cells = json.loads(output.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return True
    return all(cell.get("execution_count") is None for cell in cells
               if cell.get("cell_type") == "code")


class JobResult(TypedDict):
    """What a worker answers for a task that ran (a failed one raises :class:`TaskFailed`)."""

    worker: str
    outputs: dict[str, str]  # path relative to the project -> hash of the pushed product
    inline: dict[str, bytes]  # products holding a secret: their bytes, never the remote
    timings: dict[str, float]


def run_job(job: NotebookJob) -> JobResult:
    """Worker side: run one notebook task; ``{worker, outputs, timings}``.

    ``outputs`` is ``{path relative to the project: hash}`` of the products pushed
    to the remote (empty on a shared folder, where they are written in place).
    """
    import papermill

    worker = _worker_address()
    with TASK_LOCK:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        remote = None
        if job.url is not None:
            remote = _open_remote(job.url, worker)
            from distributed import get_worker

            workdir = Path(get_worker().local_directory) / "nbops-tasks" / uuid.uuid4().hex[:12]
            workdir.mkdir(parents=True)
            for relpath, digest in job.inputs.items():
                target = workdir / relpath
                target.parent.mkdir(parents=True, exist_ok=True)
                remote.get_object(digest, target)  # re-hashed on arrival
        else:
            workdir = Path(job.root)
            if not workdir.is_dir():
                raise WorkerError(check_worker(None, job.root, []) or job.root)
        timings["fetch_s"] = time.perf_counter() - t0

        def here(path: str) -> Path:
            return workdir / _relative(path, job.root) if remote is not None else Path(path)

        notebook = job.notebook.replace(job.root, str(workdir)) if remote else job.notebook
        output = here(job.output)
        products = [here(p) for p in job.products]
        params = dict(job.papermill)
        if "cwd" in params:
            cwd = here(str(params["cwd"]))
            params["cwd"] = str(cwd)
            cwd.mkdir(parents=True, exist_ok=True)
        for path in [output, *products]:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(".ipynb")
        os.close(fd)
        source = Path(name)
        source.write_text(notebook, encoding="utf-8")
        saved_cwd, saved_env = os.getcwd(), dict(os.environ)
        os.chdir(workdir)
        os.environ.update({**job.env, "NBOPS_PROJECT_ROOT": str(workdir)})
        failed: BaseException | None = None
        t1 = time.perf_counter()
        try:
            failed = _execute(papermill, source, output, params, job.task)
        finally:
            timings["execute_s"] = time.perf_counter() - t1
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            source.unlink()
        try:
            t2 = time.perf_counter()
            outputs: dict[str, str] = {}
            inline: dict[str, bytes] = {}
            if remote is not None:
                # the notebook shows the project's paths, as a local build's would
                if output.is_file():
                    output.write_text(output.read_text(encoding="utf-8").replace(
                        str(workdir), job.root), encoding="utf-8")
                outputs = _hashes([output] if failed else [output, *products], workdir)
                inline = _withhold_secrets(outputs, workdir, job.secrets)
                _push(remote, outputs, workdir)
            timings["push_s"] = time.perf_counter() - t2
            if failed is not None:
                raise _failure(failed, job, worker, outputs, inline)
            return {"worker": worker, "outputs": outputs, "inline": inline, "timings": timings}
        finally:
            if remote is not None:
                shutil.rmtree(workdir, ignore_errors=True)
