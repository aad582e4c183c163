"""Find runs left unfinished by a build that died (kill -9, Ctrl-C, power loss).

Unfinished means ``running`` (notebooks executing) or ``closing`` (notebooks
done, post-close steps such as gating and the registry not all finished).

A run is live only while its build holds the project lock (an ``flock`` the
kernel drops when the process dies) and the lock names that run. Time alone
is never used: a long build is not a dead one.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from pathlib import Path

from nbops.contracts import Manifest, read_manifest, seal_state
from nbops.core import NbopsError, Project, is_locked, pid_alive, read_holder, utc_now_iso
from nbops.runs import _index as index
from nbops.runs._persist import save_manifest

logger = logging.getLogger("nbops")


def _lock_paths(project: Project) -> list[Path]:
    """The locks a build writing this ledger may hold: the project's and its sweep slots'.

    A slot (``nbops sweep --workers N``) builds under a lock of its own, into the
    project's ledger; from inside a slot, the ledger's owner is the project its
    ``reports/`` links to.
    """
    owner = Project(project.reports_dir.resolve().parent) if project.shares_ledger else project
    slots = owner.state_dir.glob(f"sweeps/*/slots/*/*/{owner.state_dir.name}/"
                                 f"{owner.lock_path.name}")
    return [owner.lock_path, *sorted(slots)]


def _holders(project: Project) -> list[dict[str, object]]:
    """What each held lock says of its holder ({} when not written yet)."""
    return [read_holder(path) for path in _lock_paths(project) if is_locked(path)]


def _is_live(run_id: str, manifest_pid: int, manifest_host: str,
             holders: list[dict[str, object]]) -> bool:
    if manifest_host == socket.gethostname() and not pid_alive(manifest_pid):
        return False
    if any(not holder for holder in holders):
        return True  # a lock held but its holder not yet written: be conservative
    return any(holder.get("run_id") == run_id for holder in holders)


UNFINISHED = ("running", "closing")


def build_alive(project: Project, manifest: Manifest) -> bool:
    """Whether the build that wrote ``manifest`` (an unfinished run) may still be running."""
    return _is_live(str(manifest["run_id"]), int(manifest["pid"]), str(manifest["host"]),
                    _holders(project))


def close_stale_runs(project: Project, own_run_id: str | None = None) -> list[str]:
    """Mark every dead ``running`` or ``closing`` run ``interrupted``; return their ids.

    A manifest that does not match its seal is left alone (and reported by
    ``nbops verify``): nbops never seals a record it did not write.
    """
    running = [s["run_id"] for s in index.summaries(project)
               if s["status"] in UNFINISHED and s["run_id"] != own_run_id]
    if not running:
        return []
    holders = _holders(project)
    closed = []
    for run_id in running:
        path = project.manifest_path(run_id)
        try:
            manifest = read_manifest(path)
        except NbopsError as exc:
            logger.warning("nbops: cannot check run %s: %s", run_id, exc)
            continue
        if manifest["status"] not in UNFINISHED:  # the index lagged behind the manifest
            index.append(project, index.summarize(manifest))
            continue
        if _is_live(run_id, manifest["pid"], manifest["host"], holders):
            continue
        state = seal_state(path)
        if state.kind == "tampered":
            logger.warning("nbops: run %s looks interrupted but its manifest does not match "
                           "its seal (%s); left as it is, see `nbops verify %s`",
                           run_id, state.problem, run_id)
            continue
        reason = CLOSING_REASON if manifest["status"] == "closing" else STALE_REASON
        mark_interrupted(project, manifest, reason, state.digest)
        closed.append(run_id)
    return closed


def discard_unwritten_runs(project: Project) -> list[str]:
    """Remove run folders holding only the seal of a first write that never happened.

    A build killed between sealing and writing its very first manifest leaves
    ``seal.json`` and nothing else: no record was made, so there is nothing to
    keep. Only called with the project lock held (no build is opening a run).
    """
    if any(is_locked(path) for path in _lock_paths(project)[1:]):
        return []  # a sweep slot is building: its next run may be opening right now
    removed = []
    for run_id in index.run_ids_on_disk(project):
        path = project.manifest_path(run_id)
        if path.exists() or seal_state(path).kind != "interrupted":
            continue
        shutil.rmtree(project.run_dir(run_id), ignore_errors=True)
        logger.warning("nbops: run %s was interrupted before it recorded anything; its "
                       "empty folder was removed", run_id)
        removed.append(run_id)
    return removed


STALE_REASON = ("the build stopped without closing the run (killed or crashed); nothing "
                "after its last write was recorded")
CLOSING_REASON = ("the build stopped after its notebooks finished but before every "
                  "post-close step (gates, registry, monitoring, reports) had finished; "
                  "sections missing from this run were never completed")


def mark_interrupted(project: Project, manifest: Manifest, reason: str,
                     previous_hash: str | None) -> str:
    """Record that ``manifest``'s run will never close normally; return the new digest.

    Args:
        previous_hash: digest of the manifest version being replaced, as nbops
            last wrote it (the seal's chain, see ``write_manifest``).
    """
    closing = manifest["status"] == "closing"
    manifest["status"] = "interrupted"
    manifest["interrupted"] = {"detected_at": utc_now_iso(), "detected_by_pid": os.getpid(),
                               "reason": reason, "phase": "closing" if closing else "running"}
    digest = save_manifest(project, manifest, previous_hash)
    logger.warning("nbops: run %s was interrupted: %s", manifest["run_id"], reason)
    return digest
