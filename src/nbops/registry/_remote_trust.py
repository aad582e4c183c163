"""Whether the registry on the team remote may be believed (see docs/remote.md, trust model).

The remote document ``registry/models.json`` carries a ``signature``: the
HMAC-SHA256, under the team key (:mod:`nbops.remote._team_key`), of the
document without it, serialised canonically (sorted keys, no spaces). Every
read of the remote registry (a refresh before any command reads the registry,
and the start of every registry transaction) accepts the document only if

1. it is exactly what this machine already holds sealed (nothing new to trust), or
2. its signature verifies under this machine's team key, and it *extends* the
   registry this machine sealed: every version this machine has is there,
   unchanged, and every alias move of its history is there, in order (a remote
   file rolled back to an older signed copy, or rewritten, is refused, naming
   the version or move that differs).

The local mirror (``.nbops/registry/models.json``) stays unsigned and is
protected by its seal; a refused remote document is never written to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from nbops.core import RegistryError, RemoteError, dumps_json
from nbops.remote import key_id, mac_matches, no_key_fix, redact_url, signature_of, team_key

if TYPE_CHECKING:
    from nbops.contracts import JSONObject, JSONValue, RegistryDocument

SIGNATURE = "signature"

_RESTORE = ("nothing on this machine was changed; ask who can write the bucket what "
            "happened, then run `nbops remote restore-registry` on a machine whose registry "
            "is right")


def canonical(doc: Mapping[str, object]) -> bytes:
    """The bytes a signature covers: ``doc`` without its signature, keys sorted, compact."""
    body = {k: v for k, v in doc.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def require_key(url: str) -> None:
    """Refuse, before any work, to change the remote registry from a machine without the key.

    Raises:
        RemoteError: no team key for ``url`` on this machine (kind ``no-team-key``).
    """
    if team_key(url) is None:  # a RemoteError: a build's passing model is "not registered"
        raise RemoteError(
            f"the registry on remote {redact_url(url)} cannot be changed from this machine: "
            "it has no team key to sign it with", no_key_fix(url), kind="no-team-key")


def signed(doc: RegistryDocument, url: str) -> bytes:
    """``doc`` as the remote stores it: with the team key's signature.

    Raises:
        RegistryError: this machine has no team key for ``url`` (nothing is written).
    """
    key = team_key(url)
    if key is None:
        raise RegistryError(
            f"the registry on remote {redact_url(url)} cannot be changed from this machine: "
            "it has no team key to sign it with", no_key_fix(url))
    body = {k: v for k, v in doc.items() if k != SIGNATURE}
    return dumps_json({**body, SIGNATURE: signature_of(key, canonical(body))}).encode("utf-8")


def split(data: bytes, where: str) -> tuple[JSONObject, JSONValue]:
    """The document in ``data`` without its signature, and the signature (None: unsigned).

    Raises:
        RegistryError: not a JSON object.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(f"{where} is not valid JSON ({exc})", _RESTORE) from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{where} is not a JSON object", _RESTORE)
    signature = doc.pop(SIGNATURE, None)
    return doc, signature


def check_signature(doc: Mapping[str, object], signature: JSONValue, url: str,
                    where: str) -> None:
    """Refuse ``doc`` unless ``signature`` is the team key's HMAC of it.

    Raises:
        RegistryError: no key on this machine, no signature, another key's, or a wrong one.
    """
    key = team_key(url)
    if key is None:
        raise RegistryError(
            f"{where} cannot be verified: this machine has no team key, and without one "
            "anyone who can write the bucket could have written it", no_key_fix(url))
    if not isinstance(signature, dict) or "mac" not in signature:
        raise RegistryError(
            f"refusing {where}: it is not signed with the team key, so someone who can write "
            "the bucket but does not hold the key wrote it", _RESTORE)
    if signature.get("key_id") != key_id(key):
        raise RegistryError(
            f"refusing {where}: it is signed with another key (id {signature.get('key_id')!r}, "
            f"this machine's is {key_id(key)!r})",
            "if the team changed its key, set the new one with `nbops remote set URL --key KEY`; "
            f"otherwise {_RESTORE}")
    if not mac_matches(key, canonical(doc), signature.get("mac")):
        raise RegistryError(
            f"refusing {where}: its signature does not match its content, so it was changed "
            "by someone who does not hold the team key", _RESTORE)


def divergence(sealed: RegistryDocument, remote: RegistryDocument) -> str | None:
    """How ``remote`` fails to extend ``sealed`` (what this machine holds), or None."""
    for name, mine in sealed.get("models", {}).items():
        theirs = remote.get("models", {}).get(name)
        if theirs is None:
            return f"model {name} is missing there"
        for record in mine["versions"]:
            number = record["version"]
            if number > len(theirs["versions"]):
                return f"{name} version {number} is missing there (the file was rolled back)"
            if theirs["versions"][number - 1] != record:
                return f"{name} version {number} differs from the one this machine sealed"
        for index, move in enumerate(mine["history"]):
            if index >= len(theirs["history"]):
                return (f"the alias history of {name} ends at move {index} of the "
                        f"{len(mine['history'])} this machine sealed (the file was rolled back)")
            if theirs["history"][index] != move:
                return (f"move {index + 1} of {name}'s alias history ({move.get('alias')} -> "
                        f"version {move.get('to')}) differs from the one this machine sealed")
    return None


def check_extends(sealed: RegistryDocument | None, remote: RegistryDocument,
                  where: str) -> None:
    """Refuse ``remote`` unless it extends the registry this machine sealed.

    Raises:
        RegistryError: naming the first version or alias move that diverged.
    """
    if sealed is None:
        return
    problem = divergence(sealed, remote)
    if problem:
        raise RegistryError(f"refusing {where}: it does not extend the registry this machine "
                            f"sealed: {problem}", _RESTORE)
