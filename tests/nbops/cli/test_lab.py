"""`nbops lab` (what `make lab` runs) serves the steps as notebooks with Ploomber's
injected cell, and saving writes back the clean percent-format file.

These tests start a real JupyterLab server on 127.0.0.1 in a copy of the project
and talk to its contents API.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbops.cli.lab import CONTENTS_MANAGER, lab_argv

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "nbops-test-token"

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, path: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    project = tmp_path_factory.mktemp("lab-project")
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    for name in ("pipeline.yaml", "env.yaml"):
        shutil.copy(ROOT / name, project / name)
    port = _free_port()
    nbops = Path(sys.executable).with_name("nbops")
    env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false", "JUPYTER_RUNTIME_DIR": str(project / ".rt")}
    log = (project / "lab.log").open("w")
    proc = subprocess.Popen(
        [str(nbops), "lab", "--port", str(port), "--token", TOKEN],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _request(port, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (project / "lab.log").read_text()
                    ) from None
                time.sleep(0.3)
        yield port, project
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_lab_argv_binds_loopback_and_uses_the_synchronous_manager() -> None:
    argv = lab_argv(port=9999)
    assert "--ip=127.0.0.1" in argv
    assert "--port=9999" in argv
    assert f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}" in argv
    assert '--ServerApp.jpserver_extensions={"ploomber_extension": False}' in argv


def test_step_opens_as_notebook_with_injected_cell(lab_server: tuple[int, Path]) -> None:
    port, _ = lab_server
    model = _request(port, "/api/contents/notebooks/train.py?type=notebook&content=1")
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    tags = [cell["metadata"].get("tags", []) for cell in cells]
    assert ["parameters"] in tags
    injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    source = injected[0]["source"]
    assert "upstream" in source and "product" in source
    assert ".nbops/products/features.ipynb" in source or "features" in source


def test_every_step_opens_without_server_error(lab_server: tuple[int, Path]) -> None:
    port, project = lab_server
    for step in sorted((project / "notebooks").glob("*.py")):
        model = _request(port, f"/api/contents/notebooks/{step.name}?type=notebook&content=1")
        assert model["type"] == "notebook", step.name


def test_saving_writes_back_clean_percent_file(lab_server: tuple[int, Path]) -> None:
    port, project = lab_server
    path = project / "notebooks" / "train.py"
    original = path.read_text()
    model = _request(port, "/api/contents/notebooks/train.py?type=notebook&content=1")
    # an edit a person would make in the notebook view
    model["content"]["cells"].append(
        {"cell_type": "markdown", "metadata": {}, "source": "A note added in JupyterLab."}
    )
    saved = {"type": "notebook", "format": "json", "content": model["content"]}
    _request(port, "/api/contents/notebooks/train.py", method="PUT", body=saved)
    on_disk = path.read_text()
    assert "injected-parameters" not in on_disk
    assert "This cell was injected automatically" not in on_disk
    assert "# %% [markdown]\n# A note added in JupyterLab." in on_disk
    # everything that was there before is still there, byte for byte
    assert on_disk == original + "\n# %% [markdown]\n# A note added in JupyterLab.\n"
