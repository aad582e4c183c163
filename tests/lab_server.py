"""Start a real ``nbops lab`` (what ``make lab`` runs) for tests, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ports import free_port

TOKEN = "nbops-test-token"


@dataclass(frozen=True)
class LabServer:
    port: int
    project: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")



@contextmanager
def running_lab(project: Path, *jupyter_args: str) -> Iterator[LabServer]:
    """Run ``nbops lab`` in ``project`` until the block ends; its log is ``project/lab.log``."""
    port = free_port()
    nbops = Path(sys.executable).with_name("nbops")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")},
        "PLOOMBER_STATS_ENABLED": "false",
        "JUPYTER_RUNTIME_DIR": str(project / ".jupyter-runtime"),
        # JupyterLab restores the documents left open in a workspace; a per-test folder
        # keeps one test's (or one worktree's) open tabs out of the next session
        "JUPYTERLAB_WORKSPACES_DIR": str(project / ".jupyter-workspaces"),
    }
    log_path = project / "lab.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(nbops), "lab", "--port", str(port), "--token", TOKEN, *jupyter_args],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = LabServer(port=port, project=project)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    server.request("/api/status")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            "JupyterLab did not start:\n" + log_path.read_text()
                        ) from None
                    time.sleep(0.3)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
