"""The registry state a past run read, rebuilt in another project (a reproduction's copy).

A monitoring run scores with ``MODEL@champion`` and records which version that
was (``monitoring.champion``); today's champion may be another. To re-execute
the run, ``nbops reproduce`` asks :func:`restore_champion` for a registry in its
scratch copy where the alias points at that version again: the model's versions
up to it (registered versions never change), the alias moved once, sealed like
any registry, and the files they name (model, training and test data) copied
from this project's store (fetched from the team remote when missing here),
each re-hashed. The scratch copy's registry is local only: nothing is written
to the project's registry or to the remote.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbops.core import ContentStore, RegistryError, dumps_json, utc_now_iso
from nbops.registry import _registry_file as registry_file
from nbops.registry._artifacts import store_of

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion


def restore_champion(source: Path, target: Path, name: str, version: int,
                     alias: str = "champion", run_id: str | None = None) -> str:
    """Write ``target``'s registry so that ``name@alias`` is ``version``, as in ``source``.

    Returns:
        one sentence saying what was restored (for the reproduction's warnings).

    Raises:
        RegistryError: ``source`` has no such version, or one of its files is neither
            in the store nor on the team remote.
    """
    registry = registry_file.read(Path(source))
    model = registry["models"].get(name)
    versions = [v for v in (model["versions"] if model else []) if v["version"] <= version]
    if model is None or not versions or versions[-1]["version"] != version:
        raise RegistryError(
            f"the run read {name}:{version}, which this project's registry does not have",
            "pull the team's registry (any nbops registry command refreshes it) or restore "
            ".nbops/registry/ from git")
    record = versions[-1]
    _copy_objects(Path(source), Path(target), record, f"{name}:{version}")
    snapshot = {"schema_version": registry_file.SCHEMA_VERSION, "models": {name: {
        **{k: v for k, v in model.items() if k not in ("versions", "aliases", "history")},
        "versions": versions,
        "aliases": {alias: version},
        "history": [{"alias": alias, "from": None, "to": version, "at": utc_now_iso(),
                     "reason": f"restored by nbops reproduce for run {run_id}",
                     "by": {"run_id": run_id, "command": ["nbops", "reproduce"], "user": None},
                     "action": "promote"}],
    }}}
    registry_file.validate(snapshot, where="the restored registry")
    path = registry_file.registry_path(Path(target))
    path.parent.mkdir(parents=True, exist_ok=True)
    registry_file._write_sealed(path, dumps_json(snapshot).encode("utf-8"), None)
    return f"{name}@{alias} restored to version {version}, the version the run read"


def _copy_objects(source: Path, target: Path, record: ModelVersion, label: str) -> None:
    from nbops.registry._artifacts import verified_path

    verified_path(source, record, label)  # the model, fetched from the remote if needed
    store, scratch = store_of(source), ContentStore(Path(target) / ".nbops" / "store")
    for entry in (record["artifact"], record["training_data"], record.get("test_data")):
        if entry is None or not entry.get("hash"):
            continue
        digest = entry["hash"]
        if not store.has(digest):
            from nbops.core import RemoteError
            from nbops.remote import fetch_for

            try:
                fetch_for(source, digest, label)
            except RemoteError as exc:
                raise RegistryError(exc.problem, exc.fix) from None
        store.verify(digest)
        scratch.put_file(store.path_for(digest), digest)
