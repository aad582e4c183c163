"""Read and write run manifests, validated against ``nbops/core/schemas/manifest.schema.json``.

A manifest that does not parse or does not match its schema is never used:
:func:`read_manifest` raises :class:`~nbops.core._errors.IntegrityError`, and
:func:`write_manifest` refuses to write one (that would be an nbops bug). Reading goes
through the manifest's :class:`~nbops.contracts.Format` (``MANIFEST_FILE``): an older
manifest is upgraded in memory (the seal is checked against the bytes on disk first, and
nothing is written back), a newer one is refused in one sentence. ``seal.json`` likewise
(``SEAL_FILE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from nbops.contracts._formats import MANIFEST_FILE, SEAL_FILE
from nbops.contracts._run_record import Manifest
from nbops.core import (
    IntegrityError,
    LedgerError,
    atomic_write_bytes,
    atomic_write_json,
    crash_point,
    dumps_json,
    hash_bytes,
    schema_errors,
    utc_now_iso,
)

SCHEMA_VERSION = MANIFEST_FILE.version
SCHEMA_NAME = "manifest"
SEAL_NAME = "seal.json"


def manifest_errors(manifest: object) -> list[str]:
    """Every schema violation in ``manifest`` (empty when valid)."""
    return schema_errors(manifest, SCHEMA_NAME)


def is_manifest(value: object) -> TypeGuard[Manifest]:
    """Whether ``value`` is a valid manifest (its schema is what makes it a :class:`Manifest`)."""
    return not manifest_errors(value)


def read_manifest(path: Path) -> Manifest:
    """Load and validate the manifest at ``path`` (no seal check: see :func:`read_sealed_manifest`).

    Raises:
        LedgerError: the file does not exist.
        IntegrityError: it is truncated, not UTF-8, not JSON, or violates the schema.
    """
    path = Path(path)
    return _parse(path, _read_bytes(path))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LedgerError(f"No manifest at {path}",
                          "check the run id with `nbops runs`") from None


def _parse(path: Path, raw: bytes) -> Manifest:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntegrityError(f"Manifest {path} is corrupt (byte {exc.start} is not UTF-8); it "
                             "was damaged or edited outside nbops",
                             "restore it from a backup or delete the run folder") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise IntegrityError(f"Manifest {path} is not valid JSON ({exc}); it was truncated "
                             "or edited", "restore it from a backup or delete the run folder"
                             ) from None
    data = MANIFEST_FILE.upgrade(data, f"Manifest {path}")
    errors = manifest_errors(data)
    if errors:
        raise IntegrityError(f"Manifest {path} does not match the manifest schema "
                             f"({errors[0]}{' …' if len(errors) > 1 else ''})",
                             "restore it from a backup or delete the run folder")
    manifest: Manifest = data  # json.loads gives Any: the schema check above makes it one
    return manifest


def read_sealed_manifest(path: Path) -> Manifest:
    """Load the manifest at ``path`` only if nbops wrote it (its seal agrees), then validate it.

    Every command that acts on a run reads it through here: a manifest edited
    outside nbops (a forged product path, a changed metric) is refused before
    anything trusts it. A manifest left by an interrupted write (the sealed
    previous version) is one nbops wrote, and passes. The bytes are read once,
    so what is checked is what is used.

    Raises:
        LedgerError: the manifest does not exist.
        IntegrityError: the seal is missing or does not match, or the manifest
            is corrupt or violates its schema.
    """
    path = Path(path)
    raw = _read_bytes(path)
    state = _state(path, hash_bytes(raw))
    if state.kind == "tampered":
        _parse(path, raw)  # a truncated or non-UTF-8 file is named as such first
        run = path.parent.name
        raise IntegrityError(f"Run {run} cannot be trusted: {state.problem}",
                             f"run `nbops verify {run}`; restore the run folder from a backup "
                             "or delete it")
    return _parse(path, raw)


def seal_path(path: Path) -> Path:
    """The seal file next to the manifest at ``path``."""
    return Path(path).parent / SEAL_NAME


def write_manifest(path: Path, manifest: Manifest, previous_hash: str | None = None,
                   validate: bool = True) -> str:
    """Validate ``manifest``, seal it, then write it atomically to ``path``.

    The seal is written first and names both the digest of the bytes about to
    be written and ``previous_hash``, the digest of the version they replace.
    A crash between the two writes therefore leaves a manifest that matches
    the seal's ``previous_hash``: an interrupted write (the previous genuine
    version), never something that looks forged (see :func:`seal_state`).
    The bytes sealed are the bytes of ``manifest`` serialised here, never
    whatever is on disk. ``validate=False`` skips the whole-manifest schema
    check, for a caller that validated the only part it changed (a feature
    section, against that section's own schema).

    Returns:
        The digest of the bytes written (also recorded in ``seal.json``).
    """
    errors = manifest_errors(manifest) if validate else []
    if errors:
        raise LedgerError(f"nbops produced an invalid manifest for {path}: {'; '.join(errors[:5])}",
                          "this is a bug in nbops; please report it with the message above")
    data = dumps_json(manifest).encode("utf-8")
    digest = hash_bytes(data)
    seal: dict[str, object] = {"schema_version": SEAL_FILE.version, "manifest_hash": digest,
                               "written_at": utc_now_iso()}
    if previous_hash is not None and previous_hash != digest:
        seal["previous_hash"] = previous_hash
    atomic_write_json(seal_path(path), seal)
    crash_point("manifest.seal_written")
    atomic_write_bytes(Path(path), data)
    crash_point("manifest.replaced")
    return digest


@dataclass(frozen=True)
class SealState:
    """How a manifest on disk relates to its seal.

    ``kind`` is ``"ok"`` (it matches), ``"interrupted"`` (an nbops write was
    cut short: the manifest is the genuine previous version, or the seal was
    written before the run's first manifest), or ``"tampered"`` (it matches
    nothing nbops wrote, or the seal itself is missing or broken).
    ``digest`` is the digest of the manifest's bytes (None when there are none).
    """

    kind: str
    problem: str | None = None
    digest: str | None = None


def seal_state(path: Path) -> SealState:
    """Compare the manifest at ``path`` with its seal (see :class:`SealState`)."""
    path = Path(path)
    try:
        actual: str | None = hash_bytes(path.read_bytes())
    except FileNotFoundError:
        actual = None
    return _state(path, actual)


def _state(path: Path, actual: str | None) -> SealState:
    """The seal state of a manifest whose bytes hash to ``actual`` (None: no file)."""
    try:
        seal = json.loads(seal_path(path).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        if actual is None:
            return SealState("interrupted", f"{path} and its seal were never written")
        return SealState("tampered", f"{seal_path(path)} is missing", actual)
    except ValueError:
        return SealState("tampered", f"{seal_path(path)} is not valid JSON", actual)
    seal = SEAL_FILE.upgrade(seal, seal_path(path))
    errors = SEAL_FILE.errors(seal)
    if errors:
        return SealState("tampered", f"{seal_path(path)} is invalid ({errors[0]})", actual)
    if actual == seal["manifest_hash"]:
        return SealState("ok", None, actual)
    if actual == seal.get("previous_hash") or (actual is None and "previous_hash" not in seal):
        what = ("its first manifest was never written" if actual is None else
                "the manifest still holds the version before that write")
        return SealState("interrupted",
                         f"an nbops write to {path} was interrupted ({what})", actual)
    if actual is None:
        return SealState("tampered", f"{path} is missing", None)
    return SealState("tampered",
                     f"{path} was modified outside nbops (its hash no longer matches seal.json)",
                     actual)


def check_seal(path: Path) -> str | None:
    """Why the manifest at ``path`` is not what nbops wrote, or None if it is.

    A manifest left by an interrupted write is what nbops wrote (its previous
    version), so it passes; :func:`seal_state` tells the two apart.
    """
    state = seal_state(path)
    return state.problem if state.kind == "tampered" else None


def reseal(path: Path, digest: str) -> None:
    """After an interrupted write, seal the manifest version that survived it.

    Only for a manifest whose :func:`seal_state` is ``interrupted`` with this
    ``digest`` (the caller checked): the bytes are a version nbops itself wrote.
    """
    atomic_write_json(seal_path(path), {"schema_version": SEAL_FILE.version,
                                        "manifest_hash": digest, "written_at": utc_now_iso()})
