"""What the store's own exceptions become: one sentence of the right kind (no server; the
real-server cases are in tests/integration/test_team_remote.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from nbops.remote._store import _translate

REMOTE = "s3://bucket/team"


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize("exc, kind", [
    # an endpoint whose port holds the digits 403 is still an endpoint that did not answer
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:44031/bucket"), "unreachable"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:40312/bucket"), "unreachable"),
    (EndpointConnectionError(endpoint_url="http://10.0.4.3:9000/credentials-bucket"),
     "unreachable"),
    (ConnectTimeoutError(endpoint_url="http://192.168.40.3:9000/"), "unreachable"),
    (ConnectionRefusedError(111, "Connection refused to 127.0.0.1:54031"), "unreachable"),
    (_client_error("AccessDenied", 403), "refused"),
    (_client_error("SignatureDoesNotMatch", 403), "refused"),
    (_client_error("SomethingNew", 403), "refused"),  # the status says it, not the code
    (_client_error("NoSuchBucket", 404), "missing"),
    (PermissionError("HTTP 403 from the store"), "refused"),
    (OSError("server said: status 403"), "refused"),
    (NoCredentialsError(), "no-credentials"),
])
def test_each_store_error_is_one_sentence_of_its_kind(exc: BaseException, kind: str) -> None:
    error = _translate(exc, REMOTE, "pushing")
    assert error.kind == kind, (error.problem, error.fix)
    assert REMOTE in error.problem
