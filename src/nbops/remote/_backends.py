"""The remote backends nbops knows: one :class:`~nbops.remote._store.RemoteStore`
subclass per kind of store, looked up by URL scheme.

To add a scheme: a module with a subclass (its ``schemes``, ``protocol``, ``extra``,
``example`` and the methods its store does differently), and its line here.
"""

from __future__ import annotations

from nbops.remote._azure_store import AzureStore
from nbops.remote._gcs import GcsStore
from nbops.remote._local import LocalStore
from nbops.remote._s3 import S3Store
from nbops.remote._store import RemoteStore

#: In the order error sentences list them.
BACKENDS: tuple[type[RemoteStore], ...] = (S3Store, GcsStore, AzureStore, LocalStore)


def backend_for(scheme: str) -> type[RemoteStore] | None:
    """The backend serving ``scheme`` (lower case), or None."""
    return next((backend for backend in BACKENDS if scheme in backend.schemes), None)
