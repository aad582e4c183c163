"""Find runs left ``running`` by a build that died (kill -9, Ctrl-C, power loss).

A run is live only while its build holds the project lock (an ``flock`` the
kernel drops when the process dies) and the lock names that run. Time alone
is never used: a long build is not a dead one.
"""

from __future__ import annotations

import logging
import os
import socket

from nbops.core.errors import NbopsError
from nbops.core.ids import utc_now_iso
from nbops.core.locks import is_locked, read_holder
from nbops.core.manifest import Manifest, read_manifest
from nbops.core.project import Project
from nbops.runs import index
from nbops.runs.persist import save_manifest

logger = logging.getLogger("nbops")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_live(run_id: str, manifest_pid: int, manifest_host: str, locked: bool,
             holder: dict[str, object]) -> bool:
    if manifest_host == socket.gethostname() and not _pid_alive(manifest_pid):
        return False
    if not locked:
        return False
    if not holder:
        return True  # lock held but holder not yet written: be conservative
    return holder.get("run_id") == run_id


def close_stale_runs(project: Project, own_run_id: str | None = None) -> list[str]:
    """Mark every dead ``running`` run ``interrupted``; return their ids."""
    running = [s["run_id"] for s in index.summaries(project)
               if s["status"] == "running" and s["run_id"] != own_run_id]
    if not running:
        return []
    locked = is_locked(project.lock_path)
    holder = read_holder(project.lock_path) if locked else {}
    closed = []
    for run_id in running:
        path = project.manifest_path(run_id)
        try:
            manifest = read_manifest(path)
        except NbopsError as exc:
            logger.warning("nbops: cannot check run %s: %s", run_id, exc)
            continue
        if manifest["status"] != "running":  # the index lagged behind the manifest
            index.append(project, index.summarize(manifest))
            continue
        if _is_live(run_id, manifest["pid"], manifest["host"], locked, holder):
            continue
        mark_interrupted(project, manifest, STALE_REASON)
        closed.append(run_id)
    return closed


STALE_REASON = ("the build stopped without closing the run (killed or crashed); nothing "
                "after its last write was recorded")


def mark_interrupted(project: Project, manifest: Manifest, reason: str) -> None:
    """Record that ``manifest``'s run will never close normally."""
    manifest["status"] = "interrupted"
    manifest["interrupted"] = {"detected_at": utc_now_iso(), "detected_by_pid": os.getpid(),
                               "reason": reason}
    save_manifest(project, manifest)
    logger.warning("nbops: run %s was interrupted: %s", manifest["run_id"], reason)
