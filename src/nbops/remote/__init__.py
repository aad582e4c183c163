"""The team remote: object storage shared by every clone, CI machine and Dask worker.

    _config     which remote a project uses (.nbops/remote.yaml or $NBOPS_REMOTE), set_remote
    _store      RemoteStore: content-addressed objects + conditional writes, over fsspec
    _index      the remote's run index document (runs/index.json)
    _objects    fetch objects into the local content store on demand, verified
    _lease      a lease with expiry on the remote (who may change the shared registry)
    _team_key   the team key kept outside the bucket, and the HMAC it signs the registry with
    _run_signature  the team key's signature beside each pushed run (runs/<id>/signature.json)

Pushing and pulling runs (which needs the run ledger) lives one layer up, in
:mod:`nbops.sync`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.remote._config import (
        REMOTE_ENV,
        REMOTE_RELPATH,
        auto_push_enabled,
        check_conditional_writes,
        check_url,
        configured_url,
        redact_url,
        require_url,
        set_remote,
    )
    from nbops.remote._index import INDEX_KEY, Entry, add_entries, read_index
    from nbops.remote._lease import RemoteLease
    from nbops.remote._objects import download_objects, fetch_for
    from nbops.remote._run_signature import SIGNATURE_NAME as RUN_SIGNATURE_NAME
    from nbops.remote._run_signature import (
        RunDigests,
        SignatureRefused,
        check_run_signature,
        run_signature,
    )
    from nbops.remote._store import RemoteStore, open_remote
    from nbops.remote._team_key import (
        KEY_ENV,
        key_id,
        mac,
        mac_matches,
        no_key_fix,
        signature_of,
        store_team_key,
        team_key,
    )

__all__ = [
    "Entry", "INDEX_KEY", "KEY_ENV", "REMOTE_ENV", "REMOTE_RELPATH", "RUN_SIGNATURE_NAME",
    "RemoteLease", "RemoteStore", "RunDigests", "SignatureRefused", "add_entries",
    "auto_push_enabled", "check_conditional_writes", "check_run_signature", "check_url",
    "configured_url", "download_objects", "fetch_for", "key_id", "mac", "mac_matches",
    "no_key_fix", "open_remote", "read_index", "redact_url", "require_url", "run_signature",
    "set_remote", "signature_of", "store_team_key", "team_key",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_config": (
            "REMOTE_ENV", "REMOTE_RELPATH", "auto_push_enabled", "check_conditional_writes",
            "check_url", "configured_url", "redact_url", "require_url", "set_remote",
        ),
        "_index": ("Entry", "INDEX_KEY", "add_entries", "read_index"),
        "_lease": ("RemoteLease",),
        "_objects": ("download_objects", "fetch_for"),
        "_run_signature": ("RUN_SIGNATURE_NAME=SIGNATURE_NAME", "RunDigests", "SignatureRefused",
                           "check_run_signature", "run_signature"),
        "_store": ("RemoteStore", "open_remote"),
        "_team_key": ("KEY_ENV", "key_id", "mac", "mac_matches", "no_key_fix", "signature_of",
                      "store_team_key", "team_key"),
    })
