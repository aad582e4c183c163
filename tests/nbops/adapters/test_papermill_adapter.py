"""Papermill's notebook conventions, checked against Papermill itself."""

from __future__ import annotations

import json

import nbformat
import papermill.execute
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from nbops.adapters._papermill_adapter import (
    ERROR_CELL_TAG,
    PARAMETERS_TAG,
    execution_duration,
    injected_values,
    is_error_banner,
    is_injected_parameters,
    kernel_name,
    papermill_metadata,
)


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    defaults = nbformat.v4.new_code_cell("rows = 10\nname = 'a'")
    defaults.metadata["tags"] = [PARAMETERS_TAG]
    nb.cells = [defaults, nbformat.v4.new_code_cell("print(rows)")]
    return nb


def test_the_cell_papermill_injects_is_found_with_its_values(tmp_path) -> None:
    path = tmp_path / "in.ipynb"
    nbformat.write(_notebook(), path)
    nb = parameterize_notebook(load_notebook_node(str(path)),
                               {"rows": 3, "name": "b", "ratio": 0.5})
    injected = [i for i, cell in enumerate(nb.cells) if is_injected_parameters(cell)]
    assert injected == [1]  # right after the parameters cell
    assert injected_values(nb.cells[1].source) == {"rows": 3, "name": "b", "ratio": 0.5}
    assert papermill_metadata(nb)["parameters"] == {"rows": 3, "name": "b", "ratio": 0.5}
    assert kernel_name(json.loads(nbformat.writes(nb))) == "python3"
    assert not any(is_error_banner(cell) for cell in nb.cells)


def test_error_banners_use_papermills_tag() -> None:
    assert ERROR_CELL_TAG == papermill.execute.ERROR_MARKER_TAG
    banner = nbformat.v4.new_markdown_cell("failed")
    banner.metadata["tags"] = [ERROR_CELL_TAG]
    assert is_error_banner(banner) and is_error_banner(json.loads(json.dumps(banner)))


def test_missing_or_odd_metadata_reads_as_absent() -> None:
    assert papermill_metadata({}) == {} and execution_duration({}) is None
    assert execution_duration({"metadata": {"papermill": {"duration": 2}}}) == 2.0
    assert execution_duration({"metadata": {"papermill": {"duration": -1}}}) is None
    assert kernel_name({"metadata": {}}) is None
    assert injected_values("x = 1\nprint(x)") is None and injected_values("x = (") is None
