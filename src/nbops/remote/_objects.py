"""Bring objects from the remote into the local content store, verified.

Used by ``nbops pull`` and on demand by readers that find an object missing
locally (``nbops predict``, ``nbops monitor``, a Dask worker): every byte is
re-hashed before it enters ``.nbops/store``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nbops.core import ContentStore, IntegrityError, Project, crash_point
from nbops.remote._config import configured_url
from nbops.remote._store import RemoteStore, open_remote

logger = logging.getLogger("nbops")


def download_objects(remote: RemoteStore, store: ContentStore,
                     digests: Iterable[str], parallel: int = 8) -> tuple[int, int]:
    """Download those of ``digests`` the local store lacks; ``(objects, bytes)`` added.

    Raises:
        IntegrityError: an object is missing on the remote or its bytes are altered.
    """
    wanted = [d for d in dict.fromkeys(digests) if not store.has(d)]

    def one(digest: str) -> int:
        tmp = store.new_tempfile()
        try:
            size = remote.get_object(digest, tmp)
            store.install_verified(tmp, digest)
        finally:
            if tmp.exists():
                tmp.unlink()
        crash_point("pull.object_downloaded")
        return size

    if not wanted:
        return 0, 0
    with ThreadPoolExecutor(min(parallel, len(wanted))) as pool:
        sizes = list(pool.map(one, wanted))
    return len(wanted), sum(sizes)


def fetch_missing(root: Path, digests: Iterable[str]) -> bool:
    """Fetch ``digests`` missing from the project's store from its remote, if it has one.

    Returns:
        Whether a remote was consulted (False: no remote configured).

    Raises:
        IntegrityError: the remote's copy is missing or altered (named in the message).
        RemoteError: the remote cannot be reached.
    """
    project = Project(Path(root))
    url = configured_url(project)
    if url is None:
        return False
    store = ContentStore(project.store_dir)
    missing = [d for d in digests if not store.has(d)]
    if missing:
        remote = open_remote(url)
        count, size = download_objects(remote, store, missing)
        logger.info("nbops: fetched %d object(s), %d bytes, from %s", count, size, remote.label)
    return True


__all__ = ["IntegrityError", "download_objects", "fetch_missing"]


def fetch_for(root: Path, digest: str, label: str) -> None:
    """Fetch one object that ``label`` (e.g. ``churn:3``) needs and the local store lacks.

    Raises:
        RemoteError: no remote has it, or it is altered or unreachable (one sentence that
            names what needed the object).
    """
    from nbops.core import NbopsError, RemoteError

    try:
        fetch_missing(Path(root), [digest])
    except NbopsError as exc:
        raise RemoteError(f"{label} needs {digest}, which is not in the local store, and the "
                          f"remote cannot supply it: {exc.problem}",
                          exc.fix or "push the run that produced it from its machine") from None
