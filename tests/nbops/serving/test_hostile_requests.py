"""Requests an attacker (or a careless client) sends to a real `nbops serve-model`.

Each is refused with a 4xx and one sentence, nothing reaches the prediction log, and the
server keeps serving; a champion the server cannot swap to shows on /healthz.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from serving_world import Server, make_project, promote, start_server, train_version

from churn import generator
from nbops.serving._prediction_log import log_dir, read_parts

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("hostile") / "project", rows=600)


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    server = start_server(project, "churn@champion", "--flush-seconds", "0.1",
                          "--allow-host", "scoring.internal")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def record() -> dict:
    frame = generator.generate(5, seed=2).drop(columns=["churn"])
    return json.loads(frame.to_json(orient="records", date_format="iso"))[0]


def _numeric(record: dict) -> str:
    return next(k for k, v in record.items() if isinstance(v, (int, float))
                and not isinstance(v, bool))


def _logged(project: Path) -> int:
    time.sleep(0.4)  # > --flush-seconds
    return len(read_parts(log_dir(project, "churn")))


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "1e999", '"inf"', '" -inf "'])
def test_an_infinite_number_is_422_naming_the_field(
    server: Server, record: dict, value: str
) -> None:
    field = _numeric(record)
    body = json.dumps(record).replace(f'"{field}": {json.dumps(record[field])}',
                                      f'"{field}": {value}')
    assert value in body
    answer = httpx.post(f"{server.url}/predict", content=body,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert repr(field) in answer.json()["error"] and "finite" in answer.json()["error"]


def test_an_infinite_number_in_a_csv_body_is_422_too(server: Server, record: dict) -> None:
    field = _numeric(record)
    frame = pd.DataFrame([{**record, field: "inf"}])
    answer = httpx.post(f"{server.url}/predict", content=frame.to_csv(index=False).encode(),
                        headers={"content-type": "text/csv"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_json_is_400_not_a_server_error(server: Server, depth: int) -> None:
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        answer = httpx.post(f"{server.url}/predict", content=body,
                            headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text[:300]
        assert "nested" in answer.json()["error"]
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


@pytest.mark.parametrize("content_type", [
    None,  # no header at all: what a page's fetch() with a string body... or curl -d sends
    "text/plain",  # what a web page may send cross-site without asking (no preflight)
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
])
def test_a_body_a_web_page_could_send_cross_site_is_415_and_not_logged(
    project: Path, server: Server, record: dict, content_type: str | None
) -> None:
    before = _logged(project)
    for body in (json.dumps([record]).encode(),
                 pd.DataFrame([record]).to_parquet(index=False)):  # Parquet's magic bytes too
        headers = {} if content_type is None else {"content-type": content_type}
        request = httpx.Request("POST", f"{server.url}/predict", content=body, headers=headers)
        if content_type is None and "content-type" in request.headers:
            del request.headers["content-type"]
        assert request.headers.get("content-type") == content_type
        with httpx.Client() as http:
            answer = http.send(request)
        assert answer.status_code == 415, answer.text
        assert "Content-Type" in answer.json()["error"]
    assert _logged(project) == before  # no forged row reached the log monitoring reads
    ok = httpx.post(f"{server.url}/predict", json=record)  # application/json is served
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example",
                                  "", "[::2]:8000"])
def test_a_host_header_not_naming_this_machine_is_refused(
    project: Path, server: Server, record: dict, host: str
) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1."""
    before = _logged(project)
    for method, path in (("POST", "/predict"), ("GET", "/healthz"), ("GET", "/metrics")):
        answer = httpx.request(method, f"{server.url}{path}", json=record,
                               headers={"host": host})
        assert answer.status_code == 421, (host, path, answer.text)
        assert "Host" in answer.json()["error"] and "--allow-host" in answer.json()["error"]
    assert _logged(project) == before


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "scoring.internal"])
def test_loopback_names_and_allowed_hosts_are_served(
    server: Server, record: dict, host: str
) -> None:
    port = server.url.rsplit(":", 1)[1]
    for header in (host, f"{host}:{port}"):
        answer = httpx.post(f"{server.url}/predict", json=record, headers={"host": header})
        assert answer.status_code == 200, (header, answer.text)


def test_a_champion_that_cannot_be_loaded_shows_on_healthz(
    project: Path, server: Server, record: dict
) -> None:
    """A version whose stored file hashes right but is no model: the swap fails, the old
    version keeps answering, and /healthz says so until a good promotion."""
    raw = generator.generate(600, seed=3)
    version = train_version(project, raw, "churn", seed=4, max_iter=5)
    from nbops.core._store import ContentStore
    from nbops.registry._registry_file import transaction

    junk = project / ".nbops" / "junk.skops"
    junk.write_bytes(b"not a zip file, but registered under its own hash")
    put = ContentStore(project / ".nbops" / "store").put_file(junk)
    with transaction(project) as data:  # a teammate's broken registration
        entry = next(v for v in data["models"]["churn"]["versions"]
                     if v["version"] == version)
        entry["artifact"]["hash"] = put.digest
        entry["artifact"]["size"] = put.size
    try:
        promote(project, version)
        deadline = time.monotonic() + 30
        health = httpx.get(f"{server.url}/healthz").json()
        while health["last_error"] is None and time.monotonic() < deadline:
            time.sleep(0.1)
            health = httpx.get(f"{server.url}/healthz").json()
        assert health["status"] == "degraded", health
        assert f"churn:{version}" in health["last_error"], health
        assert health["version"] == 1
        assert httpx.post(f"{server.url}/predict", json=record).json()["version"] == 1
    finally:
        promote(project, 2)
    deadline = time.monotonic() + 60
    health = httpx.get(f"{server.url}/healthz").json()
    while health["version"] != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        health = httpx.get(f"{server.url}/healthz").json()
    assert health["status"] == "ok" and health["last_error"] is None, health
    promote(project, 1)


def test_a_chunked_body_over_the_limit_is_413_without_a_length_header(server: Server) -> None:
    """No Content-Length to check up front: the limit is counted as the chunks arrive."""

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(10):
            yield b" " * (1024 * 1024)  # 10 MB in all, over the default 8 MB
        yield b"]"

    answer = httpx.post(f"{server.url}/predict", content=chunks(),
                        headers={"content-type": "application/json"}, timeout=60)
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413, answer.text[:300]
    assert "limit" in answer.json()["error"]
    assert httpx.get(f"{server.url}/healthz").status_code == 200
