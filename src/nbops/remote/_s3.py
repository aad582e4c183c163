"""``s3://`` remotes (AWS or any S3-compatible store) through s3fs.

Conditional writes are S3's own: ``If-Match`` on the ETag read, ``If-None-Match: *``
for a document that must not exist yet; a 412 (or a 409 conflict) means another
writer won. Pages keep their content type; links are presigned.
"""

from __future__ import annotations

from nbops.remote._store import PreconditionFailed, RemoteStore, Version


class S3Store(RemoteStore):
    """An ``s3://bucket/prefix`` remote."""

    schemes = ("s3",)
    protocol = "s3"
    example = "s3://bucket/prefix"
    conditional_writes = True
    credentials_hint = "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
    endpoint_hint = "AWS_ENDPOINT_URL"

    def _options(self) -> dict[str, object]:
        return {"use_listings_cache": False, "config_kwargs": {
            "connect_timeout": 5, "read_timeout": 60,
            "retries": {"max_attempts": 2, "mode": "standard"}}}

    def _top_folder_exists(self, bucket: str) -> bool:
        self.fs.call_s3("head_bucket", Bucket=bucket)  # a missing bucket raises
        return True

    def put_page(self, key: str, data: bytes, content_type: str) -> None:
        self.call(f"writing {key}", lambda: self.fs.pipe_file(self.path(key), data,
                                                              ContentType=content_type))

    def link(self, key: str, expires_s: int) -> str:
        return self._signed(key, expires_s)

    def _bucket_key(self, key: str) -> tuple[str, str]:
        bucket, _, prefix = self.path(key).partition("/")
        return bucket, prefix

    def read_versioned(self, key: str) -> tuple[bytes | None, Version]:
        from fsspec.asyn import sync

        bucket, name = self._bucket_key(key)

        async def fetch() -> tuple[bytes, str]:
            response = await self.fs._call_s3("get_object", Bucket=bucket, Key=name)
            body = response["Body"]
            try:
                data = await body.read()
            finally:
                body.close()
            return data, str(response["ETag"])

        try:
            data, etag = self.call(f"reading {key}", lambda: sync(self.fs.loop, fetch))
        except FileNotFoundError:
            return None, None
        return data, etag

    def write_if(self, key: str, data: bytes, version: Version) -> bool:
        bucket, name = self._bucket_key(key)
        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}

        def put() -> None:
            try:
                self.fs.call_s3("put_object", Bucket=bucket, Key=name, Body=data, **condition)
            except Exception as exc:  # noqa: BLE001 - s3fs wraps the 412 in various ways
                text = f"{exc} {getattr(exc, '__cause__', '')}".lower()
                if "precondition" in text or "412" in text or (
                        "conditionalrequestconflict" in text) or "409" in text:
                    raise PreconditionFailed(key) from exc
                raise

        try:
            self.call(f"writing {key}", put)
        except PreconditionFailed:
            return False
        except FileNotFoundError:
            return False
        return True
