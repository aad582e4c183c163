"""The registry file: ``.nbops/registry/models.json``.

One human-readable JSON document (safe to commit to git) holding every named
model, its versions, its aliases and the append-only history of alias moves.
It carries ``schema_version`` and is checked against the shipped JSON Schema
plus a few rules a schema cannot express (version numbers, aliases pointing
at existing versions, an unbroken history) on every read and every write.

Writers go through :func:`transaction`: an exclusive lock on
``.nbops/registry.lock`` (so two concurrent promotions serialise), a fresh
read, the change, validation, then an atomic replace (:mod:`nbops.core._atomic`:
temp file, fsync, ``os.replace``, fsync of the folder). A crash at any point leaves either the
old file or the new one, never a half-written or dangling one. The file is
sealed (``models.seal.json``, :mod:`nbops.registry._seal`): an edit made outside
nbops is refused on read and reported by ``nbops verify``.

With a team remote (``.nbops/remote.yaml`` or ``$NBOPS_REMOTE``) the remote's
``registry/models.json`` is the source of truth (see ARCHITECTURE.md): reads
refresh the local file from it (falling back to the local copy, with a
warning, when the remote is unreachable), and :func:`transaction` holds a
lease on the remote, reads the remote document, and replaces it with a
conditional write (``If-Match`` on the version read) before writing the local
mirror, so two machines never lose each other's update. The remote document is
signed with the team key and believed only if it verifies and extends what this
machine sealed (:mod:`nbops.registry._remote_trust`); a refused one is never
mirrored, and never re-signed by a write.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from nbops.contracts import REGISTRY_FILE
from nbops.core import (
    ProjectLock,
    RegistryError,
    atomic_write_bytes,
    crash_point,
    dumps_json,
    schema_errors,
)
from nbops.registry import _remote_trust as trust
from nbops.registry import _seal as seal

if TYPE_CHECKING:
    from nbops.contracts import RegisteredModel, RegistryDocument
    from nbops.remote import RemoteStore

SCHEMA_VERSION = 1
REGISTRY_RELPATH = Path(".nbops") / "registry" / "models.json"
LOCK_RELPATH = Path(".nbops") / "registry.lock"

logger = logging.getLogger("nbops")


def registry_path(root: Path) -> Path:
    """Return the registry file of the project rooted at ``root``."""
    return Path(root) / REGISTRY_RELPATH


def empty_registry() -> RegistryDocument:
    """Return a registry with no models."""
    return {"schema_version": SCHEMA_VERSION, "models": {}}


SCHEMA_NAME = "registry"  # nbops/core/schemas/registry.schema.json
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def validate(data: object, where: str = "the registry") -> RegistryDocument:
    """Check ``data`` against the schema and the registry's own rules.

    Returns:
        ``data``, now known to be a registry.

    Raises:
        RegistryError: naming the first problem found and how to fix it.
    """
    data = REGISTRY_FILE.upgrade(data, where)  # older: upgraded in memory; newer: refused
    errors: list[str] = []
    if not _matches_schema(data, errors):
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RegistryError(
            f"{where} does not match the registry schema: {errors[0]}{more}",
            "restore models.json from git (git checkout -- .nbops/registry/models.json)",
        )
    for name, model in data["models"].items():
        _check_model(name, model, where)
    return data


def _matches_schema(data: object, errors: list[str]) -> TypeGuard[RegistryDocument]:
    """Whether ``data`` is a registry document, by the schema; adds each violation to
    ``errors`` (anything but a JSON object is one)."""
    errors.extend(schema_errors(data, SCHEMA_NAME))
    return not errors


def _check_model(name: str, model: RegisteredModel, where: str) -> None:
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


def _remote(root: Path) -> RemoteStore | None:
    """The project's :class:`~nbops.remote._store.RemoteStore`, or None without a remote."""
    from nbops.core import Project
    from nbops.remote import configured_url

    url = configured_url(Project(Path(root)))
    if url is None:
        return None
    from nbops.remote import open_remote

    return open_remote(url)


REMOTE_KEY = "registry/models.json"
REMOTE_LEASE = "registry/lease.json"


def _parse_remote(root: Path, remote: RemoteStore, data: bytes, where: str) -> RegistryDocument:
    """The remote registry in ``data``, if this machine may believe it (see _remote_trust).

    Raises:
        RegistryError: not signed with the team key, or not extending the registry this
            machine sealed (a forgery or a rollback), or invalid.
    """
    body, signature = trust.split(data, where)
    sealed = _sealed_or_none(root)
    if sealed is not None and body == sealed:
        return sealed  # what this machine already holds: nothing new to trust
    trust.check_signature(body, signature, remote.url, where)
    doc = validate(body, where=where)
    trust.check_extends(sealed, doc, where)
    return doc


def _sealed_or_none(root: Path) -> RegistryDocument | None:
    """The local registry if it is there and its seal accepts it, else None."""
    try:
        return read_local(root) if registry_path(root).is_file() else None
    except RegistryError:
        return None


_WARNED: set[tuple[str, str]] = set()


def _refresh_from_remote(root: Path) -> None:
    """Copy the remote registry over the local mirror when they differ (best effort)."""
    from nbops.core import NbopsError

    try:
        remote = _remote(root)
        if remote is None:
            return
        data = remote.get_bytes(REMOTE_KEY)
    except NbopsError as exc:
        said = (str(Path(root).resolve()), exc.problem)
        if said not in _WARNED:  # once per process: a build reads the registry several times
            _WARNED.add(said)
            logger.warning("nbops: reading the registry from the local copy: the remote's "
                           "could not be read (%s)", exc)
        return
    if data is None:
        return
    _mirror(root, _parse_remote(root, remote, data, f"{REMOTE_KEY} on remote {remote.label}"))


def _mirror(root: Path, doc: RegistryDocument) -> bool:
    """Write the remote's registry ``doc`` over the local mirror when they differ;
    returns whether it wrote."""
    from nbops.core import LockTimeout

    path = registry_path(root)
    new = dumps_json(doc).encode("utf-8")
    if _read_bytes(path) == new:
        return False
    lock = ProjectLock(Path(root) / LOCK_RELPATH, purpose="registry mirror")
    try:
        lock.acquire(timeout=5)
    except LockTimeout:
        return False  # a writer holds it and will write the mirror itself
    try:
        _write_sealed(path, new, _read_bytes(path))
    finally:
        lock.release()
    return True


def follow_remote(root: Path, seen: str | None) -> str | None:
    """Mirror the team remote's registry here if it changed since version ``seen``.

    One read of ``registry/models.json`` (a few KB; S3 returns its ETag with it); the
    document is parsed, validated and mirrored only when its version is not ``seen``.
    What a served model polls to follow promotions made on other machines.

    Returns:
        the version read (pass it back next time), or None without a remote or
        without a registry on it.

    Raises:
        NbopsError: the remote cannot be read, or its registry is invalid.
    """
    remote = _remote(Path(root))
    if remote is None:
        return None
    data, version = remote.read_versioned(REMOTE_KEY)
    if data is None or (version is not None and version == seen):
        return version
    where = f"{REMOTE_KEY} on remote {remote.label}"
    _mirror(Path(root), _parse_remote(Path(root), remote, data, where))
    return str(version) if version is not None else None


def _write_sealed(path: Path, new: bytes, previous: bytes | None) -> None:
    """Replace the registry file with ``new``, keeping its seal valid at every step.

    Seal first (accepting old and new), then replace, then seal only the new
    one: a crash between any two steps leaves a registry its seal accepts.
    """
    seal.write(path, new, previous)
    crash_point("registry.seal_widened")
    atomic_write_bytes(path, new)
    crash_point("registry.replaced")
    seal.write(path, new, None)
    crash_point("registry.sealed")


def read(root: Path) -> RegistryDocument:
    """Read, check against its seal and validate the registry (refreshed from the remote).

    A project without one has an empty registry.

    Raises:
        RegistryError: the file is corrupt, invalid, or was edited outside nbops.
    """
    _refresh_from_remote(Path(root))
    return read_local(root)


def read_local(root: Path) -> RegistryDocument:
    """Like :func:`read`, from the local file only (no remote consulted)."""
    path = registry_path(root)
    raw = _read_bytes(path)
    if raw is None:
        return empty_registry()
    return _parse(path, raw, check_seal=True)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _parse(path: Path, raw: bytes, check_seal: bool) -> RegistryDocument:
    restore = "restore it from git (git checkout -- .nbops/registry/)"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path} is corrupt (byte {exc.start} is not UTF-8)",
                            restore) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})", restore,
        ) from None
    # validate names a broken rule more precisely than the seal
    registry = validate(data, where=str(path))
    if check_seal:
        broken = seal.problem(path, raw)
        if broken:
            raise RegistryError(
                f"the model registry cannot be trusted: {broken}",
                "restore .nbops/registry/ from git; if the edit was deliberate, make it with "
                "nbops promote/rollback instead",
            )
    return registry


def seal_problem(root: Path) -> str | None:
    """Why the registry does not match its seal (for ``nbops verify``), or None."""
    path = registry_path(root)
    raw = _read_bytes(path)
    return None if raw is None else seal.problem(path, raw)


def remove_stray_temp_files(root: Path) -> list[Path]:
    """Delete ``.tmp-*`` files an interrupted registry write left (hold the registry lock)."""
    removed = []
    folder = registry_path(root).parent
    for leftover in folder.glob(".tmp-*") if folder.is_dir() else []:
        try:
            leftover.unlink()
        except FileNotFoundError:
            continue
        removed.append(leftover)
    if removed:
        logger.info("nbops: removed %d stray registry temp file(s)", len(removed))
    return removed


@contextmanager
def transaction(root: Path, timeout_s: float = 30.0) -> Iterator[RegistryDocument]:
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
        remove_stray_temp_files(root)  # no other writer runs: we hold the registry lock
        remote = _remote(root)
        if remote is not None:
            with _remote_transaction(root, remote) as data:
                yield data
            return
        path = registry_path(root)
        previous = _read_bytes(path)
        data = empty_registry() if previous is None else _parse(path, previous, check_seal=True)
        yield data
        validate(data, where="the updated registry")
        _write_sealed(path, dumps_json(data).encode("utf-8"), previous)
        logger.debug("registry written: %s", path)
    finally:
        with_lock.release()


@contextmanager
def _remote_transaction(root: Path, remote: RemoteStore) -> Iterator[RegistryDocument]:
    """Lease, read, change, conditional write to the remote, then the local mirror."""
    from nbops.remote import RemoteLease

    trust.require_key(remote.url)
    with RemoteLease(remote, REMOTE_LEASE, purpose="registry update"):
        crash_point("registry.lease_taken")
        current, version = remote.read_versioned(REMOTE_KEY)
        if current is None:  # first write to this remote: start from the committed file
            data = read_local(root)
        else:
            data = _parse_remote(root, remote, current, f"{REMOTE_KEY} on remote {remote.label}")
        yield data
        validate(data, where="the updated registry")
        new = dumps_json(data).encode("utf-8")
        if not remote.write_if(REMOTE_KEY, trust.signed(data, remote.url), version):
            raise RegistryError(
                f"The registry on remote {remote.label} was changed by another machine while "
                "this update held an expired lease; nothing was written",
                "run the command again (it will start from the current registry)",
            )
        crash_point("registry.remote_replaced")
        path = registry_path(root)
        _write_sealed(path, new, _read_bytes(path))
        logger.debug("registry written to %s and %s", remote.label, path)


def restore_remote(root: Path) -> str:
    """Put this machine's sealed registry on the remote, signed: the fix for a remote
    registry that was forged or rolled back.

    Returns:
        What was done, in one sentence.

    Raises:
        RegistryError: no remote, no team key, or no trustworthy local registry.
    """
    from nbops.core import ConfigError, NbopsError
    from nbops.remote import RemoteLease

    root = Path(root)
    remote = _remote(root)
    if remote is None:
        raise ConfigError("This project has no remote", "run `nbops remote set URL` first")
    trust.require_key(remote.url)
    local = read_local(root)
    if not local["models"]:
        raise RegistryError("this machine has no registry to restore the remote from",
                            "run the command on a machine that has the team's registry")
    lock = ProjectLock(Path(root) / LOCK_RELPATH, purpose="registry restore")
    lock.acquire(timeout=30)
    try:
        with RemoteLease(remote, REMOTE_LEASE, purpose="registry restore"):
            current, version = remote.read_versioned(REMOTE_KEY)
            if current is not None:
                try:
                    _parse_remote(root, remote, current, REMOTE_KEY)
                except NbopsError:
                    pass  # forged, rolled back or unreadable: replaced below
                else:
                    return (f"the registry on remote {remote.label} is signed and extends this "
                            "machine's; nothing to restore")
            if not remote.write_if(REMOTE_KEY, trust.signed(local, remote.url), version):
                raise RegistryError(f"the registry on remote {remote.label} changed while it "
                                    "was being restored; nothing was written",
                                    "run `nbops remote restore-registry` again")
    finally:
        lock.release()
    return (f"restored the registry on remote {remote.label} from this machine's copy "
            f"({sum(len(m['versions']) for m in local['models'].values())} version(s)), signed "
            "with the team key")


def share(root: Path, remote: RemoteStore) -> str:
    """Put this project's registry on ``remote`` when the remote has none yet.

    A registry made before the team remote was set lives only in the local
    file, and :func:`transaction` would have sent it up only with the next
    registry change: ``nbops push`` calls this so that a teammate's clone
    finds the champion right away. A remote that already has a registry is the
    source of truth and is left as it is (reads mirror it here).

    Returns:
        ``"published"`` (the local registry is now the remote's), ``"shared"``
        (the remote already had one), ``"diverged"`` (the remote has one, and
        this project has model files registered that it lacks: they are not
        merged) or ``"empty"`` (nothing registered here).
    """
    root = Path(root)
    current, _ = remote.read_versioned(REMOTE_KEY)
    local = read_local(root)
    if current is not None:
        theirs = _parse_remote(root, remote, current, f"{REMOTE_KEY} on remote {remote.label}")
        return "diverged" if _model_files(local) - _model_files(theirs) else "shared"
    if not local["models"]:
        return "empty"
    trust.require_key(remote.url)  # the team's registry is signed (docs/remote.md)
    # create-only: when another machine published first, its registry is the team's
    if not remote.write_if(REMOTE_KEY, trust.signed(local, remote.url), None):
        return "shared"
    logger.info("nbops: the registry of %s is now shared on %s", root, remote.label)
    return "published"


def _model_files(registry: RegistryDocument) -> set[tuple[str, str]]:
    return {(name, version["artifact"]["hash"]) for name, model in registry["models"].items()
            for version in model["versions"]}


def referenced_objects(registry: RegistryDocument) -> dict[str, str]:
    """Every store object the registry's versions name (digest -> what it is)."""
    found: dict[str, str] = {}
    for name, model in registry["models"].items():
        for version in model["versions"]:
            files = (("artifact", version["artifact"]),
                     ("training_data", version["training_data"]),
                     ("test_data", version.get("test_data")))
            for field, entry in files:
                if entry is not None and entry.get("hash"):
                    found.setdefault(entry["hash"],
                                     f"{field.replace('_', ' ')} of {name}:{version['version']}")
    return found
