"""The executed notebook of a notebook task saved as HTML is kept before nbconvert runs."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import nbformat

from nbops.adapters import keep_executed_notebooks
from nbops.adapters._converted_notebooks import (
    KeepingConverter,
    copy_name,
    executed_notebook,
)

with warnings.catch_warnings():  # Ploomber's dependencies' import-time deprecations
    warnings.simplefilter("ignore", DeprecationWarning)
    from ploomber import DAG  # type: ignore[import-untyped]
    from ploomber.products import File  # type: ignore[import-untyped]
    from ploomber.tasks import NotebookRunner  # type: ignore[import-untyped]

SOURCE = "# %% tags=['parameters']\nproduct = None\n\n# %%\n1 + 1\n"


def dag_with(tmp_path: Path, product: str) -> DAG:
    (tmp_path / "step.py").write_text(SOURCE)
    dag = DAG()
    NotebookRunner(tmp_path / "step.py", File(tmp_path / product), dag=dag, name="step")
    return dag


def test_the_executed_notebook_is_copied_before_the_conversion(tmp_path: Path) -> None:
    dag = dag_with(tmp_path, "report.html")
    keep_executed_notebooks(dag, tmp_path / "kept")
    keep_executed_notebooks(dag, tmp_path / "kept")  # idempotent: wrapped once
    task = dag["step"]
    assert isinstance(task._converter, KeepingConverter)
    assert not isinstance(task._converter.converter, KeepingConverter)
    # what NotebookRunner.run leaves at the product's path before converting: the .ipynb
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(notebook, tmp_path / "report.html")
    converter = pickle.loads(pickle.dumps(task._converter))  # the parallel executor's copy
    converter.convert()
    kept = tmp_path / "kept" / copy_name("step")
    assert nbformat.read(kept, as_version=4).cells[0].source == "1 + 1"
    assert (tmp_path / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert executed_notebook(task, "executed") == kept
    assert executed_notebook(task, "skipped") is None


def test_an_ipynb_product_is_its_own_notebook_and_is_left_alone(tmp_path: Path) -> None:
    dag = dag_with(tmp_path, "out.ipynb")
    keep_executed_notebooks(dag, tmp_path / "kept")
    assert not isinstance(dag["step"]._converter, KeepingConverter)
    assert executed_notebook(dag["step"], "executed") == tmp_path / "out.ipynb"
