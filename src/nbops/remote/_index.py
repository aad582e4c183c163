"""The remote's run index: ``runs/index.json``, one entry per visible run.

``nbops runs --remote`` reads this one object (never a bucket listing), and a
run is visible on the remote exactly when it has an entry here. Entries are
added with conditional writes (:meth:`RemoteStore.update`), so two machines
pushing at once both land.

Document: ``{"schema_version": 1, "runs": {RUN_ID: {…the run's summary line…,
"manifest_hash", "contents_hash", "pushed_at", "pushed_from"}}}``.
"""

from __future__ import annotations

import json

from nbops.contracts import REMOTE_INDEX, RunSummary
from nbops.core import RemoteError
from nbops.remote._store import RemoteStore

INDEX_KEY = "runs/index.json"


class Entry(RunSummary, total=False):
    """A run visible on the remote: its summary line and what its push recorded."""

    manifest_hash: str
    contents_hash: str
    pushed_at: str
    pushed_from: str


def _parse(data: bytes | None, remote: RemoteStore) -> dict[str, Entry]:
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        raise RemoteError(f"{INDEX_KEY} on remote {remote.label} is not valid JSON",
                          "restore it from the bucket's versioning, or delete it and push "
                          "every run again (objects already there are not re-uploaded)") from None
    if isinstance(doc, dict) and "schema_version" in doc:  # none at all: not ours (below)
        doc = REMOTE_INDEX.upgrade(doc, f"{INDEX_KEY} on remote {remote.label}")
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or not isinstance(
            doc.get("runs"), dict):
        raise RemoteError(f"{INDEX_KEY} on remote {remote.label} is not an nbops run index",
                          "check the remote URL; delete the file and push again if it is ours")
    runs: dict[str, Entry] = doc["runs"]
    return runs


def read_index(remote: RemoteStore) -> dict[str, Entry]:
    """Every visible run on the remote: ``{run_id: entry}``."""
    return _parse(remote.get_bytes(INDEX_KEY), remote)


def _dump(runs: dict[str, Entry]) -> bytes:
    ordered = {run_id: runs[run_id] for run_id in sorted(runs)}
    return json.dumps({"schema_version": 1, "runs": ordered}, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def add_entries(remote: RemoteStore, entries: dict[str, Entry]) -> None:
    """Make ``entries`` visible (replacing older entries of the same runs), race-free."""
    if not entries:
        return

    def change(current: bytes | None) -> bytes | None:
        runs = _parse(current, remote)
        if all(runs.get(run_id) == entry for run_id, entry in entries.items()):
            return None
        runs.update(entries)
        return _dump(runs)

    remote.update(INDEX_KEY, change)
