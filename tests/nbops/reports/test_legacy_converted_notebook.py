"""A run recorded before nbops kept the executed notebook of an ``.html`` product names the
HTML file as its notebook: its pages render without it instead of failing."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat
import pytest

from nbops.reports._render import render_notebooks


def test_a_notebook_that_is_html_is_left_out_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "notebooks").mkdir(parents=True)
    (run_dir / "notebooks" / "report.ipynb").write_text("<!DOCTYPE html>\n<html></html>\n")
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(good, run_dir / "notebooks" / "load.ipynb")
    manifest = {"run_id": "r1", "params": {}, "tasks": {
        name: {"status": "executed", "error": None,
               "notebook": {"path": f"notebooks/{name}.ipynb"}}
        for name in ("report", "load")}}
    with caplog.at_level(logging.WARNING, logger="nbops"):
        result = render_notebooks(manifest, run_dir, reuse=False)
    assert set(result.notebook_pages) == {"load"}
    assert (run_dir / "html" / "load.html").is_file()
    assert "task report of run r1 has no readable notebook" in caplog.text
