"""``nbops pull``: bring runs and their objects back from the remote, every byte re-hashed.

Only runs listed in the remote's index are pulled. For each: the manifest and
``contents.json`` must hash to what the index says, the manifest must match
its seal and schema, every object is re-hashed on arrival (an altered or
deleted one is refused, naming it; one the push withheld because it held a
secret is not fetched, and the run folder's ``withheld.json`` says so), and
the run folder is assembled under a temporary name and renamed into place
last (``pull.run_installed``), so a pull killed midway leaves no half run
locally.

Each run's team-key signature (:mod:`nbops.remote._run_signature`) is checked before
anything of it is downloaded: one that does not match, or is made with another key,
refuses the run (``SignatureRefused``, with its own fix); a run without one, or any run
on a machine without the key, is pulled and recorded as unverified in the run folder's
``pulled.json`` (:mod:`nbops.runs._pulled`), which ``nbops reproduce`` and ``nbops apply``
read. A run already here that was pulled unverified is checked again (the fix after a
key holder pushed it again): when its signature now verifies, its record says so.

One bad run costs only itself: an index entry whose name is not a run id is
skipped (``PullResult.skipped``), a damaged run is refused (``refused``, with
the fix: ``nbops push RUN --repair`` on a machine that has it), and a local
folder of the same id without a manifest (left by a killed command) is moved
aside to ``.nbops/stray/`` rather than blocking the pull.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nbops.contracts import (
    MANIFEST_FILE,
    NEWER_FIX,
    RUN_CONTENTS,
    SEAL_NAME,
    manifest_errors,
)
from nbops.core import (
    ContentStore,
    IntegrityError,
    LedgerError,
    NbopsError,
    Project,
    crash_point,
    hash_bytes,
    is_run_id,
    schema_errors,
    utc_now_iso,
)
from nbops.remote import (
    RUN_SIGNATURE_NAME,
    Entry,
    RemoteStore,
    RunDigests,
    SignatureRefused,
    check_run_signature,
    download_objects,
    key_id,
    open_remote,
    read_index,
    require_url,
    team_key,
)
from nbops.runs import (
    PULLED_NAME,
    WITHHELD_NAME,
    append_summary,
    read_pulled,
    referenced_objects,
    summarize,
    write_pulled,
)
from nbops.sync._push import CONTENTS, MANIFEST

if TYPE_CHECKING:
    from nbops.contracts import PulledRecord

logger = logging.getLogger("nbops")

#: files of a pulled run folder that pull itself writes, never taken from a contents list
#: (a pulled run pushed again lists its withheld.json)
_WRITTEN_BY_PULL = (MANIFEST, SEAL_NAME, WITHHELD_NAME, PULLED_NAME)


@dataclass
class PullResult:
    """What a pull did (``--json``)."""

    remote: str
    pulled: list[str] = field(default_factory=list)
    already_here: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    refused: dict[str, NbopsError] = field(default_factory=dict)
    objects_downloaded: int = 0
    bytes_downloaded: int = 0
    #: pulled runs (and runs already here) whose signature did not verify, and why
    unverified: dict[str, str] = field(default_factory=dict)
    #: runs already here, pulled unverified before, whose signature now verifies
    verified_now: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {"remote": self.remote, "runs_pulled": self.pulled,
                "runs_already_here": self.already_here,
                "runs_unverified": self.unverified, "runs_verified_now": self.verified_now,
                "runs_skipped": self.skipped,
                "runs_refused": {run_id: str(exc) for run_id, exc in self.refused.items()},
                "objects_downloaded": self.objects_downloaded,
                "bytes_downloaded": self.bytes_downloaded}


def _select(visible: dict[str, Entry], refs: Iterable[str], all_runs: bool,
            label: str) -> list[str]:
    ids = sorted(visible)
    if all_runs:
        return ids
    refs = list(refs)
    if not refs:
        if not ids:
            return []
        refs = ["latest"]
    chosen = []
    for ref in refs:
        if ref == "latest":
            if not ids:
                raise LedgerError(f"Remote {label} has no runs", "push some runs first")
            chosen.append(ids[-1])
            continue
        matches = [run_id for run_id in ids if run_id.startswith(ref)]
        if len(matches) != 1:
            raise LedgerError(
                f"{'No' if not matches else len(matches)} run(s) on remote {label} match {ref!r}",
                "list them with `nbops runs --remote`")
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


def repair_fix(run_id: str) -> str:
    """The fix for a run damaged on the remote: a command that uploads it whole again."""
    return (f"run `nbops push {run_id} --repair` on a machine that has the run (it uploads "
            "the run again whatever the remote holds), then pull again")


def _verified(remote: RemoteStore, run_id: str, key: str, expected: str) -> bytes:
    data = remote.get_bytes(key)
    if data is None:
        raise IntegrityError(f"{key} is missing from remote {remote.label}", repair_fix(run_id))
    if hash_bytes(data) != expected:
        raise IntegrityError(f"{key} on remote {remote.label} is altered (it does not match "
                             "the hash in runs/index.json)", repair_fix(run_id))
    return data


def _valid_ids(visible: dict[str, Entry], result: PullResult) -> dict[str, Entry]:
    """The index's entries named by run ids; the others are skipped, named in ``result``."""
    for name in visible:
        if not is_run_id(name):
            result.skipped[name] = (f"{name[:80]!r} in runs/index.json is not a run id "
                                    "(an entry nbops did not write); skipped")
    return {name: entry for name, entry in visible.items() if is_run_id(name)}


def pull_runs(project: Project, refs: Iterable[str] = (), all_runs: bool = False,
              url: str | None = None) -> PullResult:
    """Pull the runs named by ``refs`` (ids or prefixes; default the latest), or all.

    The report site is not touched: :func:`nbops.app.pull_and_refresh` (``nbops pull``)
    pulls and then shows the pulled runs on it."""
    remote = open_remote(url or require_url(project))
    remote.check_reachable()
    result = PullResult(remote.label)
    visible = _valid_ids(read_index(remote), result)
    store = ContentStore(project.store_dir)
    for run_id in _select(visible, refs, all_runs, remote.label):
        if project.manifest_path(run_id).is_file():
            result.already_here.append(run_id)
            _check_again(project, remote, run_id, result)
            continue
        try:
            _pull_one(project, remote, store, run_id, visible[run_id], result)
        except IntegrityError as exc:  # this run only: the others still come
            result.refused[run_id] = exc
    return result


def _pull_one(project: Project, remote: RemoteStore, store: ContentStore, run_id: str,
              entry: Entry, result: PullResult) -> None:
    try:
        _pull_verified(project, remote, store, run_id, entry, result)
    except SignatureRefused:  # its own fix: a key holder pushes it again
        raise
    except IntegrityError as exc:  # whatever is damaged, the fix is the same upload
        newer = exc.fix == NEWER_FIX  # ...unless a later nbops pushed it: upgrade this one
        raise IntegrityError(exc.problem, exc.fix if newer else repair_fix(run_id)) from None


def _pull_record(remote: RemoteStore, digests: RunDigests, why: str | None) -> PulledRecord:
    """The ``pulled.json`` of a run whose signature check said ``why`` (None: verified)."""
    record: PulledRecord = {"schema_version": 1, "remote": remote.label,
                            "pulled_at": utc_now_iso(), "contents_hash": digests.contents_hash,
                            "signature": "unverified"}
    if why is None:
        key = team_key(remote.url)
        assert key is not None, "a signature verified without a key"
        record["signature"], record["key_id"] = "verified", key_id(key)
    else:
        record["why"] = why
    return record


def _check_again(project: Project, remote: RemoteStore, run_id: str,
                 result: PullResult) -> None:
    """A run pulled unverified earlier: is it signed now (a key holder pushed it again)?

    The signature must cover the manifest and seal as they are here and the contents
    list the run's files were pulled from; otherwise the record stays as it is."""
    run_dir = project.run_dir(run_id)
    record = read_pulled(run_dir)
    if record is None or record["signature"] == "verified" or team_key(remote.url) is None:
        return
    digests = RunDigests(run_id, hash_bytes(project.manifest_path(run_id).read_bytes()),
                         hash_bytes((run_dir / SEAL_NAME).read_bytes()),
                         str(record.get("contents_hash")))
    try:
        why = check_run_signature(remote.url, digests, remote.get_bytes(
            f"runs/{run_id}/{RUN_SIGNATURE_NAME}"))
    except SignatureRefused:
        why = ("its signature on the remote is not of the copy here; move the run folder "
               "aside and pull it again")
    if why is not None:
        result.unverified[run_id] = why
        return
    verified = _pull_record(remote, digests, None)
    verified["pulled_at"] = record.get("pulled_at", utc_now_iso())
    write_pulled(run_dir, verified)
    result.verified_now.append(run_id)


def _set_aside(project: Project, folder: os.PathLike[str]) -> None:
    """Move a run folder without a manifest to ``.nbops/stray/`` (its files kept)."""
    name = os.path.basename(folder)
    aside = project.state_dir / "stray" / f"{name}-{uuid.uuid4().hex[:8]}"
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.rename(folder, aside)
    logger.warning("nbops: %s had no manifest (left by a killed command?); moved it to %s "
                   "to pull the run", folder, aside)


def _pull_verified(project: Project, remote: RemoteStore, store: ContentStore, run_id: str,
                   entry: Entry, result: PullResult) -> None:
    base = f"runs/{run_id}"
    manifest_bytes = _verified(remote, run_id, f"{base}/{MANIFEST}", entry["manifest_hash"])
    contents_bytes = _verified(remote, run_id, f"{base}/{CONTENTS}", entry["contents_hash"])
    seal_bytes = remote.get_bytes(f"{base}/{SEAL_NAME}")
    try:
        manifest = json.loads(manifest_bytes)
        contents = json.loads(contents_bytes)
        seal = json.loads(seal_bytes) if seal_bytes is not None else None
    except ValueError:
        raise IntegrityError(f"Run {run_id} on remote {remote.label} has an unreadable "
                             "manifest, contents list or seal", "push it again") from None
    where = f"Run {run_id} on remote {remote.label}: its"  # newer than this nbops: refused
    manifest, contents = (MANIFEST_FILE.upgrade(manifest, f"{where} {MANIFEST}"),
                          RUN_CONTENTS.upgrade(contents, f"{where} {CONTENTS}"))
    errors = manifest_errors(manifest)
    if errors or manifest.get("run_id") != run_id:
        raise IntegrityError(f"Run {run_id} on remote {remote.label} has an invalid manifest "
                             f"({errors[0] if errors else 'wrong run id'})", "push it again")
    if seal is None or schema_errors(seal, "seal") or seal["manifest_hash"] != entry[
            "manifest_hash"]:
        raise IntegrityError(f"{base}/{SEAL_NAME} on remote {remote.label} is missing or does "
                             "not match the manifest", "push that run again")
    digests = RunDigests(run_id, entry["manifest_hash"], hash_bytes(seal_bytes or b""),
                         entry["contents_hash"])
    unverified = check_run_signature(remote.url, digests, remote.get_bytes(
        f"{base}/{RUN_SIGNATURE_NAME}"))

    withheld = contents.get("withheld") or {}
    if not isinstance(withheld, dict):
        raise IntegrityError(f"Run {run_id} on remote {remote.label} has an invalid contents "
                             "list (withheld is not a mapping)", "push it again")
    needed = [digest for _, digest in referenced_objects(manifest) if digest not in withheld]
    count, size = download_objects(remote, store, needed)
    result.objects_downloaded += count
    result.bytes_downloaded += size

    staging = project.runs_dir / f".pull-{run_id}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        for relpath, item in sorted(contents["files"].items()):
            target = (staging / relpath).resolve()
            if staging.resolve() not in target.parents:
                raise IntegrityError(f"Run {run_id} on remote {remote.label} lists a file "
                                     f"outside its folder ({relpath!r})", "push it again")
            if relpath.split("/", 1)[0] in _WRITTEN_BY_PULL:  # pull's own, never the bucket's
                continue
            digest = item["hash"]
            if store.has(digest):  # a notebook or other stored object: link it (read-only)
                store.materialize(digest, target, link=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            remote.get_object(digest, target)  # verified
            result.objects_downloaded += 1
            result.bytes_downloaded += item["size"]
        if withheld:  # the record of what the push kept back (nbops verify reads it)
            (staging / WITHHELD_NAME).write_text(json.dumps(withheld, indent=1, sort_keys=True),
                                                 encoding="utf-8")
        write_pulled(staging, _pull_record(remote, digests, unverified))
        (staging / SEAL_NAME).write_bytes(seal_bytes or b"")
        (staging / MANIFEST).write_bytes(manifest_bytes)
        final = project.run_dir(run_id)
        if final.is_dir() and not project.manifest_path(run_id).exists():
            _set_aside(project, final)
        if final.exists():
            raise LedgerError(f"Run folder {final} appeared while pulling",
                              "pull again")
        os.rename(staging, final)
        crash_point("pull.run_installed")
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    append_summary(project, summarize(manifest))
    result.pulled.append(run_id)
    if unverified is not None:
        result.unverified[run_id] = unverified
