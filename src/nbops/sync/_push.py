"""``nbops push``: send finished runs and every object they reference to the remote.

Order (each step a named crash point), so that a run is visible on the remote
only once everything it needs is there:

1. objects the run references that the remote lacks (``push.object_uploaded``),
   checked by name, never by listing the bucket; already-present objects are
   never uploaded again;
2. the run folder's other files (HTML pages, reproductions, logs) as objects
   too, listed in ``runs/<id>/contents.json`` (``push.contents_uploaded``);
   an object or file holding a secret of the run (a raw executed notebook,
   Ploomber's metadata, the git diff: :mod:`nbops.sync._withheld`) is not
   uploaded, and ``contents.json`` lists it under ``withheld``;
3. ``seal.json``, ``manifest.json`` and, on a machine with the team key,
   ``signature.json``: the key's HMAC of the run as pushed
   (:mod:`nbops.remote._run_signature`; without the key a stale one is deleted, so
   the run reads as unsigned, never as forged) (``push.manifest_uploaded``);
4. the run's entry in ``runs/index.json`` with a conditional write
   (``push.index_updated``): from here on ``nbops runs --remote`` lists it.

A push killed anywhere leaves no visible partial run, and the next push
uploads only what is still missing. A run whose entry already names the same
manifest hash is skipped entirely (0 bytes), unless ``repair`` is asked: then
every object and file of the run is uploaded again whatever the remote holds
(the fix a pull that found a damaged run prints). A machine with the team key also
pushes again an up-to-date run whose signature on the remote is missing or not its own
(the fix for a run pulled unverified); it never signs a run it pulled unverified
itself (a bucket writer's run would come back signed). A run that cannot be pushed
(edited since it was sealed, an object missing here) is refused on its own,
named in ``PushResult.refused``; the others are pushed all the same.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.contracts import SEAL_NAME, check_seal, read_manifest
from nbops.core import (
    ContentStore,
    IntegrityError,
    LedgerError,
    NbopsError,
    Project,
    crash_point,
    hash_bytes,
    hash_file,
    utc_now_iso,
)
from nbops.remote import (
    RUN_SIGNATURE_NAME,
    Entry,
    RemoteStore,
    RunDigests,
    SignatureRefused,
    add_entries,
    check_conditional_writes,
    check_run_signature,
    open_remote,
    read_index,
    require_url,
    run_signature,
    team_key,
)
from nbops.runs import (
    PULLED_NAME,
    read_pulled,
    referenced_objects,
    resolve_run,
    run_ids_on_disk,
    summarize,
)
from nbops.sync._withheld import WHY, holds_secret, run_secrets

if TYPE_CHECKING:
    from nbops.contracts import StoredFile

logger = logging.getLogger("nbops")

MANIFEST = "manifest.json"
CONTENTS = "contents.json"
FINAL = ("succeeded", "failed", "gated", "interrupted")
_BATCH = 50  # runs made visible per index update


@dataclass
class PushResult:
    """What a push did (``--json``)."""

    remote: str
    pushed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    refused: dict[str, NbopsError] = field(default_factory=dict)
    objects_uploaded: int = 0
    bytes_uploaded: int = 0
    objects_present: int = 0
    #: objects and run files kept back because they hold a secret of the run
    objects_withheld: int = 0
    registry: str = "empty"  # published|shared|diverged|empty (nbops.registry.share_registry)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {"remote": self.remote, "runs_pushed": self.pushed,
                "runs_up_to_date": self.up_to_date, "runs_skipped": self.skipped,
                "runs_refused": {run_id: str(exc) for run_id, exc in self.refused.items()},
                "objects_uploaded": self.objects_uploaded,
                "bytes_uploaded": self.bytes_uploaded,
                "objects_already_there": self.objects_present,
                "objects_withheld": self.objects_withheld, "registry": self.registry}


def run_files(run_dir: Path) -> list[Path]:
    """Files of a run folder that travel besides the manifest and seal (sorted)."""
    out = []
    for path in sorted(run_dir.rglob("*")):
        name = path.relative_to(run_dir).as_posix()
        if not path.is_file() or name in (MANIFEST, SEAL_NAME, PULLED_NAME) or path.name.startswith(
                (".tmp-", ".pull-")):
            continue
        out.append(path)
    return out


def _select(project: Project, refs: Iterable[str], all_runs: bool) -> list[str]:
    if all_runs:
        return run_ids_on_disk(project)
    refs = list(refs) or ["latest"]
    return list(dict.fromkeys(resolve_run(project, ref) for ref in refs))


def push_runs(project: Project, refs: Iterable[str] = (), all_runs: bool = False,
              url: str | None = None, repair: bool = False) -> PushResult:
    """Push the runs named by ``refs`` (default: the latest), or every run.

    ``repair`` uploads every object and file of the runs again, even when the
    remote's index says they are up to date.  A run that cannot be pushed is
    named in the result's ``refused`` (with the error saying why) and costs only
    itself; a remote that fails raises.
    """
    url = url or require_url(project)
    check_conditional_writes(url)  # before any upload: the index could not be updated
    remote = open_remote(url)
    run_ids = _select(project, refs, all_runs)
    remote.check_reachable()
    result = PushResult(remote.label)
    visible = read_index(remote)
    store = ContentStore(project.store_dir)
    signs = team_key(url) is not None
    pending: dict[str, Entry] = {}
    for run_id in run_ids:
        if not project.manifest_path(run_id).is_file():  # a stray folder, not a run
            result.skipped[run_id] = "no manifest.json (not a run nbops finished)"
            continue
        try:
            entry = _push_one(project, remote, store, run_id,
                              None if repair else visible.get(run_id), result, repair, signs)
        except (IntegrityError, LedgerError) as exc:  # this run only: the others still go
            result.refused[run_id] = exc
            continue
        if entry is not None:
            pending[run_id] = entry
        if len(pending) >= _BATCH:
            add_entries(remote, pending)
            crash_point("push.index_updated")
            pending = {}
    if pending:
        add_entries(remote, pending)
        crash_point("push.index_updated")
    _share_registry(project, remote, store, result)
    return result


def _share_registry(project: Project, remote: RemoteStore, store: ContentStore,
                    result: PushResult) -> None:
    """Every push shares the registry too, whatever its history: the model files its
    versions name first (so a teammate's clone can load the champion), then the
    registry document itself when the remote has none yet."""
    from nbops.registry import read_local_registry, registry_objects, share_registry

    objects = {digest: what for digest, what in registry_objects(
        read_local_registry(project.root)).items() if store.has(digest)}
    _upload_missing(remote, store, {d: store.path_for(d) for d in objects}, objects, result)
    result.registry = share_registry(project.root, remote)


def _signable(project: Project, run_id: str) -> bool:
    """Whether this machine may sign the run: it was built here, or pulled verified."""
    record = read_pulled(project.run_dir(run_id))
    return record is None or record["signature"] == "verified"


def _signed_as_here(remote: RemoteStore, run_id: str, manifest_bytes: bytes,
                    seal_bytes: bytes, current: Entry) -> bool:
    """Whether the remote's signature of an up-to-date run is this key's, of these bytes."""
    digests = RunDigests(run_id, hash_bytes(manifest_bytes), hash_bytes(seal_bytes),
                         str(current.get("contents_hash")))
    try:
        return check_run_signature(remote.url, digests, remote.get_bytes(
            f"runs/{run_id}/{RUN_SIGNATURE_NAME}")) is None
    except SignatureRefused:
        return False


def _push_one(project: Project, remote: RemoteStore, store: ContentStore, run_id: str,
              current: Entry | None, result: PushResult, repair: bool = False,
              signs: bool = False) -> Entry | None:
    path = project.manifest_path(run_id)
    manifest = read_manifest(path)
    if manifest["status"] not in FINAL:
        result.skipped[run_id] = f"still {manifest['status']}"
        return None
    problem = check_seal(path)
    if problem:
        raise IntegrityError(f"Run {run_id} cannot be pushed: {problem}",
                             f"run `nbops verify {run_id}`; restore the manifest first")
    manifest_bytes = path.read_bytes()
    manifest_hash = hash_bytes(manifest_bytes)
    run_dir = project.run_dir(run_id)
    seal_bytes = (run_dir / SEAL_NAME).read_bytes()
    signs = signs and _signable(project, run_id)
    if current is not None and current.get("manifest_hash") == manifest_hash and not (
            signs and not _signed_as_here(remote, run_id, manifest_bytes, seal_bytes, current)):
        result.up_to_date.append(run_id)
        return None

    objects = {digest: what for what, digest in referenced_objects(manifest)}
    inputs = manifest["provenance"].get("inputs") or {}
    for name, digest in inputs.items():  # kept by the ledger when still in the store
        if isinstance(digest, str) and store.has(digest):
            objects.setdefault(digest, f"input {name}")
    for digest, what in objects.items():
        if not store.has(digest):
            raise IntegrityError(f"Run {run_id} cannot be pushed: its {what} ({digest}) is "
                                 "missing from the local store",
                                 f"run `nbops verify {run_id}`; rebuild or pull it first")
    secrets = run_secrets(manifest, store)
    withheld: dict[str, dict[str, str]] = {}  # digest -> what it is (never its content)
    sources: dict[str, Path] = {}
    for digest, what in objects.items():
        if holds_secret(store.path_for(digest), secrets):
            withheld[digest] = {"what": what, "why": WHY}
        else:
            sources[digest] = store.path_for(digest)
    contents: dict[str, StoredFile] = {}
    for file in run_files(run_dir):
        relpath = file.relative_to(run_dir).as_posix()
        digest = hash_file(file)
        if digest in withheld or holds_secret(file, secrets):
            withheld.setdefault(digest, {"what": f"run folder file {relpath}", "why": WHY})
            continue
        contents[relpath] = {"hash": digest, "size": file.stat().st_size}
        sources.setdefault(digest, file)
    result.objects_withheld += len(withheld)
    _upload_missing(remote, store, sources, objects, result, repair)

    contents_bytes = json.dumps({"schema_version": 1, "run_id": run_id, "files": contents,
                                 "withheld": withheld},
                                indent=1, sort_keys=True).encode("utf-8")
    remote.put_bytes(f"runs/{run_id}/{CONTENTS}", contents_bytes)
    crash_point("push.contents_uploaded")
    remote.put_bytes(f"runs/{run_id}/{SEAL_NAME}", seal_bytes)
    remote.put_bytes(f"runs/{run_id}/{MANIFEST}", manifest_bytes)
    signature = run_signature(remote.url, RunDigests(
        run_id, manifest_hash, hash_bytes(seal_bytes), hash_bytes(contents_bytes))) if (
        signs) else None
    if signature is None:  # an older signature would make this push read as forged
        remote.delete(f"runs/{run_id}/{RUN_SIGNATURE_NAME}")
    else:
        remote.put_bytes(f"runs/{run_id}/{RUN_SIGNATURE_NAME}", signature)
    crash_point("push.manifest_uploaded")
    result.pushed.append(run_id)
    return {**summarize(manifest), "manifest_hash": manifest_hash,
            "contents_hash": hash_bytes(contents_bytes), "pushed_at": utc_now_iso(),
            "pushed_from": socket.gethostname()}


def _upload_missing(remote: RemoteStore, store: ContentStore, sources: dict[str, Path],
                    stored: dict[str, str], result: PushResult, repair: bool = False) -> None:
    """Upload the objects of ``sources`` the remote lacks (all of them to ``repair``)."""
    missing = list(sources) if repair else remote.missing_objects(sources)
    result.objects_present += len(sources) - len(missing)

    def upload(digest: str) -> int:
        source = sources[digest]
        if digest in stored:
            store.verify(digest)  # never publish a corrupted local object under its name
        elif hash_file(source) != digest:
            raise LedgerError(f"{source} changed while it was being pushed",
                              "push again once nothing writes to the run folder")
        size = os.path.getsize(source)
        remote.put_object(source, digest)
        crash_point("push.object_uploaded")
        return size

    # big objects one at a time (the transport parallelises inside them), small ones together
    small = [d for d in missing if os.path.getsize(sources[d]) < (8 << 20)]
    big = [d for d in missing if d not in set(small)]
    if small:
        with ThreadPoolExecutor(min(8, len(small))) as pool:
            for size in pool.map(upload, small):
                result.objects_uploaded += 1
                result.bytes_uploaded += size
    for digest in big:
        result.bytes_uploaded += upload(digest)
        result.objects_uploaded += 1
