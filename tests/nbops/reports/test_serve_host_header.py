"""`nbops serve` as a real process refuses a Host header that does not name this machine
(DNS rebinding: a page whose own name now resolves to 127.0.0.1 must not read the site)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ports import free_port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    project = tmp_path_factory.mktemp("site")
    (project / "pipeline.yaml").write_text("tasks: []\n")
    (project / "reports").mkdir()
    (project / "reports" / "index.html").write_text("<h1>the runs</h1>")
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "nbops"), "serve", "--port", str(port), "--json",
         "--allow-host", "reports.internal", "--project", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line, process.stderr.read() if process.stderr else ""
        yield json.loads(line)["url"]
    finally:
        process.terminate()
        process.communicate(timeout=20)  # reaps it and closes its pipes


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  ""])
def test_a_foreign_host_header_is_refused(site: str, host: str) -> None:
    for path in ("index.html", "_nbops/serve.json"):
        answer = httpx.get(site + path, headers={"host": host})
        assert answer.status_code == 421, (host, answer.text)
        assert "the runs" not in answer.text
        assert "--allow-host" in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "reports.internal"])
def test_loopback_and_allowed_names_are_served(site: str, host: str) -> None:
    port = site.rstrip("/").rsplit(":", 1)[1]
    for header in (host, f"{host}:{port}"):
        answer = httpx.get(site + "index.html", headers={"host": header})
        assert answer.status_code == 200 and "the runs" in answer.text, header
