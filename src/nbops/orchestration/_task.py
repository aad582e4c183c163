"""``nbops task run NAME --run RUN_ID``: one task of a scheduled run, on any worker.

The worker needs the project's checkout (the same commit as the opener's), its
environment and the remote's credentials; nothing else is shared. The task:

1. reads the opened run from the remote and checks that this worker has the same source
   code for the task (one sentence otherwise);
2. skips, as a local incremental build does, when an earlier execution of the same
   source, parameters, inputs and environment is remembered on the remote and all it
   produced is still there (``task-cache/``): then it loads no DAG and fetches nothing;
3. else checks that this worker resolves the same env values, fetches its upstream
   tasks' products by hash (verified) into the project folder and executes the task on
   its own with Ploomber (Papermill for a notebook, as in a local build), with
   ``NBOPS_RUN_ID`` set so ``nbops.log_metric`` records;
4. pushes every product file, Ploomber's metadata and the executed notebook by hash
   (the last two redacted when they hold a secret; a product holding one fails the
   task), then its result (``open-runs/<run>/tasks/<task>.json``), also when it failed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbops.adapters import TaskInfo, build_one_task, metadata_path
from nbops.contracts import Manifest, TaskRecord
from nbops.core import (
    REDACTED,
    ROOT_ENV,
    RUN_ENV,
    ConfigError,
    ContentStore,
    HashCache,
    NbopsError,
    Project,
    atomic_write_bytes,
    hash_bytes,
    mask_credentials,
    secret_byte_pairs,
    secret_replacements,
)
from nbops.orchestration._remote_state import (
    TaskResult,
    read_opened,
    read_result,
    recall,
    remember,
    write_result,
)
from nbops.orchestration._secret_free import SecretInProduct, shareable_bytes
from nbops.orchestration._settings import run_settings
from nbops.remote import RemoteStore, download_objects, open_remote, require_url

logger = logging.getLogger("nbops")


def materialize(project: Project, remote: RemoteStore, outputs: dict[str, str]) -> None:
    """Fetch ``{relative path: hash}`` from the remote (verified) and put each in place."""
    store = ContentStore(project.store_dir)
    download_objects(remote, store, set(outputs.values()))
    root = project.root.resolve()
    for relpath, digest in sorted(outputs.items()):
        target = (root / relpath).resolve()
        if root not in target.parents:
            raise ConfigError(f"a task result names a file outside the project: {relpath!r}",
                              "open a new run; do not edit the remote's open-runs/ by hand")
        store.materialize(digest, target, link=False)


def _upstream_outputs(remote: RemoteStore, run_id: str, task: str,
                      upstream: list[str]) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for name in upstream:
        result = read_result(remote, run_id, name)
        if result is None or result["status"] == "failed":
            state = "failed" if result else "has not finished"
            raise NbopsError(f"task {task!r} of run {run_id} cannot start: its upstream task "
                             f"{name!r} {state}",
                             "let the scheduler run tasks in the pipeline's order; a failed "
                             "upstream task fails the run")
        outputs.update(result["outputs"])
    return outputs


def _files_of(info: TaskInfo) -> list[Path]:
    """Every file the task leaves: its products (folders walked) and their metadata."""
    files: list[Path] = []
    for key, path in info.products.items():
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        elif path.is_file():
            files.append(path)
        meta = info.metadata.get(key) or metadata_path(path)
        if meta.is_file():
            files.append(meta)
    return files


def _push_files(project: Project, remote: RemoteStore, files: list[Path],
                env: Mapping[str, object]) -> dict[str, str]:
    """Put the task's files on the remote by hash; ``{relative path: hash}`` of what was put.

    A notebook or metadata file holding a secret of ``env`` is put redacted (the raw one
    stays here, :mod:`nbops.orchestration._secret_free`).

    Raises:
        SecretInProduct: another product holds a secret (nothing of this task was put).
    """
    pairs = secret_byte_pairs(secret_replacements(env))
    cache = HashCache(project.hash_cache_path)
    outputs: dict[str, str] = {}
    sources: dict[str, Path | bytes] = {}
    for path in files:
        relpath = project.relative(path)
        shared = shareable_bytes(path, relpath, pairs)
        digest = cache.hash(path)[0] if shared is None else hash_bytes(shared)
        outputs[relpath] = digest
        sources[digest] = path if shared is None else shared
    cache.save()
    redacted = project.state_dir / "redacted"
    for digest in remote.missing_objects(set(outputs.values())):
        source = sources[digest]
        if isinstance(source, Path):
            remote.put_object(source, digest)
            continue
        copy = redacted / digest.replace(":", "-")  # put from a file, as every object is
        redacted.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(copy, source)
        try:
            remote.put_object(copy, digest)
        finally:
            copy.unlink()
    return outputs


def fingerprint(name: str, opened: Manifest, source_hash: str | None,
                inputs: dict[str, str], environment: Mapping[str, object]) -> str | None:
    """What the task's products depend on, as one digest; None when it cannot be compared.

    Its source, its resolved parameters and declared products (as the run's opener
    rendered them), the content of its inputs (the upstream products, not Ploomber's
    metadata, which holds timestamps) and the Python and packages it runs on. Parameters
    holding a secret never match (as for a local build's reuse of products,
    ``nbops.runs.plan_reuse``). Needs no Ploomber: an up-to-date task costs a worker
    no DAG load.
    """
    params = opened["params"].get(name, {})
    if source_hash is None or REDACTED in json.dumps(params, default=str):
        return None
    products = {key: item["path"] for key, item in opened["tasks"][name]["products"].items()}
    document = {"task": name, "source": source_hash, "params": params, "products": products,
                "environment": environment,
                "inputs": {k: v for k, v in inputs.items() if not k.endswith(".metadata")}}
    return hash_bytes(json.dumps(document, sort_keys=True, default=str).encode("utf-8"))


def _execute(project: Project, dag: Any, name: str, run_id: str) -> tuple[str | None, float]:
    saved = {key: os.environ.get(key) for key in (RUN_ENV, ROOT_ENV)}
    os.environ[RUN_ENV] = run_id  # nbops.log_metric records in the kernel
    os.environ[ROOT_ENV] = str(project.root)
    started = time.perf_counter()
    try:
        error = build_one_task(project.root, dag, name)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return error, time.perf_counter() - started


def _source_hash(project: Project, entry: TaskRecord, name: str, run_id: str) -> str | None:
    """The task's source here, checked against the one the run was opened with."""
    path = entry["source"]["path"]
    source = None
    if path and project.absolute(path).is_file():
        source = HashCache(project.hash_cache_path).hash(project.absolute(path))[0]
    if source != entry["source"]["hash"]:
        raise ConfigError(f"this worker's source of task {name!r} ({path}) differs from the "
                          f"one run {run_id} was opened with",
                          "deploy the same commit of the project to every worker")
    return source


def run_remote_task(project: Project, run_id: str, name: str, params: Mapping[str, object],
                    force: bool = False) -> TaskResult:
    """Run task ``name`` of the open run ``run_id``; its result (also kept on the remote)."""
    from nbops.runs import installed_packages, interpreter

    remote = open_remote(require_url(project))
    opened = read_opened(remote, run_id)
    entry = opened["tasks"].get(name)
    if entry is None:
        raise ConfigError(f"run {run_id} has no task {name!r} (its tasks: "
                          f"{', '.join(opened['tasks'])})",
                          "export the DAG again (`nbops export airflow`) after renaming tasks")
    source = _source_hash(project, entry, name, run_id)
    inputs = _upstream_outputs(remote, run_id, name, list(entry["upstream"]))
    python, _ = interpreter()
    digest = fingerprint(name, opened, source, inputs,
                         {"python": python, "packages": installed_packages()})
    earlier = None if force or digest is None else recall(remote, name, digest)
    host = socket.gethostname()
    if earlier is not None:  # inputs, code and environment unchanged: nothing to fetch or run
        result: TaskResult = {
            "schema_version": 1, "task": name, "host": host, "fingerprint": digest,
            "status": "skipped", "duration_s": 0.0, "timings": {},
            "outputs": earlier["outputs"], "produced_by": earlier["produced_by"], "error": None}
        logger.info("nbops: task %s is up to date (executed by run %s)", name,
                    earlier["produced_by"])
        write_result(remote, run_id, result)
        return result
    settings = run_settings(project, params, ["nbops", "task", "run", name])
    settings.check_same_env(opened["env"], run_id)
    started = time.perf_counter()
    materialize(project, remote, inputs)
    timings: dict[str, float] = {"fetch_s": round(time.perf_counter() - started, 3)}
    dag = settings.load_dag()
    info = next(i for i in settings.render(dag, force=True) if i.name == name)
    error, seconds = _execute(project, dag, name, run_id)
    started = time.perf_counter()
    try:
        outputs = _push_files(project, remote, _files_of(info), settings.env)
    except SecretInProduct as refused:
        error, outputs = str(refused), {}
    timings["push_s"] = round(time.perf_counter() - started, 3)
    result = {
        "schema_version": 1, "task": name, "host": host, "fingerprint": digest,
        "status": "failed" if error else "executed", "timings": timings,
        "duration_s": round(seconds, 3), "outputs": outputs, "produced_by": run_id,
        "error": None if error is None else mask_credentials(error)[-20000:]}
    write_result(remote, run_id, result)
    if result["status"] == "executed":
        remember(remote, result)
    return result
