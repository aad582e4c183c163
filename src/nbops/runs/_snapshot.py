"""Snapshot a run's products, notebooks and artifacts into the content store.

Unchanged files cost nothing: the stat-keyed hash cache avoids re-reading
them and the store skips content it already holds. Skipped (up-to-date)
tasks are recorded by reference: ``produced_by`` names the run that executed
them, found by matching content hashes in earlier manifests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from nbops.adapters import TaskInfo
from nbops.contracts import FileRecord, Manifest, StoredFile, TaskRecord, read_sealed_manifest
from nbops.core import ContentStore, HashCache, NbopsError, Project
from nbops.runs import _index as index
from nbops.runs._notebook_redaction import needs_redaction, redact_notebook
from nbops.runs._records import read_facts

#: The version of a task's ``curves`` (metrics logged with a step) in the manifest.
CURVES_VERSION = 1

logger = logging.getLogger("nbops")
_LOOKBACK = 50


class Snapshotter:
    """Stores the files of one run and fills in its task entries."""

    def __init__(self, project: Project, run_id: str) -> None:
        self.project = project
        self.run_id = run_id
        self.store = ContentStore(project.store_dir)
        self.cache = HashCache(project.hash_cache_path)
        self.objects_added = 0
        self.bytes_added = 0
        self._previous: list[Manifest] = []  # the earlier manifests read so far, newest first
        self._unread: list[str] | None = None  # the earlier runs not read yet, newest first
        self._named: dict[str, Manifest | None] = {}  # runs read by id (_task_in)

    def _store(self, path: Path) -> tuple[str, int]:
        """Put the file at ``path`` in the store: its digest and size."""
        digest, _ = self.cache.hash(path)
        result = self.store.put_file(path, digest)
        if result.added:
            self.objects_added += 1
            self.bytes_added += result.size
        return result.digest, result.size

    def _put(self, path: Path) -> FileRecord:
        digest, size = self._store(path)
        return {"path": self.project.relative(path), "hash": digest, "size": size}

    def _put_folder(self, folder: Path) -> FileRecord:
        """Store every file of a folder product; its hash names the stored listing.

        The listing (``{"schema_version": 1, "files": {relative path: {hash, size}}}``,
        canonical JSON) is one object; the files are listed in the manifest too, so
        verify, gc, push and pull reach them without reading the store.
        """
        files: dict[str, StoredFile] = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                digest, size = self._store(path)
                files[path.relative_to(folder).as_posix()] = {"hash": digest, "size": size}
        listing = json.dumps({"schema_version": 1, "files": files}, sort_keys=True,
                             separators=(",", ":")).encode("utf-8")
        result = self.store.put_bytes(listing)
        if result.added:
            self.objects_added += 1
            self.bytes_added += result.size
        return {"path": self.project.relative(folder), "hash": result.digest,
                "size": sum(item["size"] for item in files.values()), "kind": "folder",
                "files": files}

    def record_task(self, info: TaskInfo, entry: TaskRecord, duration: float | None) -> None:
        """Fill ``entry`` (a manifest task) from the task's final state and files."""
        entry["status"] = info.status
        if info.status == "not_run":
            return
        for key, path in info.products.items():
            if path.is_file() or path.is_dir():
                entry["products"][key] = self._put(path) if path.is_file() else \
                    self._put_folder(path)
                meta = info.metadata.get(key)
                if meta is not None and meta.is_file():
                    entry["products"][key]["metadata_hash"] = self._put(meta)["hash"]
        if info.status == "skipped":
            entry["duration_s"] = 0.0
            entry["produced_by"] = info.produced_by or self._producer(info.name, entry)
        facts = None
        notebook = info.notebook_file
        if info.notebook_key is not None and notebook is not None and notebook.is_file():
            entry["notebook"] = self._link_notebook(info, self._stored_notebook(info, entry))
            facts = read_facts(notebook)
        elif info.notebook_key is not None and info.status == "skipped":
            self._reuse_notebook(info, entry)  # converted (.html…): the producer's copy
        if facts is not None:
            entry["metrics"] = facts.metrics
            if facts.curves:
                entry["curves"] = {"schema_version": CURVES_VERSION, "series": facts.curves}
            entry["artifacts"] = [self._artifact(item) for item in facts.artifacts]
            if info.status == "failed":
                entry["error"] = facts.error
        if info.status != "skipped":
            seconds = duration if duration is not None else (facts.duration_s if facts else None)
            entry["duration_s"] = None if seconds is None else round(seconds, 3)
            entry["produced_by"] = self.run_id

    def _stored_notebook(self, info: TaskInfo, entry: TaskRecord) -> tuple[str, int | None]:
        """The executed notebook in the store (the product itself, or the kept copy):
        its digest and size."""
        assert info.notebook_key is not None and info.notebook_file is not None
        if info.notebook_file == info.products.get(info.notebook_key):
            stored = entry["products"].get(info.notebook_key)
            if stored is not None and stored["hash"]:
                return stored["hash"], stored.get("size")
        return self._store(info.notebook_file)

    def _link_notebook(self, info: TaskInfo, stored: tuple[str, int | None]) -> FileRecord:
        """Link the output notebook into the run folder (secret parameters redacted)."""
        (digest, size), redacted = stored, False
        clean = None
        if needs_redaction(info.params):
            clean = redact_notebook(self.store.read_bytes(digest), info.params)
        if clean is not None:
            result = self.store.put_bytes(clean)
            if result.added:
                self.objects_added += 1
                self.bytes_added += result.size
            digest, size, redacted = result.digest, result.size, True
        target = Path("notebooks") / f"{info.name}.ipynb"
        self.store.materialize(digest, self.project.run_dir(self.run_id) / target)
        return {"path": target.as_posix(), "hash": digest, "size": size, "redacted": redacted}

    def _reuse_notebook(self, info: TaskInfo, entry: TaskRecord) -> None:
        """A reused task whose product is not the notebook: link the producer's notebook.

        Its metrics and artifacts come from the producer's record too (the
        converted product holds no nbops records to read again).
        """
        old = self._task_in(entry.get("produced_by"), info.name)
        notebook = None if old is None else old["notebook"]
        if old is None or not notebook or not notebook["hash"]:
            return
        target = Path("notebooks") / f"{info.name}.ipynb"
        try:
            self.store.materialize(notebook["hash"], self.project.run_dir(self.run_id) / target)
        except NbopsError as exc:  # collected by `nbops gc`: the run keeps the rest
            logger.warning("nbops: the notebook of reused task %s is not in the store (%s)",
                           info.name, exc)
            return
        entry["notebook"] = {**notebook, "path": target.as_posix()}
        entry["metrics"] = dict(old["metrics"])
        if "curves" in old:
            entry["curves"] = old["curves"]
        entry["artifacts"] = list(old["artifacts"])

    def _task_in(self, run_id: str | None, task: str) -> TaskRecord | None:
        """``task`` as run ``run_id`` recorded it: that run's manifest alone is read (not
        every run since, which a series of no-op builds made one more each time)."""
        if run_id is None or run_id >= self.run_id:
            return None
        if run_id not in self._named:
            self._named[run_id] = next(
                (m for m in self._previous if m["run_id"] == run_id), None) or \
                self._read_run(run_id)
        manifest = self._named[run_id]
        return None if manifest is None else manifest["tasks"].get(task)

    def _read_run(self, run_id: str) -> Manifest | None:
        path = self.project.manifest_path(run_id)
        if not path.is_file():
            return None  # collected by `nbops gc`: the run keeps the rest
        try:
            return read_sealed_manifest(path)
        except NbopsError as exc:
            logger.warning("nbops: skipping unreadable run %s (%s)", run_id, exc)
            return None

    def _artifact(self, item: FileRecord) -> FileRecord:
        path = self.project.absolute(item["path"])
        if not path.is_file():
            return {**item, "path": self.project.relative(path)}
        digest, _ = self.cache.hash(path)
        if item["hash"] is not None and digest != item["hash"]:
            logger.warning("nbops: artifact %s changed after it was logged; keeping the logged "
                           "hash and not storing the new content", path)
            return {**item, "path": self.project.relative(path)}
        return self._put(path)

    def _previous_manifests(self) -> Iterator[Manifest]:
        """The earlier runs' manifests, newest first, each read (and its seal checked) only
        when a task's producer was not found in the newer ones: the run before usually
        answers every task, and the other 49 are never read."""
        if self._unread is None:
            earlier = [r for r in index.run_ids_on_disk(self.project) if r < self.run_id]
            self._unread = list(reversed(earlier[-_LOOKBACK:]))
        yield from self._previous
        while self._unread:
            run_id = self._unread.pop(0)
            try:
                manifest = read_sealed_manifest(self.project.manifest_path(run_id))
            except NbopsError as exc:
                logger.warning("nbops: skipping unreadable run %s (%s)", run_id, exc)
                continue
            self._previous.append(manifest)
            yield manifest

    def _producer(self, task: str, entry: TaskRecord) -> str | None:
        fingerprint = {k: v["hash"] for k, v in entry["products"].items()}
        for manifest in self._previous_manifests():
            old = manifest["tasks"].get(task)
            if old is None or old["status"] not in ("executed", "skipped"):
                continue
            if {k: v["hash"] for k, v in old["products"].items()} != fingerprint:
                continue
            producer = manifest["run_id"] if old["status"] == "executed" else old["produced_by"]
            return None if producer is None else str(producer)
        return None
