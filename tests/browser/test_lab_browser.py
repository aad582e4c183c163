"""A person's JupyterLab session, in Debian's chromium: open the train step as a
notebook, see Ploomber's injected cell, run every cell, save, and find the file on
disk unchanged (no injected cell, no outputs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab_server import TOKEN, LabServer, running_lab

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built_lab(
    tmp_path_factory: pytest.TempPathFactory, copy_project, run_build
) -> Iterator[LabServer]:
    project = copy_project(tmp_path_factory.mktemp("lab-browser") / "project")
    # the train step reads the products of its upstream steps
    run_build(project, "--partially", "features")
    with running_lab(project, "--LabApp.expose_app_in_browser=True") as server:
        yield server


@pytest.fixture
def allowed_url_prefixes(built_lab: LabServer) -> tuple[str, ...]:
    return (built_lab.url + "/",)


def _wait_idle(page: Any) -> None:
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            return panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel
                && panel.sessionContext.session.kernel.status === 'idle';
        }""",
        timeout=120_000,
    )


def test_train_step_runs_in_jupyterlab_and_saves_clean(
    built_lab: LabServer, page: Any, shoot: Callable[[Any, str], Path]
) -> None:
    path = built_lab.project / "notebooks" / "train.py"
    original = path.read_text()

    page.goto(f"{built_lab.url}/lab?token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=120_000)
    page.evaluate(
        """() => window.jupyterapp.commands.execute('docmanager:open',
               {path: 'notebooks/train.py', factory: 'Notebook'})"""
    )
    injected = page.locator(".jp-Cell", has_text="This cell was injected automatically")
    injected.first.wait_for(state="visible", timeout=120_000)
    _wait_idle(page)

    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # every code cell gets an execution count, and the kernel comes back to idle
    page.wait_for_function(
        """() => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            const cells = nb.widgets.filter(c => c.model.type === 'code');
            return cells.length > 0 && cells.every(c => c.model.executionCount !== null);
        }""",
        timeout=240_000,
    )
    _wait_idle(page)
    tracebacks = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert tracebacks.count() == 0, tracebacks.first.inner_text()
    shoot(page, "jupyterlab-train-step")
    # no calls home: JupyterLab's news announcements are disabled by make install
    assert page.get_by_text("official Jupyter news").count() == 0

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000
    )
    on_disk = path.read_text()
    assert "injected-parameters" not in on_disk
    assert "This cell was injected automatically" not in on_disk
    assert on_disk == original
    # the run really happened: the step wrote its products in the project copy
    assert (built_lab.project / ".nbops" / "products" / "model.skops").stat().st_size > 0


def test_double_click_on_a_step_opens_it_as_a_notebook(
    built_lab: LabServer, page: Any, shoot: Callable[[Any, str], Path]
) -> None:
    # A regression test: with this stack jupytext's contents manager already lists
    # .py steps as notebooks, and nbops lab also sets jupytext's notebook view as the
    # default viewer (nbops.scaffold._lab_settings), so either alone keeps this true.
    page.goto(f"{built_lab.url}/lab?token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:open-path',"
                  " {path: 'notebooks'})")
    item = page.locator(".jp-DirListing-item", has_text="evaluate.py")
    item.wait_for(state="visible", timeout=60_000)
    item.dblclick()
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === 'notebooks/evaluate.py';
        }""",
        timeout=120_000,
    )
    # a notebook panel with cells, not a text editor
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            return w.hasClass('jp-NotebookPanel') && w.content.widgets.length > 1;
        }""",
        timeout=60_000,
    )
    shoot(page, "jupyterlab-step-opens-as-notebook")
    _wait_idle(page)


def test_lab_serves_jupytext_as_the_default_viewer_for_python(built_lab: LabServer) -> None:
    # what decides a double click when the listing does not mark a .py as a notebook
    plugin = built_lab.request("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    default = plugin["schema"]["properties"]["defaultViewers"]["default"]
    assert default["python"] == "Jupytext Notebook"
