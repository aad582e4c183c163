"""Open and close a run: the ledger's side of a ``ploomber build``.

:func:`open_run` (from ``on_render``) takes the project lock, closes stale
runs, and writes a ``running`` manifest with the run's provenance.
:func:`close_run` (from ``on_finish`` / ``on_failure``) snapshots every
product and output notebook into the content store, collects the notebooks'
records, and writes the manifest as ``closing``; it returns the
:class:`~nbops.runs._context.RunContext` the post-close steps amend, and
:meth:`RunContext.finish` writes the final status once they all finished.
The lock is released by :meth:`OpenRun.release` after that.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbops.adapters import TaskInfo, root_error
from nbops.contracts import BuildRecord, Failure, FileRecord, Manifest, SourceRecord, TaskRecord
from nbops.core import (
    ROOT_ENV,
    RUN_ENV,
    ContentStore,
    HashCache,
    LedgerError,
    Project,
    ProjectLock,
    crash_point,
    mask_credentials,
    new_run_id,
    redact,
    redact_argv,
    utc_now_iso,
    whitelisted_env,
)
from nbops.runs import _provenance as provenance
from nbops.runs._context import Outcome, RunContext
from nbops.runs._persist import save_manifest
from nbops.runs._snapshot import Snapshotter
from nbops.runs._stale import (
    CLOSING_REASON,
    close_stale_runs,
    discard_unwritten_runs,
    mark_interrupted,
)
from nbops.runs._tags import run_tags

if TYPE_CHECKING:
    from nbops.runs._context import JsonObject

logger = logging.getLogger("nbops")
EXIT_REASON = ("the build process exited before the run closed (Ctrl-C, or an error outside "
               "Ploomber's hooks); tasks after the last write were not recorded")


@dataclass
class OpenRun:
    """A run between ``on_render`` and the end of its post-close steps."""

    project: Project
    run_id: str
    lock: ProjectLock
    manifest: Manifest
    started: float
    closed: bool = False
    sealed: str | None = None
    context: RunContext | None = None
    #: ``$NBOPS_PROJECT_ROOT`` before this run set it (put back by :meth:`release`).
    previous_root: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the run got its final status (every post-close step done)."""
        return self.context is not None and self.context.finished

    def release(self) -> None:
        """Release the project lock and forget the run's environment variables.

        The project root goes back to what it was, so that later commands in
        the same process (a test session, a notebook server) find their own
        project instead of this run's.
        """
        atexit.unregister(self.abandon)
        if os.environ.get(RUN_ENV) == self.run_id:
            os.environ.pop(RUN_ENV, None)
            if self.previous_root is None:
                os.environ.pop(ROOT_ENV, None)
            else:
                os.environ[ROOT_ENV] = self.previous_root
        self.lock.release()

    def abandon(self, reason: str = EXIT_REASON) -> None:
        """At interpreter exit or Ctrl-C: mark a run not yet finished ``interrupted``.

        Written from this process's own record of the run (never re-read from
        disk). ``kill -9`` skips this; the next build or ``nbops runs`` catches those.
        """
        if not self.finished:
            if self.context is not None:
                self.context.finished = True
                reason = CLOSING_REASON
                self.sealed = self.context.sealed
            self.closed = True
            self.sealed = mark_interrupted(self.project, self.manifest, reason, self.sealed)
        self.release()


def _task_entry(project: Project, info: TaskInfo, cache: HashCache) -> TaskRecord:
    source: FileRecord = {"path": "", "hash": None}
    if info.source_path is not None:
        source = {"path": project.relative(info.source_path),
                  "hash": cache.hash(info.source_path)[0]}
    entry: TaskRecord = {
        "status": "not_run",
        "duration_s": None,
        "upstream": list(info.upstream),
        "source": source,
        "products": {**{key: {"path": project.relative(path), "hash": None, "size": None}
                        for key, path in info.products.items()},
                     # SQL tables and the like: recorded by name, not stored or verified
                     **{key: {"path": name, "hash": None, "size": None, "kind": "external"}
                        for key, name in info.unstored.items()}},
        "notebook": None,
        "produced_by": None,
        "metrics": {},
        "artifacts": [],
        "error": None,
    }
    if info.kind:
        entry["kind"] = info.kind
    return entry


def open_run(project: Project, tasks: list[TaskInfo], build: BuildRecord,
             env: JsonObject, argv: list[str] | None = None,
             lock_timeout: float | None = None,
             sources: dict[str, SourceRecord] | None = None) -> OpenRun:
    """Start a run: lock, close stale runs, write the ``running`` manifest, export env vars.

    Args:
        sources: the build's query snapshots (``nbops.sources``), known before any
            task runs: the ``sources`` section of the first manifest.

    Raises:
        LockTimeout: another build holds the project lock.
    """
    started = time.monotonic()
    tags = run_tags()  # a malformed request fails before the lock is taken
    run_id = new_run_id()
    lock = ProjectLock(project.lock_path, purpose="build")
    lock.acquire(timeout=lock_timeout, run_id=run_id)
    acquired = time.monotonic()  # overhead excludes waiting for another build
    try:
        close_stale_runs(project, own_run_id=run_id)  # both know the sweep slots' locks
        discard_unwritten_runs(project)
        store = ContentStore(project.store_dir)
        cache = HashCache(project.hash_cache_path)
        params = {info.name: redact(info.params) for info in tasks}
        safe_env = redact(env)
        entries = {info.name: _task_entry(project, info, cache) for info in tasks}
        python, platform_name = provenance.interpreter()
        products = [path for info in tasks for path in info.products.values()]
        manifest: Manifest = {
            "schema_version": 1,
            "run_id": run_id,
            "project": project.name,
            "status": "running",
            "started_at": utc_now_iso(),
            "finished_at": None,
            "duration_s": None,
            "command": redact_argv([str(arg) for arg in (sys.argv if argv is None else argv)]),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "build": {**build, "tasks_in_dag": [info.name for info in tasks]},
            "params": params,
            "env": safe_env,
            "tasks": entries,
            "metrics": {},
            "provenance": {
                "git": provenance.git_state(project.root, store),
                "python": python,
                "platform": platform_name,
                "packages": provenance.installed_packages(),
                "lock_hash": provenance.lock_hash(project.root),
                "sources": {name: entry["source"]["hash"] for name, entry in entries.items()},
                "config": provenance.config_hashes(
                    project.root, [build.get("pipeline") or "pipeline.yaml",
                                   build.get("env_file") or "env.yaml"]),
                # input files go into the store too, so `nbops reproduce` can restore them
                "inputs": provenance.input_hashes(project.root, params, safe_env, cache,
                                                  project.relative, products, store),
                "seeds": provenance.seeds(params, safe_env),
                "env_vars": whitelisted_env(),
            },
            "failure": None,
        }
        if tags:
            manifest["tags"] = tags
        if sources:
            manifest["sources"] = sources
        manifest["overhead"] = {"open_s": round(time.monotonic() - acquired, 4)}
        sealed = save_manifest(project, manifest)
        crash_point("open.manifest_written")
        cache.save()
    except BaseException:
        lock.release()
        raise
    previous_root = os.environ.get(ROOT_ENV)
    os.environ[RUN_ENV] = run_id
    os.environ[ROOT_ENV] = str(project.root)
    logger.info("nbops: run %s opened", run_id)
    run = OpenRun(project, run_id, lock, manifest, started, sealed=sealed,
                  previous_root=previous_root)
    atexit.register(run.abandon)
    return run


def adopt_run(project: Project, manifest: Manifest,
              lock_timeout: float | None = None) -> OpenRun:
    """Take over, in this process, a run another process opened (and left ``running``).

    For a run whose tasks an outside scheduler ran: its first task opened it with
    :func:`open_run` on one machine, and the process that closes it (maybe on another)
    writes that manifest in its own project folder, holds the lock and closes it as a
    build would. The run's clock started when it was opened (``started_at``); this
    process is the one a stale-run check must find alive (``host``, ``pid``).
    """
    from datetime import datetime

    from nbops.core import hash_file

    run_id = manifest["run_id"]
    if manifest["status"] != "running":
        raise LedgerError(f"run {run_id} is {manifest['status']}, not running: it was closed "
                          "already", "open a new run")
    lock = ProjectLock(project.lock_path, purpose="build")
    lock.acquire(timeout=lock_timeout, run_id=run_id)
    try:
        manifest["host"] = socket.gethostname()
        manifest["pid"] = os.getpid()
        path = project.manifest_path(run_id)
        previous = hash_file(path) if path.is_file() else None
        sealed = save_manifest(project, manifest, previous)
    except BaseException:
        lock.release()
        raise
    elapsed = max(0.0, time.time() - datetime.fromisoformat(manifest["started_at"]).timestamp())
    previous_root = os.environ.get(ROOT_ENV)
    os.environ[RUN_ENV] = run_id
    os.environ[ROOT_ENV] = str(project.root)
    run = OpenRun(project, run_id, lock, manifest, time.monotonic() - elapsed, sealed=sealed,
                  previous_root=previous_root)
    atexit.register(run.abandon)
    return run


def close_run(run: OpenRun, tasks: list[TaskInfo], durations: dict[str, float],
              error_text: str | None, stopped_early: str | None = None) -> RunContext:
    """Close ``run``: snapshot products, collect records, write the ``closing`` manifest.

    The run gets its final status from :meth:`RunContext.finish`, after the
    post-close steps (until then readers treat it as unfinished).

    Args:
        run: the open run.
        tasks: the DAG's tasks with their final statuses.
        durations: seconds per executed task, when Ploomber reported them.
        error_text: Ploomber's build traceback when the build failed, else None.
        stopped_early: why a task ended the build with ``DAGBuildEarlyStop`` (a
            graceful end: the run succeeds, ``build.stopped_early`` says why).
    """
    closing = time.monotonic()
    project = run.project
    manifest = run.manifest
    snap = Snapshotter(project, run.run_id)
    failed_task: str | None = None
    for info in tasks:
        entry = manifest["tasks"].get(info.name)
        if entry is None:
            entry = _task_entry(project, info, snap.cache)
            manifest["tasks"][info.name] = entry
        if info.source_path is not None and not entry["source"]["path"]:
            # a source an upstream task wrote (SQLUpload's data file): known only now
            entry["source"] = {"path": project.relative(info.source_path),
                               "hash": snap.cache.hash(info.source_path)[0]}
            manifest["provenance"]["sources"][info.name] = entry["source"]["hash"]
        snap.record_task(info, entry, durations.get(info.name))
        if info.status == "failed" and failed_task is None:
            failed_task = info.name
    manifest["metrics"] = {name: value for entry in manifest["tasks"].values()
                           for name, value in entry["metrics"].items()}
    crash_point("close.snapshots_stored")
    outcome: Outcome = "succeeded"
    if error_text is not None:
        outcome = "failed"
        manifest["failure"] = _failure(manifest, failed_task, error_text)
    if stopped_early is not None:
        stopped_early = mask_credentials(stopped_early)[:2000]
        manifest["build"]["stopped_early"] = stopped_early
        if failed_task is not None:  # the task that stopped the build, as Ploomber marks it
            manifest["tasks"][failed_task]["error"] = {
                "cell_index": None, "execution_count": None, "ename": "DAGBuildEarlyStop",
                "evalue": stopped_early}
    manifest["status"] = "closing"
    manifest["finished_at"] = utc_now_iso()
    manifest["duration_s"] = round(time.monotonic() - run.started, 3)
    manifest["store"] = {"objects_added": snap.objects_added, "bytes_added": snap.bytes_added}
    manifest["overhead"]["close_s"] = round(time.monotonic() - closing, 4)
    run.sealed = save_manifest(project, manifest, run.sealed)
    crash_point("close.manifest_written")
    snap.cache.save()
    run.closed = True
    logger.info("nbops: run %s closing (%s)", run.run_id, outcome)
    run.context = RunContext(project, run.run_id, manifest, outcome, run.sealed)
    return run.context


def _failure(manifest: Manifest, task: str | None, error_text: str) -> Failure:
    error = manifest["tasks"][task]["error"] if task else None
    if error:
        message = (f"task {task!r} failed in cell {error['cell_index']}: "
                   f"{error['ename']}: {error['evalue']}")
        return {"task": task, "cell_index": error["cell_index"], "ename": error["ename"],
                "evalue": error["evalue"], "message": message}
    found = root_error(error_text)
    if found is not None:  # a function, script, SQL task or hook: the real error, not the footer
        ename, evalue = found
        evalue = mask_credentials(evalue)[:2000]
        if task is not None and not error:
            manifest["tasks"][task]["error"] = {"cell_index": None, "execution_count": None,
                                                "ename": ename, "evalue": evalue}
        prefix = f"task {task!r} failed: " if task else "the build failed: "
        return {"task": task, "cell_index": None, "ename": ename, "evalue": evalue,
                "message": mask_credentials(f"{prefix}{ename}: {evalue}")[:2000]}
    # (Ploomber ends each of its errors with a "Need help?" link: not the error)
    lines = [line for line in error_text.strip().splitlines()
             if line.strip() and not line.startswith("Need help?")]
    tail = lines[-1] if lines else "the build failed"
    prefix = f"task {task!r} failed: " if task else ""
    # Ploomber's traceback is outside any notebook: mask credentials it quotes too
    return {"task": task, "cell_index": None, "ename": None, "evalue": None,
            "message": mask_credentials(prefix + tail)[:2000]}
