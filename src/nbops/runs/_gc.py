"""``nbops gc --keep N``: retention for runs and the content store.

Keeps the newest N runs, every pinned run (``.nbops/pins.json``), every run a
registered model references (any ``run_id`` found in
``.nbops/registry/*.json``) and every ``running`` run; deletes the other run
folders (first, so a killed gc never leaves a run whose objects are gone),
then every stored object no kept run references. Runs under the
project lock, so no build can add references meanwhile; that also makes every
file left in ``.nbops/store/tmp`` (an interrupted snapshot) garbage.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from typing import TypedDict

from nbops.contracts import PINS, read_sealed_manifest
from nbops.core import (
    ContentStore,
    LedgerError,
    NbopsError,
    Project,
    ProjectLock,
    atomic_write_json,
    crash_point,
    is_hash,
    is_run_id,
    json_strings,
    schema_errors,
)
from nbops.runs import _index as index
from nbops.runs._stale import UNFINISHED, discard_unwritten_runs
from nbops.runs._verify import referenced_objects

logger = logging.getLogger("nbops")


class GcSummary(TypedDict):
    """:class:`GcResult` as ``nbops gc --json`` prints it."""

    kept_runs: list[str]
    deleted_runs: list[str]
    deleted_objects: int
    freed_bytes: int
    dry_run: bool


@dataclass
class GcResult:
    """What ``gc`` kept and freed."""

    kept_runs: list[str] = field(default_factory=list)
    deleted_runs: list[str] = field(default_factory=list)
    deleted_objects: int = 0
    freed_bytes: int = 0
    dry_run: bool = False

    def to_dict(self) -> GcSummary:
        """A JSON-ready view (for ``--json``)."""
        return {"kept_runs": self.kept_runs, "deleted_runs": self.deleted_runs,
                "deleted_objects": self.deleted_objects, "freed_bytes": self.freed_bytes,
                "dry_run": self.dry_run}


def read_pins(project: Project) -> set[str]:
    """Run ids pinned with ``nbops pin`` (or by hand in ``.nbops/pins.json``)."""
    try:
        data = json.loads(project.pins_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except ValueError as exc:
        raise LedgerError(f"{project.pins_path} is not valid JSON ({exc})",
                          "fix or delete it; gc refuses to guess what is pinned") from None
    data = PINS.upgrade(data, project.pins_path)
    errors = schema_errors(data, "pins")
    if errors:
        raise LedgerError(f"{project.pins_path} is invalid ({errors[0]})",
                          "fix or delete it; gc refuses to guess what is pinned")
    return set(data["runs"])


def write_pins(project: Project, runs: set[str]) -> None:
    """Replace the pinned run ids."""
    data = {"schema_version": 1, "runs": sorted(runs)}
    if schema_errors(data, "pins"):
        raise LedgerError(f"Cannot pin {sorted(runs)}: not run ids", "pin runs by their id")
    atomic_write_json(project.pins_path, data)


def _registry_refs(project: Project) -> set[str]:
    """Run ids and content hashes mentioned anywhere in the model registry."""
    found: set[str] = set()

    # temp files of an interrupted registry write (".tmp-*") and the seal are not the registry
    for path in sorted(p for p in project.registry_dir.glob("*.json")
                       if not p.name.startswith(".") and not p.name.endswith(".seal.json")):
        try:
            found.update(s for s in json_strings(json.loads(path.read_text(encoding="utf-8")))
                         if is_run_id(s) or is_hash(s))
        except ValueError as exc:
            raise LedgerError(f"Registry file {path} is not valid JSON ({exc})",
                              "fix it first; gc must know which runs models need") from None
    return found


def collect_garbage(project: Project, keep: int, dry_run: bool = False,
                    lock_timeout: float | None = None) -> GcResult:
    """Apply retention; see the module docstring."""
    if keep < 1:
        raise LedgerError(f"--keep {keep} would delete every run", "keep at least 1 run")
    lock = ProjectLock(project.lock_path, purpose="gc")
    lock.acquire(lock_timeout)
    try:
        return _collect(project, keep, dry_run)
    finally:
        lock.release()


#: a run folder being deleted is first renamed to this prefix + its id (not a run id)
TRASH_PREFIX = ".gc-"


def _collect(project: Project, keep: int, dry_run: bool) -> GcResult:
    result = GcResult(dry_run=dry_run)
    if not dry_run:
        discard_unwritten_runs(project)
    summaries = {s["run_id"]: s for s in index.summaries(project)}
    run_ids = index.run_ids_on_disk(project)
    registry = _registry_refs(project)
    protected = set(run_ids[-keep:]) | read_pins(project) | registry
    protected |= {r for r, s in summaries.items() if s["status"] in UNFINISHED}
    live: set[str] = {ref for ref in registry if is_hash(ref)}
    for run_id in run_ids:
        if run_id not in protected:
            result.deleted_runs.append(run_id)
            continue
        result.kept_runs.append(run_id)
        try:
            manifest = read_sealed_manifest(project.manifest_path(run_id))
        except NbopsError as exc:
            raise LedgerError(f"Kept run {run_id} has an unreadable manifest ({exc})",
                              f"run `nbops verify {run_id}`, fix or delete it, then gc again"
                              ) from None
        live.update(digest for _, digest in referenced_objects(manifest))
    store = ContentStore(project.store_dir)
    doomed = [digest for digest in store.iter_digests() if digest not in live]
    if not dry_run:  # runs first: a gc killed midway leaves unreferenced objects, never
        for run_id in result.deleted_runs:  # a run whose objects are gone
            # renamed first (atomic), so no reader ever sees a half-deleted run
            trash = project.runs_dir / f"{TRASH_PREFIX}{run_id}"
            os.replace(project.run_dir(run_id), trash)
            crash_point("gc.run_folder_moved")
            shutil.rmtree(trash)
            crash_point("gc.run_folder_removed")
        for leftover_run in project.runs_dir.glob(f"{TRASH_PREFIX}*"):  # an earlier gc's
            shutil.rmtree(leftover_run, ignore_errors=True)
        kept = [summaries[r] for r in result.kept_runs if r in summaries]
        index.rewrite(project, kept)
        crash_point("gc.index_rewritten")
    for digest in doomed:
        size = store.path_for(digest).stat().st_size
        if not dry_run:
            size = store.delete(digest)
            crash_point("gc.object_deleted")
        result.freed_bytes += size
        result.deleted_objects += 1
    if store.tmp.is_dir():  # leftovers of interrupted snapshots: no build runs, we hold the lock
        for leftover in store.tmp.iterdir():
            result.freed_bytes += leftover.stat().st_size
            result.deleted_objects += 1
            if not dry_run:
                leftover.unlink()
                crash_point("gc.leftover_removed")
    return result
