"""The remote as a store: content-addressed objects plus a few small mutable documents.

Layout under the remote URL (``s3://bucket/prefix`` …)::

    objects/ab/cdef…            one object per blake3 digest (same names as .nbops/store)
    runs/<run_id>/…             manifest.json, seal.json, contents.json, html/…
    runs/index.json             the remote's run index (what `nbops runs --remote` reads)
    registry/models.json        the shared model registry
    registry/lease.json         who is changing the registry right now (with an expiry)
    site/…                      pages uploaded by `nbops publish --to`

Objects are immutable and written whole (an S3 PUT or multipart upload
appears at once; a ``file://`` remote writes a temp file and renames it), so
an object's presence means it is complete. The mutable documents (index,
registry, lease) are replaced with *conditional writes*: S3 ``If-Match`` on
the ETag read, or ``If-None-Match: *`` for a document that must not exist yet;
Azure Blob Storage the same through its SDK (:mod:`nbops.remote._azure`); a
``file://`` remote does the same compare-and-swap under an ``flock``. A writer
that loses the race gets ``False`` and retries on fresh content, so no update
is ever lost. ``gs://`` is refused for these documents (see :meth:`write_if`).

All transport goes through fsspec (s3fs for ``s3://``, adlfs for ``az://``);
endpoint and credentials come from the environment (``AWS_ENDPOINT_URL``,
``AZURE_STORAGE_CONNECTION_STRING`` …).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from nbops.core import (
    PREFIX,
    ConfigError,
    IntegrityError,
    NbopsError,
    RemoteError,
    crash_point,
    hash_file,
    is_hash,
)
from nbops.remote import _azure
from nbops.remote._config import check_url, conditional_writes_refusal, redact_url

logger = logging.getLogger("nbops")
T = TypeVar("T")

#: An opaque version of a mutable document: an S3 ETag, a local content hash; None = absent.
Version = str | None

_PARALLEL = 16


#: What a client says when it found no credentials at all (botocore's NoCredentialsError
#: and PartialCredentialsError), as opposed to credentials the remote refused.
_NO_CREDENTIALS = ("nocredentialserror", "unable to locate credentials",
                   "partialcredentialserror", "partial credentials found")
_REFUSED = ("accessdenied", "access denied", "invalidaccesskeyid", "signaturedoesnotmatch",
            "forbidden", "credentials", "authenticationfailed", "clientauthenticationerror",
            "authorizationfailure", "failed to authenticate")
#: an HTTP 403 said in words ("HTTP 403", "status 403"), never the digits inside a port
#: or an address (http://127.0.0.1:44031/ is no refusal)
_STATUS_403 = re.compile(r"(?<![\w:./-])403(?![\w.:/-])")
#: exception classes that mean the endpoint never answered (botocore, aiohttp, requests, azure)
_NO_ANSWER = ("connect", "timeout", "servicerequesterror")


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status the store answered with, when its exception carries one."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore's ClientError
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)  # azure, gcsfs
    return status if isinstance(status, int) else None


class PreconditionFailed(Exception):
    """A conditional write lost the race (S3 412): re-read and retry."""


def _translate(exc: BaseException, remote: str, doing: str,
               store: type[RemoteStore] | RemoteStore | None = None) -> NbopsError:
    """One sentence for what went wrong talking to the remote (never a credential);
    ``store`` (the backend) gives its words: bucket or container, where credentials and
    the endpoint come from."""
    if isinstance(exc, NbopsError):
        return exc
    words = store or RemoteStore
    first_line = (str(exc).strip().splitlines() or [""])[0]
    text = _azure.scrub(f"{type(exc).__name__}: {first_line}")
    lowered = _azure.scrub(f"{type(exc).__name__}: {exc}").lower()
    bucket = words.bucket_word
    if "nosuchbucket" in lowered or "bucket does not exist" in lowered or (
            "specified bucket" in lowered) or "containernotfound" in lowered or (
            "specified container does not exist" in lowered):
        return RemoteError(f"The {bucket} of remote {remote} does not exist (while {doing})",
                           "create it, or fix the URL with `nbops remote set URL`",
                           kind="missing")
    if any(word in lowered for word in _NO_CREDENTIALS):
        hint = words.credentials_hint
        return RemoteError(f"No credentials found for remote {remote} (while {doing})",
                           f"{hint.replace('check ', 'set ', 1)} in the environment; nbops "
                           "never records them", kind="no-credentials")
    status = _http_status(exc)
    no_answer = status is None and any(
        word in type(exc).__name__.lower() for word in _NO_ANSWER)
    if not no_answer and (isinstance(exc, PermissionError) or status in (401, 403) or any(
            word in lowered for word in _REFUSED) or _STATUS_403.search(lowered)):
        hint = words.credentials_hint
        return RemoteError(f"Remote {remote} refused our credentials (while {doing})",
                           f"{hint}; nbops never records them", kind="refused")
    if any(word in lowered for word in ("connect", "timeout", "timed out", "unreachable",
                                        "name or service", "endpoint", "refused",
                                        "servicerequesterror")):
        endpoint = words.endpoint_hint
        return RemoteError(f"Remote {remote} is unreachable (while {doing}: {text})",
                           f"check the network and {endpoint}; nothing local was "
                           "changed, retry later", kind="unreachable")
    return RemoteError(f"Remote {remote} failed while {doing} ({text})",
                       "retry; if it persists, check the remote's settings and credentials")


_OPEN: dict[tuple[str, tuple[tuple[str, str], ...]], RemoteStore] = {}


def open_remote(url: str) -> RemoteStore:
    """The :class:`RemoteStore` for ``url``, reused within a process.

    Opening a client costs about a second (credentials, the S3 service model,
    connections); a registry transaction or a pull opens the same remote many
    times. Keyed by the URL and the store's environment variables, so a change
    of endpoint or credentials opens a new client.
    """
    settings = tuple(sorted((k, v) for k, v in os.environ.items()
                            if k.startswith(("AWS_", "GOOGLE_", "AZURE_", "GCS"))))
    key = (url, settings)
    remote = _OPEN.get(key)
    if remote is None:
        remote = _OPEN[key] = RemoteStore(url)
    return remote


class RemoteStore:
    """One remote, opened from its URL (use :func:`open_remote` to reuse clients).

    ``RemoteStore(url)`` makes the backend of the URL's scheme: one subclass per kind of
    store (:mod:`nbops.remote._backends` lists them), each overriding only what its store
    does differently from plain fsspec. A new scheme is a new subclass in its own module
    plus one line in that list.

    Args:
        url: ``s3://bucket/prefix``, ``file:///folder``, ``gs://…``, ``az://…``.
    """

    #: The URL schemes this backend serves, and the fsspec protocol it opens.
    schemes: tuple[str, ...] = ()
    protocol = ""
    #: The nbops extra that installs its fsspec implementation.
    extra = "remote"
    #: An example URL (shown when a URL has an unknown scheme).
    example = ""
    #: Whether the shared documents (index, registry, lease) get tested conditional writes.
    conditional_writes = False
    #: Why not, when not (in the refusal's sentence).
    no_conditional_writes = "none is implemented for this store"
    #: Words of its error sentences: the top-level folder, where credentials and the
    #: endpoint come from.
    bucket_word = "bucket"
    credentials_hint = "check the store's usual credentials"
    endpoint_hint = "the store's endpoint"

    def __new__(cls, url: str) -> RemoteStore:
        if cls is RemoteStore:
            from nbops.remote._backends import backend_for

            backend = backend_for(urlsplit(check_url(url)).scheme.lower())
            assert backend is not None, "check_url accepts only the backends' schemes"
            cls = backend
        return super().__new__(cls)

    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        self.label = redact_url(self.url)
        parts = urlsplit(self.url)
        self.scheme = parts.scheme.lower()
        self.fs = self._filesystem()
        self.root = self._root(parts.netloc, parts.path)

    # --- what a backend may override ------------------------------------------------
    def _root(self, netloc: str, path: str) -> str:
        """The fsspec path of the remote's top folder."""
        return (netloc + path).rstrip("/")

    def _options(self) -> dict[str, object]:
        """fsspec options of this backend's filesystem."""
        return {}

    def _filesystem_refused(self, exc: ValueError) -> ConfigError:
        """The sentence for a filesystem fsspec refuses to open."""
        return ConfigError(f"fsspec cannot open {self.label}: {exc}", "check the URL scheme")

    def _top_folder_exists(self, bucket: str) -> bool:
        """Whether the bucket (container …) exists; may raise a transport error."""
        return bool(self.fs.exists(bucket))

    # --- plumbing -------------------------------------------------------------------
    def _filesystem(self) -> Any:
        try:
            import fsspec
        except ImportError:
            raise ConfigError("nbops remotes need fsspec",
                              "install nbops with the 'remote' extra") from None
        options: dict[str, object] = {"skip_instance_cache": True, **self._options()}
        try:
            return fsspec.filesystem(self.protocol or self.scheme, **options)
        except ImportError:
            raise ConfigError(
                f"The remote {self.label} needs the fsspec implementation for "
                f"{self.scheme}://, which is not installed",
                f"install nbops with the {self.extra!r} extra (pip install "
                f"'nbops[{self.extra}]')",
            ) from None
        except ValueError as exc:
            raise self._filesystem_refused(exc) from None

    def path(self, key: str) -> str:
        """The fsspec path of ``key`` (``objects/ab/…``, ``runs/index.json`` …)."""
        return f"{self.root}/{key}"

    def call(self, doing: str, action: Callable[[], T]) -> T:
        """Run ``action``; turn transport failures into one :class:`RemoteError` sentence."""
        try:
            return action()
        except (NbopsError, PreconditionFailed, FileNotFoundError):
            raise
        except Exception as exc:  # noqa: BLE001 - every transport failure becomes one sentence
            raise _translate(exc, self.label, doing, self) from exc

    @staticmethod
    def object_key(digest: str) -> str:
        """``objects/ab/cdef…`` for ``digest``."""
        if not is_hash(digest):
            raise IntegrityError(f"{digest!r} is not an nbops content hash",
                                 "hashes look like 'blake3:' followed by 64 hex digits")
        hexdigest = digest[len(PREFIX):]
        return f"objects/{hexdigest[:2]}/{hexdigest[2:]}"

    def check_reachable(self) -> None:
        """Fail early with one sentence when the remote cannot be used at all."""
        bucket = self.root.split("/", 1)[0]
        kind = self.bucket_word

        def probe() -> None:
            if not self._top_folder_exists(bucket):
                raise FileNotFoundError(bucket)

        try:
            self.call(f"checking the {kind}", probe)
        except FileNotFoundError:
            raise RemoteError(f"The {kind} of remote {self.label} does not exist",
                              "create it, or fix the URL with `nbops remote set URL`") from None

    # --- immutable objects ----------------------------------------------------------
    def missing_objects(self, digests: Iterable[str]) -> list[str]:
        """Those of ``digests`` the remote does not have (checked in parallel, no listing)."""
        wanted = list(dict.fromkeys(digests))

        def absent(digest: str) -> bool:
            return not self.call("checking objects",
                                 lambda: self.fs.exists(self.path(self.object_key(digest))))

        with ThreadPoolExecutor(_PARALLEL) as pool:
            flags = list(pool.map(absent, wanted))
        return [digest for digest, flag in zip(wanted, flags, strict=True) if flag]

    def put_object(self, source: Path, digest: str) -> None:
        """Upload the local file ``source`` as object ``digest`` (appears whole or not at all)."""
        self.put_file(source, self.object_key(digest))

    def put_file(self, source: Path, key: str) -> None:
        """Upload ``source`` to ``key``, atomically."""
        target = self.path(key)
        self.call(f"uploading {key}", lambda: self.fs.put_file(str(source), target))

    def get_object(self, digest: str, dest: Path) -> int:
        """Download object ``digest`` to ``dest``, verified; returns its size.

        Raises:
            IntegrityError: the remote does not have it, or its bytes do not hash to ``digest``.
        """
        key = self.object_key(digest)
        try:
            self.call(f"downloading {key}", lambda: self.fs.get_file(self.path(key), str(dest)))
        except FileNotFoundError:
            raise IntegrityError(f"Object {digest} is missing from remote {self.label}",
                                 "push the run again from a machine that has it") from None
        actual = hash_file(dest)
        if actual != digest:
            os.unlink(dest)
            raise IntegrityError(
                f"Object {digest} on remote {self.label} is altered (its bytes hash to {actual})",
                f"delete {key} on the remote and push the run again from a machine that has it",
            )
        return os.path.getsize(dest)

    # --- small documents ------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes | None:
        """The content of ``key``, or None when absent."""
        try:
            data: bytes = self.call(f"reading {key}", lambda: self.fs.cat_file(self.path(key)))
        except FileNotFoundError:
            return None
        return data

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``key`` unconditionally (whole or not at all)."""
        self.call(f"writing {key}", lambda: self.fs.pipe_file(self.path(key), data))

    def put_page(self, key: str, data: bytes, content_type: str) -> None:
        """Write a page for readers (with its content type, where the store keeps one)."""
        self.put_bytes(key, data)

    def link(self, key: str, expires_s: int) -> str:
        """A link a reader can open, valid ``expires_s`` where the store signs links
        (presigned for s3://, a read-only SAS for az://); else the store's own address."""
        return f"{self.scheme}://{self.path(key)}"

    def _signed(self, key: str, expires_s: int) -> str:
        signed: str = self.call(f"signing {key}",
                                lambda: self.fs.sign(self.path(key), expiration=expires_s))
        return signed

    def delete(self, key: str) -> None:
        """Remove ``key`` (absent is fine)."""
        with contextlib.suppress(FileNotFoundError):
            self.call(f"deleting {key}", lambda: self.fs.rm_file(self.path(key)))

    def list_prefix(self, key: str) -> list[str]:
        """Keys under the folder ``key`` (one run's files; never the whole bucket)."""
        base = self.path(key).rstrip("/")
        try:
            found = self.call(f"listing {key}", lambda: self.fs.find(base))
        except FileNotFoundError:
            return []
        prefix = self.root + "/"
        out = []
        for item in found:
            item = self._found_path(str(item))
            out.append(item[len(prefix):] if item.startswith(prefix) else item)
        return sorted(out)

    def _found_path(self, item: str) -> str:
        """A path ``fs.find`` returned, in this store's ``/`` form."""
        return item

    def read_versioned(self, key: str) -> tuple[bytes | None, Version]:
        """``(content, version)`` of a mutable document; ``(None, None)`` when absent."""
        raise self._no_conditional_writes()

    def write_if(self, key: str, data: bytes, version: Version) -> bool:
        """Replace ``key`` with ``data`` only if it is still at ``version`` (None: still absent).

        Returns:
            False when another writer got there first (re-read and retry).
        """
        raise self._no_conditional_writes()

    def _no_conditional_writes(self) -> RemoteError:
        """No tested conditional writes (gs://): refuse rather than last-writer-wins."""
        refusal = conditional_writes_refusal(self.url)
        assert refusal is not None, f"{self.scheme}:// has conditional writes"
        return refusal

    def update(self, key: str, change: Callable[[bytes | None], bytes | None],
               attempts: int = 50) -> bytes | None:
        """Read-modify-write ``key`` with conditional writes, retrying on a lost race.

        ``change`` gets the current content (None when absent) and returns the
        new content, or None to leave the document as it is.
        """
        import random
        import time

        for attempt in range(attempts):
            current, version = self.read_versioned(key)
            new = change(current)
            if new is None:
                return current
            crash_point("remote.update_read")  # read and changed, not yet written
            if self.write_if(key, new, version):
                return new
            logger.info("nbops: %s changed on %s while we updated it; retrying", key, self.label)
            time.sleep(min(0.02 * (2 ** attempt), 1.0) * random.random())
        raise RemoteError(f"Could not update {key} on {self.label}: {attempts} writers in a row "
                          "got there first", "retry in a moment")
