"""Read and write run manifests, validated against ``schemas/manifest.schema.json``.

A manifest that does not parse or does not match its schema is never used:
:func:`read_manifest` raises :class:`~nbops.core.errors.IntegrityError`, and
:func:`write_manifest` refuses to write one (that would be an nbops bug).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from nbops.core.atomic import atomic_write_bytes, atomic_write_json, dumps_json
from nbops.core.errors import IntegrityError, LedgerError
from nbops.core.hashing import hash_bytes
from nbops.core.ids import utc_now_iso
from nbops.core.schema import schema_errors

SCHEMA_VERSION = 1
SCHEMA_NAME = "manifest"
SEAL_NAME = "seal.json"

Manifest = dict[str, Any]


def manifest_errors(manifest: Any) -> list[str]:
    """Every schema violation in ``manifest`` (empty when valid)."""
    return schema_errors(manifest, SCHEMA_NAME)


def read_manifest(path: Path) -> Manifest:
    """Load and validate the manifest at ``path``.

    Raises:
        LedgerError: the file does not exist.
        IntegrityError: it is truncated, not JSON, or violates the schema.
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
    errors = manifest_errors(data)
    if errors:
        raise IntegrityError(f"Manifest {path} does not match the manifest schema "
                             f"({errors[0]}{' …' if len(errors) > 1 else ''})",
                             "restore it from a backup or delete the run folder")
    manifest: Manifest = data
    return manifest


def seal_path(path: Path) -> Path:
    """The seal file next to the manifest at ``path``."""
    return Path(path).parent / SEAL_NAME


def write_manifest(path: Path, manifest: Manifest) -> str:
    """Validate ``manifest``, write it atomically to ``path`` and seal it.

    Returns:
        The digest of the bytes written (also recorded in ``seal.json``).
    """
    errors = manifest_errors(manifest)
    if errors:
        raise LedgerError(f"nbops produced an invalid manifest for {path}: {'; '.join(errors[:5])}",
                          "this is a bug in nbops; please report it with the message above")
    data = dumps_json(manifest).encode("utf-8")
    digest = hash_bytes(data)
    seal = {"schema_version": 1, "manifest_hash": digest, "written_at": utc_now_iso()}
    atomic_write_bytes(Path(path), data)
    atomic_write_json(seal_path(path), seal)
    return digest


def check_seal(path: Path) -> str | None:
    """Why the manifest at ``path`` does not match its seal, or None if it does."""
    try:
        seal = json.loads(seal_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{seal_path(path)} is missing"
    except ValueError:
        return f"{seal_path(path)} is not valid JSON"
    errors = schema_errors(seal, "seal")
    if errors:
        return f"{seal_path(path)} is invalid ({errors[0]})"
    actual = hash_bytes(Path(path).read_bytes())
    if actual != seal["manifest_hash"]:
        return f"{path} was modified outside nbops (its hash no longer matches seal.json)"
    return None


def read_sealed_manifest(path: Path) -> Manifest:
    """Load the manifest at ``path`` only if it matches its seal, then validate it.

    Every command that acts on a run reads it through here: a manifest edited
    outside nbops (a forged product path, a changed metric) is refused before
    anything trusts it. The bytes are read once, so what is checked is what is
    used.

    Raises:
        LedgerError: the manifest does not exist.
        IntegrityError: the seal is missing or does not match, or the manifest
            is corrupt or violates its schema.
    """
    path = Path(path)
    raw = _read_bytes(path)
    problem = _seal_problem(path, raw)
    if problem and "does not match" in problem:
        # A build writes the manifest and then its seal; a reader caught between
        # the two writes sees the new manifest with the old seal. Look again.
        time.sleep(0.05)
        raw = _read_bytes(path)
        problem = _seal_problem(path, raw)
    if problem:
        _parse(path, raw)  # a truncated or non-UTF-8 file is named as such first
        run = path.parent.name
        raise IntegrityError(f"Run {run} cannot be trusted: {problem}",
                             f"run `nbops verify {run}`; restore the run folder from a backup "
                             "or delete it")
    return _parse(path, raw)


def _seal_problem(path: Path, raw: bytes) -> str | None:
    """Why ``raw`` (the bytes of the manifest at ``path``) does not match its seal."""
    try:
        seal = json.loads(seal_path(path).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return f"its seal {seal_path(path).name} is missing"
    except ValueError:
        return f"its seal {seal_path(path).name} is not valid JSON"
    errors = schema_errors(seal, "seal")
    if errors:
        return f"its seal {seal_path(path).name} is invalid ({errors[0]})"
    if hash_bytes(raw) != seal["manifest_hash"]:
        return ("its manifest.json was modified outside nbops (the hash no longer "
                "matches seal.json)")
    return None
