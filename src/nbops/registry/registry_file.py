"""The registry file: ``.nbops/registry/models.json``.

One human-readable JSON document (safe to commit to git) holding every named
model, its versions, its aliases and the append-only history of alias moves.
It carries ``schema_version`` and is checked against the shipped JSON Schema
plus a few rules a schema cannot express (version numbers, aliases pointing
at existing versions, an unbroken history) on every read and every write.

Writers go through :func:`transaction`: an exclusive lock on
``.nbops/registry.lock`` (so two concurrent promotions serialise), a fresh
read, the change, validation, then an atomic replace (:mod:`nbops.core.atomic`:
temp file, fsync, ``os.replace``, fsync of the folder). A crash at any point leaves either the
old file or the new one, never a half-written or dangling one.

With a team remote (``.nbops/remote.yaml`` or ``$NBOPS_REMOTE``) the remote's
``registry/models.json`` is the source of truth (see ARCHITECTURE.md): reads
refresh the local file from it (falling back to the local copy, with a
warning, when the remote is unreachable), and :func:`transaction` holds a
lease on the remote, reads the remote document, and replaces it with a
conditional write (``If-Match`` on the version read) before writing the local
mirror, so two machines never lose each other's update.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nbops.core.atomic import atomic_write_json
from nbops.core.errors import RegistryError
from nbops.core.faults import crash_point
from nbops.core.locks import ProjectLock
from nbops.core.schema import schema_errors

SCHEMA_VERSION = 1
REGISTRY_RELPATH = Path(".nbops") / "registry" / "models.json"
LOCK_RELPATH = Path(".nbops") / "registry.lock"

logger = logging.getLogger("nbops")

Registry = dict[str, Any]


def registry_path(root: Path) -> Path:
    """Return the registry file of the project rooted at ``root``."""
    return Path(root) / REGISTRY_RELPATH


def empty_registry() -> Registry:
    """Return a registry with no models."""
    return {"schema_version": SCHEMA_VERSION, "models": {}}


SCHEMA_NAME = "registry"  # nbops/core/schemas/registry.schema.json
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def validate(data: Registry, where: str = "the registry") -> None:
    """Check ``data`` against the schema and the registry's own rules.

    Raises:
        RegistryError: naming the first problem found and how to fix it.
    """
    if isinstance(data, dict) and data.get("schema_version") not in (None, SCHEMA_VERSION):
        raise RegistryError(
            f"{where} has schema_version {data.get('schema_version')!r}, this nbops reads "
            f"version {SCHEMA_VERSION}",
            "upgrade nbops to the version that wrote it",
        )
    errors = schema_errors(data, SCHEMA_NAME)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RegistryError(
            f"{where} does not match the registry schema: {errors[0]}{more}",
            "restore models.json from git (git checkout -- .nbops/registry/models.json)",
        )
    for name, model in data["models"].items():
        _check_model(name, model, where)


def _check_model(name: str, model: dict[str, Any], where: str) -> None:
    bad = [n for n in (name, *model["aliases"]) if not _NAME.match(n)]
    if bad:
        raise RegistryError(
            f"{where}: {bad[0]!r} is not a valid model or alias name",
            "use a letter then letters, digits, '_', '.' or '-' (at most 64)",
        )
    numbers = [v["version"] for v in model["versions"]]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RegistryError(
            f"{where}: model {name!r} has versions {numbers}, expected 1..{len(numbers)} in order",
            "restore models.json from git",
        )
    for alias, version in model["aliases"].items():
        if version not in numbers:
            raise RegistryError(
                f"{where}: alias {name}@{alias} points to version {version}, which does not exist",
                "restore models.json from git or move the alias with nbops promote",
            )
    current: dict[str, int | None] = {}
    for move in model["history"]:
        before = current.get(move["alias"])
        if move["from"] != before:
            raise RegistryError(
                f"{where}: the history of {name}@{move['alias']} is broken (a move from "
                f"{move['from']} follows one to {before})",
                "restore models.json from git",
            )
        current[move["alias"]] = move["to"]
    live = {alias: v for alias, v in current.items() if v is not None}
    if live != model["aliases"]:
        raise RegistryError(
            f"{where}: aliases of {name!r} {model['aliases']} disagree with their history {live}",
            "restore models.json from git",
        )


def _remote(root: Path) -> Any:
    """The project's :class:`~nbops.remote.store.RemoteStore`, or None without a remote."""
    from nbops.core.project import Project
    from nbops.remote.config import configured_url

    url = configured_url(Project(Path(root)))
    if url is None:
        return None
    from nbops.remote.store import open_remote

    return open_remote(url)


REMOTE_KEY = "registry/models.json"
REMOTE_LEASE = "registry/lease.json"


def _parse(text: str | bytes, where: str) -> Registry:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{where} is not valid JSON (line {exc.lineno}: {exc.msg})",
            "restore it from git (git checkout -- .nbops/registry/models.json)",
        ) from exc
    validate(data, where=where)
    result: Registry = data
    return result


def _refresh_from_remote(root: Path) -> None:
    """Copy the remote registry over the local mirror when they differ (best effort)."""
    from nbops.core.errors import NbopsError

    try:
        remote = _remote(root)
        if remote is None:
            return
        data = remote.get_bytes(REMOTE_KEY)
    except NbopsError as exc:
        logger.warning("nbops: reading the registry from the local copy: the remote's could "
                       "not be read (%s)", exc)
        return
    if data is None:
        return
    where = f"{REMOTE_KEY} on remote {remote.label}"
    doc = _parse(data, where)
    path = registry_path(root)
    try:
        if json.loads(path.read_text(encoding="utf-8")) == doc:
            return
    except (FileNotFoundError, ValueError):
        pass
    atomic_write_json(path, doc)


def read(root: Path) -> Registry:
    """Read and validate the registry; a project without one has an empty registry."""
    _refresh_from_remote(Path(root))
    return read_local(root)


def read_local(root: Path) -> Registry:
    """Read and validate the local registry file only."""
    path = registry_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty_registry()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})",
            "restore it from git (git checkout -- .nbops/registry/models.json)",
        ) from exc
    validate(data, where=str(path))
    return data


@contextmanager
def transaction(root: Path, timeout_s: float = 30.0) -> Iterator[Registry]:
    """Lock the registry, yield its current content, and write it back on success.

    The caller mutates the yielded dict in place. Nothing is written if the
    block raises, and the result is validated before it replaces the file.
    """
    root = Path(root)
    lock = root / LOCK_RELPATH
    lock.parent.mkdir(parents=True, exist_ok=True)
    with_lock = ProjectLock(lock, purpose="registry update")
    with_lock.acquire(timeout=timeout_s)
    try:
        remote = _remote(root)
        if remote is not None:
            with _remote_transaction(root, remote) as data:
                yield data
            return
        data = read_local(root)
        yield data
        validate(data, where="the updated registry")
        crash_point("registry.replacing")
        atomic_write_json(registry_path(root), data)
        crash_point("registry.replaced")
        logger.debug("registry written: %s", registry_path(root))
    finally:
        with_lock.release()


@contextmanager
def _remote_transaction(root: Path, remote: Any) -> Iterator[Registry]:
    """Lease, read, change, conditional write to the remote, then the local mirror."""
    from nbops.core.faults import crash_point
    from nbops.remote.lease import RemoteLease

    with RemoteLease(remote, REMOTE_LEASE, purpose="registry update"):
        crash_point("registry.lease_taken")
        current, version = remote.read_versioned(REMOTE_KEY)
        if current is None:  # first write to this remote: start from the committed file
            data = read_local(root)
        else:
            data = _parse(current, f"{REMOTE_KEY} on remote {remote.label}")
        yield data
        validate(data, where="the updated registry")
        from nbops.core.atomic import dumps_json

        if not remote.write_if(REMOTE_KEY, dumps_json(data).encode("utf-8"), version):
            raise RegistryError(
                f"The registry on remote {remote.label} was changed by another machine while "
                "this update held an expired lease; nothing was written",
                "run the command again (it will start from the current registry)",
            )
        crash_point("registry.remote_replaced")
        atomic_write_json(registry_path(root), data)
        logger.debug("registry written to %s and %s", remote.label, registry_path(root))
