"""``az://`` (and ``abfs://``) remotes through adlfs, with the conditional writes of
:mod:`nbops.remote._azure` (ETags through the Azure SDK client adlfs opened)."""

from __future__ import annotations

from nbops.core import ConfigError
from nbops.remote import _azure
from nbops.remote._store import RemoteStore, Version


class AzureStore(RemoteStore):
    """An ``az://container/prefix`` remote on Azure Blob Storage."""

    schemes = ("az", "abfs")
    extra = "azure"
    example = "az://container/prefix"
    conditional_writes = True
    bucket_word = "container"
    credentials_hint = "check " + _azure.CREDENTIALS_HINT.removeprefix("set ")
    endpoint_hint = "the endpoint in AZURE_STORAGE_CONNECTION_STRING"

    def _options(self) -> dict[str, object]:
        return {"use_listings_cache": False, **_azure.filesystem_options()}

    def _filesystem_refused(self, exc: ValueError) -> ConfigError:
        # adlfs: a malformed connection string, no account
        return ConfigError(f"The Azure client for {self.label} cannot start "
                           f"({_azure.scrub(str(exc))})", _azure.CREDENTIALS_HINT)

    def _top_folder_exists(self, bucket: str) -> bool:
        return _azure.container_exists(self.fs, bucket)

    def get_bytes(self, key: str) -> bytes | None:
        return self.read_versioned(key)[0]  # one bounded-retry request (see _azure)

    def put_page(self, key: str, data: bytes, content_type: str) -> None:
        self.call(f"writing {key}", lambda: self.fs.pipe_file(
            self.path(key), data, content_settings={"content_type": content_type}))

    def link(self, key: str, expires_s: int) -> str:
        if _azure.can_sign():
            return self._signed(key, expires_s)
        return super().link(key, expires_s)

    def read_versioned(self, key: str) -> tuple[bytes | None, Version]:
        found = self.call(f"reading {key}",
                          lambda: _azure.read_versioned(self.fs, self.path(key)))
        return (None, None) if found is None else found

    def write_if(self, key: str, data: bytes, version: Version) -> bool:
        written: bool = self.call(f"writing {key}", lambda: _azure.write_if(
            self.fs, self.path(key), data, version))
        return written
