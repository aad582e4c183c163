"""Tamper evidence for the registry: ``.nbops/registry/models.seal.json``.

``models.json`` is meant to be read (and committed) by people, so a hand edit
is easy: a champion's metric changed, an alias moved without a history entry
that says so, ``trusted_types`` widened. Every registry write records the
blake3 digest of the file it wrote in ``models.seal.json`` (commit it with
``models.json``); every read compares the file with it, and ``nbops verify``
reports a mismatch.

Crash safety: the seal is written *before* the registry is replaced and names
both the new digest and the previous one, so a write interrupted between the
two files leaves the old registry, which the seal still accepts.

The seal is evidence, not a signature: someone who can write both files can
forge both (see docs/ledger.md, threat model). A registry without a seal (an
older project) is accepted and sealed by its next write.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbops.contracts import REGISTRY_SEAL
from nbops.core import atomic_write_json, hash_bytes, is_hash, utc_now_iso

SEAL_NAME = "models.seal.json"


def seal_path(registry: Path) -> Path:
    """The seal next to the registry file ``registry``."""
    return Path(registry).parent / SEAL_NAME


def problem(registry: Path, data: bytes) -> str | None:
    """Why ``data`` (the bytes of ``registry``) is not what nbops last wrote, or None."""
    path = seal_path(registry)
    try:
        seal = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None  # never sealed (an older project): sealed by its next write
    except ValueError:
        return f"its seal {path.name} is not valid JSON"
    if isinstance(seal, dict) and "schema_version" in seal:  # a later nbops's: RegistryError
        seal = REGISTRY_SEAL.upgrade(seal, path)
    accepted = _accepted(seal)
    if not accepted:
        return f"its seal {path.name} is invalid (no registry_hash)"
    if hash_bytes(data) not in accepted:
        return (f"{Path(registry).name} was modified outside nbops (its hash no longer "
                f"matches {path.name})")
    return None


def _accepted(seal: object) -> set[str]:
    if not isinstance(seal, dict) or seal.get("schema_version") != 1:
        return set()
    hashes = {seal.get("registry_hash"), seal.get("previous_hash")}
    return {h for h in hashes if isinstance(h, str) and is_hash(h)}


def write(registry: Path, new: bytes, previous: bytes | None) -> None:
    """Seal ``new`` (about to replace ``registry``), still accepting ``previous``."""
    atomic_write_json(seal_path(registry), {
        "schema_version": 1,
        "registry_hash": hash_bytes(new),
        "previous_hash": hash_bytes(previous) if previous is not None else None,
        "written_at": utc_now_iso(),
    })
