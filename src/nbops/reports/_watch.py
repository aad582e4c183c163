"""Follow a build from another process: what ``nbops watch`` prints.

Everything comes from the ledger's files, never from the build's output: the
run's manifest (its status, written by the build's hooks) and ``live.json``
beside it (the tasks' states, :mod:`nbops.reports._live`). So a build started in
another terminal, by CI or by a sweep can be followed, and stopping to follow
it changes nothing. The run is over only when its manifest holds a final
status; a build whose process died first is reported as such.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nbops.contracts import LiveTask, Manifest
from nbops.core import IntegrityError, LedgerError, NbopsError, Project
from nbops.reports._live import read_live_status

FINAL = ("succeeded", "failed", "gated", "alert", "interrupted")
UNFINISHED = ("running", "closing")
#: How many of the newest runs to look through for one that is running.
_RECENT = 20


@dataclass(frozen=True)
class WatchEvent:
    """One thing that happened: a task's new state, the run closing, its end.

    ``kind`` is ``task`` (``name``, ``state``, ``seconds`` for a finished task),
    ``closing``, ``final`` (``manifest``: the finished run) or ``dead`` (the
    build's process is gone and the run was never finished).
    """

    kind: str
    at: float
    name: str = ""
    state: str = ""
    seconds: float | None = None
    manifest: Manifest | None = None


def running_run(project: Project) -> str | None:
    """The newest run whose build is still going (``running`` or ``closing``), if any."""
    from nbops.runs import build_alive, load_manifest, run_ids_on_disk

    for run_id in list(reversed(run_ids_on_disk(project)))[:_RECENT]:
        try:
            manifest = load_manifest(project, run_id)
        except NbopsError:
            continue  # being written, or not a run nbops can read: not the one to follow
        if manifest["status"] in UNFINISHED and build_alive(project, manifest):
            return run_id
    return None


def _read(project: Project, run_id: str) -> Manifest | None:
    """The manifest now (None while a write is half done: the seal is written first)."""
    from nbops.runs import load_manifest

    try:
        return load_manifest(project, run_id)
    except IntegrityError:
        return None


def _seconds(entry: LiveTask) -> float | None:
    from datetime import datetime

    try:
        start = datetime.fromisoformat(entry["started_at"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(entry["finished_at"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return max(0.0, (end - start).total_seconds())


def follow(project: Project, run_id: str, *, poll_s: float = 0.5,
           sleep: Callable[[float], None] = time.sleep) -> Iterator[WatchEvent]:
    """Yield what happens to ``run_id`` until its manifest is final (or its build died).

    Raises:
        LedgerError: no such run.
    """
    from nbops.runs import build_alive

    seen: dict[str, str] = {}
    closing = False
    unreadable = 0
    while True:
        manifest = _read(project, run_id)
        if manifest is None:
            unreadable += 1
            if unreadable > 20:
                raise LedgerError(f"Run {run_id}'s manifest does not match its seal",
                                  f"run `nbops verify {run_id}`")
            sleep(poll_s)
            continue
        unreadable = 0
        live = read_live_status(project.run_dir(run_id))
        for name, entry in (live["tasks"] if live is not None else {}).items():
            state = entry["state"]
            if seen.get(name) == state or state == "waiting":
                continue
            if state in ("executed", "failed") and seen.get(name) != "running":
                yield WatchEvent("task", time.time(), name, "running")
            seen[name] = state
            yield WatchEvent("task", time.time(), name, state,
                             _seconds(entry) if state in ("executed", "failed") else None)
        status = manifest["status"]
        if status in FINAL:
            yield WatchEvent("final", time.time(), manifest=manifest)
            return
        if status == "closing" and not closing:
            closing = True
            yield WatchEvent("closing", time.time())
        if not build_alive(project, manifest):
            # the build may have written its final status since our read
            again = _read(project, run_id)
            if again is not None and again["status"] in FINAL:
                yield WatchEvent("final", time.time(), manifest=again)
            else:
                yield WatchEvent("dead", time.time(), manifest=manifest)
            return
        sleep(poll_s)


def exit_code(event: WatchEvent) -> int:
    """What ``nbops watch`` exits with: the build's own exit status (0 only when it
    succeeded; a build that died, failed or was gated is 1)."""
    if event.kind == "final" and event.manifest is not None:
        return 0 if event.manifest.get("status") == "succeeded" else 1
    return 1
