"""``az://`` remotes: conditional writes on Azure Blob Storage, through adlfs's own client.

adlfs (the fsspec implementation the ``azure`` extra installs) moves the
immutable objects. The mutable documents (run index, registry, lease) need what
fsspec does not expose: the ETag of the exact bytes read, and a write that
succeeds only if the blob is still at that ETag. Both go through the
``azure.storage.blob.aio`` service client adlfs already opened (so credentials
are adlfs's, read from the standard ``AZURE_STORAGE_*`` variables):

* read: one ``download_blob`` returns the content and the ETag of that same
  version (no separate HEAD that could see a newer one);
* replace: ``upload_blob(overwrite=True, etag=E, match_condition=IfNotModified)``
  = ``If-Match: E``; a 412 (``ResourceModifiedError``) means another writer won;
* create: ``upload_blob(overwrite=False)`` = ``If-None-Match: *``; a 409
  (``ResourceExistsError``, BlobAlreadyExists) means another writer won.

Every call here passes ``retry_connect=0``: the storage SDK's default
exponential retry waits 15 s, 18 s, 24 s before giving up on a refused
connection, so an unreachable remote would take a minute to say so.
"""

from __future__ import annotations

import os
import re
from typing import Any

from nbops.core import ConfigError

#: Per-call settings of the Azure SDK's retry policy (see the module docstring).
_CALL: dict[str, object] = {"retry_connect": 0, "retry_total": 1}

#: Variables adlfs reads for the account and its credentials (any one route suffices).
ACCOUNT_VARIABLES = ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_NAME")
CREDENTIALS_HINT = ("set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
                    "AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN (or a service "
                    "principal: AZURE_STORAGE_CLIENT_ID/_SECRET/TENANT_ID)")

#: ``AccountKey=…`` / ``SharedAccessSignature=…`` / ``sig=…`` inside a connection string or URL.
_SECRET_PARTS = re.compile(r"(?i)(accountkey|sharedaccesssignature|sig)=([^;&\s'\"]+)")


def scrub(text: str) -> str:
    """``text`` with every account key, SAS and signature value masked (for messages)."""
    text = _SECRET_PARTS.sub(lambda m: f"{m.group(1)}=***", text)
    for name in ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN",
                 "AZURE_STORAGE_CLIENT_SECRET"):
        value = os.environ.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, "***")
    return text


def filesystem_options() -> dict[str, object]:
    """adlfs options: bounded timeouts; fail early when no account is configured at all."""
    if not any(os.environ.get(name, "").strip() for name in ACCOUNT_VARIABLES):
        raise ConfigError("No Azure storage account is configured for the az:// remote",
                          CREDENTIALS_HINT + "; nbops never records them")
    return {"connection_timeout": 5, "read_timeout": 60}


def can_sign() -> bool:
    """Whether a read-only SAS link can be signed here (it needs the account key)."""
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
    return bool(os.environ.get("AZURE_STORAGE_ACCOUNT_KEY", "").strip()) or bool(
        re.search(r"(?i)(^|;)\s*accountkey=[^;]+", connection))


def _split(fs: Any, path: str) -> tuple[str, str]:
    container, blob, _ = fs.split_path(path)
    return str(container), str(blob)


def read_versioned(fs: Any, path: str) -> tuple[bytes, str] | None:
    """``(content, etag)`` of the blob at ``path`` in one request; None when absent."""
    from azure.core.exceptions import ResourceNotFoundError
    from fsspec.asyn import sync

    container, blob = _split(fs, path)

    async def fetch() -> tuple[bytes, str] | None:
        async with fs.service_client.get_blob_client(container, blob) as client:
            try:
                stream = await client.download_blob(**_CALL)
            except ResourceNotFoundError as exc:
                if getattr(exc, "error_code", None) == "ContainerNotFound":
                    raise
                return None
            data = await stream.readall()
            return bytes(data), str(stream.properties.etag)

    result: tuple[bytes, str] | None = sync(fs.loop, fetch)
    return result


def write_if(fs: Any, path: str, data: bytes, etag: str | None) -> bool:
    """Write ``data`` at ``path`` only if it is still at ``etag`` (None: still absent).

    Returns:
        False when another writer got there first.
    """
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
    from fsspec.asyn import sync

    container, blob = _split(fs, path)
    condition: dict[str, object] = (
        {"overwrite": False} if etag is None else
        {"overwrite": True, "etag": etag, "match_condition": MatchConditions.IfNotModified})

    async def put() -> bool:
        async with fs.service_client.get_blob_client(container, blob) as client:
            try:
                await client.upload_blob(data, **condition, **_CALL)
            except ResourceModifiedError:
                return False  # 412: the ETag moved on
            except ResourceExistsError as exc:
                if getattr(exc, "error_code", None) == "ContainerAlreadyExists":
                    raise
                return False  # 409 BlobAlreadyExists: someone created it first
            return True

    written: bool = sync(fs.loop, put)
    return written


def container_exists(fs: Any, container: str) -> bool:
    """Whether ``container`` exists (a wrong key raises ClientAuthenticationError)."""
    from azure.core.exceptions import ResourceNotFoundError
    from fsspec.asyn import sync

    async def probe() -> bool:
        async with fs.service_client.get_container_client(container) as client:
            try:
                await client.get_container_properties(**_CALL)
            except ResourceNotFoundError:
                return False
            return True

    found: bool = sync(fs.loop, probe)
    return found
