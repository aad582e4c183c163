"""A pulled run was built in another folder: its notebooks say which, and reproduce reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbops.core import Project
from nbops.reproduce._origin import recorded_root


def _run(project: Project, products: dict[str, str], injected: str | None) -> dict[str, Any]:
    run_id = "20260101T000000000000Z-abcdef"
    folder = project.run_dir(run_id) / "notebooks"
    folder.mkdir(parents=True)
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1"}]
    if injected is not None:
        cells.append({"cell_type": "code", "metadata": {"tags": ["injected-parameters"]},
                      "source": injected.splitlines(keepends=True)})
    (folder / "ingest.ipynb").write_text(json.dumps({"cells": cells}))
    return {"run_id": run_id, "tasks": {"ingest": {
        "notebook": {"path": "notebooks/ingest.ipynb"},
        "products": {key: {"path": path} for key, path in products.items()}}}}


def test_the_folder_a_pulled_run_was_built_in_comes_from_its_notebooks(tmp_path: Path) -> None:
    project = Project(tmp_path / "clone")
    manifest = _run(project, {"nb": ".nbops/products/ingest.ipynb"},
                    'rows = 10\nproduct = {"nb": "/srv/worker/project/.nbops/products/'
                    'ingest.ipynb"}\n')
    assert recorded_root(project, manifest) == "/srv/worker/project"


def test_a_run_whose_notebooks_name_no_product_is_taken_as_built_here(tmp_path: Path) -> None:
    project = Project(tmp_path / "clone")
    assert recorded_root(project, _run(project, {"nb": "out.ipynb"}, None)) == str(project.root)
    other = Project(tmp_path / "other")
    manifest = _run(other, {"nb": "out.ipynb"}, 'product = "/elsewhere/unrelated.ipynb"\n')
    assert recorded_root(other, manifest) == str(other.root)
