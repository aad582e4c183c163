"""The team key's signature on each run pushed to the remote: ``runs/<id>/signature.json``.

A bucket writer can add a run whose manifest, seal, objects and index entry all agree;
hashes cannot tell it from a teammate's. ``nbops push`` on a machine with the team key
(:mod:`nbops.remote._team_key`) therefore stores beside each run it uploads the HMAC-SHA256,
under that key, of what the run *is* on the remote: its id and the digests of its
``manifest.json`` and ``seal.json`` bytes (the manifest names every object by hash) and of
its ``contents.json`` (which names every other file of the run folder). The MAC is made by
:func:`nbops.remote._team_key.signature_of`, the code path the remote registry is signed
with; only the key's id is stored next to it.

``nbops pull`` calls :func:`check_run_signature`: a signature that does not match, or one
made with another key, refuses the run; a run without one, or any run on a machine without
the key, is *unverified*: pulled, but recorded as such (:mod:`nbops.runs._pulled`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nbops.contracts import RUN_SIGNATURE
from nbops.core import IntegrityError, schema_errors
from nbops.remote._config import redact_url
from nbops.remote._team_key import key_id, mac_matches, signature_of, team_key

SIGNATURE_NAME = "signature.json"
NOT_SIGNED = "it carries no team-key signature (pushed before runs were signed, or by a " \
    "machine without the team key, or written straight into the bucket)"
NO_KEY = "this machine has no team key to check its signature with"


class SignatureRefused(IntegrityError):
    """A run's signature on the remote is not the team key's signature of what is there."""


@dataclass(frozen=True)
class RunDigests:
    """What a run's signature covers: its id and the blake3 digests of three files as pushed."""

    run_id: str
    manifest_hash: str
    seal_hash: str
    contents_hash: str

    def message(self) -> bytes:
        """The bytes the MAC is made of (canonical JSON: keys sorted, compact)."""
        return json.dumps({"run_id": self.run_id, "manifest_hash": self.manifest_hash,
                           "seal_hash": self.seal_hash, "contents_hash": self.contents_hash},
                          sort_keys=True, separators=(",", ":")).encode("utf-8")


def run_signature(url: str, digests: RunDigests) -> bytes | None:
    """The ``signature.json`` of a run pushed to ``url``; None when this machine has no key."""
    key = team_key(url)
    if key is None:
        return None
    document = {"schema_version": 1, **signature_of(key, digests.message())}
    errors = schema_errors(document, "run_signature")
    assert not errors, errors  # what we write is what every reader checks
    return json.dumps(document, sort_keys=True).encode("utf-8")


def check_run_signature(url: str, digests: RunDigests, data: bytes | None) -> str | None:
    """Whether ``data`` (the run's ``signature.json``, None when absent) signs ``digests``.

    Returns:
        None when the signature verifies under this machine's team key; otherwise why the
        run is unverified (it has no signature, or this machine has no key).

    Raises:
        SignatureRefused: a signature made with another key, one that does not match the
            run as it is on the remote, or a file that is not a signature at all.
    """
    if data is None:
        return NOT_SIGNED
    key = team_key(url)
    if key is None:
        return NO_KEY
    run, remote = digests.run_id, redact_url(url)
    resign = (f"ask who can write the bucket what happened, then run `nbops push {run} "
              "--repair` on a machine that has the run and the team key, and pull again")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        document = None
    try:  # a later nbops's signature is refused as newer (a push re-signs it, as before)
        if isinstance(document, dict) and "schema_version" in document:
            document = RUN_SIGNATURE.upgrade(document, f"Run {run} on remote {remote}: its "
                                                       f"{SIGNATURE_NAME}")
    except IntegrityError as exc:
        raise SignatureRefused(exc.problem, exc.fix) from None
    if schema_errors(document, "run_signature"):
        raise SignatureRefused(f"Run {run} on remote {remote} was not pulled: its "
                               f"{SIGNATURE_NAME} is not a signature nbops wrote", resign)
    if document["key_id"] != key_id(key):
        raise SignatureRefused(
            f"Run {run} on remote {remote} was not pulled: it is signed with another team key "
            f"(id {document['key_id']}, this machine's is {key_id(key)})",
            "if the team changed its key, set the new one with `nbops remote set URL --key "
            f"KEY`; otherwise {resign}")
    if not mac_matches(key, digests.message(), document["mac"]):
        raise SignatureRefused(
            f"Run {run} on remote {remote} was not pulled: its manifest, seal or contents "
            "list no longer match the team key's signature, so someone without the key "
            "changed it after it was pushed", resign)
    return None
