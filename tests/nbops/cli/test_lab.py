"""`nbops lab` (what `make lab` runs) serves the steps as notebooks with Ploomber's
injected cell, and saving writes back the clean percent-format file.

These tests start a real JupyterLab server on 127.0.0.1 in a copy of the project
and talk to its contents API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab_server import LabServer, running_lab
from nbops.cli._lab import CONTENTS_MANAGER, lab_argv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab_server(
    tmp_path_factory: pytest.TempPathFactory, copy_project
) -> Iterator[LabServer]:
    project = copy_project(tmp_path_factory.mktemp("lab") / "project")
    with running_lab(project) as server:
        yield server


def test_lab_argv_binds_loopback_and_uses_the_synchronous_manager() -> None:
    argv = lab_argv(port=9999)
    assert "--ip=127.0.0.1" in argv
    assert "--port=9999" in argv
    assert f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}" in argv
    assert ('--ServerApp.jpserver_extensions={"ploomber_extension": False, "nbops.lab": True}'
            in argv)


def test_step_opens_as_notebook_with_injected_cell(lab_server: LabServer) -> None:
    model = lab_server.request("/api/contents/notebooks/train.py?type=notebook&content=1")
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    tags = [cell["metadata"].get("tags", []) for cell in cells]
    assert ["parameters"] in tags
    injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    source = injected[0]["source"]
    assert "upstream" in source and "product" in source
    assert ".nbops/products/features.ipynb" in source or "features" in source


def test_every_step_opens_without_server_error(lab_server: LabServer) -> None:
    for step in sorted((lab_server.project / "notebooks").glob("*.py")):
        model = lab_server.request(f"/api/contents/notebooks/{step.name}?type=notebook&content=1")
        assert model["type"] == "notebook", step.name


def test_saving_writes_back_clean_percent_file(lab_server: LabServer) -> None:
    path = lab_server.project / "notebooks" / "train.py"
    original = path.read_text()
    model = lab_server.request("/api/contents/notebooks/train.py?type=notebook&content=1")
    # an edit a person would make in the notebook view
    model["content"]["cells"].append(
        {"cell_type": "markdown", "metadata": {}, "source": "A note added in JupyterLab."}
    )
    saved = {"type": "notebook", "format": "json", "content": model["content"]}
    lab_server.request("/api/contents/notebooks/train.py", method="PUT", body=saved)
    on_disk = path.read_text()
    assert "injected-parameters" not in on_disk
    assert "This cell was injected automatically" not in on_disk
    assert "# %% [markdown]\n# A note added in JupyterLab." in on_disk
    # everything that was there before is still there, byte for byte
    assert on_disk == original + "\n# %% [markdown]\n# A note added in JupyterLab.\n"
