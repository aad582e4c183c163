"""A run whose tasks an outside scheduler runs: its state on the team remote until it closes.

Between ``nbops run open`` and ``nbops run close`` the run lives on the remote, so
that each task may run on any worker:

* ``open-runs/<run_id>/manifest.json``: the ``running`` manifest the opener wrote
  (provenance, parameters, the task list), byte for byte;
* ``open-runs/<run_id>/tasks/<task>.json``: each task's result (schema
  ``task_result``): status, duration, ``{path: hash}`` of the files it left (objects
  on the remote), its error;
* ``task-cache/<task>/<fingerprint>.json``: what an execution of the same source,
  parameters, inputs and environment produced, so that a later run skips the task
  as a local incremental build does.

``nbops run close`` turns these into an ordinary run record (pushed as ``runs/<id>/``)
and removes ``open-runs/<run_id>/``.
"""

from __future__ import annotations

import json
from typing import Literal, TypedDict

from nbops.contracts import MANIFEST_FILE, TASK_RESULT, Manifest
from nbops.core import LedgerError, NbopsError, schema_errors
from nbops.remote import RemoteStore

PREFIX = "open-runs"
CACHE_PREFIX = "task-cache"
SCHEMAS = "nbops.orchestration.schemas"


class _TaskResultRequired(TypedDict):
    schema_version: int
    task: str
    host: str
    fingerprint: str | None
    status: Literal["executed", "skipped", "failed"]
    duration_s: float | None
    outputs: dict[str, str]  # path relative to the project -> digest of the object
    produced_by: str | None
    error: str | None


class TaskResult(_TaskResultRequired, total=False):
    """A task's result on the team remote (``schemas/task_result.schema.json``)."""

    timings: dict[str, float]


def manifest_key(run_id: str) -> str:
    """Where the opened run's manifest is kept."""
    return f"{PREFIX}/{run_id}/manifest.json"


def result_key(run_id: str, task: str) -> str:
    """Where a task's result is kept."""
    return f"{PREFIX}/{run_id}/tasks/{task}.json"


def cache_key(task: str, fingerprint: str) -> str:
    """Where the result of an execution with this fingerprint is remembered."""
    return f"{CACHE_PREFIX}/{task}/{fingerprint.split(':', 1)[-1]}.json"


def read_opened(remote: RemoteStore, run_id: str) -> Manifest:
    """The manifest ``nbops run open`` left; one sentence when there is none."""
    data = remote.get_bytes(manifest_key(run_id))
    if data is None:
        raise NbopsError(f"run {run_id} is not open on the team remote {remote.label}",
                         "start the scheduler's run from its first task (`nbops run open`), "
                         "and give every task the run id it printed")
    manifest: Manifest = MANIFEST_FILE.upgrade(  # the ledger's own write, checked when saved
        json.loads(data), f"Run {run_id}'s manifest on the team remote {remote.label}")
    return manifest


def _encoded(document: TaskResult) -> bytes:
    errors = schema_errors(document, "task_result", SCHEMAS)
    if errors:  # a bug: never leave a result later tasks cannot read
        raise ValueError(f"invalid task result: {errors[:3]}")
    return json.dumps(document, indent=1, sort_keys=True).encode("utf-8")


def _decoded(data: bytes | None, where: str) -> TaskResult | None:
    if data is None:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        document = None
    document = TASK_RESULT.upgrade(document, f"{where} on the team remote")
    errors = ["not JSON"] if document is None else schema_errors(document, "task_result", SCHEMAS)
    if errors:
        raise LedgerError(f"{where} on the team remote is not a task result ({errors[0]})",
                          "run the task again (its result is written anew)")
    result: TaskResult = document  # json.loads gives Any: the schema check above makes it one
    return result


def write_result(remote: RemoteStore, run_id: str, result: TaskResult) -> None:
    """Record a task's result for later tasks and the close."""
    remote.put_bytes(result_key(run_id, result["task"]), _encoded(result))


def read_result(remote: RemoteStore, run_id: str, task: str) -> TaskResult | None:
    """A task's result, or None if it has not finished (or never ran)."""
    return _decoded(remote.get_bytes(result_key(run_id, task)), result_key(run_id, task))


def remember(remote: RemoteStore, result: TaskResult) -> None:
    """Keep an executed task's result under its fingerprint."""
    if result["fingerprint"]:
        remote.put_bytes(cache_key(result["task"], result["fingerprint"]), _encoded(result))


def recall(remote: RemoteStore, task: str, fingerprint: str) -> TaskResult | None:
    """What an earlier execution with this fingerprint produced, if all of it is still there."""
    found = _decoded(remote.get_bytes(cache_key(task, fingerprint)), cache_key(task, fingerprint))
    if found is None or remote.missing_objects(set(found["outputs"].values())):
        return None
    return found


def forget(remote: RemoteStore, run_id: str) -> None:
    """Remove an open run's state once its record is pushed."""
    for key in remote.list_prefix(f"{PREFIX}/{run_id}/"):
        remote.delete(key)
